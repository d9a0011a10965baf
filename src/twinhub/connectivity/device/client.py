"""One MQTT client of the device endpoint, above the MQTT protocol: its Ditto Protocol session and what
flows through it.

The client acts through one `twinhub.service.session.Session` with its own subjects, exactly as a WebSocket
client does: telemetry becomes a merge command fed to the session, and the client's PUBLISH is settled by
the session's answer to it (`ingest` returns only then); messages the session receives for a thing whose
`commands` topic the client subscribed to are published there; a device's response is fed to the session,
which routes it to the waiting sender by its correlation-id.

Ordering: a client's messages are applied one after the other, in the order they arrived (each waits for the
previous one's commit), so a device's readings never overtake each other. At most `max_pending` may wait;
a client that sends more without waiting (QoS 0 floods) is disconnected (`Outcome.OVERLOADED`).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Final

from twinhub.auth.context import AuthContext
from twinhub.connectivity.clients.base import Outcome as Settled
from twinhub.connectivity.device.telemetry import (
    Layout,
    TelemetryInvalid,
    create_command,
    merge_command,
    owner_policy,
    telemetry_patch,
)
from twinhub.connectivity.device.topics import DeviceTopic, Kind, topic_of
from twinhub.connectivity.runtime.inbound import outcome_of
from twinhub.model.errors import JsonParseInvalid, TwinhubError
from twinhub.model.random_ids import random_uuid
from twinhub.model.types import JsonObject
from twinhub.protocol import Envelope, encode_envelope, error_envelope, header_text, parse_envelope, thing_topic
from twinhub.service.buffers import Budget
from twinhub.service.session import Session, SessionLimits, SessionServices, SessionTasks, StreamControl

__all__ = ["DEFAULT_ANSWER_TIMEOUT", "DEFAULT_MAX_PENDING", "DEFAULT_MAX_SUBSCRIPTIONS", "DeviceClient", "Outcome"]

log = logging.getLogger("twinhub.devices")

DEFAULT_MAX_PENDING: Final = 256  # messages of one client waiting for their turn
DEFAULT_MAX_SUBSCRIPTIONS: Final = 1000  # commands and errors topics one client may subscribe to
DEFAULT_ANSWER_TIMEOUT: Final = 30.0  # seconds a telemetry message may take to commit before the client must resend
_START_MESSAGES: Final = StreamControl("START-SEND-MESSAGES", True, "messages", {})

# Publishes (topic, payload, qos) to this client; raises when the client cannot take it.
Publish = Callable[[str, bytes, int], Awaitable[None]]


class Outcome(enum.Enum):
    """How a client's PUBLISH ends; the MQTT handler settles it accordingly."""

    ACCEPTED = "accepted"  # committed (telemetry) or handed on (a response): acknowledge
    REFUSED = "refused"  # can never succeed (malformed, not allowed): acknowledge and drop, as MQTT 3.1.1 asks
    UNAVAILABLE = "unavailable"  # may succeed later (store down, timeout): no acknowledgement; disconnect
    OVERLOADED = "overloaded"  # the client sent too much without waiting: disconnect


_OUTCOMES: Final = {Settled.ACCEPT: Outcome.ACCEPTED, Settled.REJECT: Outcome.REFUSED,
                    Settled.REDELIVER: Outcome.UNAVAILABLE}  # a connection's settling, as MQTT 3.1.1 can say it


