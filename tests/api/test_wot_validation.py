"""Thing Model based validation (Ditto 3.6+): writes to a thing whose definition links a WoT Thing Model, and
messages to it, are checked against the model. Ditto: doc `basic-wot-integration.md` ("Thing Model based
validation of changes to properties, action and event payloads", "Thing Model based validation error", "Model
evolution"), `wot/validation/.../InternalValidation.java`, `InternalThingValidation.java`,
`InternalFeatureValidation.java`, `wot/api/.../validator/DefaultWotThingModelValidator.java`. Models are served
by a local HTTP server the tests start."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.api.helpers import MERGE, assert_error, owner_and
from tests.api.websocket import DittoSocket, open_socket
from tests.api.wot_models import (  # noqa: F401 (fixtures)
    SENSOR,
    Models,
    lamp_thing,
    model_server_fixture,
    models_fixture,
    while_model_held,
)
from tests.wot_server import ModelServer
from twinhub.testing import Server, running_server

WOT_ERROR = "wot:payload.validation.error"
WOT_MESSAGE = "The provided payload did not conform to the specified WoT (Web of Things) model."


def test_a_wrongly_typed_attribute_is_refused_as_ditto_documents(client: httpx.Client, lamp: str) -> None:
    """The documented example: `serial` is a string in the model, a boolean is refused with the pointer and the
    networknt wording in `validationDetails`."""
    response = client.put(f"{lamp}/attributes/serial", json=True)
    assert response.json() == {
        "status": 400, "error": WOT_ERROR, "message": WOT_MESSAGE,
        "description": "The Thing's attribute </serial> contained validation errors, check the validation details.",
        "validationDetails": {"/attributes/serial": [": {type=boolean found, string expected}"]}}
    assert response.status_code == 400
    assert client.get(f"{lamp}/attributes/serial").json() == "L-1"


def test_conforming_writes_pass(client: httpx.Client, lamp: str) -> None:
    """Values the model allows are written as usual."""
    assert client.put(f"{lamp}/attributes/serial", json="L-2").status_code == 204
    assert client.put(f"{lamp}/attributes/rating", json=3).status_code == 201
    assert client.patch(f"{lamp}/attributes", json={"rating": 4}, headers=MERGE).status_code == 204
    assert client.put(f"{lamp}/features/sensor/properties/value", json=-3.5).status_code == 204
    assert client.get(f"{lamp}/attributes").json() == {"serial": "L-2", "rating": 4}


def test_a_schema_constraint_is_enforced(client: httpx.Client, lamp: str) -> None:
    """Not just types: `minimum` of the model's data schema holds too."""
    body = assert_error(client.put(f"{lamp}/attributes/rating", json=0), 400, WOT_ERROR)
    assert body["validationDetails"] == {"/attributes/rating": [": {minimum=must have a minimum value of 1}"]}


def test_non_modeled_attributes_are_refused(client: httpx.Client, lamp: str) -> None:
    """By default non-modeled attributes are forbidden (`thing.forbid.non-modeled-attributes`)."""
    body = assert_error(client.put(f"{lamp}/attributes/color", json="red"), 400, WOT_ERROR)
    assert body["description"] == "The Thing's attributes contained JSON fields which were not defined in the " \
                                  "model: [color]"


def test_a_merge_is_checked_on_what_it_produces(client: httpx.Client, lamp: str) -> None:
    """A merge patch (Ditto `validateMergeThing`) is refused when the merged attributes break the model."""
    response = client.patch(lamp, json={"attributes": {"rating": "five"}}, headers=MERGE)
    body = assert_error(response, 400, WOT_ERROR)
    assert body["validationDetails"] == {"/attributes/rating": [": {type=string found, integer expected}"]}


