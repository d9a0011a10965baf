"""The composition root: the one place twinhub is assembled from its settings.

    app = create_app(load_settings())   # an ASGI app; a server worker calls `app_from_env`

The application is a platform and the subsystems built on it. The platform (`open_platform`) is what they
share: the store and buses the settings name, the authenticator, the services, and the background tasks
that keep them current. A subsystem (`Subsystem`) contributes its routes and its lifespan: the HTTP API and
connectivity, history, WoT, the device endpoint and the web console, each one entry of `subsystems_of`.

Starlette's lifespan runs it all: the platform opens, then each subsystem starts in order and may hand its
routes request state; the application stops them in reverse, then closes the platform. A failure while
starting stops what already started and fails the lifespan, which the server logs and stops on. Before the
server stops a worker, it awaits the application's `state.farewell()` (`twinhub.launch`): the HTTP API closes
its WebSocket sessions with 1001 while the server can still send their close frames.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from functools import partial
from typing import Protocol

from starlette.applications import Starlette
from starlette.routing import BaseRoute

from twinhub.api.cors import cors_middleware
from twinhub.api.errors import exception_handlers
from twinhub.api.subsystem import HttpApi
from twinhub.auth import build_authenticator
from twinhub.backends import open_backends
from twinhub.config import Settings, load_settings
from twinhub.connectivity.device import DeviceEndpoint
from twinhub.connectivity.runtime import open_runtime
from twinhub.connectivity.subsystem import Connectivity
from twinhub.console.subsystem import Console
from twinhub.history.subsystem import History
from twinhub.service.announcements import PolicyAnnouncer
from twinhub.service.buffers import Budget
from twinhub.service.coherence import follow_events
from twinhub.service.live import LiveHub
from twinhub.service.migration import DefinitionMigration
from twinhub.service.model_validation import ModelValidator
from twinhub.service.permissions import PermissionService
from twinhub.service.platform import Platform
from twinhub.service.policies import PolicyService
from twinhub.service.retention import Pruner, RetentionPolicy
from twinhub.service.search import SearchService
from twinhub.service.streaming import EventHub
from twinhub.service.things import ThingService
from twinhub.wot.subsystem import Wot, open_wot

__all__ = ["YOUNG_GC_THRESHOLD", "Subsystem", "app_from_env", "create_app", "open_platform", "settle_gc",
           "subsystems_of"]

log = logging.getLogger("twinhub")

# Allocations (less deallocations) between two collections of the youngest generation (CPython's default: 700).
# The objects of the requests in flight (64 connections) exceed 700 all the time, so that every few requests
# a young collection traversed them; beneath this, young collections are rare and the cyclic garbage waiting
# for one stays a few megabytes at most.
YOUNG_GC_THRESHOLD = 10_000


class Subsystem(Protocol):
    """One part of the application, built on the platform."""

    @property
    def routes(self) -> Sequence[BaseRoute]:
        """Its HTTP and WebSocket routes, matched in the order of the subsystems, then in this order."""
        ...

    def lifespan(self, platform: Platform) -> AbstractAsyncContextManager[Mapping[str, object]]:
        """Start what it owns on `platform`, yield what its routes find in the request state (keys unique
        across subsystems), and stop it all when the context ends (before the platform closes)."""
        ...


def subsystems_of(settings: Settings) -> list[Subsystem]:
    """Every subsystem of twinhub, in the order they start."""
    parts: list[Subsystem] = [HttpApi(settings), Connectivity(settings, partial(open_runtime, settings=settings)),
                              History(settings), Wot(settings)]
    if settings.mqtt_port is not None:
        parts.append(DeviceEndpoint(settings))
    if settings.console:
        parts.append(Console())
    return parts


@contextlib.asynccontextmanager
async def open_platform(settings: Settings) -> AsyncIterator[Platform]:
    """The platform on the store and buses of `settings`: its services, and the tasks that follow the bus
    (cache coherence across workers, committed events to sessions), cancelled when the context ends."""
    async with open_backends(settings) as backends, build_authenticator(
            user_store=backends.users if settings.basic_auth else None,
            device_store=backends.devices,  # devices log in whatever HTTP basic allows (an MQTT-only login)
            oidc_issuers=settings.oidc, dev=settings.dev_auth,
            pre_authentication=settings.pre_authentication) as authenticator, \
            contextlib.AsyncExitStack() as running:
        for warning in await authenticator.warnings_at_start():
            log.warning(warning)
        store, bus = backends.store, backends.bus
        wot = await running.enter_async_context(open_wot(settings, backends.wot_models))
        wot_config = settings.wot_validation_config()
        validator = ModelValidator(wot.resolver, wot_config) if wot_config.enabled or wot_config.dynamic else None
        policies = PolicyService(store, bus, cache_size=settings.cache_size, cache_bytes=settings.cache_bytes,
                                 expiry_granularity=timedelta(seconds=settings.policy_expiry_granularity))
        things = ThingService(store, bus, policies, max_thing_size=settings.max_thing_size,
                              cache_size=settings.cache_size, cache_bytes=settings.cache_bytes,
                              history_rules=settings.history_rules(), skeletons=wot, model_validator=validator)
        events = EventHub(bus, things, policies=policies)
        async with LiveHub(backends.signals, things) as live:
            followers = [asyncio.create_task(follow_events(bus, things, policies)), asyncio.create_task(events.run()),
                         asyncio.create_task(PolicyAnnouncer(store, live).run())]
            retention = RetentionPolicy(settings.retention(), settings.rollup_retention(), settings.journal_keep())
            if not retention.keeps_everything:
                pruner = Pruner(store, retention, interval=settings.retention_interval)
                followers.append(asyncio.create_task(pruner.run()))
            try:
                yield Platform(authenticator=authenticator, things=things, policies=policies,
                               search=SearchService(store, things), permissions=PermissionService(things, policies),
                               events=events, live=live, budget=Budget(settings.buffer_budget_bytes),
                               store=store, bus=bus, polls=backends.polls, wot=wot, devices=backends.devices,
                               migration=DefinitionMigration(things, wot, validator))
            finally:
                for follower in followers:
                    follower.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await follower


def settle_gc() -> None:
    """Take what the process holds once started (modules, classes, functions, the platform: some 100,000
    objects) out of the garbage collector's sight (`gc.freeze`), so that no full collection traverses them
    again, and make young collections rare (`YOUNG_GC_THRESHOLD`). For a server worker: a process that starts
    many applications would keep each one's frozen objects for good."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_GC_THRESHOLD, middle, old)


