"""The ASGI application: routes, the error handlers (`twinhub.api.errors`), and the lifespan that owns store
and bus."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from twinhub.api import messages, permissions, policies, search, things, websocket
from twinhub.api.context import Context, context_of
from twinhub.api.errors import exception_handlers
from twinhub.api.responses import json_response
from twinhub.auth import build_authenticator
from twinhub.backends import open_backends
from twinhub.config import Settings, load_settings
from twinhub.service.buffers import Budget
from twinhub.service.coherence import follow_events
from twinhub.service.live import LiveHub
from twinhub.service.permissions import PermissionService
from twinhub.service.policies import PolicyService
from twinhub.service.search import SearchService
from twinhub.service.session import SessionCounts
from twinhub.service.streaming import EventHub
from twinhub.service.things import ThingService

log = logging.getLogger("twinhub")


async def health(request: Request) -> Response:
    return json_response({"status": "UP"})


async def whoami(request: Request) -> Response:
    auth = await context_of(request).authenticate(request)
    return json_response({"defaultSubject": auth.default_subject, "subjects": list(auth.subjects)})


def create_app(settings: Settings) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with open_backends(settings) as backends, build_authenticator(
                user_store=backends.users if settings.basic_auth else None,
                oidc_issuers=settings.oidc, dev=settings.dev_auth,
                pre_authentication=settings.pre_authentication) as authenticator:
            for warning in await authenticator.warnings_at_start():
                log.warning(warning)
            store, bus = backends.store, backends.bus
            policies = PolicyService(store, bus, cache_size=settings.cache_size,
                                     expiry_granularity=timedelta(seconds=settings.policy_expiry_granularity))
            things = ThingService(store, bus, policies, max_thing_size=settings.max_thing_size,
                                  cache_size=settings.cache_size)
            events = EventHub(bus, things, policies=policies)
            live = LiveHub(backends.signals, things)
            await live.start()
            context = Context(settings, authenticator, policies, things, SearchService(store, things), events,
                              live=live, permissions=PermissionService(things, policies),
                              budget=Budget(settings.buffer_budget_bytes),
                              sessions=SessionCounts(settings.max_sessions_per_subject))
            app.state.context = context
            coherence = asyncio.create_task(follow_events(bus, things, policies))
            hub = asyncio.create_task(events.run())
            try:
                yield
            finally:
                for task in list(context.background):
                    await task
                for follower in (coherence, hub):
                    follower.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await follower
                await live.aclose()

    routes = [
        Route("/health", health, methods=["GET"]),
        Route("/api/2/whoami", whoami, methods=["GET"]),
        *messages.routes,  # before the Things API's catch-all
        *things.routes,
        *policies.routes,
        *permissions.routes,
        *search.routes,
        *websocket.routes,
    ]
    return Starlette(routes=routes, lifespan=lifespan, exception_handlers=exception_handlers(settings))


def app_from_env() -> Starlette:
    """The factory a server worker calls: settings come from the `TWINHUB_*` environment."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return create_app(load_settings())
