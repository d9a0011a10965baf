"""Bad input of every kind gets a Ditto 4xx error and never changes stored state."""

from __future__ import annotations

import base64
from urllib.parse import unquote

import httpx
import pytest

from tests.api.helpers import MERGE, assert_error
from twinhub.model.json import MAX_JSON_DEPTH


@pytest.fixture
def thing(client: httpx.Client, thing_id: str) -> str:
    assert client.put(f"/things/{thing_id}", json={"attributes": {"keep": 1}}).status_code == 201
    return f"/things/{thing_id}"


def _unchanged(client: httpx.Client, thing: str) -> None:
    response = client.get(thing)
    assert response.headers["ETag"] == '"rev:1"'
    assert response.json()["attributes"] == {"keep": 1}


@pytest.mark.parametrize("body", [b"{", b"{\"a\": }", b"nul", b"\xff\xfe", b"[1,]", b"{'a': 1}"])
def test_malformed_json_is_json_format_invalid(client: httpx.Client, thing: str, body: bytes) -> None:
    response = client.put(f"{thing}/attributes", content=body, headers={"Content-Type": "application/json"})
    assert_error(response, 400, "json.format.invalid")
    _unchanged(client, thing)


def test_empty_body_on_put_is_json_format_invalid(client: httpx.Client, thing: str) -> None:
    response = client.put(f"{thing}/attributes/a", content=b"", headers={"Content-Type": "application/json"})
    assert_error(response, 400, "json.format.invalid")


def test_wrong_content_type_is_415(client: httpx.Client, thing: str) -> None:
    response = client.put(f"{thing}/attributes/a", content=b"1", headers={"Content-Type": "text/plain"})
    assert_error(response, 415, "mediatype.unsupported")
    _unchanged(client, thing)


def test_patch_needs_merge_patch_content_type(client: httpx.Client, thing: str) -> None:
    assert_error(client.patch(thing, json={"attributes": {"keep": 2}}), 415, "mediatype.unsupported")
    _unchanged(client, thing)


@pytest.mark.parametrize("thing_id", [
    "1org:x", "org.:x", ".org:x", "_org:x", "org._eclipse:x", "foo--bar:x", "no-colon", "ns:",
    "ns:\u00e4", "ns:a%7Fb", "ns:" + "n" * 254,
])
def test_invalid_thing_ids_are_id_invalid(client: httpx.Client, thing_id: str) -> None:
    assert_error(client.put(f"/things/{thing_id}", json={}), 400, "things:id.invalid")
    assert_error(client.get(f"/things/{thing_id}"), 400, "things:id.invalid")


def test_id_of_exactly_256_chars_is_valid(client: httpx.Client) -> None:
    thing_id = "org.twinhub.test:" + "n" * (256 - len("org.twinhub.test:"))
    assert client.put(f"/things/{thing_id}", json={}).status_code in (201, 204)


def test_empty_namespace_is_valid(client: httpx.Client) -> None:
    assert client.put("/things/:empty-namespace-thing", json={}).status_code in (201, 204)


def test_encoded_slash_in_thing_id_is_id_invalid(client: httpx.Client) -> None:
    assert_error(client.get("/things/org.twinhub.test:a%2Fb"), 400, "things:id.invalid")


@pytest.mark.parametrize("key", ["a/b", "tab\there", "\u00fcber", ""])
def test_invalid_json_keys_are_refused(client: httpx.Client, thing: str, key: str) -> None:
    response = client.put(f"{thing}/attributes", json={"ok": {key: 1}})
    assert response.status_code == 400
    assert response.json()["error"] == "things:json.key.invalid"
    _unchanged(client, thing)


def test_consecutive_slashes_in_pointer_are_refused(client: httpx.Client, thing: str) -> None:
    assert_error(client.get(f"{thing}/attributes/a//b"), 400, "json.pointer.invalid")


def test_thing_over_100_kb_is_thing_toolarge(client: httpx.Client, thing: str) -> None:
    response = client.put(f"{thing}/attributes/big", json="x" * (100 * 1024))
    assert_error(response, 413, "things:thing.toolarge")
    _unchanged(client, thing)


def test_thing_just_under_the_limit_is_accepted(client: httpx.Client, thing_id: str) -> None:
    overhead = len(f'{{"thingId":"{thing_id}","policyId":"{thing_id}","attributes":{{"big":""}}}}')
    body = {"attributes": {"big": "x" * (100 * 1024 - overhead)}}
    assert client.put(f"/things/{thing_id}", json=body).status_code == 201
    body["attributes"]["big"] += "x"
    assert_error(client.put(f"/things/{thing_id}", json=body), 413, "things:thing.toolarge")


