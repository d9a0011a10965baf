"""Every failure of an HTTP request, rendered in one place: the exception handlers the app registers.

Routes raise; they never render an error themselves. A `TwinhubError` becomes Ditto's error body with the
headers its kind calls for (see `error_response`), the request's `correlation-id` echoed, and for a failed
authentication the challenge the configured methods can answer. Starlette's own refusals (no route, a
method the route lacks) become Ditto's errors; anything else is a bug, answered 500 with a Ditto body.
A streaming response (SSE) answers errors raised before it starts here, as JSON, like any other route.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ExceptionHandler

from twinhub.api.headers import correlation_id
from twinhub.api.responses import error_response
from twinhub.config import Settings
from twinhub.model.errors import (
    AuthenticationFailed,
    InternalError,
    MethodNotAllowed,
    RequestInvalid,
    RequestTooLarge,
    ResourceNotFound,
    TwinhubError,
)

__all__ = ["exception_handlers", "render_error"]


def exception_handlers(settings: Settings) -> Mapping[Any, ExceptionHandler]:
    """The handlers to register on the Starlette app (`exception_handlers=`)."""

    async def twinhub_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, TwinhubError)
        return render_error(exc, request, settings)

    return {TwinhubError: twinhub_error, HTTPException: _starlette_error, Exception: _internal_error}


def render_error(error: TwinhubError, request: Request, settings: Settings) -> Response:
    """Ditto's answer to `error` for `request`."""
    response = error_response(error, correlation_id(request))
    if isinstance(error, AuthenticationFailed):
        # Offer only a challenge the client can answer: a browser shows a login box for Basic.
        basic = settings.basic_auth or settings.dev_auth
        response.headers["WWW-Authenticate"] = 'Basic realm="twinhub"' if basic else 'Bearer realm="twinhub"'
    elif isinstance(error, RequestTooLarge):
        # The rest of the body stays unread, so the server closes the connection. Granian usually says so, but
        # not when the refusal races its reading of the body: a client would then reuse a dead connection.
        response.headers["Connection"] = "close"
    return response


async def _starlette_error(request: Request, exc: Exception) -> Response:
    """Starlette's own 404/405 (unknown routes, methods a route lacks) rendered as Ditto errors."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        allowed = (exc.headers or {}).get("Allow", "")
        return error_response(MethodNotAllowed(request.method, allowed.split(", ")))
    if exc.status_code == 404:
        return error_response(ResourceNotFound(request.url.path))
    return error_response(RequestInvalid(str(exc.detail), status=exc.status_code))


async def _internal_error(request: Request, exc: Exception) -> Response:
    """A bug, not bad input: answer with a Ditto error body; Starlette logs the traceback."""
    return error_response(InternalError())
