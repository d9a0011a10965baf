"""Thing Descriptions: `GET /api/2/things/{id}[/features/{featureId}]` with `Accept: application/td+json`.

Ditto: "Thing Description generation" and "Security: TD access / authorization" (3.9) in
`basic-wot-integration.md`; `wot/api/.../generator/DefaultWotThingDescriptionGenerator.java`,
`things/service/.../strategies/commands/RetrieveThingStrategy.java` (a thing without a URL definition:
`wot:definition.invalid`, 404), `things/service/.../enforcement/WotThingDescriptionEnforcement.java`.
Every generated TD is checked against the W3C TD 1.1 JSON schema (tests/data/wot).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import jsonschema
import pytest

from tests.api.helpers import assert_error, owner_and
from tests.wot_server import ModelServer

TD = {"accept": "application/td+json"}
SCHEMA = json.loads((Path(__file__).parents[2] / "data" / "wot" / "td-json-schema-validation.json").read_text())


def _valid(td: dict[str, object]) -> dict[str, object]:
    jsonschema.Draft7Validator(SCHEMA).validate(td)
    return td


@pytest.fixture
def lamp(models: ModelServer) -> str:
    base = f"/{uuid.uuid4().hex[:10]}"
    context = ["https://www.w3.org/2022/wot/td/v1.1", {"ditto": "https://ditto.eclipseprojects.io/wot/ditto-extension#"}]
    models.serve(f"{base}/switch.tm.jsonld", {
        "@context": context, "@type": "tm:ThingModel", "title": "Switch",
        "properties": {"on": {"type": "boolean"}},
        "actions": {"toggle": {"output": {"type": "boolean"}}}})
    return models.serve(f"{base}/lamp.tm.jsonld", {
        "@context": context, "@type": "tm:ThingModel", "title": "Lamp {{SERIAL}}",
        "version": {"model": "1.0.0"},
        "tm:optional": ["/properties/note"],
        "properties": {
            "brightness": {"type": "integer", "minimum": 0, "maximum": 100},
            "firmware": {"type": "string", "readOnly": True, "ditto:category": "status"},
            "note": {"type": "string"},
        },
        "actions": {"blink": {"input": {"type": "integer"}}},
        "events": {"overheated": {"data": {"type": "number"}}},
        "links": [{"rel": "tm:submodel", "href": "switch.tm.jsonld", "type": "application/tm+json",
                   "instanceName": "switch"},
                  {"rel": "tm:extends", "href": "switch.tm.jsonld"}],
    })


def _ops(forms: object) -> list[object]:
    assert isinstance(forms, list)
    return [form["op"] for form in forms]


def test_the_td_of_a_thing(client: httpx.Client, server_url: str, thing_id: str, lamp: str) -> None:
    """id `urn:<thingId>`, base the thing's URL, `tm:ThingModel` -> `Thing`, a `type` link to the model,
    `tm:submodel` -> `item` link, forms per property/action/event, the basic-auth template, placeholders."""
    client.put(f"/things/{thing_id}", json={
        "definition": lamp, "attributes": {"model-placeholders": {"SERIAL": "SN-1"}}}).raise_for_status()

    response = client.get(f"/things/{thing_id}", headers=TD)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/td+json"
    assert "etag" not in response.headers
    td = _valid(response.json())
    # Ditto replaces the whole string holding a placeholder (DefaultWotThingDescriptionGenerator.resolvePlaceholder)
    assert td["@type"] == "Thing" and td["title"] == "SN-1" and "tm:optional" not in td
    assert td["id"] == f"urn:{thing_id}" and td["base"] == f"{server_url}/api/2/things/{thing_id}/"
    assert td["version"] == {"model": "1.0.0", "instance": "1.0.0"}
    assert td["links"] == [{"rel": "type", "href": lamp, "type": "application/tm+json"},
                           {"rel": "item", "type": "application/td+json", "href": "features/switch"}]
    assert td["security"] == "basic_sc" and td["securityDefinitions"] == {"basic_sc": {"scheme": "basic",
                                                                                        "in": "header"}}
    assert isinstance(td["created"], str)
    properties = td["properties"]
    assert set(properties) == {"brightness", "firmware", "note", "on"}  # `on` from tm:extends
    assert _ops(properties["brightness"]["forms"]) == [
        "readproperty", "writeproperty", "writeproperty", ["observeproperty", "unobserveproperty"]]
    assert properties["brightness"]["forms"][0]["href"] == "attributes/brightness"
    assert properties["firmware"]["forms"][0]["href"] == "attributes/status/firmware"
    assert _ops(properties["firmware"]["forms"]) == ["readproperty", ["observeproperty", "unobserveproperty"]]
    assert td["actions"]["blink"]["forms"][0]["href"] == "inbox/messages/blink"
    assert td["actions"]["blink"]["synchronous"] is True
    assert td["events"]["overheated"]["forms"][0]["href"] == "outbox/messages/overheated"
    assert _ops(td["forms"])[:4] == ["readallproperties", "readmultipleproperties", "writeallproperties",
                                     "writemultipleproperties"]


def test_the_td_of_a_feature(client: httpx.Client, server_url: str, thing_id: str, lamp: str) -> None:
    """A feature's TD: id `urn:<thingId>/features/<id>`, base the feature's URL, a `collection` link to the thing,
    properties as feature properties."""
    client.put(f"/things/{thing_id}", json={"definition": lamp}).raise_for_status()

    response = client.get(f"/things/{thing_id}/features/switch", headers=TD)

    assert response.status_code == 200, response.text
    td = _valid(response.json())
    assert td["id"] == f"urn:{thing_id}/features/switch"
    assert td["base"] == f"{server_url}/api/2/things/{thing_id}/features/switch/"
    assert td["links"][0] == {"rel": "collection", "href": f"{server_url}/api/2/things/{thing_id}/",
                              "type": "application/td+json"}
    assert td["properties"]["on"]["forms"][0]["href"] == "properties/on"


def test_a_thing_without_a_model_url_answers_definition_invalid(client: httpx.Client, thing_id: str) -> None:
    client.put(f"/things/{thing_id}", json={"definition": "org.example:lamp:1.0",
                                            "features": {"plain": {"properties": {}}}}).raise_for_status()

    assert_error(client.get(f"/things/{thing_id}", headers=TD), 404, "wot:definition.invalid")
    assert_error(client.get(f"/things/{thing_id}/features/plain", headers=TD), 404, "wot:definition.invalid")
    assert client.get(f"/things/{thing_id}", headers={"accept": "application/json"}).status_code == 200


def test_tds_of_things_and_features_that_do_not_exist_are_not_found(client: httpx.Client, thing_id: str,
                                                                    lamp: str) -> None:
    assert_error(client.get(f"/things/{thing_id}", headers=TD), 404, "things:thing.notfound")
    client.put(f"/things/{thing_id}", json={"definition": lamp}).raise_for_status()
    assert_error(client.get(f"/things/{thing_id}/features/absent", headers=TD), 404, "things:feature.notfound")


def test_a_model_that_cannot_be_fetched_answers_tm_notfound(client: httpx.Client, thing_id: str,
                                                            models: ModelServer) -> None:
    url = models.url(f"/{uuid.uuid4().hex}/gone.tm.jsonld")
    client.put(f"/things/{thing_id}", json={"definition": url}).raise_for_status()

    assert_error(client.get(f"/things/{thing_id}", headers=TD), 421, "wot:tm.notfound")


def test_an_unresolved_placeholder_is_refused(client: httpx.Client, thing_id: str, lamp: str) -> None:
    """`{{SERIAL}}` neither in `model-placeholders` nor in the configuration: `wot:tm.placeholder.unresolved`."""
    client.put(f"/things/{thing_id}", json={"definition": lamp}).raise_for_status()

    assert_error(client.get(f"/things/{thing_id}", headers=TD), 400, "wot:tm.placeholder.unresolved")


def test_the_td_is_scoped_to_the_readers_permissions(client: httpx.Client, thing_id: str, lamp: str,
                                                     as_user: Callable[[str], httpx.Client]) -> None:
    """Ditto 3.9: unreadable properties go, read-only ones lose their write forms, actions need WRITE on their
    inbox message, events READ on their outbox message, `item` links need READ on the feature."""
    policy = owner_and("reader", {
        "thing:/attributes/brightness": {"grant": ["READ"], "revoke": []},
        "thing:/attributes/note": {"grant": ["READ", "WRITE"], "revoke": []},
        "message:/outbox/messages/overheated": {"grant": ["READ"], "revoke": []},
    })
    client.put(f"/things/{thing_id}", json={
        "definition": lamp, "attributes": {"model-placeholders": {"SERIAL": "S"}}, "_policy": policy},
    ).raise_for_status()

    td = _valid(as_user("reader").get(f"/things/{thing_id}", headers=TD).json())

    assert set(td["properties"]) == {"brightness", "note"}
    assert td["properties"]["brightness"]["readOnly"] is True
    assert _ops(td["properties"]["brightness"]["forms"]) == ["readproperty", ["observeproperty", "unobserveproperty"]]
    assert "writeproperty" in _ops(td["properties"]["note"]["forms"])
    assert "actions" not in td and set(td["events"]) == {"overheated"}
    assert [link["rel"] for link in td["links"]] == ["type"]
    full = client.get(f"/things/{thing_id}", headers=TD).json()
    assert set(full["properties"]) == {"brightness", "firmware", "note", "on"} and "blink" in full["actions"]


def test_a_reader_without_any_read_permission_gets_not_found(client: httpx.Client, thing_id: str, lamp: str,
                                                             as_user: Callable[[str], httpx.Client]) -> None:
    policy = owner_and("stranger", {"message:/inbox/messages/blink": {"grant": ["WRITE"], "revoke": []}})
    client.put(f"/things/{thing_id}", json={"definition": lamp, "_policy": policy}).raise_for_status()

    assert_error(as_user("stranger").get(f"/things/{thing_id}", headers=TD), 404, "things:thing.notfound")
