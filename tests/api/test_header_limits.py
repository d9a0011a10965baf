"""What Ditto's gateway does with a request's headers before anything else: `x-correlation-id` as the
correlation id, a header field that comes twice refused (400 `gateway:duplicate.header.field`), headers over
5 KiB refused (431 `headers.too.large`), on HTTP and on the WebSocket upgrade."""

from __future__ import annotations

import base64
import socket
import uuid
from urllib.parse import urlsplit

import httpx
import orjson
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.api.helpers import assert_error
from twinhub.testing import Server

AUTHORIZATION = ("authorization", "Basic " + base64.b64encode(b"ditto:ditto").decode())
LIMIT = 5 * 1024  # Ditto's ditto-headers-validator.max-bytes = 5k


def _raw_get(server: Server, path: str, headers: list[tuple[str, str]]) -> tuple[int, dict[str, object]]:
    """GET `path` with exactly `headers` (and no other) over a socket; the status and the JSON body."""
    url = urlsplit(server.base_url)
    lines = [f"GET {path} HTTP/1.1", *(f"{name}: {value}" for name, value in headers), "connection: close", "", ""]
    with socket.create_connection((url.hostname, url.port), timeout=30) as connection:
        connection.sendall("\r\n".join(lines).encode("latin-1"))
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    if b"transfer-encoding: chunked" in head.lower():
        size, _, rest = body.partition(b"\r\n")
        body = rest[:int(size, 16)]
    return status, orjson.loads(body) if body else {}


def _headers_of_size(server: Server, size: int) -> list[tuple[str, str]]:
    """Headers whose names and values sum to `size` characters (with the `connection: close` `_raw_get` adds)."""
    host = ("host", urlsplit(server.base_url).netloc)
    fixed = [host, AUTHORIZATION, ("connection", "close")]
    padding = size - sum(len(name) + len(value) for name, value in fixed) - len("x-padding")
    return [host, AUTHORIZATION, ("x-padding", "p" * padding)]


def test_x_correlation_id_is_read_and_echoed_as_correlation_id(client: httpx.Client, thing_id: str) -> None:
    """Ditto reads `x-correlation-id` as the correlation id and answers with `correlation-id`
    (gateway/service/.../directives/CorrelationIdEnsuringDirective.java; the response's headers are the known
    Ditto headers only: AbstractHttpRequestActor.enhanceResponseWithExternalDittoHeaders)."""
    mine = {"x-correlation-id": "x-echo-1"}
    created = client.put(f"/things/{thing_id}", json={}, headers=mine)
    assert (created.status_code, created.headers["correlation-id"]) == (201, "x-echo-1")
    assert "x-correlation-id" not in created.headers
    assert client.get(f"/things/{thing_id}", headers=mine).headers["correlation-id"] == "x-echo-1"
    missing = client.get(f"/things/{thing_id}/attributes/missing", headers=mine)
    assert (missing.status_code, missing.headers["correlation-id"]) == (404, "x-echo-1")
    policy = client.get(f"/policies/{thing_id}", headers=mine)
    assert (policy.status_code, policy.headers["correlation-id"]) == (200, "x-echo-1")


def test_x_correlation_id_reaches_the_events_of_a_write(client: httpx.Client, thing_id: str) -> None:
    """The correlation id a write was sent with, as `x-correlation-id`, is the one of its acknowledgements
    (Ditto builds the command's headers with it: RootRoute.api -> DittoHeaders.correlationId)."""
    client.put(f"/things/{thing_id}", json={})
    acked = client.put(f"/things/{thing_id}/attributes/a", json=1, headers={"x-correlation-id": "x-ack-1"},
                       params={"requested-acks": "twin-persisted,search-persisted"})
    assert acked.status_code == 200, acked.text
    assert acked.headers["correlation-id"] == "x-ack-1"
    assert {ack["headers"]["correlation-id"] for ack in acked.json().values()} == {"x-ack-1"}


def test_correlation_id_wins_over_x_correlation_id(client: httpx.Client, thing_id: str) -> None:
    """Both names are two header fields to Ditto, not a duplicate: it starts from `x-correlation-id`, then
    puts the request's Ditto headers over it, `correlation-id` among them (RootRoute.api,
    RootRouteHeadersStepBuilder.withQueryParameters), and a query parameter over both."""
    client.put(f"/things/{thing_id}", json={})
    both = {"x-correlation-id": "from-x", "correlation-id": "from-ditto"}
    assert client.get(f"/things/{thing_id}", headers=both).headers["correlation-id"] == "from-ditto"
    query = client.get(f"/things/{thing_id}", headers={"x-correlation-id": "from-x"},
                       params={"correlation-id": "from-query"})
    assert query.headers["correlation-id"] == "from-query"


