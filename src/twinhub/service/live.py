"""The live hub of one worker: live messages, live commands and live events between senders (HTTP,
WebSocket) and receivers (WebSocket sessions, message SSE streams) on every worker, the responses back
to their senders, and acknowledgements back to the writes that requested them.

Everything crosses the signal bus, so a sender on one worker is answered by a responder on another.
Delivery is at most once, to whoever receives right now (Ditto is a router, not a broker):

* a sender needs WRITE on the signal's resource (`message:/...` for messages, except the claim message;
  `thing:/...` as for twin commands and events); an unknown thing is 404;
* a receiver gets a signal only if its subjects may READ its resource on the thing's current policy
  (the claim message goes to every message receiver); a receiver that falls `capacity` signals behind
  is cut off (`overflowed`), never slowing the others;
* the first response with a request's correlation-id answers it; later ones, and responses nobody
  waits for, are dropped;
* acknowledgement labels are declared by their issuers, each by one issuer of this worker at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import uuid
from collections.abc import Callable, Collection, Iterable
from dataclasses import replace
from types import TracebackType
from typing import Final

import orjson

from twinhub.bus.cutoff import Budget, CutOffQueue
from twinhub.bus.signals import SignalBus, SignalSubscription
from twinhub.model.commands import ThingCommand
from twinhub.model.errors import (
    AcknowledgementLabelNotDeclared,
    AcknowledgementLabelNotUnique,
    EventSendNotAllowed,
    LiveResponseTimeout,
    MessageSendNotAllowed,
    ThingNotAccessible,
    TwinhubError,
)
from twinhub.model.live import (
    Acknowledgement,
    LiveCommand,
    LiveEvent,
    LiveKind,
    LiveMessage,
    LiveResponse,
    LiveSignal,
    Signal,
    kind_of,
    parse_declared_acks,
    timed_out,
)
from twinhub.model.resources import classify
from twinhub.model.types import MISSING
from twinhub.policy import MESSAGE, THING, Enforcer
from twinhub.service.conditions import Condition
from twinhub.service.enforcement import READ, WRITE, authorize_write, ensure_readable, readable_view
from twinhub.service.things import ThingService

__all__ = ["DEFAULT_RECEIVER_CAPACITY", "AckWait", "Declaration", "LiveHub", "LiveReceiver", "Unanswered",
           "new_correlation_id"]

log = logging.getLogger(__name__)

DEFAULT_RECEIVER_CAPACITY: Final = 256
BUS_CAPACITY: Final = 10_000  # signals this worker may fall behind the bus before it drops and resubscribes


class Unanswered(enum.Enum):
    """Why a message or live command got no response."""

    NOT_AWAITED = "not awaited"  # timeout 0: fire and forget
    NO_RECEIVER = "no receiver"  # nobody could receive it (knowable on a single worker only)
    TIMED_OUT = "timed out"  # received, maybe, but not answered in time (or the hub closed meanwhile)

    def error(self, timeout: float, what: str) -> LiveResponseTimeout:
        """Ditto's 408 `command.timeout` for it; `what` names the signal ("message", "live command")."""
        return LiveResponseTimeout(round(timeout * 1000), unreceived=what if self is Unanswered.NO_RECEIVER else None)


def new_correlation_id() -> str:
    return str(uuid.uuid4())


class LiveReceiver(CutOffQueue[LiveSignal]):
    """What one receiver gets: a bounded stream of the live signals of `kinds` it may READ."""

    def __init__(self, hub: LiveHub, kinds: frozenset[LiveKind], subjects: tuple[str, ...],
                 namespaces: frozenset[str] | None, accept: Callable[[LiveSignal], bool] | None,
                 capacity: int, max_bytes: int | None, budget: Budget | None) -> None:
        super().__init__(capacity, max_bytes=max_bytes, budget=budget, on_close=lambda: hub._receivers.discard(self))
        self.counts_bytes = max_bytes is not None or budget is not None
        self.kinds = kinds
        self.subjects = subjects
        self._namespaces = namespaces
        self._accept = accept

    def wants(self, signal: LiveSignal) -> bool:
        """Whether `signal` passes the receiver's own filters (not yet its permissions)."""
        if kind_of(signal) not in self.kinds:
            return False
        if self._namespaces is not None and signal.thing_id.partition(":")[0] not in self._namespaces:
            return False
        return self._accept is None or self._accept(signal)


