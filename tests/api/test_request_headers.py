"""Ditto headers as HTTP headers or query parameters (both ways only with one value), the echoed correlation-id,
and the `Location` of what a write created. Repeated and oversized headers: `test_header_limits.py`."""

from __future__ import annotations

import base64
import uuid
from urllib.parse import quote

import httpx
import orjson
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.api.helpers import assert_error
from twinhub.testing import Server


def test_correlation_id_is_echoed_on_reads_writes_and_errors(client: httpx.Client, thing_id: str) -> None:
    mine = {"correlation-id": "echo-1"}
    assert client.put(f"/things/{thing_id}", json={}, headers=mine).headers["correlation-id"] == "echo-1"
    assert client.put(f"/things/{thing_id}/attributes/a", json=1, headers=mine).headers["correlation-id"] == "echo-1"
    assert client.get(f"/things/{thing_id}", headers=mine).headers["correlation-id"] == "echo-1"
    missing = client.get(f"/things/{thing_id}/attributes/missing", headers=mine)
    assert (missing.status_code, missing.headers["correlation-id"]) == (404, "echo-1")


def test_a_request_without_correlation_id_gets_a_fresh_uuid(client: httpx.Client, thing_id: str) -> None:
    client.put(f"/things/{thing_id}", json={})
    first, second = client.get(f"/things/{thing_id}"), client.get(f"/things/{thing_id}")
    assert uuid.UUID(first.headers["correlation-id"]).version == 4
    assert first.headers["correlation-id"] != second.headers["correlation-id"]


DIVERGENT_MESSAGE = "was provided as header as well as query parameter with divergent values!"
# Ditto's `query-params-as-headers` (gateway.conf) with a valid value and a divergent valid one each.
_DIVERGENT = {
    "timeout": ("5s", "6s"), "response-required": ("true", "false"), "channel": ("twin", "live"),
    "requested-acks": ("twin-persisted", "[]"), "correlation-id": ("from-query", "from-header"),
    "condition": ("exists(thingId)", "exists(policyId)"), "allow-policy-lockout": ("true", "false"),
    "at-historical-revision": ("1", "2"), "live-channel-timeout-strategy": ("fail", "use-twin"),
}


def test_a_ditto_header_as_query_parameter_and_header_must_not_diverge(client: httpx.Client, thing_id: str) -> None:
    """RootRouteHeadersStepBuilder.QueryParametersStep.avoidConflictingHeaders: a query parameter of
    `query-params-as-headers` whose header comes with another value is GatewayDuplicateHeaderException (400
    `gateway:duplicate.header.field`, "<name> was provided as header as well as query parameter with divergent
    values!"); nothing is read or written."""
    assert client.put(f"/things/{thing_id}", json={"attributes": {"a": 0}}).status_code == 201
    for name, (query, header) in _DIVERGENT.items():
        for method, path, body in (("GET", f"/things/{thing_id}", None),
                                   ("PUT", f"/things/{thing_id}/attributes/a", 1)):
            response = client.request(method, path, json=body, params={name: query}, headers={name: header})
            error = assert_error(response, 400, "gateway:duplicate.header.field")
            assert error["message"] == f"<{name}> {DIVERGENT_MESSAGE}"
    assert client.get(f"/things/{thing_id}/attributes/a").json() == 0


def test_a_ditto_header_as_query_parameter_and_header_may_agree(client: httpx.Client, thing_id: str) -> None:
    """avoidConflictingHeaders refuses divergent values only: the same value both ways is that header."""
    client.put(f"/things/{thing_id}", json={"attributes": {"a": 0}})
    same = {"correlation-id": "both-ways"}
    assert client.get(f"/things/{thing_id}", params=same, headers=same).headers["correlation-id"] == "both-ways"
    write = client.put(f"/things/{thing_id}/attributes/a", json=1, params={"response-required": "false"},
                       headers={"response-required": "false"})
    assert write.status_code == 202


