"""Skeleton generation on creation (Ditto: "Thing skeleton generation upon Thing creation" in
`basic-wot-integration.md`; `wot/api/.../generator/DefaultWotThingSkeletonGenerator.java`, `CreateThingStrategy`
and `ModifyFeatureStrategy` in `things/service/.../strategies/commands/`).

A thing created with a `definition` that is an http(s) URL of a Thing Model gets attributes from the TM's
`properties` (`const`, else `default`, else the neutral element of the type), features from its `tm:submodel`
links (feature id = `instanceName`, definition = the submodel and the models it extends), `tm:optional`
properties left out (Ditto's `generate-defaults-for-optional-properties = false`); the payload wins over the
skeleton; a model that cannot be downloaded leaves the thing without skeleton.
"""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.wot_server import ModelServer


@pytest.fixture
def base() -> str:
    """A fresh model path per test: the server caches what it downloaded."""
    return f"/{uuid.uuid4().hex[:10]}"


def _tm(**members: object) -> dict[str, object]:
    return {"@context": ["https://www.w3.org/2022/wot/td/v1.1",
                         {"ditto": "https://ditto.eclipseprojects.io/wot/ditto-extension#"}],
            "@type": "tm:ThingModel", **members}


def _serve_lamp(models: ModelServer, base: str) -> str:
    models.serve(f"{base}/switchable.tm.jsonld", _tm(properties={"on": {"type": "boolean"}}))
    models.serve(f"{base}/lamp.tm.jsonld", _tm(
        properties={"dimmer": {"type": "integer", "default": 50}, "color": {"type": "string", "format": "date"}},
        links=[{"rel": "tm:extends", "href": "switchable.tm.jsonld"}]))
    return models.serve(f"{base}/room.tm.jsonld", _tm(
        properties={
            "serial": {"type": "string"},
            "model": {"type": "string", "const": "R-1"},
            "floor": {"type": "integer"},
            "area": {"type": "number"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "location": {"type": "object", "required": ["lat"],
                         "properties": {"lat": {"type": "number"}, "name": {"type": "string"}}},
            "installed": {"type": "string", "format": "date-time"},
            "firmware": {"type": "string", "ditto:category": "status"},
            "note": {"type": "string"},
            "untyped": {"description": "no type: no value"},
        },
        **{"tm:optional": ["/properties/note"]},
        links=[{"rel": "tm:submodel", "href": "lamp.tm.jsonld", "type": "application/tm+json",
                "instanceName": "ceiling"}]))


def test_a_thing_created_with_a_model_url_gets_its_skeleton(
        client: httpx.Client, thing_id: str, models: ModelServer, base: str) -> None:
    url = _serve_lamp(models, base)

    created = client.put(f"/things/{thing_id}", json={"definition": url})

    assert created.status_code == 201, created.text
    thing = client.get(f"/things/{thing_id}").json()
    assert thing["definition"] == url
    assert thing["attributes"] == {
        "serial": "", "model": "R-1", "floor": 0, "area": 0.0, "tags": [], "location": {"lat": 0.0},
        "installed": "1970-01-01T00:00:00Z", "status": {"firmware": ""}}
    assert thing["features"] == {"ceiling": {
        "definition": [models.url(f"{base}/lamp.tm.jsonld"), models.url(f"{base}/switchable.tm.jsonld")],
        "properties": {"dimmer": 50, "color": "1970-01-01", "on": False}}}
    assert created.json()["attributes"] == thing["attributes"]


def test_the_payload_wins_over_the_skeleton(client: httpx.Client, thing_id: str, models: ModelServer,
                                            base: str) -> None:
    """CreateThingStrategy merges the payload over the skeleton (JsonFactory.mergeJsonValues)."""
    url = _serve_lamp(models, base)

    client.put(f"/things/{thing_id}", json={
        "definition": url, "attributes": {"serial": "SN-7", "extra": True},
        "features": {"ceiling": {"properties": {"dimmer": 80}}}}).raise_for_status()

    thing = client.get(f"/things/{thing_id}").json()
    assert thing["attributes"]["serial"] == "SN-7" and thing["attributes"]["extra"] is True
    assert thing["attributes"]["model"] == "R-1"
    assert thing["features"]["ceiling"]["properties"] == {"dimmer": 80, "color": "1970-01-01", "on": False}


def test_post_creates_with_a_skeleton_too(client: httpx.Client, models: ModelServer, base: str) -> None:
    url = _serve_lamp(models, base)

    created = client.post("/things", json={"definition": url})

    assert created.status_code == 201
    assert created.json()["attributes"]["model"] == "R-1"


def test_only_creation_gets_a_skeleton(client: httpx.Client, thing_id: str, models: ModelServer, base: str) -> None:
    """An existing thing modified with a model URL keeps its payload as sent (Ditto: CreateThing only)."""
    url = _serve_lamp(models, base)
    client.put(f"/things/{thing_id}", json={"attributes": {"a": 1}}).raise_for_status()

    assert client.put(f"/things/{thing_id}", json={"definition": url, "attributes": {"a": 2}}).status_code == 204

    assert client.get(f"/things/{thing_id}").json() == {
        "thingId": thing_id, "policyId": thing_id, "definition": url, "attributes": {"a": 2}}


def test_a_feature_created_with_a_model_url_gets_its_skeleton(
        client: httpx.Client, thing_id: str, models: ModelServer, base: str) -> None:
    """ModifyFeatureStrategy: the skeleton's definition identifiers come first, then the payload's own."""
    _serve_lamp(models, base)
    lamp = models.url(f"{base}/lamp.tm.jsonld")
    client.put(f"/things/{thing_id}", json={}).raise_for_status()

    created = client.put(f"/things/{thing_id}/features/desk", json={
        "definition": [lamp, "org.example:lamp:1.0"], "properties": {"on": True}})

    assert created.status_code == 201, created.text
    assert client.get(f"/things/{thing_id}/features/desk").json() == {
        "definition": [lamp, models.url(f"{base}/switchable.tm.jsonld"), "org.example:lamp:1.0"],
        "properties": {"dimmer": 50, "color": "1970-01-01", "on": True}}


def test_features_created_at_once_get_their_skeletons(
        client: httpx.Client, thing_id: str, models: ModelServer, base: str) -> None:
    """ModifyFeaturesStrategy (creating a thing's features): each feature with a model URL gets its skeleton; an
    existing features object replaced later keeps the payload as sent."""
    _serve_lamp(models, base)
    lamp = models.url(f"{base}/lamp.tm.jsonld")
    client.put(f"/things/{thing_id}", json={}).raise_for_status()

    created = client.put(f"/things/{thing_id}/features", json={
        "desk": {"definition": [lamp]}, "plain": {"properties": {"x": 1}}})

    assert created.status_code == 201, created.text
    assert client.get(f"/things/{thing_id}/features").json() == {
        "desk": {"definition": [lamp, models.url(f"{base}/switchable.tm.jsonld")],
                 "properties": {"dimmer": 50, "color": "1970-01-01", "on": False}},
        "plain": {"properties": {"x": 1}}}
    assert client.put(f"/things/{thing_id}/features", json={"desk": {"definition": [lamp]}}).status_code == 204
    assert client.get(f"/things/{thing_id}/features").json() == {"desk": {"definition": [lamp]}}


def test_definitions_that_are_no_url_pay_nothing(client: httpx.Client, thing_id: str, models: ModelServer) -> None:
    before = sum(models.requests.values())

    client.put(f"/things/{thing_id}", json={"definition": "org.example:lamp:1.0"}).raise_for_status()

    assert sum(models.requests.values()) == before
    assert client.get(f"/things/{thing_id}").json() == {
        "thingId": thing_id, "policyId": thing_id, "definition": "org.example:lamp:1.0"}


@pytest.mark.parametrize("case", ["missing", "server-error", "invalid-json", "extends-cycle", "dangling-ref"])
def test_a_model_that_cannot_be_resolved_leaves_the_thing_without_skeleton(
        client: httpx.Client, thing_id: str, models: ModelServer, base: str, case: str) -> None:
    """"if any error happens during the skeleton creation (e.g. a Thing Model can't be downloaded or is invalid),
    the Thing is created without the skeleton model, just containing the specified definition" (Ditto docs)."""
    url = models.url(f"{base}/model.json")
    if case == "server-error":
        models.serve(f"{base}/model.json", {}, status=500)
    elif case == "invalid-json":
        models.serve_bytes(f"{base}/model.json", b"{nope")
    elif case == "extends-cycle":
        models.serve(f"{base}/model.json", _tm(links=[{"rel": "tm:extends", "href": "model.json"}]))
    elif case == "dangling-ref":
        models.serve(f"{base}/model.json", _tm(properties={"p": {"tm:ref": "#/nothing/here"}}))

    created = client.put(f"/things/{thing_id}", json={"definition": url, "attributes": {"kept": 1}})

    assert created.status_code == 201, created.text
    assert client.get(f"/things/{thing_id}").json() == {
        "thingId": thing_id, "policyId": thing_id, "definition": url, "attributes": {"kept": 1}}