@pytest.mark.parametrize("name", ["correlation-id", "x-correlation-id", "timeout", "if-match"])
def test_a_repeated_header_field_is_duplicate_header_field(client: httpx.Client, thing_id: str, name: str) -> None:
    """Ditto refuses any header field a request carries twice (RootRouteHeadersStepBuilder
    .getFilteredExternalHeaders; RootRouteTest.getExceptionForDuplicateHeaderFields), naming it, and echoes
    the first correlation id."""
    client.put(f"/things/{thing_id}", json={})
    other = "x-other" if name.endswith("correlation-id") else "correlation-id"
    repeated = [(name, "1s"), (name, "2s"), (other, "c-1")]
    answer = client.get(f"/things/{thing_id}", headers=repeated)
    body = assert_error(answer, 400, "gateway:duplicate.header.field")
    assert body["message"] == f"The message contains headers which include a duplicate header field: '{name}'"
    assert answer.headers["correlation-id"] == ("1s" if name.endswith("correlation-id") else "c-1")
    write = client.put(f"/things/{thing_id}/attributes/a", json=1, headers=repeated)
    assert_error(write, 400, "gateway:duplicate.header.field")
    assert "attributes" not in client.get(f"/things/{thing_id}").json()


def test_header_names_differing_in_case_are_the_same_field(server: Server, thing_id: str) -> None:
    """Header names are case-insensitive: `Timeout` and `timeout` are one field sent twice (Ditto collects
    them by lower-case name and refuses the collision: RootRouteHeadersStepBuilder)."""
    host = ("host", urlsplit(server.base_url).netloc)
    status, body = _raw_get(server, f"/api/2/things/{thing_id}",
                            [host, AUTHORIZATION, ("Timeout", "1s"), ("timeout", "2s")])
    assert (status, body["error"]) == (400, "gateway:duplicate.header.field")


def test_headers_of_exactly_the_limit_pass_and_one_byte_more_is_431(server: Server, client: httpx.Client,
                                                                     thing_id: str) -> None:
    """Ditto refuses headers whose names and values sum to more than 5k (edge/service ditto-edge-service.conf
    `max-bytes = 5k`; DefaultDittoHeadersValidator, AbstractDittoHeaders.isEntriesSizeGreaterThan) with
    431 `headers.too.large` (DittoHeadersTooLargeException; RootRouteTest.getExceptionDueToLargeHeaders)."""
    client.put(f"/things/{thing_id}", json={})
    path = f"/api/2/things/{thing_id}"
    status, body = _raw_get(server, path, _headers_of_size(server, LIMIT))
    assert (status, body.get("thingId")) == (200, thing_id)
    status, body = _raw_get(server, path, _headers_of_size(server, LIMIT + 1))
    assert status == 431
    assert body == {"status": 431, "error": "headers.too.large", "message": "The headers are too large.",
                    "description": f"The number of bytes exceeded the maximum allowed value <{LIMIT}>!"}


def test_a_large_correlation_id_is_431_on_every_api(client: httpx.Client, thing_id: str) -> None:
    """RootRouteTest.getExceptionDueToLargeHeaders: an 8 KiB `x-correlation-id` is 431, whichever route."""
    large = {"x-correlation-id": "x" * 8192}
    assert_error(client.get(f"/things/{thing_id}", headers=large), 431, "headers.too.large")
    assert_error(client.put(f"/things/{thing_id}", json={}, headers=large), 431, "headers.too.large")
    assert_error(client.get("/search/things", headers=large), 431, "headers.too.large")
    assert_error(client.get(f"/policies/{thing_id}", headers=large), 431, "headers.too.large")
    assert_error(client.get("/things", headers={**large, "accept": "text/event-stream"}), 431, "headers.too.large")
    assert client.get(f"/things/{thing_id}").status_code == 404  # nothing was created


@pytest.mark.parametrize(("headers", "status", "code"), [
    ([("x-correlation-id", "a"), ("x-correlation-id", "b")], 400, "gateway:duplicate.header.field"),
    ([("x-correlation-id", "x" * 8192)], 431, "headers.too.large"),
])
def test_the_websocket_upgrade_refuses_the_same_headers(server: Server, headers: list[tuple[str, str]],
                                                        status: int, code: str) -> None:
    """Ditto's `/ws` route builds its headers with the same step builder as `/api` (RootRoute.ws), so the
    upgrade request is refused the same way, before any session opens."""
    url = server.base_url.replace("http", "ws", 1) + "/ws/2"
    with pytest.raises(InvalidStatus) as refused:
        connect(url, additional_headers=[AUTHORIZATION, *headers], open_timeout=10)
    response = refused.value.response
    assert response.status_code == status
    assert orjson.loads(response.body or b"{}")["error"] == code


def test_a_fresh_correlation_id_without_either_name(client: httpx.Client, thing_id: str) -> None:
    """CorrelationIdEnsuringDirective: neither header, so a random UUID."""
    client.put(f"/things/{thing_id}", json={})
    assert uuid.UUID(client.get(f"/things/{thing_id}").headers["correlation-id"]).version == 4
