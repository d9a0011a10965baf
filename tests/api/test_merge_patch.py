"""PATCH is JSON Merge Patch (RFC 7396) with Ditto's extensions."""

from __future__ import annotations

import httpx
import pytest

from tests.api.helpers import MERGE, assert_error


@pytest.fixture
def thing(client: httpx.Client, thing_id: str) -> str:
    body = {"attributes": {"a": 1, "nested": {"x": 1, "y": 2}},
            "features": {"lamp": {"properties": {"on": False, "level": 3}}}}
    assert client.put(f"/things/{thing_id}", json=body).status_code == 201
    return f"/things/{thing_id}"


def test_merge_sets_nested_values_and_null_deletes(client: httpx.Client, thing: str) -> None:
    patch = {"attributes": {"a": None, "nested": {"y": 3, "z": 4}}, "features": {"lamp": {"properties": {"on": True}}}}
    response = client.patch(thing, json=patch, headers=MERGE)
    assert response.status_code == 204
    assert response.headers["ETag"] == '"rev:2"'
    body = client.get(thing).json()
    assert body["attributes"] == {"nested": {"x": 1, "y": 3, "z": 4}}
    assert body["features"]["lamp"]["properties"] == {"on": True, "level": 3}


def test_merge_on_sub_resource(client: httpx.Client, thing: str) -> None:
    assert client.patch(f"{thing}/features/lamp/properties", json={"level": None, "hue": 9},
                        headers=MERGE).status_code == 204
    assert client.get(f"{thing}/features/lamp/properties").json() == {"on": False, "hue": 9}
    assert client.patch(f"{thing}/attributes/new", json={"deep": 1}, headers=MERGE).status_code == 204
    assert client.get(f"{thing}/attributes/new/deep").json() == 1


def test_merge_null_on_sub_resource_deletes_it(client: httpx.Client, thing: str) -> None:
    assert client.patch(f"{thing}/attributes/nested", content=b"null", headers=MERGE).status_code == 204
    assert_error(client.get(f"{thing}/attributes/nested"), 404, "things:attribute.notfound")


def test_merge_creates_a_missing_thing_with_201(client: httpx.Client, thing_id: str) -> None:
    response = client.patch(f"/things/{thing_id}-patched", json={"attributes": {"a": 1, "gone": None}},
                            headers=MERGE)
    assert response.status_code == 201
    assert response.json() == {"thingId": f"{thing_id}-patched", "policyId": f"{thing_id}-patched",
                               "attributes": {"a": 1}}


def test_merge_on_part_of_missing_thing_is_thing_notfound(client: httpx.Client, thing_id: str) -> None:
    assert_error(client.patch(f"/things/{thing_id}/attributes", json={"a": 1}, headers=MERGE), 404,
                 "things:thing.notfound")


def test_regex_key_with_null_deletes_matching_siblings(client: httpx.Client, thing: str) -> None:
    client.put(f"{thing}/attributes", json={"log-1": 1, "log-2": 2, "keep": 3})
    patch = {"attributes": {"{{ ~log-.*~ }}": None, "log-3": 30}}
    assert client.patch(thing, json=patch, headers=MERGE).status_code == 204
    assert client.get(f"{thing}/attributes").json() == {"keep": 3, "log-3": 30}


def test_merge_cannot_delete_or_change_thing_id(client: httpx.Client, thing: str) -> None:
    assert_error(client.patch(thing, json={"thingId": None}, headers=MERGE), 400, "things:id.notdeletable")
    assert_error(client.patch(thing, json={"thingId": "x:y"}, headers=MERGE), 400, "things:id.notsettable")


def test_merge_cannot_delete_policy_id(client: httpx.Client, thing: str) -> None:
    assert_error(client.patch(thing, json={"policyId": None}, headers=MERGE), 400,
                 "things:policyId.notdeletable")
    assert client.get(thing).headers["ETag"] == '"rev:1"'


def test_merge_with_invalid_key_is_refused(client: httpx.Client, thing: str) -> None:
    assert_error(client.patch(thing, json={"attributes": {"a/b": 1}}, headers=MERGE), 400,
                 "things:json.key.invalid")


def test_regex_delete_must_match_the_whole_key(client: httpx.Client, thing: str) -> None:
    client.put(f"{thing}/attributes", json={"log": 1, "log-2": 2, "catalog": 3})
    assert client.patch(thing, json={"attributes": {"{{ ~log~ }}": None}}, headers=MERGE).status_code == 204
    assert client.get(f"{thing}/attributes").json() == {"log-2": 2, "catalog": 3}


def test_catastrophic_regex_delete_completes_and_the_server_keeps_answering(
    client: httpx.Client, server_url: str, thing: str
) -> None:
    # `(a+)+` backtracks exponentially on a's followed by a mismatch (2.5 s at 26 characters before).
    long_key = "a" * 30_000
    client.put(f"{thing}/attributes", json={long_key: 1, long_key + "!": 2, "b": 3})
    response = client.patch(thing, json={"attributes": {"{{ ~(a+)+~ }}": None}}, headers=MERGE)
    assert response.status_code == 204
    assert client.get(f"{thing}/attributes").json() == {long_key + "!": 2, "b": 3}
    assert httpx.get(f"{server_url}/health").status_code == 200


