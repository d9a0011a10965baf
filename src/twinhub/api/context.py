"""What every handler needs: built on the platform when the HTTP API starts (`twinhub.api.subsystem`), and
reached through the request state (`context_of`)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from starlette.requests import HTTPConnection

from twinhub.api.headers import check_request_headers, header_maps
from twinhub.auth import AuthContext, Authenticator
from twinhub.config import Settings
from twinhub.model.errors import TwinhubError
from twinhub.service.buffers import Budget
from twinhub.service.live import LiveHub
from twinhub.service.migration import DefinitionMigration
from twinhub.service.permissions import PermissionService
from twinhub.service.policies import PolicyService
from twinhub.service.search import SearchService
from twinhub.service.session import SessionCounts, SessionServices
from twinhub.service.streaming import EventHub
from twinhub.service.things import ThingService
from twinhub.wot.service import WotService

log = logging.getLogger("twinhub.api")


@dataclass
class Context:
    settings: Settings
    authenticator: Authenticator
    policies: PolicyService
    things: ThingService
    search: SearchService
    events: EventHub  # committed thing events for WebSocket and SSE sessions
    live: LiveHub  # live messages, live commands and acknowledgements, across workers
    permissions: PermissionService  # checkPermissions
    budget: Budget  # the bytes all WebSocket sessions and SSE streams of this worker may hold for slow clients
    sessions: SessionCounts  # open WebSocket sessions per subject (`max_sessions_per_subject` caps them)
    wot: WotService  # Thing Descriptions of things and features with a Thing Model as definition
    session_services: SessionServices  # what a WebSocket's Ditto Protocol session serves from
    # Writes that outlive their request (timeout=0, or a client that gave up): kept until done.
    background: set[asyncio.Future[object]] = field(default_factory=set)
    migration: DefinitionMigration | None = None  # migrateDefinition; None without a Thing Model resolver

    async def authenticate(self, connection: HTTPConnection) -> AuthContext:
        return await authenticate_request(self.authenticator, connection)

    def keep(self, task: asyncio.Future[object]) -> None:
        """Hold `task` until it is done, so a write always finishes even if its request does not."""
        self.background.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Future[object]) -> None:
        self.background.discard(task)
        if task.cancelled() or (error := task.exception()) is None:
            return
        # A Ditto error here was already answered to the client, or it gave up; anything else is a bug.
        level = logging.DEBUG if isinstance(error, TwinhubError) else logging.ERROR
        log.log(level, "write finished with %r", error)


async def authenticate_request(authenticator: Authenticator, connection: HTTPConnection) -> AuthContext:
    """The subjects of an HTTP request (any subsystem's); raises 400 or 431 for headers Ditto refuses
    (`check_request_headers`), 401 `gateway:authentication.failed`."""
    check_request_headers(connection)
    headers, query = header_maps(connection)  # plain dicts, built once: cheaper than Starlette's views
    return await authenticator.authenticate(headers, query)


# The key of the context in the lifespan state that every request gets a copy of.
STATE_KEY = "twinhub.api"


def context_of(connection: HTTPConnection) -> Context:
    context: Context = connection.scope["state"][STATE_KEY]
    return context
