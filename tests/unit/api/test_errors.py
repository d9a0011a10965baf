"""The one renderer of HTTP errors, in process: Ditto's body, the request's correlation-id, and the headers
each kind of error calls for (the API tests check the same over real sockets, route by route)."""

from __future__ import annotations

import orjson
import pytest
from starlette.requests import Request

from twinhub.api.errors import render_error
from twinhub.config import Settings
from twinhub.model.errors import (
    AuthenticationFailed,
    JwtIssuerNotSupported,
    MethodNotAllowed,
    RequestTooLarge,
    ThingNotAccessible,
    ThingNotModified,
    ThingPreconditionFailed,
    TooManyRequests,
    TwinhubError,
)


def _request(headers: dict[str, str] | None = None) -> Request:
    raw = [(name.encode(), value.encode()) for name, value in (headers or {}).items()]
    return Request({"type": "http", "method": "GET", "path": "/api/2/things", "headers": raw, "query_string": b""})


def test_an_error_is_dittos_body_with_its_status_and_the_requests_correlation_id() -> None:
    error = ThingNotAccessible("ns:lamp")
    response = render_error(error, _request({"correlation-id": "c-1"}), Settings())
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["correlation-id"] == "c-1"
    assert orjson.loads(response.body) == error.to_json()


def test_no_correlation_id_is_made_up() -> None:
    assert "correlation-id" not in render_error(ThingNotAccessible("ns:lamp"), _request(), Settings()).headers


@pytest.mark.parametrize("error", [AuthenticationFailed(), JwtIssuerNotSupported("https://elsewhere")])
@pytest.mark.parametrize(("settings", "challenge"), [
    (Settings(basic_auth=True), 'Basic realm="twinhub"'),
    (Settings(basic_auth=False, dev_auth=True), 'Basic realm="twinhub"'),
    (Settings(basic_auth=False), 'Bearer realm="twinhub"'),
])
def test_a_failed_authentication_offers_the_challenge_the_settings_can_answer(
        error: TwinhubError, settings: Settings, challenge: str) -> None:
    response = render_error(error, _request(), settings)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == challenge


def test_only_a_failed_authentication_offers_a_challenge() -> None:
    assert "WWW-Authenticate" not in render_error(ThingNotAccessible("ns:lamp"), _request(), Settings()).headers


def test_only_a_refused_body_closes_the_connection() -> None:
    # Granian closes a connection whose body was left unread but does not always say so; the answer must.
    assert render_error(RequestTooLarge(2, 1), _request(), Settings()).headers["connection"] == "close"
    assert "connection" not in render_error(ThingNotAccessible("ns:lamp"), _request(), Settings()).headers


def test_a_failed_precondition_carries_the_current_entity_tag() -> None:
    response = render_error(ThingPreconditionFailed("if-match", '"rev:1"', '"rev:2"'), _request(), Settings())
    assert (response.status_code, response.headers["ETag"]) == (412, '"rev:2"')


def test_not_modified_is_an_empty_304_with_the_entity_tag() -> None:
    response = render_error(ThingNotModified('"rev:2"', '"rev:2"'), _request({"correlation-id": "c-2"}), Settings())
    assert (response.status_code, response.body) == (304, b"")
    assert response.headers["ETag"] == '"rev:2"'
    assert response.headers["correlation-id"] == "c-2"


def test_method_not_allowed_lists_the_allowed_methods() -> None:
    response = render_error(MethodNotAllowed("PATCH", ["GET", "PUT"]), _request(), Settings())
    assert (response.status_code, response.headers["Allow"]) == (405, "GET, PUT")


def test_too_many_requests_says_when_to_retry_if_it_knows() -> None:
    assert render_error(TooManyRequests(retry_after=7), _request(), Settings()).headers["Retry-After"] == "7"
    assert "Retry-After" not in render_error(TooManyRequests(), _request(), Settings()).headers