def test_a_merge_cannot_remove_what_the_model_requires(client: httpx.Client, lamp: str) -> None:
    """A merge patch that nulls a required attribute or a modelled feature is refused (Ditto validates the merged
    thing's touched parts, `validateMergeThing`)."""
    body = assert_error(client.patch(f"{lamp}/attributes", json={"serial": None}, headers=MERGE), 400, WOT_ERROR)
    assert body["description"] == "Required JSON fields were missing from the Thing's attributes"
    body = assert_error(client.patch(lamp, json={"features": {"sensor": None}}, headers=MERGE), 400, WOT_ERROR)
    assert body["description"] == "Attempting to update the Thing with missing in the model defined features: " \
                                  "[sensor]"
    assert_error(client.patch(f"{lamp}/features/sensor/properties", json={"value": "x"}, headers=MERGE), 400,
                 WOT_ERROR)
    assert client.patch(f"{lamp}/features/sensor/properties", json={"value": 3}, headers=MERGE).status_code == 204


def test_required_attributes_cannot_be_deleted_optional_ones_can(client: httpx.Client, lamp: str) -> None:
    """Attributes not marked `tm:optional` are ensured not to be deleted; all attributes neither."""
    body = assert_error(client.delete(f"{lamp}/attributes/serial"), 400, WOT_ERROR)
    assert body["description"] == "Could not delete Thing attribute </serial> as it is defined as non-optional " \
                                  "in the model"
    assert_error(client.delete(f"{lamp}/attributes"), 400, WOT_ERROR)
    assert client.put(f"{lamp}/attributes/rating", json=2).status_code == 201
    assert client.delete(f"{lamp}/attributes/rating").status_code == 204


def test_deleting_a_model_definition_is_forbidden(client: httpx.Client, lamp: str, models: Models) -> None:
    """"Deletion of a Thing's definition is forbidden (to not be able to bypass validation)", for the thing's
    and for a feature's definition."""
    body = assert_error(client.delete(f"{lamp}/definition"), 400, WOT_ERROR)
    assert body["description"] == "Deleting the Thing's <definition> is not allowed"
    body = assert_error(client.delete(f"{lamp}/features/sensor/definition"), 400, WOT_ERROR)
    assert body["description"] == "Deleting the Feature <sensor>'s <definition> is not allowed"
    assert client.get(f"{lamp}/definition").json() == models.lamp


def test_creating_a_thing_that_breaks_its_model_is_refused(client: httpx.Client, thing_id: str,
                                                          models: Models) -> None:
    """A new thing (its payload over the model's skeleton) is checked as a whole: its attributes, then its features
    against the model's submodels; nothing is created."""
    thing = models.thing()
    thing["attributes"] = {"serial": 5}
    body = assert_error(client.put(f"/things/{thing_id}", json=thing), 400, WOT_ERROR)
    assert body["validationDetails"] == {"/attributes/serial": [": {type=integer found, string expected}"]}
    thing = models.thing()
    thing["features"] = {**thing["features"], "toaster": {}}  # type: ignore[dict-item]
    body = assert_error(client.put(f"/things/{thing_id}", json=thing), 400, WOT_ERROR)
    assert body["description"] == "Attempting to update the Thing with feature(s) which were not defined in the " \
                                  "model: [toaster]"
    assert client.get(f"/things/{thing_id}").status_code == 404


def test_replacing_a_thing_checks_required_attributes_and_modelled_features(client: httpx.Client, lamp: str,
                                                                          models: Models) -> None:
    """Modifying the whole thing (no skeleton: it exists) must keep its non-optional attributes and the features
    of the model's submodels."""
    thing = models.thing()
    thing["attributes"] = {}
    body = assert_error(client.put(lamp, json=thing), 400, WOT_ERROR)
    assert body["description"] == "Required JSON fields were missing from the Thing's attributes"
    assert body["validationDetails"] == {
        "/attributes/serial": ["Thing's attribute <serial> is non optional and must be provided"]}
    thing = models.thing()
    thing["features"] = {}
    body = assert_error(client.put(lamp, json=thing), 400, WOT_ERROR)
    assert body["description"] == "Attempting to update the Thing with missing in the model defined features: " \
                                  "[sensor]"


def test_a_non_modeled_feature_is_refused(client: httpx.Client, lamp: str) -> None:
    """"It is ensured that only defined and known features are accepted"."""
    body = assert_error(client.put(f"{lamp}/features/toaster", json={}), 400, WOT_ERROR)
    assert body["description"] == "Attempting to update the Thing with a feature which is not defined in the " \
                                  "model: <toaster>"
    assert_error(client.delete(f"{lamp}/features/sensor"), 400, WOT_ERROR)


