"""Every sub-resource of a thing at any depth: attributes, features, properties, definitions, policyId."""

from __future__ import annotations

import httpx
import pytest

from tests.api.helpers import assert_error


@pytest.fixture
def thing(client: httpx.Client, thing_id: str) -> str:
    body = {"attributes": {"location": {"room": "kitchen"}},
            "features": {"lamp": {"properties": {"on": False}, "desiredProperties": {"on": True}}}}
    assert client.put(f"/things/{thing_id}", json=body).status_code == 201
    return f"/things/{thing_id}"


def test_put_new_attribute_is_201_with_value_and_location(client: httpx.Client, thing: str) -> None:
    response = client.put(f"{thing}/attributes/model", json="T-1000")
    assert response.status_code == 201
    assert response.json() == "T-1000"
    assert response.headers["Location"].endswith(f"{thing}/attributes/model")
    assert response.headers["ETag"].startswith('"hash:')


def test_put_existing_attribute_is_204(client: httpx.Client, thing: str) -> None:
    response = client.put(f"{thing}/attributes/location/room", json="hall")
    assert response.status_code == 204
    assert client.get(f"{thing}/attributes/location").json() == {"room": "hall"}


def test_put_deep_attribute_creates_the_objects_on_the_way(client: httpx.Client, thing: str) -> None:
    assert client.put(f"{thing}/attributes/a/b/c", json=[1, 2]).status_code == 201
    assert client.get(f"{thing}/attributes/a").json() == {"b": {"c": [1, 2]}}
    assert client.get(f"{thing}/attributes/a/b/c").json() == [1, 2]


def test_delete_attribute_then_get_is_attribute_notfound(client: httpx.Client, thing: str) -> None:
    assert client.delete(f"{thing}/attributes/location/room").status_code == 204
    assert_error(client.get(f"{thing}/attributes/location/room"), 404, "things:attribute.notfound")
    assert_error(client.delete(f"{thing}/attributes/location/room"), 404, "things:attribute.notfound")


def test_attributes_replaced_whole(client: httpx.Client, thing: str) -> None:
    assert client.put(f"{thing}/attributes", json={"x": 1}).status_code == 204
    assert client.get(f"{thing}/attributes").json() == {"x": 1}
    assert client.delete(f"{thing}/attributes").status_code == 204
    assert_error(client.get(f"{thing}/attributes"), 404, "things:attributes.notfound")
    assert client.put(f"{thing}/attributes", json={"y": 2}).status_code == 201


def test_attributes_must_be_an_object(client: httpx.Client, thing: str) -> None:
    assert_error(client.put(f"{thing}/attributes", json=[1]), 400, "json.format.invalid")


def test_feature_property_lifecycle(client: httpx.Client, thing: str) -> None:
    assert client.put(f"{thing}/features/lamp/properties/on", json=True).status_code == 204
    assert client.get(f"{thing}/features/lamp/properties/on").json() is True
    assert client.put(f"{thing}/features/lamp/properties/color/r", json=255).status_code == 201
    assert client.get(f"{thing}/features/lamp/properties").json() == {"on": True, "color": {"r": 255}}
    assert client.delete(f"{thing}/features/lamp/properties/color").status_code == 204
    assert_error(client.get(f"{thing}/features/lamp/properties/color"), 404, "things:feature.property.notfound")


def test_desired_properties_are_their_own_resource(client: httpx.Client, thing: str) -> None:
    assert client.get(f"{thing}/features/lamp/desiredProperties/on").json() is True
    assert client.put(f"{thing}/features/lamp/desiredProperties/level", json=3).status_code == 201
    assert client.delete(f"{thing}/features/lamp/desiredProperties").status_code == 204
    assert_error(client.get(f"{thing}/features/lamp/desiredProperties"), 404,
                 "things:feature.desiredProperties.notfound")
    assert_error(client.get(f"{thing}/features/lamp/desiredProperties/level"), 404,
                 "things:feature.desiredProperty.notfound")


def test_property_of_missing_feature_is_feature_notfound(client: httpx.Client, thing: str) -> None:
    assert_error(client.put(f"{thing}/features/nope/properties/x", json=1), 404, "things:feature.notfound")
    assert_error(client.get(f"{thing}/features/nope/properties"), 404, "things:feature.notfound")
    assert_error(client.get(f"{thing}/features/lamp/definition"), 404, "things:feature.definition.notfound")


def test_feature_create_replace_delete(client: httpx.Client, thing: str) -> None:
    response = client.put(f"{thing}/features/fan", json={"properties": {"rpm": 10}})
    assert response.status_code == 201
    assert response.json() == {"properties": {"rpm": 10}}
    assert client.put(f"{thing}/features/fan", json={}).status_code == 204
    assert client.get(f"{thing}/features/fan").json() == {}
    assert client.delete(f"{thing}/features/fan").status_code == 204
    assert_error(client.get(f"{thing}/features/fan"), 404, "things:feature.notfound")