class Declaration:
    """The acknowledgement labels one issuer (a WebSocket session) declared; `release()` when it ends."""

    def __init__(self, hub: LiveHub, labels: tuple[str, ...], owner: object) -> None:
        self.labels = labels
        self.owner = owner
        self._hub = hub

    async def acknowledge(self, ack: Acknowledgement) -> None:
        """Issue `ack`; raises 400 `acknowledgement:label.not.declared` for a label not declared here."""
        if ack.label not in self.labels:
            raise AcknowledgementLabelNotDeclared(ack.label)
        await self._hub.acknowledge(ack)

    def release(self) -> None:
        for label in self.labels:
            if self._hub._declared.get(label) is self:
                del self._hub._declared[label]


class AckWait:
    """Collects the acknowledgements of `labels` for one correlation-id; registered before the signal
    that requests them is published, so none can arrive unseen."""

    def __init__(self, hub: LiveHub, correlation_id: str, labels: tuple[str, ...], entity_id: str) -> None:
        self.correlation_id = correlation_id
        self.labels = labels
        self.entity_id = entity_id
        self._hub = hub
        self._received: dict[str, Acknowledgement] = {}
        self._complete = asyncio.Event()
        if not labels:
            self._complete.set()

    def offer(self, ack: Acknowledgement) -> None:
        """Keep the first acknowledgement of each awaited label."""
        if ack.label in self.labels and ack.label not in self._received:
            self._received[ack.label] = ack
            if len(self._received) == len(self.labels):
                self._complete.set()

    async def wait(self, timeout: float, *,  # noqa: ASYNC109 - the time to collect, not a cancel scope
                   requested_timeout: float | None = None) -> dict[str, Acknowledgement]:
        """Every label's acknowledgement, in the order requested; labels not answered within `timeout`
        seconds get a 408 `acknowledgement:request.timeout` one (naming `requested_timeout`, if given).

        On a bus no other worker shares, a label no issuer of this worker declared times out at once:
        nobody can answer it (an issuer declaring it now has not seen the signal)."""
        try:
            if not self._hub.shared:
                for label in self.labels:
                    if label not in self._received and label not in self._hub._declared:
                        self._received[label] = self._timed_out(label, requested_timeout or timeout)
                if len(self._received) == len(self.labels):
                    self._complete.set()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(timeout, 0)):
                    await self._complete.wait()
            return {label: self._received.get(label) or self._timed_out(label, requested_timeout or timeout)
                    for label in self.labels}
        finally:
            self.close()

    def close(self) -> None:
        waits = self._hub._ack_waits.get(self.correlation_id)
        if waits is not None:
            waits.discard(self)
            if not waits:
                del self._hub._ack_waits[self.correlation_id]

    def _timed_out(self, label: str, timeout: float) -> Acknowledgement:
        return timed_out(label, self.entity_id, self.correlation_id, timeout)


class _State(enum.Enum):
    UNOPENED = "unopened"
    OPENED = "opened"
    CLOSED = "closed"