def test_body_over_request_limit_is_413_without_reading_it_all(client: httpx.Client, thing: str) -> None:
    response = client.put(f"{thing}/attributes/big", content=b'"' + b"x" * (2 * 1024 * 1024) + b'"',
                          headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    _unchanged(client, thing)


def test_merge_patch_that_grows_thing_over_limit_is_refused(client: httpx.Client, thing: str) -> None:
    response = client.patch(thing, json={"attributes": {"big": "x" * (100 * 1024)}}, headers=MERGE)
    assert_error(response, 413, "things:thing.toolarge")
    _unchanged(client, thing)


def test_feature_id_wildcard_is_refused(client: httpx.Client, thing: str) -> None:
    assert client.put(f"{thing}/features", json={"*": {}}).status_code == 400
    _unchanged(client, thing)


def test_invalid_fields_selector_is_field_selection_invalid(client: httpx.Client, thing: str) -> None:
    assert_error(client.get(thing, params={"fields": "attributes(keep"}), 400, "things:field.selection.invalid")


@pytest.mark.parametrize("timeout", ["abc", "-1", "61", "2m", "1.5s"])
def test_invalid_timeout_is_timeout_invalid(client: httpx.Client, thing: str, timeout: str) -> None:
    response = client.put(f"{thing}/attributes/keep", json=2, params={"timeout": timeout})
    assert_error(response, 400, "timeout.invalid")
    _unchanged(client, thing)


def test_invalid_response_required_is_header_invalid(client: httpx.Client, thing: str) -> None:
    response = client.put(f"{thing}/attributes/keep", json=2, headers={"response-required": "maybe"})
    assert_error(response, 400, "header.invalid")


def test_unknown_route_is_ditto_404(client: httpx.Client) -> None:
    assert_error(client.get("/nothing/here"), 404, "gateway:resource.notfound")


def test_unsupported_method_is_405_with_allow(client: httpx.Client, thing: str) -> None:
    response = client.post(thing, json={})
    assert_error(response, 405, "gateway:method.notallowed")
    assert "PUT" in response.headers["Allow"]


def test_missing_credentials_are_401(server_url: str) -> None:
    response = httpx.get(f"{server_url}/api/2/things?ids=a:b")
    assert_error(response, 401, "gateway:authentication.failed")
    assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_broken_basic_credentials_are_401(server_url: str) -> None:
    response = httpx.get(f"{server_url}/api/2/whoami", headers={"Authorization": "Basic !!!"})
    assert_error(response, 401, "gateway:authentication.failed")


# -- nesting: at most MAX_JSON_DEPTH levels, counted from the root of the thing ---------------------------

JSON = {"Content-Type": "application/json"}


def nested(levels: int) -> bytes:
    return b"[" * levels + b"1" + b"]" * levels


def test_a_thing_nested_100_levels_is_accepted_and_101_is_json_invalid(client: httpx.Client, thing_id: str) -> None:
    # {"attributes": {"x": ...}}: the thing and its attributes are the first two levels.
    assert MAX_JSON_DEPTH == 100
    accepted = b'{"attributes":{"x":' + nested(98) + b"}}"
    assert client.put(f"/things/{thing_id}", content=accepted, headers=JSON).status_code == 201
    too_deep = b'{"attributes":{"x":' + nested(99) + b"}}"
    body = assert_error(client.put(f"/things/{thing_id}", content=too_deep, headers=JSON), 400, "json.invalid")
    assert "100" in str(body["message"])
    assert client.get(f"/things/{thing_id}/attributes/x").content == nested(98)


@pytest.mark.parametrize("levels", [99, 252, 500, 1000])
def test_a_value_nesting_the_thing_too_deep_is_refused_at_every_write(client: httpx.Client, thing: str,
                                                                      levels: int) -> None:
    # 253-1023 levels used to be stored, and then broke search pages and event streams with 500.
    for method, headers in (("PUT", JSON), ("PATCH", MERGE)):
        response = client.request(method, f"{thing}/attributes/deep", content=nested(levels), headers=headers)
        assert_error(response, 400, "json.invalid")
    _unchanged(client, thing)
    assert client.put(f"{thing}/attributes/deep", content=nested(98), headers=JSON).status_code == 201


def test_a_pointer_nesting_the_thing_too_deep_is_refused(client: httpx.Client, thing: str) -> None:
    assert_error(client.put(f"{thing}/attributes/" + "a/" * 100, json=1), 400, "json.invalid")
    assert_error(client.put(f"{thing}/attributes/" + "a/" * 300, json=1), 400, "json.invalid")
    _unchanged(client, thing)
    assert client.put(f"{thing}/attributes/" + "a/" * 99, json=1).status_code == 201


def test_deep_json_is_refused_by_policies_messages_and_headers(client: httpx.Client, thing: str) -> None:
    policy_id = thing.removeprefix("/things/")
    assert_error(client.put(f"/policies/{policy_id}/entries/deep", content=nested(101), headers=JSON), 400,
                 "json.invalid")
    response = client.post(f"{thing}/inbox/messages/deep", content=nested(101), headers=JSON,
                           params={"timeout": "0"})
    assert_error(response, 400, "json.invalid")
    deep_acks = "[" * 101 + '"twin-persisted"' + "]" * 101
    response = client.put(f"{thing}/attributes/keep", json=2, headers={"requested-acks": deep_acks})
    assert_error(response, 400, "header.invalid")
    _unchanged(client, thing)


def test_a_deeply_nested_cursor_is_refused_in_a_form_search(client: httpx.Client) -> None:
    cursor = base64.urlsafe_b64encode(b"[" * 20_000 + b"]" * 20_000).decode().rstrip("=")
    response = client.post("/search/things", content=f"option=cursor({cursor})".encode(),
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_error(response, 400, "thing-search:search.option.invalid")


# -- ids and keys in URLs: percent-encoded UTF-8 only, and no bidirectional controls in ids -------------

# Not UTF-8 once decoded: a lone 0xFF, a truncated sequence, an encoded surrogate, a cut-off 3-byte character.
NOT_UTF8 = ["a%FF", "%C3", "a%ED%A0%80", "a%E2%80"]


def _sent_as_is(response: httpx.Response, raw: str) -> httpx.Response:
    """The client sent the path exactly as written (no re-encoding of the `%`)."""
    assert raw.encode() in response.request.url.raw_path, response.request.url.raw_path
    return response


@pytest.mark.parametrize("name", NOT_UTF8)
def test_an_id_that_is_not_percent_encoded_utf8_is_id_invalid(client: httpx.Client, name: str) -> None:
    raw = f"org.twinhub.test:{name}"
    for method, path in (("PUT", f"/things/{raw}"), ("GET", f"/things/{raw}"), ("GET", f"/things/{raw}/attributes"),
                         ("DELETE", f"/things/{raw}"), ("POST", f"/things/{raw}/inbox/messages/hello?timeout=0"),
                         ("POST", f"/things/{raw}/inbox/claim?timeout=0"), ("GET", f"/things?ids={raw}")):
        response = _sent_as_is(client.request(method, path, json={} if method == "PUT" else None), raw)
        assert_error(response, 400, "things:id.invalid")
    streamed = client.get(f"/things?ids={raw}", headers={"Accept": "text/event-stream"})
    assert_error(_sent_as_is(streamed, raw), 400, "things:id.invalid")
    for method in ("PUT", "GET"):
        response = _sent_as_is(client.request(method, f"/policies/{raw}", json={} if method == "PUT" else None), raw)
        assert_error(response, 400, "policies:id.invalid")
    # U+FFFD itself, sent properly encoded, is a character Ditto's ids allow.
    assert client.put("/things/org.twinhub.test:a%EF%BF%BD", json={}).status_code in (201, 204)


@pytest.mark.parametrize("key", NOT_UTF8)
def test_a_key_that_is_not_percent_encoded_utf8_is_json_pointer_invalid(client: httpx.Client, thing: str,
                                                                        key: str) -> None:
    for method, path in (("PUT", f"{thing}/attributes/{key}"), ("GET", f"{thing}/attributes/x/{key}"),
                         ("PUT", f"{thing}/features/{key}"), ("GET", f"{thing}/features/{key}/properties"),
                         ("POST", f"{thing}/features/{key}/inbox/messages/hello?timeout=0")):
        response = _sent_as_is(client.request(method, path, json=1 if method == "PUT" else None), key)
        assert_error(response, 400, "json.pointer.invalid")
    policy = thing.replace("/things/", "/policies/")
    assert_error(_sent_as_is(client.get(f"{policy}/entries/{key}"), key), 400, "json.pointer.invalid")
    _unchanged(client, thing)


@pytest.mark.parametrize("control", ["%E2%80%AE", "%E2%80%AA", "%E2%81%A6", "%E2%80%8F", "%D8%9C"])
def test_bidirectional_controls_in_ids_are_refused(client: httpx.Client, control: str) -> None:
    raw = f"org.twinhub.test:evil{control}gnp.exe"
    assert_error(_sent_as_is(client.put(f"/things/{raw}", json={}), raw), 400, "things:id.invalid")
    assert_error(_sent_as_is(client.put(f"/policies/{raw}", json={}), raw), 400, "policies:id.invalid")
    policy_id = unquote(raw)
    response = client.post("/things", json={"policyId": policy_id})
    assert_error(response, 400, "policies:id.invalid")