def test_features_replaced_and_deleted(client: httpx.Client, thing: str) -> None:
    assert client.put(f"{thing}/features", json={"a": {}, "b": {"properties": {}}}).status_code == 204
    assert sorted(client.get(f"{thing}/features").json()) == ["a", "b"]
    assert client.delete(f"{thing}/features").status_code == 204
    assert_error(client.get(f"{thing}/features"), 404, "things:features.notfound")


def test_feature_definition_rules(client: httpx.Client, thing: str) -> None:
    url = f"{thing}/features/lamp/definition"
    assert_error(client.get(url), 404, "things:feature.definition.notfound")
    assert client.put(url, json=["org.acme:lamp:1.0.0", "https://models.example/lamp.tm.jsonld"]).status_code == 201
    assert client.get(url).json() == ["org.acme:lamp:1.0.0", "https://models.example/lamp.tm.jsonld"]
    assert_error(client.put(url, json=[]), 400, "things:feature.definition.empty")
    assert_error(client.put(url, json=["not a definition"]), 400, "things:definition.identifier.invalid")
    assert client.delete(url).status_code == 204


def test_thing_definition_rules(client: httpx.Client, thing: str) -> None:
    url = f"{thing}/definition"
    assert_error(client.get(url), 404, "things:definition.notfound")
    assert client.put(url, json="org.acme:device:2.1").status_code == 201
    assert client.get(url).json() == "org.acme:device:2.1"
    # An http(s) URL is a valid definition; with WoT validation on (Ditto's default) its model must be fetched
    # first, and one that cannot be answers Ditto's `wot:tm.notfound` (DefaultWotThingModelResolver).
    assert_error(client.put(url, json="https://models.example/device.tm.jsonld"), 421, "wot:tm.notfound")
    assert_error(client.put(url, json="just-a-name"), 400, "things:definition.identifier.invalid")
    assert client.delete(url).status_code == 204


def test_policy_id_can_be_replaced_but_not_deleted(client: httpx.Client, thing: str, thing_id: str) -> None:
    assert client.get(f"{thing}/policyId").json() == thing_id
    other = f"{thing_id}-other"
    assert_error(client.put(f"{thing}/policyId", json=other), 404, "policies:policy.notfound")
    owner = {"subjects": {"nginx:ditto": {"type": "basic"}},
             "resources": {"thing:/": {"grant": ["READ", "WRITE"]}, "policy:/": {"grant": ["READ", "WRITE"]}}}
    assert client.put(f"/policies/{other}", json={"entries": {"owner": owner}}).status_code == 201
    assert client.put(f"{thing}/policyId", json=other).status_code == 204
    assert client.get(f"{thing}/policyId").json() == other
    assert_error(client.put(f"{thing}/policyId", json="no-namespace-separator"), 400, "policies:id.invalid")
    assert_error(client.delete(f"{thing}/policyId"), 400, "things:policyId.notdeletable")


def test_sub_resource_of_unknown_thing_is_thing_notfound(client: httpx.Client, thing_id: str) -> None:
    assert_error(client.get(f"/things/{thing_id}/attributes"), 404, "things:thing.notfound")
    assert_error(client.put(f"/things/{thing_id}/attributes/a", json=1), 404, "things:thing.notfound")


def test_unknown_part_of_a_thing_is_404(client: httpx.Client, thing: str) -> None:
    for path in ("foo", "features/lamp/nope", "features/lamp/definition/x", "policyId/x"):
        response = client.get(f"{thing}/{path}")
        assert response.status_code == 404, path
        assert response.json()["status"] == 404


def test_percent_encoded_thing_id_is_decoded(client: httpx.Client, thing_id: str) -> None:
    encoded = thing_id.replace(":", "%3A")
    assert client.put(f"/things/{encoded}", json={}).status_code == 201
    assert client.get(f"/things/{thing_id}").json()["thingId"] == thing_id


def test_encoded_slash_in_attribute_segment_addresses_nested_key(client: httpx.Client, thing: str) -> None:
    assert client.put(f"{thing}/attributes/location%2Froom", json="attic").status_code == 204
    assert client.get(f"{thing}/attributes/location/room").json() == "attic"


def test_spaces_and_unicode_above_latin1_in_names_are_allowed(client: httpx.Client) -> None:
    thing_id = "org.twinhub.test:with space+colon:\u4e2d"
    response = client.put(f"/things/{thing_id}", json={})
    assert response.status_code == 201, response.text
    assert client.get(f"/things/{thing_id}").json()["thingId"] == thing_id
