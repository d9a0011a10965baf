"""Every route's errors are rendered by the app's one handler: Ditto's body with the request's correlation-id
echoed, whichever route raised it, and before a stream starts as JSON, not as an event."""

from __future__ import annotations

import httpx
import pytest

from tests.api.helpers import assert_error

CORRELATION = {"correlation-id": "error-handler-1"}


@pytest.mark.parametrize(("method", "path", "body", "status", "code"), [
    ("GET", "/things/org.twinhub.test:missing-thing", None, 404, "things:thing.notfound"),
    ("PUT", "/things/not-an-id", None, 400, "things:id.invalid"),
    ("GET", "/things?ids=,", None, 400, "things:things.ids.missing"),
    ("DELETE", "/things", None, 405, "gateway:method.notallowed"),
    ("GET", "/policies/org.twinhub.test:missing-policy", None, 404, "policies:policy.notfound"),
    ("GET", "/search/things?filter=eq(", None, 400, "rql.expression.invalid"),
    ("GET", "/search/things/count?filter=exists(", None, 400, "rql.expression.invalid"),
    ("GET", "/search/things?option=sort(", None, 400, "thing-search:search.option.invalid"),
    ("POST", "/checkPermissions", b"{", 400, "json.format.invalid"),
    ("GET", "/things/org.twinhub.test:x/inbox/messages/hello", None, 405, "gateway:method.notallowed"),
    ("GET", "/things/org.twinhub.test:x/inbox/claim", None, 405, "gateway:method.notallowed"),
])
def test_a_routes_error_is_dittos_body_with_the_correlation_id(client: httpx.Client, method: str, path: str,
                                                               body: bytes | None, status: int, code: str) -> None:
    headers = {**CORRELATION, "Content-Type": "application/json"}
    response = client.request(method, path, headers=headers, content=body)
    assert_error(response, status, code)
    assert response.headers["correlation-id"] == CORRELATION["correlation-id"]


def test_a_failed_authentication_is_answered_with_a_challenge_and_the_correlation_id(server_url: str) -> None:
    response = httpx.get(f"{server_url}/api/2/whoami", headers=CORRELATION)
    assert_error(response, 401, "gateway:authentication.failed")
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert response.headers["correlation-id"] == CORRELATION["correlation-id"]


@pytest.mark.parametrize("path", ["/things?ids=not-an-id", "/search/things?filter=eq("])
def test_a_stream_that_cannot_start_answers_its_error_as_json(client: httpx.Client, path: str) -> None:
    response = client.get(path, headers={"Accept": "text/event-stream", **CORRELATION})
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["status"] == response.status_code == 400
    assert response.headers["correlation-id"] == CORRELATION["correlation-id"]


def test_a_correlation_id_given_as_a_query_parameter_is_echoed_on_an_error_too(client: httpx.Client) -> None:
    """Ditto headers may come as query parameters (`twinhub.api.headers`): a success echoes it, so must an error."""
    response = client.get("/things/org.twinhub.test:missing-thing", params=CORRELATION)
    assert_error(response, 404, "things:thing.notfound")
    assert response.headers["correlation-id"] == CORRELATION["correlation-id"]
