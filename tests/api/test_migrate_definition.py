"""`POST /api/2/things/{thingId}/migrateDefinition` (Ditto 3.7+): move a thing to another Thing Model version.

Ditto: `gateway/.../routes/things/ThingsRoute.java` (`thingsEntryMigrateDefinition`), `things/model/.../
MigrateThingDefinition.java` and `MigrateThingDefinitionResponse.java` (200 `APPLIED`, 202 `DRY_RUN`),
`things/service/.../strategies/commands/MigrateThingDefinitionStrategy.java` (patch conditions, `thing-json`
placeholders, skeleton definitions or defaults, validation of the result), OpenAPI `migrateThingDefinition*.yml`.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tests.api.helpers import assert_error, owner_and
from tests.api.websocket import DittoSocket
from tests.api.wot_models import Models, lamp_thing, model_server_fixture, models_fixture, while_model_held  # noqa: F401 (fixtures)
from tests.api.wot_models import lamp as lamp_model
from tests.wot_server import ModelServer

WOT_ERROR = "wot:payload.validation.error"


def _coffee(models: Models, counter: object = 3) -> dict[str, object]:
    return {"features": {"coffeeMaker": {"properties": {"counter": counter}}}}


def test_a_dry_run_answers_the_patch_and_writes_nothing(client: httpx.Client, lamp: str, models: Models) -> None:
    """`dry-run`: 202 with `mergeStatus` `DRY_RUN` and the patch that would be merged; the thing is unchanged."""
    body = {"thingDefinitionUrl": models.lamp_next, "migrationPayload": _coffee(models)}
    response = client.post(f"{lamp}/migrateDefinition", json=body, params={"dry-run": "true"})
    assert response.status_code == 202, response.text
    assert response.json() == {
        "thingId": lamp.removeprefix("/things/"), "mergeStatus": "DRY_RUN",
        "patch": {"definition": models.lamp_next,
                  "features": {"sensor": {"definition": [models.sensor]},
                               "coffeeMaker": {"definition": [models.coffee], "properties": {"counter": 3}}}}}
    assert client.get(f"{lamp}/definition").json() == models.lamp


def test_a_migration_is_applied_as_a_merge(client: httpx.Client, lamp: str, models: Models) -> None:
    """Without dry run: 200 `APPLIED`; the thing has the new definition, the new feature and keeps its data."""
    body = {"thingDefinitionUrl": models.lamp_next, "migrationPayload": _coffee(models)}
    response = client.post(f"{lamp}/migrateDefinition", json=body, headers={"dry-run": "false"})
    assert response.status_code == 200, response.text
    assert response.json()["mergeStatus"] == "APPLIED"
    assert response.headers["etag"] == '"rev:2"'
    thing = client.get(lamp).json()
    assert thing["definition"] == models.lamp_next
    assert thing["attributes"] == {"serial": "L-1"}
    assert thing["features"]["coffeeMaker"] == {"definition": [models.coffee], "properties": {"counter": 3}}
    assert thing["features"]["sensor"]["properties"] == {"value": 21.5}


def test_conditional_headers_apply_to_the_thing(client: httpx.Client, lamp: str, models: Models) -> None:
    """If-Match / If-None-Match are checked against the thing's ETag (Ditto `previousEntityTag`), dry run or not."""
    body = {"thingDefinitionUrl": models.lamp_next, "migrationPayload": _coffee(models)}
    for params in ({"dry-run": "true"}, {}):
        assert_error(client.post(f"{lamp}/migrateDefinition", json=body, params=params,
                                 headers={"If-Match": '"rev:99"'}), 412, "things:precondition.failed")
    response = client.post(f"{lamp}/migrateDefinition", json=body, headers={"If-Match": '"rev:1"'})
    assert response.status_code == 200, response.text


def test_a_migration_that_breaks_the_new_model_is_refused(client: httpx.Client, lamp: str, models: Models) -> None:
    """The migrated thing is validated against the new model (Ditto `performWotValidation`): without the new
    feature's required property it is refused, in a dry run too, and nothing changes."""
    body = {"thingDefinitionUrl": models.lamp_next}
    for params in ({"dry-run": "true"}, {}):
        refused = assert_error(client.post(f"{lamp}/migrateDefinition", json=body, params=params), 400, WOT_ERROR)
        assert refused["validationDetails"] == {"/features/coffeeMaker/properties/counter": [
            "Feature <coffeeMaker>'s property <counter> is non optional and must be provided"]}
    wrong = {"thingDefinitionUrl": models.lamp_next, "migrationPayload": _coffee(models, "many")}
    assert_error(client.post(f"{lamp}/migrateDefinition", json=wrong), 400, WOT_ERROR)
    assert client.get(f"{lamp}/definition").json() == models.lamp


