"""The HTTP API as one subsystem of the application (`twinhub.app`): Ditto's HTTP API v2 with its WebSocket and
SSE, and twinhub's extensions. It contributes every route and, while it runs, the request context its routes
share; its error handlers (`twinhub.api.errors`) the application registers for every route."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from twinhub.api import messages, openapi, permissions, policies, search, things, websocket
from twinhub.api.context import STATE_KEY, Context, context_of
from twinhub.api.responses import json_response
from twinhub.config import Settings
from twinhub.service.platform import Platform
from twinhub.service.session import SessionCounts

__all__ = ["HttpApi"]


async def health(request: Request) -> Response:
    return json_response({"status": "UP"})


async def whoami(request: Request) -> Response:
    auth = await context_of(request).authenticate(request)
    return json_response({"defaultSubject": auth.default_subject, "subjects": list(auth.subjects)})


class HttpApi:
    """The HTTP API's part of the application: its routes, and a lifespan that builds their `Context` on the
    platform and, when the application stops, waits for the writes that outlived their requests. Before the
    server stops the worker, `farewell()` closes its WebSocket sessions (1001, going away)."""

    routes: tuple[BaseRoute, ...] = (
        Route("/health", health, methods=["GET"]),
        things.shortcut,  # the Things API's sub-resources, the most common requests, without trying the others
        Route("/api/2/whoami", whoami, methods=["GET"]),
        *messages.routes,  # before the Things API's catch-all
        *things.routes,
        *policies.routes,
        *permissions.routes,
        *search.routes,
        *websocket.routes,
        *openapi.routes,  # the document and the API page, last: the hot routes match before them
    )

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._sessions: SessionCounts | None = None  # while running

    async def farewell(self) -> None:
        """Ask the open WebSocket sessions to go and wait until they went: at most half the shutdown timeout,
        leaving the rest to the server's own stop."""
        if (sessions := self._sessions) is None:
            return
        sessions.go_away()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(sessions.drained(), self.settings.shutdown_timeout / 2)

    @contextlib.asynccontextmanager
    async def lifespan(self, platform: Platform) -> AsyncIterator[Mapping[str, object]]:
        settings = self.settings
        context = Context(settings, platform.authenticator, platform.policies, platform.things, platform.search,
                          platform.events, live=platform.live, permissions=platform.permissions,
                          budget=platform.budget, sessions=SessionCounts(settings.max_sessions_per_subject),
                          migration=platform.migration, wot=platform.wot,
                          session_services=platform.session_services())
        self._sessions = context.sessions
        try:
            yield {STATE_KEY: context}
        finally:
            self._sessions = None
            for task in list(context.background):
                await task