def test_feature_properties_follow_the_feature_model(client: httpx.Client, lamp: str) -> None:
    """The documented feature example: a `required` field of an object property missing."""
    response = client.put(f"{lamp}/features/sensor/properties", json={"value": 1, "status": {}})
    body = assert_error(response, 400, WOT_ERROR)
    assert body["description"] == "The Feature <sensor>'s properties contained validation errors, check the " \
                                  "validation details."
    assert body["validationDetails"] == {"/features/sensor/properties/status": [
        ": {required=[required property 'updatedAt' not found, required property 'message' not found]}"]}
    body = assert_error(client.put(f"{lamp}/features/sensor/properties", json={}), 400, WOT_ERROR)
    assert body["validationDetails"] == {"/features/sensor/properties/value": [
        "Feature <sensor>'s property <value> is non optional and must be provided"]}
    body = assert_error(client.put(f"{lamp}/features/sensor/properties/value", json="warm"), 400, WOT_ERROR)
    assert body["description"] == "The Feature <sensor>'s property </value> contained validation errors, check " \
                                  "the validation details."


def test_desired_properties_are_typed_but_need_no_required_fields(client: httpx.Client, lamp: str) -> None:
    """Desired properties follow the property schemas without their `required` fields (Ditto validates them with
    `validateRequiredObjectFields=false`)."""
    assert client.put(f"{lamp}/features/sensor/desiredProperties", json={"status": {}}).status_code == 201
    assert_error(client.put(f"{lamp}/features/sensor/desiredProperties/value", json="x"), 400, WOT_ERROR)


def test_a_new_model_version_with_a_new_submodel_needs_the_feature(client: httpx.Client, lamp: str,
                                                                  models: Models) -> None:
    """The documented model evolution: updating the definition to 1.1.0, which adds `coffeeMaker`, fails; a merge
    bringing the definition and the feature together succeeds."""
    body = assert_error(client.put(f"{lamp}/definition", json=models.lamp_next), 400, WOT_ERROR)
    assert body["description"] == "Attempting to update the Thing with missing in the model defined features: " \
                                  "[coffeeMaker]"
    patch = {"definition": models.lamp_next,
             "features": {"coffeeMaker": {"definition": [models.coffee], "properties": {"counter": 0}}}}
    assert client.patch(lamp, json=patch, headers=MERGE).status_code == 204
    assert client.get(f"{lamp}/definition").json() == models.lamp_next


def test_feature_properties_grouped_by_ditto_category(client: httpx.Client, thing_id: str,
                                                      model_server: ModelServer) -> None:
    """Properties with the Ditto WoT extension's `ditto:category` live under it (Ditto `handleDittoCategory`): a
    thing created from such a model (its skeleton grouped the same way) conforms, and writes are checked there."""
    prefix = "/" + thing_id.rsplit(":", 1)[1]
    light = model_server.serve(prefix + "/light.tm.jsonld", {
        "@context": ["https://www.w3.org/2022/wot/td/v1.1",
                     {"ditto": "https://ditto.eclipseprojects.io/wot/ditto-extension#"}],
        "@type": "tm:ThingModel", "title": "Light",
        "properties": {"on": {"type": "boolean", "ditto:category": "status"},
                       "level": {"type": "integer", "minimum": 0, "ditto:category": "configuration"}}})
    room = model_server.serve(prefix + "/room.tm.jsonld", {
        "@context": "https://www.w3.org/2022/wot/td/v1.1", "@type": "tm:ThingModel", "title": "Room",
        "links": [{"rel": "tm:submodel", "href": light, "type": "application/tm+json", "instanceName": "light"}]})
    assert client.put(f"/things/{thing_id}", json={"definition": room}).status_code == 201
    properties = f"/things/{thing_id}/features/light/properties"
    assert client.get(properties).json() == {"status": {"on": False}, "configuration": {"level": 0}}
    assert client.put(f"{properties}/configuration/level", json=7).status_code == 204
    body = assert_error(client.put(f"{properties}/configuration/level", json=-1), 400, WOT_ERROR)
    assert body["validationDetails"] == {"/features/light/properties/configuration/level": [
        ": {minimum=must have a minimum value of 0}"]}
    body = assert_error(client.put(f"{properties}/status/blink", json=True), 400, WOT_ERROR)
    assert body["description"] == "The Feature <light>'s properties contained JSON fields which were not defined " \
                                  "in the model: [status/blink]"