class LiveHub:
    """One per worker. Open it with `async with LiveHub(bus, things) as hub:`; closed, it refuses use."""

    def __init__(self, bus: SignalBus, things: ThingService, *,
                 receiver_capacity: int = DEFAULT_RECEIVER_CAPACITY) -> None:
        self._bus = bus
        self._things = things
        self._receiver_capacity = receiver_capacity
        self._state = _State.UNOPENED
        self._follower: asyncio.Task[None] | None = None
        self._receivers: set[LiveReceiver] = set()
        self._waiting: dict[str, set[asyncio.Future[LiveResponse | None]]] = {}
        self._ack_waits: dict[str, set[AckWait]] = {}
        self._declared: dict[str, Declaration] = {}

    @property
    def shared(self) -> bool:
        """Whether other workers share the signal bus (then nobody here knows every receiver)."""
        return self._bus.shared

    async def __aenter__(self) -> LiveHub:
        await self.start()
        return self

    async def start(self) -> None:
        """Start following the signal bus (what `async with` does); `aclose()` ends it."""
        if self._state is not _State.UNOPENED:
            raise RuntimeError("a live hub cannot be opened twice")
        self._state = _State.OPENED
        subscription = self._bus.subscribe(capacity=BUS_CAPACITY)  # before returning: nothing is missed
        self._follower = asyncio.create_task(self._follow(subscription))

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop following the bus, end every receiver; waiting senders get no response (None)."""
        if self._state is _State.CLOSED:
            return
        self._state = _State.CLOSED
        if self._follower is not None:
            self._follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._follower
        for receiver in list(self._receivers):
            receiver.close()
        for futures in self._waiting.values():
            for future in futures:
                if not future.done():
                    future.set_result(None)  # the sender answers as if nobody had responded
        self._waiting.clear()

    # -- senders -----------------------------------------------------------------------------------

    async def send_message(self, message: LiveMessage, subjects: tuple[str, ...], *,
                           timeout: float,  # noqa: ASYNC109 - how long to wait for a response
                           condition: Condition | None = None) -> LiveResponse | Unanswered:
        """Route `message` to its receivers and wait up to `timeout` seconds for the first response.

        Returns why none came otherwise (the caller answers 408): at once when `timeout` is 0 (fire and
        forget) or when no receiver could get it (known on a single worker only). A correlation-id is
        generated when the message has none. Raises 404 for an unknown thing, 403 `messages:send.notallowed`
        without WRITE on the message's resource (the claim message needs none), 412/400 for a `condition`
        the thing fails or that is invalid.
        """
        self._require_open()
        enforcer = await self._enforcer_or_404(message.thing_id)
        if not message.claim and not enforcer.has_unrestricted(subjects, MESSAGE, message.path, WRITE):
            raise MessageSendNotAllowed(message.thing_id)
        if condition is not None:  # evaluated on what the sender may READ, 412 when it fails
            await self._things.retrieve(message.thing_id, (), subjects, condition=condition)
        correlation_id = message.correlation_id or new_correlation_id()
        message = replace(message, headers={**message.headers, "correlation-id": correlation_id})
        return await self._request(message, correlation_id, timeout, enforcer)

    async def send_command(self, command: LiveCommand, subjects: tuple[str, ...], *,
                           timeout: float) -> LiveResponse | Unanswered:  # noqa: ASYNC109 - waits for a response
        """Route a live command to its receivers and return the first response (or why none came).

        Authorized as the twin command would be: a retrieve needs READ (404s otherwise), the others
        WRITE (403). The response to a retrieve is cut down to what the sender may READ.
        """
        self._require_open()
        classify(command.path)
        enforcer = await self._enforcer_or_404(command.thing_id)
        if command.action == "retrieve":
            ensure_readable(enforcer, subjects, command.thing_id, command.path)
        else:
            action = "modify" if command.action == "create" else command.action
            value = None if command.value is MISSING else command.value
            authorize_write(enforcer, subjects, ThingCommand(action, command.thing_id, command.path, value))
        correlation_id = command.correlation_id or new_correlation_id()
        command = replace(command, headers={**command.headers, "correlation-id": correlation_id})
        response = await self._request(command, correlation_id, timeout, enforcer)
        if isinstance(response, Unanswered) or command.action != "retrieve" or not 200 <= response.status < 300:
            return response
        return _readable_response(response, enforcer, subjects, command)

    async def publish_event(self, event: LiveEvent, subjects: tuple[str, ...]) -> None:
        """Route a live event to its receivers; needs unrestricted WRITE on its path (403 otherwise)."""
        self._require_open()
        classify(event.path)
        enforcer = await self._enforcer_or_404(event.thing_id)
        if not enforcer.has_unrestricted(subjects, THING, event.path, WRITE):
            raise EventSendNotAllowed(event.thing_id)
        await self._bus.publish(event)

    async def _request(self, signal: LiveSignal, correlation_id: str, timeout: float,  # noqa: ASYNC109
                       enforcer: Enforcer) -> LiveResponse | Unanswered:
        if timeout <= 0:
            await self._bus.publish(signal)
            return Unanswered.NOT_AWAITED
        if not self._bus.shared and not any(receiver.wants(signal) and _may_receive(enforcer, receiver.subjects, signal)
                                            for receiver in self._receivers):
            # One worker and nobody to receive it: nobody can answer, so waiting out the timeout changes nothing.
            return Unanswered.NO_RECEIVER
        future: asyncio.Future[LiveResponse | None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(correlation_id, set()).add(future)
        try:
            await self._bus.publish(signal)
            async with asyncio.timeout(timeout):
                return await future or Unanswered.TIMED_OUT
        except TimeoutError:
            return Unanswered.TIMED_OUT
        finally:
            waiting = self._waiting.get(correlation_id)
            if waiting is not None:
                waiting.discard(future)
                if not waiting:
                    del self._waiting[correlation_id]

    # -- receivers and responders ------------------------------------------------------------------

    def receive(self, kinds: Iterable[LiveKind], subjects: tuple[str, ...], *,
                namespaces: Collection[str] | None = None,
                accept: Callable[[LiveSignal], bool] | None = None,
                capacity: int | None = None, max_bytes: int | None = None,
                budget: Budget | None = None) -> LiveReceiver:
        """A receiver of the live signals of `kinds` (messages, live-commands, live-events) that
        `subjects` may READ, optionally only of `namespaces` and those `accept` returns True for
        (called for each signal, so keep it cheap). It is cut off `capacity` signals or `max_bytes`
        behind, or when `budget` runs out and it holds the most. Close it when done."""
        self._require_open()
        receiver = LiveReceiver(self, frozenset(kinds), subjects,
                                None if namespaces is None else frozenset(namespaces), accept,
                                capacity or self._receiver_capacity, max_bytes, budget)
        self._receivers.add(receiver)
        return receiver

    async def respond(self, response: LiveResponse) -> None:
        """Answer a message or live command: reaches its waiting sender on whichever worker."""
        self._require_open()
        await self._bus.publish(response)

    # -- acknowledgements --------------------------------------------------------------------------

    def parse_declared_acks(self, text: str | None) -> tuple[str, ...]:
        """The labels of a `declared-acks` parameter; raises 400 for invalid or built-in labels."""
        return parse_declared_acks(text)

    def declare(self, labels: Iterable[str], owner: object) -> Declaration:
        """Declare that `owner` issues acknowledgements of `labels`; raises 409
        `acknowledgement:label.not.unique` when an issuer of this worker declared one of them already."""
        self._require_open()
        declaration = Declaration(self, tuple(dict.fromkeys(labels)), owner)
        if any(label in self._declared for label in declaration.labels):
            raise AcknowledgementLabelNotUnique()
        for label in declaration.labels:
            self._declared[label] = declaration
        return declaration

    def is_declared(self, label: str) -> bool:
        return label in self._declared

    async def acknowledge(self, ack: Acknowledgement) -> None:
        """Issue `ack`: reaches the write that awaits it on whichever worker (dropped if none does)."""
        self._require_open()
        if self.shared:
            await self._bus.publish(ack)
        else:  # at once, not behind the bus's queue: a label released meanwhile must not fail it fast
            self._collect(ack)

    def _collect(self, ack: Acknowledgement) -> None:
        for wait in list(self._ack_waits.get(ack.correlation_id, ())):
            wait.offer(ack)

    def expect_acks(self, correlation_id: str, labels: Iterable[str], *, entity_id: str = "") -> AckWait:
        """Start collecting acknowledgements of `labels` for `correlation_id`, before publishing the
        signal that requests them; then `await wait.wait(timeout)`."""
        self._require_open()
        wait = AckWait(self, correlation_id, tuple(dict.fromkeys(labels)), entity_id)
        self._ack_waits.setdefault(correlation_id, set()).add(wait)
        return wait

    async def await_acks(self, correlation_id: str, labels: Iterable[str],
                         timeout: float, *,  # noqa: ASYNC109 - the time to collect, not a cancel scope
                         entity_id: str = "") -> dict[str, Acknowledgement]:
        """`expect_acks` and `wait` in one, for a signal already published whose acknowledgements
        cannot have arrived yet."""
        return await self.expect_acks(correlation_id, labels, entity_id=entity_id).wait(timeout)

    # -- the bus -----------------------------------------------------------------------------------

    async def _follow(self, subscription: SignalSubscription) -> None:
        while True:
            try:
                async for signal in subscription:
                    await self._dispatch(signal)
            finally:
                subscription.close()
            if not subscription.overflowed:
                return
            log.warning("this worker fell behind the signal bus; live signals were lost")
            subscription = self._bus.subscribe(capacity=BUS_CAPACITY)

    async def _dispatch(self, signal: Signal) -> None:
        if isinstance(signal, LiveResponse):
            for future in self._waiting.pop(signal.correlation_id, ()):
                if not future.done():
                    future.set_result(signal)
            return
        if isinstance(signal, Acknowledgement):
            self._collect(signal)
            return
        receivers = [receiver for receiver in self._receivers if receiver.wants(signal)]
        if not receivers:
            return
        if isinstance(signal, LiveMessage) and signal.claim:
            for receiver in receivers:
                receiver.offer(signal, _size(signal) if receiver.counts_bytes else 0)
            return
        try:
            enforcer = await self._things.enforcer_of(signal.thing_id)
        except TwinhubError as error:  # e.g. the store is unavailable: at most once means dropped
            log.warning("dropping a live signal for %s: %s", signal.thing_id, error.message)
            return
        if enforcer is None:
            return
        for receiver in receivers:
            if _may_receive(enforcer, receiver.subjects, signal):
                receiver.offer(signal, _size(signal) if receiver.counts_bytes else 0)

    async def _enforcer_or_404(self, thing_id: str) -> Enforcer:
        enforcer = await self._things.enforcer_of(thing_id)
        if enforcer is None:
            raise ThingNotAccessible(thing_id)
        return enforcer

    def _require_open(self) -> None:
        if self._state is _State.UNOPENED:
            raise RuntimeError("open the live hub with `async with` before using it")
        if self._state is _State.CLOSED:
            raise RuntimeError("the live hub is closed")


def _size(signal: LiveSignal) -> int:
    """Roughly what a signal costs a receiver's buffer: its payload or its value as JSON."""
    if isinstance(signal, LiveMessage):
        return len(signal.payload)
    return 0 if signal.value is MISSING else len(orjson.dumps(signal.value))


def _may_receive(enforcer: Enforcer, subjects: tuple[str, ...], signal: LiveSignal) -> bool:
    """Messages need READ on their `message:` resource; live commands and events, which carry thing
    values, READ on all of their `thing:` path."""
    if isinstance(signal, LiveMessage):
        return enforcer.has_permission(subjects, MESSAGE, signal.path, READ)
    return enforcer.has_unrestricted(subjects, THING, signal.path, READ)


def _readable_response(response: LiveResponse, enforcer: Enforcer, subjects: tuple[str, ...],
                       command: LiveCommand) -> LiveResponse:
    """A retrieve's JSON answer reduced to what the sender may READ (other payloads pass as they are)."""
    try:
        value = orjson.loads(response.payload)
    except orjson.JSONDecodeError:
        return response
    view = readable_view(enforcer, subjects, command.thing_id, command.path, value)
    return replace(response, payload=orjson.dumps(view))
