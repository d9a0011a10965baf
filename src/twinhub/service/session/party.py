"""A session's party as its handlers see it: who it acts as, the services it calls, where its answers go.

The handlers of each kind of signal (`twin`, `live`, `streams`, `reactive`) take the party; `Session`
(`session.py`) routes what comes in to them and owns the party's lifecycle.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from twinhub.auth.context import AuthContext
from twinhub.model.errors import TwinhubError
from twinhub.model.random_ids import random_uuid
from twinhub.model.types import JsonValue
from twinhub.protocol import Envelope, encode_envelope, error_envelope
from twinhub.service.event_headers import ORIGIN_HEADER
from twinhub.service.live import Declaration, LiveHub, Receipts
from twinhub.service.migration import DefinitionMigration
from twinhub.service.permissions import PermissionService
from twinhub.service.policies import PolicyService
from twinhub.service.search import SearchService
from twinhub.service.session.outbox import Close, CloseReason, Outbox
from twinhub.service.session.tasks import SessionTasks
from twinhub.service.streaming import EventHub
from twinhub.service.things import ThingService

__all__ = ["Party", "SessionServices"]


@dataclass(frozen=True, slots=True)
class SessionServices:
    """What a session calls: the services of its worker."""

    things: ThingService
    policies: PolicyService
    search: SearchService
    events: EventHub  # committed thing events
    live: LiveHub  # live messages, commands, events, their responses, and acknowledgements
    permissions: PermissionService  # checkPermissions: the worker's one, as HTTP's route uses
    migration: DefinitionMigration | None = None  # `migrate` (migrateDefinition); None: refused as unknown


class Party:
    def __init__(self, services: SessionServices, auth: AuthContext, *, tasks: SessionTasks, outbox: Outbox,
                 declared_acks: tuple[str, ...]) -> None:
        self.services = services
        self.auth = auth  # replaced when a JWT-TOKEN refreshes the credentials
        self.tasks = tasks
        self.outbox = outbox
        self.declared_acks = declared_acks
        # What its signals carry in ORIGIN_HEADER, so that its own feeds skip them (never shown to anyone).
        self.id = f"session:{random_uuid()}"
        self.declaration: Declaration | None = None  # the acknowledgement labels it may issue, once declared

    @property
    def subjects(self) -> tuple[str, ...]:
        return self.auth.subjects

    @property
    def receipts(self) -> Receipts:
        """What the party received and may answer (set up with its declaration, before any stream)."""
        assert self.declaration is not None, "a session streams only once it declared its labels"
        return self.declaration.receipts

    def issued(self, headers: Mapping[str, str]) -> bool:
        """Whether the signal with these headers came from this party (then it is not sent back)."""
        return headers.get(ORIGIN_HEADER) == self.id

    def send(self, envelope: Envelope) -> None:
        self.outbox.put(encode_envelope(envelope).decode())

    def reply_error(self, error: TwinhubError, request: Envelope | None) -> None:
        """The error as Ditto Protocol, on the request's topic and with its correlation-id when known."""
        headers: dict[str, JsonValue] = {}
        if request is not None and (correlation_id := request.headers.get("correlation-id")) is not None:
            headers["correlation-id"] = correlation_id
        self.send(error_envelope(error, topic=request.topic if request else None, headers=headers))

    def close(self, reason: CloseReason, error: TwinhubError) -> None:
        """End the session, telling the client `error` (the first reason wins): what it has not sent is never
        sent."""
        self.outbox.close(Close.because(reason, error))