def test_things_without_a_model_are_not_checked(client: httpx.Client, thing_id: str) -> None:
    """Only definitions that are Thing Model URLs are validated; `namespace:name:version` ones are not."""
    thing = {"definition": "org.example:lamp:1.0.0", "attributes": {"serial": True, "anything": 1}}
    assert client.put(f"/things/{thing_id}", json=thing).status_code == 201
    assert client.delete(f"/things/{thing_id}/definition").status_code == 204


def test_an_unreachable_model_is_reported_not_crashed_on(client: httpx.Client, thing_id: str,
                                                        model_server: ModelServer) -> None:
    """A definition whose model cannot be downloaded answers Ditto's `wot:tm.notfound`, never a 500."""
    missing = model_server.url("/nowhere/lamp.tm.jsonld")
    response = client.put(f"/things/{thing_id}", json={"definition": missing, "attributes": {"serial": "x"}})
    assert_error(response, 421, "wot:tm.notfound")


def test_a_model_download_does_not_hold_back_the_things_other_writes(client: httpx.Client, lamp: str,
                                                                    model_server: ModelServer) -> None:
    """A write naming a model not yet downloaded gets it before it takes its thing's turn: another write of the
    thing is not held back meanwhile (Ditto fetches models asynchronously, `DefaultWotThingModelFetcher`, and runs
    the validation as a CompletionStage on its `wotValidationExecutor`, not on the thing's own thread).
    The model is served only once that other write has been answered: were it downloaded in the turn, the other
    write would wait for the download to time out and the first would fail with `wot:tm.notfound`."""
    path = f"/held/{lamp.rpartition(':')[2]}/sensor.tm.jsonld"
    url = model_server.hold(path, SENSOR)
    feature = {"definition": [url], "properties": {"value": 3}}
    answer = while_model_held(client, model_server, path, ("PUT", f"{lamp}/features/sensor", feature), lambda: (
        _assert_status(client.put(f"{lamp}/attributes/serial", json="L-2"), 204)))
    assert answer.status_code == 204, answer.text
    assert client.get(f"{lamp}/features/sensor/definition").json() == [url]


def test_inbox_messages_follow_the_models_actions(client: httpx.Client, lamp: str) -> None:
    """Inbox messages: the action's `input` is validated and non-modeled subjects are forbidden; a valid one is
    sent (no receiver here, fire and forget: 202)."""
    response = client.post(f"{lamp}/inbox/messages/switch", json={}, params={"timeout": "0"})
    body = assert_error(response, 400, WOT_ERROR)
    assert body["description"] == "The Thing's action <switch> input contained validation errors, check the " \
                                  "validation details."
    assert body["validationDetails"] == {"/inbox/messages/switch": [": {required=required property 'on' not found}"]}
    body = assert_error(client.post(f"{lamp}/inbox/messages/explode", json={}, params={"timeout": "0"}), 400,
                        WOT_ERROR)
    assert body["description"] == "The Thing's message subject <explode> is not defined as known action in the " \
                                  "model: [switch]"
    assert client.post(f"{lamp}/inbox/messages/switch", json={"on": True}, params={"timeout": "0"}).status_code == 202


def test_outbox_and_feature_messages_follow_events_and_feature_actions(client: httpx.Client, lamp: str) -> None:
    """Outbox messages carry the event's `data`; a feature's messages follow the feature's model."""
    assert_error(client.post(f"{lamp}/outbox/messages/overheated", json="hot", params={"timeout": "0"}), 400,
                 WOT_ERROR)
    assert client.post(f"{lamp}/outbox/messages/overheated", json=90.5, params={"timeout": "0"}).status_code == 202
    body = assert_error(client.post(f"{lamp}/features/sensor/inbox/messages/calibrate", json="x",
                                    params={"timeout": "0"}), 400, WOT_ERROR)
    assert body["validationDetails"] == {"/features/sensor/inbox/messages/calibrate": [
        ": {type=string found, integer expected}"]}


