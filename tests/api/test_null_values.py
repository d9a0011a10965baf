"""`null` as the value of `attributes`, `features`, a feature, its `properties` / `desiredProperties` /
`definition`, and the thing's `definition`: Ditto keeps each as sent and reads it back as `null` (`NullAttributes`,
`NullFeatures`, `NullFeature`, `NullFeatureProperties`, `NullFeatureDefinition`, `NullThingDefinition` in
eclipse-ditto/ditto `things/model/src/main/java/org/eclipse/ditto/things/model/`), while a merge patch's `null`
deletes (RFC 7396)."""

from __future__ import annotations

import httpx
import pytest

from tests.api.helpers import assert_error
from tests.api.websocket import DittoSocket, topic

MERGE = {"Content-Type": "application/merge-patch+json"}


@pytest.fixture
def thing(client: httpx.Client, thing_id: str) -> str:
    body = {"definition": "org.acme:device:1.0.0",
            "features": {"lamp": {"definition": ["org.acme:lamp:1.0.0"], "properties": {"on": False},
                                  "desiredProperties": {"on": True}}}}
    assert client.put(f"/things/{thing_id}", json=body).status_code == 201
    return f"/things/{thing_id}"


def test_a_new_thing_keeps_null_features_and_definition(client: httpx.Client, thing_id: str) -> None:
    """`ImmutableThingFromCopyBuilder.of(JsonObject)` maps `definition: null` to `NullThingDefinition` and
    `features: null` to `NullFeatures` (`ThingsModelFactory.newFeatures`); `ImmutableThing.toJson` renders both
    as JSON null, and `RetrieveFeaturesStrategy` / `RetrieveThingDefinitionStrategy` answer them with 200."""
    response = client.put(f"/things/{thing_id}", json={"definition": None, "features": None})
    assert response.status_code == 201
    assert response.json()["definition"] is None and response.json()["features"] is None
    got = client.get(f"/things/{thing_id}").json()
    assert list(got) == ["thingId", "policyId", "definition", "features"]
    assert got["definition"] is None and got["features"] is None
    for part in ("definition", "features"):
        response = client.get(f"/things/{thing_id}/{part}")
        assert (response.status_code, response.content) == (200, b"null")
    assert_error(client.get(f"/things/{thing_id}/features/lamp"), 404, "things:feature.notfound")


def test_a_null_feature_and_null_feature_parts_are_kept(client: httpx.Client, thing_id: str) -> None:
    """`ImmutableFeatureFromScratchBuilder.newFeatureFromJson` builds a `NullFeature` from `null` and keeps
    `definition` / `properties` / `desiredProperties: null` as `NullFeatureDefinition` / `NullFeatureProperties`
    (`ThingsModelFactory.newFeatureDefinition`, `newFeatureProperties` on the null JSON)."""
    features = {"gone": None, "bare": {"definition": None, "properties": None, "desiredProperties": None}}
    assert client.put(f"/things/{thing_id}", json={"features": features}).status_code == 201
    assert client.get(f"/things/{thing_id}/features").json() == features
    response = client.get(f"/things/{thing_id}/features/gone")
    assert (response.status_code, response.content) == (200, b"null")
    for part in ("definition", "properties", "desiredProperties"):
        response = client.get(f"/things/{thing_id}/features/bare/{part}")
        assert (response.status_code, response.content) == (200, b"null")
    assert_error(client.get(f"/things/{thing_id}/features/gone/properties"), 404, "things:feature.properties.notfound")


@pytest.mark.parametrize("path", ["/definition", "/features", "/features/lamp", "/features/lamp/definition",
                                  "/features/lamp/properties", "/features/lamp/desiredProperties"])
def test_put_null_on_a_part_keeps_it_as_null(client: httpx.Client, thing: str, path: str) -> None:
    """Ditto's routes parse these bodies with `JsonFactory.newObject("null")` / `newArray("null")` (the null
    object / array) or `JsonFactory.readFrom` (`ThingsRoute.getDefinitionFromJson`), so `ModifyFeatures`,
    `ModifyFeature`, `ModifyFeatureDefinition`, `ModifyFeatureProperties`, `ModifyFeatureDesiredProperties` and
    `ModifyThingDefinition` store null: 204 for the existing part, which then reads back as null."""
    response = client.put(thing + path, content=b"null", headers={"Content-Type": "application/json"})
    assert response.status_code == 204
    got = client.get(thing + path)
    assert (got.status_code, got.content) == (200, b"null")
    assert got.headers["ETag"].startswith('"hash:')
    keys = path.strip("/").split("/")
    node = client.get(thing).json()
    for key in keys[:-1]:
        node = node[key]
    assert keys[-1] in node and node[keys[-1]] is None