class DeviceClient:
    def __init__(self, services: SessionServices, auth: AuthContext, *, publish: Publish, layout: Layout,
                 buffer_bytes: int | None = None, budget: Budget | None = None,
                 max_pending: int = DEFAULT_MAX_PENDING, answer_timeout: float = DEFAULT_ANSWER_TIMEOUT,
                 admins: Sequence[str] = (), max_subscriptions: int = DEFAULT_MAX_SUBSCRIPTIONS) -> None:
        self.auth = auth
        self._max_subscriptions = max_subscriptions
        self._admins = tuple(admins)
        self._publish = publish
        self._layout = layout
        self._max_pending = max_pending
        self._answer_timeout = answer_timeout
        self._tasks = SessionTasks()
        # Everything reaches the session as envelopes, so its frame limit does not apply: the endpoint's packet
        # limit bounds what a client sends, the write path's own limits (max_thing_size) what it changes.
        self._session = Session(services, auth, tasks=self._tasks, budget=budget,
                                limits=SessionLimits(buffer_bytes=buffer_bytes))
        self._answers: dict[str, asyncio.Future[tuple[Envelope, str]]] = {}
        self._watched: dict[Kind, dict[str, int]] = {Kind.COMMANDS: {}, Kind.ERRORS: {}}  # thing -> qos
        self._requested: dict[str, int] = {}  # topic -> the QoS its SUBSCRIBE asked for
        self._tail: asyncio.Future[None] | None = None
        self._pending = 0
        self._pump: asyncio.Task[None] | None = None
        self._watcher: asyncio.Task[None] | None = None
        self.ended = asyncio.Event()  # the session ended (closed itself, or `close()`): drop the connection

    async def open(self) -> None:
        await self._session.open()
        self._pump = asyncio.create_task(self._deliver())
        self._watcher = asyncio.create_task(self._end_with_session())

    async def close(self) -> None:
        """End the session and what it started (idempotent)."""
        self._session.close()
        await self._tasks.aclose()
        for task in (self._pump, self._watcher):
            if task is not None and task is not asyncio.current_task():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._fail_answers()
        self.ended.set()

    async def _end_with_session(self) -> None:
        """A session that ends itself (its client fell too far behind) ends the connection, even while a
        write to that client is stuck."""
        await self._session.wait_closed()
        self.ended.set()

    # -- subscriptions ---------------------------------------------------------------------------------

    def may_subscribe(self, topic: DeviceTopic) -> bool:
        """Whether the client may use `topic`, and has not yet subscribed to `max_subscriptions` things' topics
        (a gateway's; a device has at most its own two)."""
        if not topic.allowed(self.auth.subjects, publish=False):
            return False
        known = topic.thing_id in self._watched[topic.kind]  # allowed: commands or errors
        return known or sum(map(len, self._watched.values())) < self._max_subscriptions

    def requested(self, topic: str, qos: int) -> None:
        """A SUBSCRIBE asks for `topic` at `qos` (before the subscription is checked and `watch`ed). A refused
        subscription is never watched: the oldest requests give way, so refusals never crowd out new ones."""
        self._requested.pop(topic, None)
        self._requested[topic] = qos
        if len(self._requested) > self._max_subscriptions:
            del self._requested[next(iter(self._requested))]

    async def watch(self, topic: DeviceTopic) -> None:
        """Deliver what belongs on `topic` (a thing's commands or errors) from now on, at the QoS the client
        asked for (at most 1: what a device answers is routed once, not exactly once)."""
        watched = self._watched[topic.kind]
        if topic.kind is Kind.COMMANDS and not watched:
            await self._session.control(_START_MESSAGES)
        watched[topic.thing_id] = min(self._requested.pop(str(topic), 0), 1)

    def unwatch(self, topic: DeviceTopic) -> None:
        self._watched.get(topic.kind, {}).pop(topic.thing_id, None)

    # -- in ------------------------------------------------------------------------------------------

    async def ingest(self, topic: DeviceTopic | None, payload: bytes,
                     settle: Callable[[Outcome], Awaitable[None]]) -> Outcome:
        """Apply one PUBLISH of the client after the ones before it, and `settle` it (acknowledge it) before
        the next one's turn, so acknowledgements go out in the order the messages came (MQTT-4.6.0-2)."""
        if self._pending >= self._max_pending:
            await settle(Outcome.OVERLOADED)
            return Outcome.OVERLOADED
        self._pending += 1
        previous, mine = self._tail, asyncio.get_running_loop().create_future()
        self._tail = mine
        try:
            if previous is not None:
                await asyncio.shield(previous)  # a waiter that is cancelled must not cancel its predecessor
            outcome = await self._apply(topic, payload)
            await settle(outcome)
            return outcome
        finally:
            self._pending -= 1
            mine.set_result(None)

    async def _apply(self, topic: DeviceTopic | None, payload: bytes) -> Outcome:
        if topic is None or not topic.allowed(self.auth.subjects, publish=True):
            log.info("refused a message of %s to a topic it may not publish to", self.auth.default_subject)
            return Outcome.REFUSED
        if self._session.closed:
            return Outcome.UNAVAILABLE
        if topic.kind is Kind.RESPONSES:
            return await self._respond(topic, payload)
        try:
            patch = telemetry_patch(payload, self._layout)
        except TelemetryInvalid as exc:
            await self._report(topic.thing_id, JsonParseInvalid(str(exc)))
            return Outcome.REFUSED
        try:
            response, text = await self._telemetry(topic.thing_id, patch)
        except TimeoutError:
            log.warning("telemetry of %s was not committed within %s s", self.auth.default_subject,
                        self._answer_timeout)
            return Outcome.UNAVAILABLE
        except ConnectionError:  # the session ended meanwhile
            return Outcome.UNAVAILABLE
        settled = outcome_of(response)  # the connection runtime's rule: what may succeed later, what never will
        if settled is Settled.REJECT:
            await self._send_error(topic.thing_id, text)
        return _OUTCOMES[settled]

    async def _telemetry(self, thing_id: str, patch: JsonObject) -> tuple[Envelope, str]:
        """Merge `patch` into the thing; with admins, a missing thing is created with the owner policy (and
        merged into after all when another message created it meanwhile)."""
        if not self._admins:
            return await self._command(lambda correlation_id: merge_command(thing_id, patch, correlation_id))
        answer = await self._command(
            lambda correlation_id: merge_command(thing_id, patch, correlation_id, existing=True))
        if answer[0].status != 412:
            return answer
        policy = owner_policy(self.auth.default_subject, self._admins)
        answer = await self._command(
            lambda correlation_id: create_command(thing_id, patch, policy, correlation_id))
        if answer[0].status != 412:
            return answer
        return await self._command(
            lambda correlation_id: merge_command(thing_id, patch, correlation_id, existing=True))

    async def _command(self, command_of: Callable[[str], Envelope]) -> tuple[Envelope, str]:
        """Send the session one command and wait for its answer (as read, as sent); raises TimeoutError, or
        ConnectionError when the session ends first."""
        correlation_id = f"mqtt-telemetry:{random_uuid()}"
        answer = self._answers[correlation_id] = asyncio.get_running_loop().create_future()
        try:
            await self._session.receive(command_of(correlation_id))
            return await asyncio.wait_for(answer, self._answer_timeout)
        finally:
            self._answers.pop(correlation_id, None)

    async def _respond(self, topic: DeviceTopic, payload: bytes) -> Outcome:
        """A device's answer to a message: a Ditto Protocol live response about its topic's thing."""
        try:
            envelope: Envelope | None = parse_envelope(payload)
        except TwinhubError:
            envelope = None
        if (envelope is None or envelope.status is None or envelope.topic.group != "things"
                or envelope.topic.channel != "live" or envelope.topic.entity_id != topic.thing_id):
            await self._report(topic.thing_id, JsonParseInvalid("A response must be a Ditto Protocol live response "
                                                                f"(with a status) about the thing '{topic.thing_id}'."))
            return Outcome.REFUSED
        await self._session.receive(envelope)
        return Outcome.ACCEPTED

    # -- out -----------------------------------------------------------------------------------------

    async def _deliver(self) -> None:
        """Route what the session has: answers to telemetry settle it; messages go to `commands`, errors to
        `errors` (when subscribed). Ends with the session, failing what still waits for an answer."""
        try:
            while isinstance(frame := await self._session.next_output(), str):
                if frame.startswith("{"):
                    await self._route(frame)
        finally:
            self._fail_answers()
            self.ended.set()

    def _fail_answers(self) -> None:
        for answer in self._answers.values():
            if not answer.done():
                answer.set_exception(ConnectionError("the session ended"))

    async def _route(self, frame: str) -> None:
        try:
            envelope = parse_envelope(frame)
        except TwinhubError:  # the session's own output: a bug, said loudly, as the runtime's readers do
            log.exception("a device session answered with an unreadable frame")
            return
        correlation_id = header_text(envelope.headers, "correlation-id")
        answer = self._answers.get(correlation_id) if correlation_id is not None else None
        if answer is not None and not answer.done():
            answer.set_result((envelope, frame))
            return
        topic, status = envelope.topic, envelope.status
        if (status is None and (topic.group, topic.channel, topic.criterion) == ("things", "live", "messages")
                and "/inbox/" in envelope.path):
            qos = self._watched[Kind.COMMANDS].get(topic.entity_id)
            if qos is not None:
                await self._publish(topic_of(topic.entity_id, Kind.COMMANDS), frame.encode(), qos)
        elif status is not None and status >= 400:
            await self._send_error(topic.entity_id, frame)

    async def _send_error(self, thing_id: str, frame: str) -> None:
        qos = self._watched[Kind.ERRORS].get(thing_id)
        if qos is not None:
            await self._publish(topic_of(thing_id, Kind.ERRORS), frame.encode(), qos)

    async def _report(self, thing_id: str, error: TwinhubError) -> None:
        """A refusal of the endpoint itself, as the Ditto Protocol error a session would send."""
        envelope = error_envelope(error, topic=thing_topic(thing_id, "errors", None))
        await self._send_error(thing_id, encode_envelope(envelope).decode())