def test_a_non_json_payload_to_a_modelled_thing_cannot_be_validated(client: httpx.Client, lamp: str) -> None:
    """Ditto refuses message content that is not JSON when the thing has a model (ThingEnforcerActor
    `isJsonMessageContent`), whatever the subject."""
    response = client.post(f"{lamp}/inbox/messages/switch", content=b"on", params={"timeout": "0"},
                           headers={"content-type": "text/plain"})
    body = assert_error(response, 400, WOT_ERROR)
    assert body["description"] == "Could not validate non-JSON message content type <text/plain> for message " \
                                  "subject <switch>"


def test_the_answer_to_an_action_follows_its_output(server: Server, client: httpx.Client, lamp: str) -> None:
    """The response to an inbox message is validated against the action's `output` (Ditto
    `performWotBasedMessageCommandResponseValidation`): an answer that breaks it reaches the sender as the 400,
    one that conforms as it is."""
    namespace, name = lamp.removeprefix("/things/").split(":", 1)
    expected = f"{namespace}/{name}/things/live/messages/switch"
    answers: list[httpx.Response] = []
    with open_socket(server.base_url) as device, ThreadPoolExecutor(1) as pool:
        device.control("START-SEND-MESSAGES")
        for answer in (42, "switched"):
            sent = pool.submit(client.post, f"{lamp}/inbox/messages/switch", json={"on": True},
                               params={"timeout": "20"})
            message = device.receive_until(lambda frame: isinstance(frame, dict) and frame.get("topic") == expected)
            assert isinstance(message, dict) and isinstance(message["headers"], dict)
            device.send({"topic": expected, "path": message["path"], "status": 200, "value": answer,
                         "headers": {"correlation-id": message["headers"]["correlation-id"],
                                     "content-type": "application/json"}})
            answers.append(sent.result(30))
    body = assert_error(answers[0], 400, WOT_ERROR)
    assert body["description"] == "The Thing's action <switch> output contained validation errors, check the " \
                                  "validation details."
    assert answers[1].status_code == 200, answers[1].text
    assert answers[1].json() == "switched"


def test_a_ditto_protocol_write_gets_the_same_error(socket: DittoSocket, lamp: str) -> None:
    """Over the WebSocket the refusal is a Ditto Protocol error response carrying the same error body."""
    namespace, name = lamp.removeprefix("/things/").split(":", 1)
    answer = socket.request({"topic": f"{namespace}/{name}/things/twin/commands/modify",
                             "path": "/attributes/serial", "value": 42})
    assert answer["status"] == 400
    assert answer["value"]["error"] == WOT_ERROR
    assert answer["value"]["validationDetails"] == {"/attributes/serial": [": {type=integer found, string expected}"]}


@pytest.fixture(scope="module")
def relaxed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server with non-modeled attributes allowed (Ditto `thing.forbid.non-modeled-attributes = false`), and a
    dynamic section switching validation off for the user `admin`."""
    dynamic = [{"validation-context": {"ditto-headers-patterns": [{"ditto-originator": "^nginx:admin$"}]},
                "config-overrides": {"enabled": False}}]
    env = {"TWINHUB_WOT_VALIDATION_OFF": "thing.forbid.non-modeled-attributes",
           "TWINHUB_WOT_VALIDATION_DYNAMIC": json.dumps(dynamic)}
    with running_server(tmp_path_factory.mktemp("relaxed") / "data", env=env) as server:
        yield server


@pytest.fixture(scope="module")
def log_only(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server that logs instead of refusing (Ditto `log-warning-instead-of-failing-api-calls = true`)."""
    env = {"TWINHUB_WOT_VALIDATION_LOG_ONLY": "true"}
    with running_server(tmp_path_factory.mktemp("log-only") / "data", env=env) as server:
        yield server


def _client(server: Server, user: str = "ditto") -> httpx.Client:
    return httpx.Client(base_url=server.base_url + "/api/2", auth=(user, "any"), timeout=30)