def test_put_null_creates_a_missing_feature_as_null(client: httpx.Client, thing: str) -> None:
    """`ModifyFeatureStrategy` creates an absent feature: 201 with the feature (`null`) as the body."""
    response = client.put(f"{thing}/features/fan", content=b"null", headers={"Content-Type": "application/json"})
    assert (response.status_code, response.content) == (201, b"null")
    assert response.headers["Location"].endswith(f"{thing}/features/fan")
    assert client.get(f"{thing}/features").json()["fan"] is None


def test_a_null_part_can_be_written_to_again(client: httpx.Client, thing: str) -> None:
    """`ImmutableThing.setFeature` / `ImmutableFeature.setProperty` start from empty when the value is null, and
    a part below a null feature is not found (`RetrieveFeaturePropertiesStrategy`: feature.notfound... the null
    feature has no properties)."""
    json = {"Content-Type": "application/json"}
    assert client.put(f"{thing}/features/lamp/properties", content=b"null", headers=json).status_code == 204
    assert client.put(f"{thing}/features/lamp/properties/on", json=True).status_code == 201
    assert client.get(f"{thing}/features/lamp/properties").json() == {"on": True}
    assert client.put(f"{thing}/features", content=b"null", headers=json).status_code == 204
    assert client.put(f"{thing}/features/fan", json={"properties": {"speed": 1}}).status_code == 201
    assert client.get(f"{thing}/features").json() == {"fan": {"properties": {"speed": 1}}}


def test_a_merge_null_deletes_and_leaves_other_nulls_alone(client: httpx.Client, thing: str) -> None:
    """`MergeThingStrategy` applies `JsonMergePatch` (RFC 7396) to the thing's JSON: `null` in the patch deletes,
    the definition included; nulls already in the thing are kept (`ThingsModelFactory.newThingBuilder`)."""
    json = {"Content-Type": "application/json"}
    assert client.put(f"{thing}/features/lamp/desiredProperties", content=b"null", headers=json).status_code == 204
    patch = {"definition": None, "features": {"lamp": {"definition": None, "properties": {"level": 3}}}}
    assert client.patch(thing, json=patch, headers=MERGE).status_code == 204
    got = client.get(thing).json()
    assert "definition" not in got
    assert got["features"] == {"lamp": {"properties": {"on": False, "level": 3}, "desiredProperties": None}}
    assert client.patch(f"{thing}/features/lamp", content=b"null", headers=MERGE).status_code == 204
    assert client.get(f"{thing}/features").json() == {}


def test_null_attributes_are_kept_and_can_be_written_to_again(client: httpx.Client, thing_id: str) -> None:
    """`ImmutableThingFromScratchBuilder.setAttributes` maps a null JSON object to `NullAttributes` (rendered as
    JSON null), and the attributes route parses a `null` body with `ThingsModelFactory.newAttributes` as
    `nullAttributes()`; an attribute below null attributes is not found, and one written there starts from empty."""
    assert client.put(f"/things/{thing_id}", json={"attributes": None}).status_code == 201
    assert client.get(f"/things/{thing_id}").json()["attributes"] is None
    response = client.get(f"/things/{thing_id}/attributes")
    assert (response.status_code, response.content) == (200, b"null")
    assert_error(client.get(f"/things/{thing_id}/attributes/on"), 404, "things:attribute.notfound")
    assert client.put(f"/things/{thing_id}/attributes/on", json=True).status_code == 201
    assert client.get(f"/things/{thing_id}/attributes").json() == {"on": True}
    json = {"Content-Type": "application/json"}
    assert client.put(f"/things/{thing_id}/attributes", content=b"null", headers=json).status_code == 204
    assert client.get(f"/things/{thing_id}").json()["attributes"] is None
    assert client.put(f"/things/{thing_id}/attributes", json=5).status_code == 400  # only null stands for an object


def test_a_non_object_feature_is_still_refused(client: httpx.Client, thing_id: str) -> None:
    """Only null stands for an object: `ThingsModelFactory.newFeatures` refuses a feature that is not an object,
    and a properties value must be an object."""
    assert client.put(f"/things/{thing_id}", json={"features": {"lamp": 5}}).status_code == 400
    assert client.put(f"/things/{thing_id}", json={"features": {"lamp": {"properties": 5}}}).status_code == 400
    assert client.put(f"/things/{thing_id}", json={"features": 5}).status_code == 400
    assert client.get(f"/things/{thing_id}").status_code == 404