@pytest.mark.parametrize("regex", [r"(a)\1", "(?=a)a", "(?<!x)a", "a*+", "[", "x" * 300])
def test_regex_a_linear_time_engine_cannot_run_is_400(client: httpx.Client, thing: str, regex: str) -> None:
    response = client.patch(thing, json={"attributes": {f"{{{{ ~{regex}~ }}}}": None}}, headers=MERGE)
    assert_error(response, 400, "json.format.invalid")
    assert client.get(thing).headers["ETag"] == '"rev:1"'


# -- what Ditto refuses before a patch becomes a command (issue 15) ---------------------------------------------


@pytest.mark.parametrize("body", [b"null", b"{}", b'{"unknown": 1}', b'{"_policy": {"entries": {}}}'])
def test_null_or_empty_whole_thing_patch_is_merge_invalid_and_creates_nothing(client: httpx.Client, thing_id: str,
                                                                              body: bytes) -> None:
    """Ditto's `ThingsRoute.thingFromJsonForPatch` refuses `null`, and `MergeThing.withThing`
    (`ensureThingIsNotNullOrEmpty`) a thing whose JSON is empty once built: `ThingMergeInvalidException`."""
    body_ = assert_error(client.patch(f"/things/{thing_id}", content=body, headers=MERGE), 400,
                         "things:merge.invalid")
    assert body_["message"] == "The provided json value can not be applied at this resource"
    assert_error(client.get(f"/things/{thing_id}"), 404, "things:thing.notfound")


@pytest.mark.parametrize("body", [b"null", b"{}", b'{"unknown": 1}'])
def test_null_or_empty_whole_thing_patch_of_an_existing_thing_is_merge_invalid(client: httpx.Client, thing: str,
                                                                               body: bytes) -> None:
    """The refusal is the gateway's, before the thing is looked up (Ditto `ThingsRoute`, `MergeThing.withThing`):
    an existing thing is refused alike and keeps its revision."""
    assert_error(client.patch(thing, content=body, headers=MERGE), 400, "things:merge.invalid")
    assert client.get(thing).headers["ETag"] == '"rev:1"'


def test_a_whole_thing_patch_naming_a_field_still_merges(client: httpx.Client, thing: str, thing_id: str) -> None:
    """Only an empty thing is refused (Ditto `MergeThing.ensureThingIsNotNullOrEmpty`): naming one field is enough,
    even the thing's own id."""
    assert client.patch(thing, json={"thingId": thing_id}, headers=MERGE).status_code == 204
    assert client.patch(thing, json={"attributes": {}}, headers=MERGE).status_code == 204
    assert client.get(thing).headers["ETag"] == '"rev:3"'


@pytest.mark.parametrize(("path", "body", "shape"), [
    ("", b"5", "object"), ("", b"[1]", "object"), ("", b'"x"', "object"),
    ("/attributes", b"5", "object"), ("/attributes", b"[]", "object"), ("/features", b"true", "object"),
    ("/features/lamp", b'"x"', "object"), ("/features/lamp/properties", b"1.5", "object"),
    ("/features/lamp/desiredProperties", b'"x"', "object"), ("/features/lamp/definition", b'"x"', "array"),
])
def test_a_non_object_patch_of_an_object_resource_is_json_invalid(client: httpx.Client, thing: str, path: str,
                                                                  body: bytes, shape: str) -> None:
    """Ditto's gateway parses such a body with `JsonFactory.newObject` (`newArray` for a feature definition), whose
    `JsonParseException` it answers as `json.invalid` 400 ("<5> is not a valid JSON object!")."""
    error = assert_error(client.patch(thing + path, content=body, headers=MERGE), 400, "json.invalid")
    assert error["message"] == f"<{body.decode()}> is not a valid JSON {shape}!"
    assert client.get(thing).headers["ETag"] == '"rev:1"'


def test_null_and_objects_still_merge_into_object_resources(client: httpx.Client, thing: str) -> None:
    """`null` is a delete and `{}` an empty merge for every object resource below the thing (Ditto
    `JsonFactory.newObject("null")` is the null object), and leaf values take any JSON."""
    assert client.patch(f"{thing}/attributes/nested", content=b"5", headers=MERGE).status_code == 204
    assert client.patch(f"{thing}/features/lamp/properties", content=b"{}", headers=MERGE).status_code == 204
    assert client.patch(f"{thing}/features/lamp", content=b"null", headers=MERGE).status_code == 204
    assert client.get(f"{thing}").json()["features"] == {}
    assert client.get(f"{thing}/attributes/nested").json() == 5


def test_a_live_patch_is_refused_like_a_twin_patch(client: httpx.Client, thing: str) -> None:
    """Ditto builds the same `MergeThing` whatever the channel, so a live PATCH is refused before it is sent."""
    live = {"channel": "live", "timeout": "0"}
    assert_error(client.patch(thing, content=b"{}", headers=MERGE, params=live), 400, "things:merge.invalid")
    assert_error(client.patch(f"{thing}/attributes", content=b"5", headers=MERGE, params=live), 400, "json.invalid")