def test_divergent_ditto_headers_are_refused_before_authentication(server: Server, thing_id: str) -> None:
    """RootRoute.api builds the Ditto headers (withQueryParameters) before `apiAuthentication`: the divergent
    header is the answer even to a request without credentials, and a request that agrees is the 401."""
    url = f"{server.base_url}/api/2/things/{thing_id}"
    assert_error(httpx.get(url, params={"timeout": "1s"}, headers={"timeout": "2s"}), 400,
                 "gateway:duplicate.header.field")
    assert httpx.get(url, params={"timeout": "1s"}, headers={"timeout": "1s"}).status_code == 401


def test_fields_is_no_ditto_header(client: httpx.Client, thing_id: str) -> None:
    """`fields` is a query parameter of the routes (ThingsParameter.FIELDS), not in `query-params-as-headers`: an
    HTTP header of that name diverges from nothing."""
    client.put(f"/things/{thing_id}", json={"attributes": {"a": 0}})
    read = client.get(f"/things/{thing_id}", params={"fields": "thingId"}, headers={"fields": "attributes"})
    assert read.json() == {"thingId": thing_id}


def test_the_last_of_repeated_query_parameters_counts(client: httpx.Client, thing_id: str) -> None:
    client.put(f"/things/{thing_id}", json={})
    read = client.get(f"/things/{thing_id}", params=[("correlation-id", "first"), ("correlation-id", "last")])
    assert read.headers["correlation-id"] == "last"
    fields = client.get(f"/things/{thing_id}", params=[("fields", "attributes"), ("fields", "thingId")])
    assert fields.json() == {"thingId": thing_id}


def test_headers_are_case_insensitive(client: httpx.Client, thing_id: str) -> None:
    client.put(f"/things/{thing_id}", json={})
    assert client.get(f"/things/{thing_id}", headers={"Correlation-ID": "Mixed"}).headers["correlation-id"] == "Mixed"
    etag = client.get(f"/things/{thing_id}").headers["etag"]
    assert client.get(f"/things/{thing_id}", headers={"IF-NONE-MATCH": etag}).status_code == 304


def test_location_names_what_a_write_created(server: Server, client: httpx.Client) -> None:
    thing_id = f"org.twinhub.test:loc ation-{uuid.uuid4().hex[:8]}"
    encoded = quote(thing_id, safe=":")
    created = client.put(f"/things/{encoded}", json={})
    assert (created.status_code, created.headers["location"]) == (201, f"{server.base_url}/api/2/things/{encoded}")
    assert "location" not in client.put(f"/things/{encoded}", json={}).headers  # 204: nothing created
    attribute = client.put(f"/things/{encoded}/attributes/new%20one", json=1)
    assert attribute.headers["location"] == f"{server.base_url}/api/2/things/{encoded}/attributes/new%20one"
    posted = client.post("/things", json={}, params={"namespace": "org.twinhub.test"})
    assert posted.headers["location"] == f"{server.base_url}/api/2/things/{quote(posted.json()['thingId'], safe=':')}"
    policy_id = f"org.twinhub.test:policy-{uuid.uuid4().hex[:8]}"
    policy = {"entries": {"owner": {"subjects": {"nginx:ditto": {"type": "basic"}},
                                    "resources": {"policy:/": {"grant": ["READ", "WRITE"], "revoke": []},
                                                  "thing:/": {"grant": ["READ", "WRITE"], "revoke": []}}}}}
    assert client.put(f"/policies/{policy_id}", json=policy).headers["location"] == \
        f"{server.base_url}/api/2/policies/{policy_id}"


def test_the_websocket_upgrade_refuses_divergent_ditto_headers(server: Server) -> None:
    """RootRoute.ws builds the upgrade's Ditto headers with the same QueryParametersStep as `/api`: a divergent
    `declared-acks` is 400 `gateway:duplicate.header.field` before any session opens; agreeing values open one."""
    url = server.base_url.replace("http", "ws", 1) + "/ws/2?declared-acks=custom:one"
    authorization = ("authorization", "Basic " + base64.b64encode(b"ditto:ditto").decode())
    with pytest.raises(InvalidStatus) as refused:
        connect(url, additional_headers=[authorization, ("declared-acks", "custom:two")], open_timeout=10)
    response = refused.value.response
    assert response.status_code == 400
    assert orjson.loads(response.body or b"{}")["error"] == "gateway:duplicate.header.field"
    with connect(url, additional_headers=[authorization, ("declared-acks", "custom:one")], open_timeout=10):
        pass
