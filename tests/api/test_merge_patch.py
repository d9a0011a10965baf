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
