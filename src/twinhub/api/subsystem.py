"""The HTTP API as one subsystem of the application (`twinhub.app`): Ditto's HTTP API v2 with its WebSocket and
SSE, and twinhub's extensions. It contributes every route, the handlers of errors no route answers (which the
application registers for all routes), and while it runs, the request context its routes share."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ExceptionHandler

from twinhub.api import messages, permissions, policies, search, things, websocket
from twinhub.api.context import STATE_KEY, Context, context_of
from twinhub.api.responses import error_response, json_response
from twinhub.config import Settings
from twinhub.model.errors import MethodNotAllowed, ResourceNotFound, TwinhubError
from twinhub.service.platform import Platform
from twinhub.service.session import SessionCounts

__all__ = ["EXCEPTION_HANDLERS", "HttpApi"]


async def health(request: Request) -> Response:
    return json_response({"status": "UP"})


async def whoami(request: Request) -> Response:
    ctx = context_of(request)
    try:
        auth = await ctx.authenticate(request)
    except TwinhubError as error:
        return ctx.render_error(error, request)
    return json_response({"defaultSubject": auth.default_subject, "subjects": list(auth.subjects)})


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own 404/405 (unknown routes) rendered as Ditto errors."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        allowed = (exc.headers or {}).get("Allow", "")
        return error_response(MethodNotAllowed(request.method, allowed.split(", ")))
    if exc.status_code == 404:
        return error_response(ResourceNotFound(request.url.path))
    error = TwinhubError("gateway:request.invalid", exc.status_code, str(exc.detail))
    return error_response(error)


async def internal_error(request: Request, exc: Exception) -> Response:
    """A bug, not bad input: answer with a Ditto error body; Starlette logs the traceback."""
    return error_response(TwinhubError("internal.error", 500, "An unexpected error occurred."))


EXCEPTION_HANDLERS: Mapping[Any, ExceptionHandler] = {HTTPException: http_error, Exception: internal_error}


class HttpApi:
    """The HTTP API's part of the application: its routes, and a lifespan that builds their `Context` on the
    platform and, when the application stops, waits for the writes that outlived their requests."""

    routes: tuple[BaseRoute, ...] = (
        Route("/health", health, methods=["GET"]),
        Route("/api/2/whoami", whoami, methods=["GET"]),
        *messages.routes,  # before the Things API's catch-all
        *things.routes,
        *policies.routes,
        *permissions.routes,
        *search.routes,
        *websocket.routes,
    )

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @contextlib.asynccontextmanager
    async def lifespan(self, platform: Platform) -> AsyncIterator[Mapping[str, object]]:
        settings = self.settings
        context = Context(settings, platform.authenticator, platform.policies, platform.things, platform.search,
                          platform.events, live=platform.live, permissions=platform.permissions,
                          budget=platform.budget, sessions=SessionCounts(settings.max_sessions_per_subject))
        try:
            yield {STATE_KEY: context}
        finally:
            for task in list(context.background):
                await task