def create_app(settings: Settings, subsystems: Sequence[Subsystem] | None = None, *,
               started: Callable[[], None] | None = None) -> Starlette:
    """The ASGI application of `settings`: the platform and `subsystems` (None: `subsystems_of(settings)`);
    `started()` is called once they all have started, before the first request."""
    parts = subsystems_of(settings) if subsystems is None else subsystems

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[Mapping[str, object]]:
        async with open_platform(settings) as platform, contextlib.AsyncExitStack() as running:
            state: dict[str, object] = {}
            for part in parts:
                provided = await running.enter_async_context(part.lifespan(platform))
                if clash := state.keys() & provided.keys():
                    raise RuntimeError(f"two subsystems put {', '.join(sorted(clash))} in the request state")
                state.update(provided)
            if started is not None:
                started()
            yield state

    # The HTTP API renders errors for every route, whichever subsystem it comes from. Middleware wraps every
    # request: only what the settings ask for (CORS, when origins are set), to keep the hot routes lean.
    app = Starlette(routes=[route for part in parts for route in part.routes], lifespan=lifespan,
                    exception_handlers=exception_handlers(settings), middleware=cors_middleware(settings))
    app.state.farewell = partial(_farewell, parts)
    return app


async def _farewell(parts: Sequence[Subsystem]) -> None:
    await asyncio.gather(*(part.farewell() for part in parts if isinstance(part, HttpApi)))


def app_from_env() -> Starlette:
    """The factory a server worker calls: settings come from the `TWINHUB_*` environment; the worker's garbage
    collector is settled for serving once the application has started (`settle_gc`)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return create_app(load_settings(), started=settle_gc)