def test_an_aspect_switched_off_is_not_checked(relaxed: Server, thing_id: str, models: Models) -> None:
    """With `thing.forbid.non-modeled-attributes` off a non-modeled attribute is accepted; types still count."""
    with _client(relaxed) as client:
        assert client.put(f"/things/{thing_id}", json=models.thing()).status_code == 201
        assert client.put(f"/things/{thing_id}/attributes/color", json="red").status_code == 201
        assert_error(client.put(f"/things/{thing_id}/attributes/serial", json=1), 400, WOT_ERROR)


def test_a_dynamic_section_applies_to_the_calls_it_matches(relaxed: Server, thing_id: str, models: Models) -> None:
    """Ditto's `dynamic-configuration`: the section matching `ditto-originator` `nginx:admin` switches validation
    off for the admin's calls only."""
    policy = owner_and("admin", {"thing:/": {"grant": ["READ", "WRITE"], "revoke": []}})
    with _client(relaxed) as client, _client(relaxed, "admin") as admin:
        assert client.put(f"/things/{thing_id}", json={**models.thing(), "_policy": policy}).status_code == 201
        assert_error(client.put(f"/things/{thing_id}/attributes/serial", json=1), 400, WOT_ERROR)
        assert admin.put(f"/things/{thing_id}/attributes/serial", json=1).status_code == 204
        assert admin.delete(f"/things/{thing_id}/definition").status_code == 204


def test_log_only_mode_accepts_what_it_would_refuse(log_only: Server, thing_id: str, models: Models) -> None:
    """In log-warning mode a payload that breaks the model is written (and logged)."""
    with _client(log_only) as client:
        assert client.put(f"/things/{thing_id}", json=models.thing()).status_code == 201
        assert client.put(f"/things/{thing_id}/attributes/serial", json=True).status_code == 204
        assert client.get(f"/things/{thing_id}/attributes/serial").json() is True


def test_the_settings_refuse_an_unknown_aspect() -> None:
    """An aspect that is no Ditto config key stops the start with the setting named."""
    from twinhub.config import SettingsError, load_settings
    with pytest.raises(SettingsError, match="wot_validation_off"):
        load_settings({"TWINHUB_WOT_VALIDATION_OFF": json.dumps("thing.forbid.everything")})


def test_model_hosts_off_the_public_network_can_be_refused(tmp_path_factory: pytest.TempPathFactory, thing_id: str,
                                                          models: Models) -> None:
    """`TWINHUB_WOT_FETCH_PRIVATE_HOSTS=false`: a definition naming a model on a loopback (private, link-local)
    host is not downloaded, so whoever may write a thing cannot have the server read its internal network:
    Ditto's `wot:tm.notfound` (421), as for any model that cannot be fetched (Ditto itself fetches any URL)."""
    env = {"TWINHUB_WOT_FETCH_PRIVATE_HOSTS": "false"}
    with running_server(tmp_path_factory.mktemp("public-only") / "data", env=env) as server, \
            _client(server) as client:
        assert_error(client.put(f"/things/{thing_id}", json=models.thing()), 421, "wot:tm.notfound")


def test_a_call_the_configuration_does_not_check_downloads_no_model(relaxed: Server, thing_id: str,
                                                                   model_server: ModelServer) -> None:
    """A call a dynamic section switches validation off for (Ditto `dynamic-configuration`, `enabled: false`)
    does not wait for the models of its thing: none is downloaded for it, and it is not refused when the model
    cannot be fetched at all."""
    path = f"/unchecked/{thing_id.rpartition(':')[2]}/lamp.tm.jsonld"
    policy = owner_and("admin", {"thing:/": {"grant": ["READ", "WRITE"], "revoke": []}})
    with _client(relaxed) as client, _client(relaxed, "admin") as admin:
        assert client.put(f"/things/{thing_id}", json={"_policy": policy}).status_code == 201
        assert admin.put(f"/things/{thing_id}/definition", json=model_server.url(path)).status_code == 201
        assert admin.put(f"/things/{thing_id}/attributes/serial", json=1).status_code == 201
    assert model_server.requests[path] == 0


def _assert_status(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
