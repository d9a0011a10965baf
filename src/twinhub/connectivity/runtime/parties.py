"""As whom a source's messages act: the sessions of its `authorizationContext`.

Fixed subjects are one session. Subjects with placeholders (`integration:{{ header:device-id }}`, as Ditto
allows) are resolved for each message from its headers, source address and connection, and each set of
subjects gets a session of its own, kept while used: at most `max_parties` at once, the least recently used
one closed beyond that (never one that still awaits an answer). A message whose subjects do not resolve is
refused (`placeholder:unresolved`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from twinhub.connectivity.external import ExternalMessage
from twinhub.connectivity.placeholders import apply_or_delete, message_placeholders
from twinhub.model.errors import PlaceholderUnresolved, TwinhubError
from twinhub.protocol import Envelope, header_text, parse_envelope
from twinhub.service.session import Session, SessionTasks

__all__ = ["DEFAULT_MAX_PARTIES", "Answers", "NewSession", "Party", "SourceParties"]

log = logging.getLogger(__name__)

DEFAULT_MAX_PARTIES: Final = 256

# A new, unopened session acting as these subjects, its work in these tasks.
NewSession = Callable[[tuple[str, ...], SessionTasks], Session]


class Answers:
    """The source session's output: each answer goes to the command waiting for its correlation-id."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._waiting: dict[str, asyncio.Future[Envelope]] = {}

    def expect(self, correlation_id: str) -> asyncio.Future[Envelope]:
        future: asyncio.Future[Envelope] = asyncio.get_running_loop().create_future()
        self._waiting[correlation_id] = future
        return future

    def busy(self, correlation_id: str) -> asyncio.Future[Envelope] | None:
        """The answer already awaited under this correlation-id, if any (a device that repeats one)."""
        return self._waiting.get(correlation_id)

    def forget(self, correlation_id: str, future: asyncio.Future[Envelope]) -> None:
        if self._waiting.get(correlation_id) is future:
            del self._waiting[correlation_id]

    async def run(self) -> None:
        while isinstance(frame := await self._session.next_output(), str):
            if not frame.startswith("{"):
                continue  # a control message's acknowledgement
            try:
                envelope = parse_envelope(frame)
            except TwinhubError:
                log.exception("a session answered with an unreadable frame")
                continue
            correlation_id = header_text(envelope.headers, "correlation-id")
            future = self._waiting.pop(correlation_id, None) if correlation_id else None
            if future is not None and not future.done():
                future.set_result(envelope)

    @property
    def idle(self) -> bool:
        """Whether no command waits for an answer here."""
        return not self._waiting


@dataclass(eq=False, slots=True)
class Party:
    session: Session
    answers: Answers
    tasks: SessionTasks
    reader: asyncio.Task[None]

    async def aclose(self) -> None:
        self.reader.cancel()
        self.session.close()
        with contextlib.suppress(asyncio.CancelledError):
            await self.reader
        await self.tasks.aclose()


class SourceParties:
    def __init__(self, templates: Sequence[str], new_session: NewSession, *, connection_id: str,
                 max_parties: int = DEFAULT_MAX_PARTIES) -> None:
        self._templates = tuple(templates)
        self._templated = any("{{" in template for template in self._templates)
        self._new_session = new_session
        self._connection_id = connection_id
        self._max = max_parties
        self._parties: OrderedDict[tuple[str, ...], Party] = OrderedDict()

    async def start(self) -> None:
        """Open the session of fixed subjects at once (one with a label another holds fails here)."""
        if not self._templated:
            await self._party(self._templates)

    async def party(self, message: ExternalMessage) -> Party:
        """The party the message acts as; raises PlaceholderUnresolved when its subjects do not resolve."""
        if not self._templated:
            return await self._party(self._templates)
        placeholders = message_placeholders(message, connection_id=self._connection_id, now=datetime.now(UTC))
        subjects = []
        for template in self._templates:
            subject = apply_or_delete(template, placeholders)
            if not subject:
                raise PlaceholderUnresolved(template)
            subjects.append(subject)
        return await self._party(tuple(subjects))

    async def _party(self, subjects: tuple[str, ...]) -> Party:
        party = self._parties.get(subjects)
        if party is not None:
            self._parties.move_to_end(subjects)
            return party
        tasks = SessionTasks()
        session = self._new_session(subjects, tasks)
        await session.open()
        answers = Answers(session)
        party = self._parties[subjects] = Party(session, answers, tasks, asyncio.create_task(answers.run()))
        await self._evict()
        return party

    async def _evict(self) -> None:
        while len(self._parties) > self._max:
            idle = next((key for key, party in self._parties.items() if party.answers.idle), None)
            if idle is None:
                return  # every one awaits an answer: they go once answered
            await self._parties.pop(idle).aclose()

    async def aclose(self) -> None:
        parties, self._parties = list(self._parties.values()), OrderedDict()
        for party in parties:
            await party.aclose()