def test_missing_properties_can_be_initialized_from_the_models_defaults(client: httpx.Client, lamp: str,
                                                                       models: Models) -> None:
    """`initializeMissingPropertiesFromDefaults`: the new model's defaults fill what the thing lacks and leave
    what it has (Ditto `removeConflicts`)."""
    body = {"thingDefinitionUrl": models.lamp_next, "initializeMissingPropertiesFromDefaults": True}
    response = client.post(f"{lamp}/migrateDefinition", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["patch"]["features"] == {
        "sensor": {"definition": [models.sensor]},
        "coffeeMaker": {"definition": [models.coffee], "properties": {"counter": 7}}}
    assert client.get(f"{lamp}/features/sensor/properties/value").json() == 21.5


def test_thing_json_placeholders_take_the_things_values(client: httpx.Client, lamp: str, models: Models) -> None:
    """`{{ thing-json:<pointer> }}` alone keeps the value's JSON type; inside text it is spliced in; a pointer to
    nothing is refused."""
    value = "{{ thing-json:features/sensor/properties/value }}"
    payload = {"attributes": {"serial": "copy of {{ thing-json:attributes/serial }}"},
               "features": {"coffeeMaker": {"properties": {"counter": value}}}}
    body = {"thingDefinitionUrl": models.lamp_next, "migrationPayload": payload}
    response = client.post(f"{lamp}/migrateDefinition", json=body, params={"dry-run": "true"})
    assert response.status_code == 400  # 21.5 is no integer: the type was kept
    payload["features"] = {"coffeeMaker": {"properties": {"counter": "{{ thing-json:_revision }}"}}}
    response = client.post(f"{lamp}/migrateDefinition", json=body, params={"dry-run": "true"})
    assert response.status_code == 202, response.text
    patch = response.json()["patch"]
    assert patch["attributes"] == {"serial": "copy of L-1"}
    assert isinstance(patch["features"]["coffeeMaker"]["properties"]["counter"], int)
    payload["attributes"] = {"serial": "{{ thing-json:attributes/nothing }}"}
    assert_error(client.post(f"{lamp}/migrateDefinition", json=body), 400, "placeholder:unresolved")


def test_a_write_during_the_migration_is_not_migrated_from_a_stale_thing(client: httpx.Client, lamp: str,
                                                                        model_server: ModelServer) -> None:
    """Ditto computes the migration in the thing's actor, on the thing as it is when the patch is merged
    (`MigrateThingDefinitionStrategy.handleMigrateDefinition` on `context.getState()`'s thing). A write that
    lands while the new model is downloaded is seen: the `thing-json` placeholder takes its value, not the one
    the thing had when the migration was asked for."""
    path = f"/held/{lamp.rpartition(':')[2]}/lamp-2.tm.jsonld"
    sensor = client.get(f"{lamp}/features/sensor/definition").json()[0]
    url = model_server.hold(path, lamp_model(sensor))
    body = {"thingDefinitionUrl": url,
            "migrationPayload": {"attributes": {"serial": "copy of {{ thing-json:attributes/serial }}"}}}
    response = while_model_held(client, model_server, path, ("POST", f"{lamp}/migrateDefinition", body),
                                lambda: _put_serial(client, lamp, "L-2"))
    assert response.status_code == 200, response.text
    assert response.json()["patch"]["attributes"] == {"serial": "copy of L-2"}
    assert client.get(f"{lamp}/attributes/serial").json() == "copy of L-2"


def test_patch_conditions_cut_the_parts_whose_condition_fails(client: httpx.Client, lamp: str,
                                                              models: Models) -> None:
    """`patchConditions` (resource key -> RQL on the current thing) drop the payload parts that do not hold."""
    payload = {"attributes": {"serial": "L-9", "rating": 5}, **_coffee(models)}
    body = {"thingDefinitionUrl": models.lamp_next, "migrationPayload": payload,
            "patchConditions": {"thing:/attributes/rating": "exists(attributes/rating)",
                                "thing:/attributes/serial": "eq(attributes/serial,\"L-1\")"}}
    response = client.post(f"{lamp}/migrateDefinition", json=body, params={"dry-run": "true"})
    assert response.status_code == 202, response.text
    assert response.json()["patch"]["attributes"] == {"serial": "L-9"}
    body["patchConditions"] = {"thing:/attributes/rating": "exists("}
    assert_error(client.post(f"{lamp}/migrateDefinition", json=body), 400, "things:condition.invalid")


def test_bad_requests_get_dittos_400s(client: httpx.Client, lamp: str, models: Models) -> None:
    """Missing `thingDefinitionUrl`: `json.field.missing`; a field of the wrong type: `json.invalid`; a definition
    that is no model URL, or whose model cannot be fetched (Ditto's skeleton generator then yields none):
    `wot:skeleton.generation.failed`."""
    url = f"{lamp}/migrateDefinition"
    assert_error(client.post(url, json={"migrationPayload": {}}), 400, "json.field.missing")
    assert_error(client.post(url, json={"thingDefinitionUrl": models.lamp_next, "migrationPayload": []}), 400,
                 "json.invalid")
    assert_error(client.post(url, json=[1]), 400, "json.invalid")
    assert_error(client.post(url, json={"thingDefinitionUrl": "org.example:lamp:2.0.0"}), 400,
                 "wot:skeleton.generation.failed")
    assert_error(client.post(url, json={"thingDefinitionUrl": models.lamp + ".missing"}), 400,
                 "wot:skeleton.generation.failed")
    assert_error(client.post(url, json={"thingDefinitionUrl": models.lamp_next}, params={"dry-run": "maybe"}), 400,
                 "header.invalid")
    assert_error(client.get(url), 405, "gateway:method.notallowed")


def test_only_who_may_write_the_whole_thing_may_migrate(client: httpx.Client, thing_id: str, models: Models,
                                                       as_user: Callable[[str], httpx.Client]) -> None:
    """Authorized like a modify of the whole thing: a reader gets 403 `things:thing.notmodifiable`, and so does a
    stranger (an unauthorized modify is 403 whether the thing is readable or not, as ThingCommandEnforcement
    .authorizeByPolicyOrThrow answers it); an unknown thing is 404."""
    policy = owner_and("reader", {"thing:/": {"grant": ["READ"], "revoke": []}})
    assert client.put(f"/things/{thing_id}", json={**models.thing(), "_policy": policy}).status_code == 201
    body = {"thingDefinitionUrl": models.lamp_next, "migrationPayload": _coffee(models)}
    assert_error(as_user("reader").post(f"/things/{thing_id}/migrateDefinition", json=body), 403,
                 "things:thing.notmodifiable")
    assert_error(as_user("stranger").post(f"/things/{thing_id}/migrateDefinition", json=body), 403,
                 "things:thing.notmodifiable")
    assert_error(client.post(f"/things/{thing_id}x/migrateDefinition", json=body), 404, "things:thing.notfound")


def test_the_ditto_protocol_migrate_command(socket: DittoSocket, client: httpx.Client, lamp: str,
                                            models: Models) -> None:
    """`<ns>/<name>/things/twin/commands/migrate` at `/` with the request as value (Ditto
    `ThingDefinitionMigrateCommandMappingStrategies`); the response has the command's topic, status 202 for a
    dry run, 200 applied, and `{thingId, patch, mergeStatus}` as value (`ThingDefinitionMigrateResponseSignalMapper`).
    On the live channel or below `/` the topic is unknown."""
    thing_id = lamp.removeprefix("/things/")
    namespace, name = thing_id.split(":", 1)
    topic = f"{namespace}/{name}/things/twin/commands/migrate"
    value = {"thingDefinitionUrl": models.lamp_next, "migrationPayload": _coffee(models)}
    dry = socket.request({"topic": topic, "path": "/", "value": value, "headers": {"dry-run": True}})
    assert (dry["topic"], dry["status"], dry["value"]["mergeStatus"]) == (topic, 202, "DRY_RUN")
    applied = socket.request({"topic": topic, "path": "/", "value": value})
    assert (applied["status"], applied["value"]["mergeStatus"], applied["value"]["thingId"]) == (200, "APPLIED",
                                                                                                 thing_id)
    assert client.get(f"{lamp}/definition").json() == models.lamp_next
    refused = socket.request({"topic": topic, "path": "/", "value": {"thingDefinitionUrl": models.lamp}})
    assert (refused["status"], refused["value"]["error"]) == (400, WOT_ERROR)  # 1.0.0 has no coffeeMaker
    for wrong_topic, path in ((topic.replace("/twin/", "/live/"), "/"), (topic, "/attributes")):
        error = socket.request({"topic": wrong_topic, "path": path, "value": value})
        assert (error["status"], error["value"]["error"]) == (400, "protocoladapter:unknown.topicpath")


def _put_serial(client: httpx.Client, lamp: str, serial: str) -> None:
    assert client.put(f"{lamp}/attributes/serial", json=serial).status_code == 204