def test_the_event_of_a_null_write_carries_null(socket: DittoSocket, client: httpx.Client, thing: str,
                                                thing_id: str) -> None:
    """The events `FeatureModified`, `FeaturesModified`, `ThingDefinitionModified` carry the null value as
    their `value` (Ditto Protocol `things/twin/events/modified`)."""
    socket.control("START-SEND-EVENTS")
    json = {"Content-Type": "application/json"}
    assert client.put(f"{thing}/features/lamp", content=b"null", headers=json).status_code == 204
    event = socket.receive_until(lambda frame: isinstance(frame, dict) and frame.get("topic") == topic(
        thing_id, "things/twin/events/modified"))
    assert isinstance(event, dict)
    assert event["path"] == "/features/lamp"
    assert "value" in event and event["value"] is None


def test_websocket_round_trip_of_null_parts(socket: DittoSocket, thing_id: str) -> None:
    """Over the Ditto Protocol: create a thing with null parts, modify a feature to null, retrieve them as null."""
    created = socket.request({"topic": topic(thing_id, "things/twin/commands/create"), "path": "/",
                              "value": {"definition": None, "features": {"lamp": {"properties": None}}},
                              "headers": {}})
    assert created["status"] == 201
    assert created["value"]["definition"] is None
    assert created["value"]["features"] == {"lamp": {"properties": None}}
    modified = socket.request({"topic": topic(thing_id, "things/twin/commands/modify"), "path": "/features/fan",
                               "value": None, "headers": {}})
    assert modified["status"] == 201
    for path, value in (("/definition", None), ("/features/fan", None), ("/features/lamp/properties", None),
                        ("/features", {"lamp": {"properties": None}, "fan": None})):
        retrieved = socket.request({"topic": topic(thing_id, "things/twin/commands/retrieve"), "path": path,
                                    "headers": {}})
        assert retrieved["status"] == 200, retrieved
        assert "value" in retrieved and retrieved["value"] == value


@pytest.mark.parametrize("query", ["eq(definition,null)", "eq(features/lamp/definition,null)"])
def test_search_finds_null_parts(client: httpx.Client, thing_id: str, query: str) -> None:
    """Ditto's search index keeps JSON null, and `eq(f,null)` matches a field stored as null only
    (`CreateBsonPredicateVisitor`: `{f: null, $exists: true}`); a thing without the field does not match."""
    nulls = {"definition": None, "features": {"lamp": {"definition": None, "properties": None}}}
    assert client.put(f"/things/{thing_id}", json=nulls).status_code == 201
    other = f"{thing_id}-other"
    assert client.put(f"/things/{other}", json={"features": {"lamp": {}}}).status_code == 201
    namespace = thing_id.split(":", 1)[0]
    found = client.get("/search/things", params={"filter": f"and({query},like(thingId,\"{thing_id}*\"))",
                                                 "namespaces": namespace})
    assert found.status_code == 200
    assert [item["thingId"] for item in found.json()["items"]] == [thing_id]


def test_history_records_a_null_leaf_and_null_properties_as_ends_of_their_series(client: httpx.Client,
                                                                                 thing_id: str) -> None:
    """twinhub's history (no Ditto counterpart): a leaf written as null, or under properties or a feature set to
    null, ends its series with a null point; the null itself is no value of the series."""
    thing = f"/things/{thing_id}"
    body = {"features": {"lamp": {"properties": {"level": 1, "on": True}}, "fan": {"properties": {"speed": 2}}}}
    assert client.put(thing, json=body).status_code == 201
    json = {"Content-Type": "application/json"}
    assert client.put(f"{thing}/features/lamp/properties/level", content=b"null", headers=json).status_code == 204
    assert client.put(f"{thing}/features/lamp/properties", content=b"null", headers=json).status_code == 204
    assert client.put(f"{thing}/features/fan", content=b"null", headers=json).status_code == 204
    window = {"from": "2000-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z"}
    for path, values in (("level", [1, None]), ("on", [True, None])):
        response = client.get(f"/history/things/{thing_id}/features/lamp/properties/{path}", params=window)
        assert response.status_code == 200, response.text
        assert [value for _, value in response.json()["points"]] == values
    speed = client.get(f"/history/things/{thing_id}/features/fan/properties/speed", params=window)
    assert [value for _, value in speed.json()["points"]] == [2, None]
