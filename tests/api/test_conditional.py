"""ETags, If-Match / If-None-Match, if-equal: Ditto's conditional requests."""

from __future__ import annotations

import httpx
import pytest

from tests.api.helpers import MERGE, assert_error


@pytest.fixture
def thing(client: httpx.Client, thing_id: str) -> str:
    assert client.put(f"/things/{thing_id}", json={"attributes": {"a": 1}}).status_code == 201
    return f"/things/{thing_id}"


def test_if_match_current_revision_allows_write(client: httpx.Client, thing: str) -> None:
    response = client.patch(thing, json={"attributes": {"a": 2}}, headers={**MERGE, "If-Match": '"rev:1"'})
    assert response.status_code == 204
    assert response.headers["ETag"] == '"rev:2"'


def test_if_match_stale_revision_is_412_and_changes_nothing(client: httpx.Client, thing: str) -> None:
    client.put(f"{thing}/attributes/a", json=2)
    response = client.put(thing, json={"attributes": {"a": 3}}, headers={"If-Match": '"rev:1"'})
    assert_error(response, 412, "things:precondition.failed")
    assert client.get(f"{thing}/attributes/a").json() == 2


def test_sub_resource_is_compared_with_its_hash_not_the_thing_revision(client: httpx.Client, thing: str) -> None:
    # Ditto tags a part of a thing by its content, so a revision tag never matches it.
    response = client.put(f"{thing}/attributes/a", json=2, headers={"If-Match": '"rev:1"'})
    assert_error(response, 412, "things:precondition.failed")


def test_if_match_star_on_missing_thing_is_412(client: httpx.Client, thing_id: str) -> None:
    assert_error(client.put(f"/things/{thing_id}", json={}, headers={"If-Match": "*"}), 412,
                 "things:precondition.failed")


def test_if_none_match_star_makes_put_create_only(client: httpx.Client, thing: str, thing_id: str) -> None:
    assert_error(client.put(thing, json={}, headers={"If-None-Match": "*"}), 412, "things:precondition.failed")
    other = thing_id + "-new"
    assert client.put(f"/things/{other}", json={}, headers={"If-None-Match": "*"}).status_code == 201


def test_if_none_match_current_tag_on_read_is_304(client: httpx.Client, thing: str) -> None:
    response = client.get(thing, headers={"If-None-Match": '"rev:1"'})
    assert response.status_code == 304
    assert response.headers["ETag"] == '"rev:1"'
    assert response.content == b""
    assert client.get(thing, headers={"If-None-Match": '"rev:7"'}).status_code == 200


def test_if_match_mismatch_on_read_is_412(client: httpx.Client, thing: str) -> None:
    assert_error(client.get(thing, headers={"If-Match": '"rev:9"'}), 412, "things:precondition.failed")


def test_sub_resource_etag_is_a_hash_that_follows_the_value(client: httpx.Client, thing: str) -> None:
    tag = client.get(f"{thing}/attributes/a").headers["ETag"]
    assert tag.startswith('"hash:')
    assert client.put(f"{thing}/attributes/a", json=1, headers={"If-Match": tag}).status_code == 204
    assert client.get(f"{thing}/attributes/a").headers["ETag"] == tag  # same value, same tag
    client.put(f"{thing}/attributes/a", json=5)
    assert_error(client.put(f"{thing}/attributes/a", json=6, headers={"If-Match": tag}), 412,
                 "things:precondition.failed")
    assert client.get(f"{thing}/attributes/a", headers={"If-None-Match": tag}).status_code == 200


def test_if_none_match_star_on_sub_resource_creates_only(client: httpx.Client, thing: str) -> None:
    headers = {"If-None-Match": "*"}
    assert_error(client.put(f"{thing}/attributes/a", json=2, headers=headers), 412, "things:precondition.failed")
    assert client.put(f"{thing}/attributes/b", json=2, headers=headers).status_code == 201


def test_if_equal_skip_refuses_a_write_that_changes_nothing(client: httpx.Client, thing: str) -> None:
    headers = {"if-equal": "skip"}
    assert_error(client.put(f"{thing}/attributes/a", json=1, headers=headers), 412, "things:precondition.failed")
    assert client.get(thing).headers["ETag"] == '"rev:1"'
    assert client.put(f"{thing}/attributes/a", json=2, headers=headers).status_code == 204


def test_if_equal_update_writes_an_equal_value_and_bumps_revision(client: httpx.Client, thing: str) -> None:
    assert client.put(f"{thing}/attributes/a", json=1).status_code == 204
    assert client.get(thing).headers["ETag"] == '"rev:2"'


def test_if_equal_skip_minimizing_merge_applies_only_changes(client: httpx.Client, thing: str) -> None:
    headers = {**MERGE, "if-equal": "skip-minimizing-merge"}
    assert_error(client.patch(thing, json={"attributes": {"a": 1}}, headers=headers), 412,
                 "things:precondition.failed")
    assert client.patch(thing, json={"attributes": {"a": 1, "b": 2}}, headers=headers).status_code == 204
    assert client.get(f"{thing}/attributes").json() == {"a": 1, "b": 2}


def test_invalid_if_equal_is_400(client: httpx.Client, thing: str) -> None:
    assert_error(client.put(f"{thing}/attributes/a", json=1, headers={"if-equal": "sometimes"}), 400,
                 "header.invalid")


def test_condition_on_read_matches_or_is_412(client: httpx.Client, thing: str) -> None:
    assert client.get(thing, params={"condition": "eq(attributes/a,1)"}).status_code == 200
    assert_error(client.get(thing, params={"condition": "gt(attributes/a,1)"}), 412, "things:condition.failed")
    assert client.get(f"{thing}/attributes", headers={"condition": "eq(_revision,1)"}).json() == {"a": 1}


def test_condition_on_write_guards_the_change(client: httpx.Client, thing: str) -> None:
    response = client.put(f"{thing}/attributes/a", json=5, params={"condition": "lt(attributes/a,0)"})
    assert_error(response, 412, "things:condition.failed")
    assert client.get(f"{thing}/attributes/a").json() == 1
    assert client.put(f"{thing}/attributes/a", json=5, params={"condition": "ge(attributes/a,1)"}).status_code == 204
    assert client.get(f"{thing}/attributes/a").json() == 5


def test_condition_uses_in_memory_semantics(client: httpx.Client, thing: str) -> None:
    # In conditions (unlike search) a string compares with a number, and ne is true on a missing field.
    assert client.get(thing, params={"condition": 'ge(attributes/a,"1")'}).status_code == 200
    assert client.get(thing, params={"condition": "ne(attributes/missing,1)"}).status_code == 200


def test_invalid_condition_is_400_with_the_position(client: httpx.Client, thing: str) -> None:
    body = assert_error(client.get(thing, params={"condition": "eq(attributes/a,1"}), 400, "things:condition.invalid")
    assert "position" in str(body["message"])
    assert_error(client.get(thing, params={"condition": "eq(foo,1)"}), 400, "things:condition.invalid")
