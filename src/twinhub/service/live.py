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
* a response is accepted only from a receiver that got the signal (its `Receipts`): it answers the very
  request that signal came from (a `request_id` the hub gives each signal it waits for), never merely
  whatever waits for the correlation-id; the first one wins, later ones and any other are dropped. A
  party that spans workers (a connection: its target receives on one worker, its sources answer on any)
  names its receipts; a response of it that finds no receipt where it arrived crosses the bus naming the
  party, and the worker whose receiver of that party got the signal vouches for it (or nobody does);
* acknowledgement labels are tied to the subject that declared them, and acknowledgements are accepted
  only for events their issuer received (see `twinhub.service.acks`).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from collections.abc import Callable, Collection, Iterable
from dataclasses import replace
from types import TracebackType
from typing import Final

import orjson

from twinhub.bus.cutoff import Budget
from twinhub.bus.signals import SignalBus, SignalSubscription
from twinhub.model.commands import ThingCommand
from twinhub.model.errors import (
    EventSendNotAllowed,
    MessageSendNotAllowed,
    ThingNotAccessible,
    TwinhubError,
)
from twinhub.model.live import (
    Acknowledgement,
    LabelAnnouncement,
    LiveCommand,
    LiveEvent,
    LiveKind,
    LiveMessage,
    LiveResponse,
    LiveSignal,
    Signal,
    SubjectDeletion,
    parse_declared_acks,
)
from twinhub.model.policy import WRITE
from twinhub.model.random_ids import random_uuid_hex
from twinhub.model.resources import classify
from twinhub.model.types import MISSING
from twinhub.policy import MESSAGE, THING, Enforcer
from twinhub.service.acks import ANNOUNCE_SECONDS, Acknowledgements, AckWait, Declaration
from twinhub.service.announcement_receiver import AnnouncementReceivers
from twinhub.service.conditions import Condition
from twinhub.service.enforcement import authorize_write, ensure_readable, readable_view
from twinhub.service.live_outcomes import Unanswered, new_correlation_id
from twinhub.service.live_receiver import LiveReceiver, fan_out, may_receive
from twinhub.service.receipts import Receipts
from twinhub.service.things import ThingService

__all__ = ["DEFAULT_RECEIVER_CAPACITY", "AckWait", "Declaration", "LiveHub", "LiveReceiver", "Receipts",
           "Unanswered", "new_correlation_id"]

log = logging.getLogger(__name__)

DEFAULT_RECEIVER_CAPACITY: Final = 256
BUS_CAPACITY: Final = 10_000  # signals this worker may fall behind the bus before it drops and resubscribes


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
        self.announcements = AnnouncementReceivers(receiver_capacity)  # START-SEND-POLICY-ANNOUNCEMENTS
        self._parties: dict[str, set[LiveReceiver]] = {}  # the receivers of each party that spans workers
        self._waiting: dict[str, asyncio.Future[LiveResponse | None]] = {}  # by request id
        self._acks = Acknowledgements(bus)
        self._announcer: asyncio.Task[None] | None = None

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
        if self._bus.shared:
            self._announcer = asyncio.create_task(self._announce())

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop following the bus, end every receiver; waiting senders get no response (TIMED_OUT)."""
        if self._state is _State.CLOSED:
            return
        self._state = _State.CLOSED
        for task in (self._follower, self._announcer):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        for receiver in list(self._receivers):
            receiver.close()
        self.announcements.close()
        for future in self._waiting.values():
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
        the thing fails or that is invalid, 400 for a payload its thing's WoT model refuses."""
        self._require_open()
        enforcer = await self._enforcer_or_404(message.thing_id)
        if not message.claim and not enforcer.has_unrestricted(subjects, MESSAGE, message.path, [WRITE]):
            raise MessageSendNotAllowed(message.thing_id)
        if condition is not None:  # evaluated on what the sender may READ, 412 when it fails
            await self._things.retrieve(message.thing_id, (), subjects, condition=condition)
        await self._things.check_message(message)
        correlation_id = message.correlation_id or new_correlation_id()
        message = replace(message, headers={**message.headers, "correlation-id": correlation_id})
        return await self._things.check_response(message, await self._request(message, timeout, enforcer))

    async def send_command(self, command: LiveCommand, subjects: tuple[str, ...], *,
                           timeout: float) -> LiveResponse | Unanswered:  # noqa: ASYNC109 - waits for a response
        """Route a live command to its receivers and return the first response (or why none came).

        Authorized as the twin command would be: a retrieve needs READ (404s otherwise), the others
        WRITE (403). The response to a retrieve is cut down to what the sender may READ.
        """
        self._require_open()
        classify(command.path)
        enforcer = await self._things.command_enforcer(command.thing_id, modifying=command.action != "retrieve")
        if command.action == "retrieve":
            ensure_readable(enforcer, subjects, command.thing_id, command.path)
        else:
            action = "modify" if command.action == "create" else command.action
            value = None if command.value is MISSING else command.value
            authorize_write(enforcer, subjects, ThingCommand(action, command.thing_id, command.path, value))
        correlation_id = command.correlation_id or new_correlation_id()
        command = replace(command, headers={**command.headers, "correlation-id": correlation_id})
        response = await self._request(command, timeout, enforcer)
        if isinstance(response, Unanswered) or command.action != "retrieve" or not 200 <= response.status < 300:
            return response
        return _readable_response(response, enforcer, subjects, command)

    async def publish_event(self, event: LiveEvent, subjects: tuple[str, ...]) -> None:
        """Route a live event to its receivers; needs unrestricted WRITE on its path (403 otherwise)."""
        self._require_open()
        classify(event.path)
        enforcer = await self._enforcer_or_404(event.thing_id)
        if not enforcer.has_unrestricted(subjects, THING, event.path, [WRITE]):
            raise EventSendNotAllowed(event.thing_id)
        await self._bus.publish(event)

    async def _request(self, signal: LiveMessage | LiveCommand, timeout: float,  # noqa: ASYNC109
                       enforcer: Enforcer) -> LiveResponse | Unanswered:
        if timeout <= 0:
            await self._bus.publish(signal)
            return Unanswered.NOT_AWAITED
        if not self._bus.shared and not any(receiver.wants(signal) and may_receive(enforcer, receiver.subjects, signal)
                                            for receiver in self._receivers):
            # One worker and nobody to receive it: nobody can answer, so waiting out the timeout changes nothing.
            return Unanswered.NO_RECEIVER
        request_id = random_uuid_hex()  # what a response must name: only a receiver of the signal learns it
        future: asyncio.Future[LiveResponse | None] = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = future
        try:
            await self._bus.publish(replace(signal, request_id=request_id))
            async with asyncio.timeout(timeout):
                return await future or Unanswered.TIMED_OUT
        except TimeoutError:
            return Unanswered.TIMED_OUT
        finally:
            self._waiting.pop(request_id, None)

    # -- receivers and responders ------------------------------------------------------------------

    def receive(self, kinds: Iterable[LiveKind], subjects: tuple[str, ...], *,
                namespaces: Collection[str] | None = None,
                accept: Callable[[LiveSignal], bool] | None = None,
                capacity: int | None = None, max_bytes: int | None = None,
                budget: Budget | None = None, receipts: Receipts | None = None) -> LiveReceiver:
        """A receiver of the live signals of `kinds` (messages, live-commands, live-events) that
        `subjects` may READ, optionally only of `namespaces` and those `accept` returns True for
        (called for each signal, so keep it cheap). It is cut off `capacity` signals or `max_bytes`
        behind, or when `budget` runs out and it holds the most. What it gets is noted in `receipts`,
        which its party shows to `respond`. Close it when done."""
        self._require_open()
        party = None if receipts is None else receipts.party
        receiver = LiveReceiver(frozenset(kinds), subjects, None if namespaces is None else frozenset(namespaces),
                                accept, capacity or self._receiver_capacity, max_bytes, budget, receipts,
                                on_close=lambda: self._forget(receiver, party))
        self._receivers.add(receiver)
        if party is not None:
            self._parties.setdefault(party, set()).add(receiver)
        return receiver

    async def announce(self, announcement: SubjectDeletion) -> None:
        """Publish a policy announcement to its receivers (`announcements`) on every worker."""
        await self._bus.publish(announcement)

    def _forget(self, receiver: LiveReceiver, party: str | None) -> None:
        self._receivers.discard(receiver)
        if party is not None and (receivers := self._parties.get(party)) is not None:
            receivers.discard(receiver)
            if not receivers:
                del self._parties[party]

    async def respond(self, response: LiveResponse, receipts: Receipts) -> bool:
        """Answer a message or live command that a receiver with these `receipts` got, reaching its waiting
        sender on whichever worker; whether it was sent. A response to anything else (a correlation-id guessed or
        answered already) is dropped, as Ditto drops responses nobody waits for; with other workers, one of a named
        party that finds no receipt here is passed on (True) for the worker where the party got it to vouch for."""
        self._require_open()
        request_id = receipts.take_request(response.correlation_id)
        if request_id is not None:
            if not self._answer(answered := replace(response, request_id=request_id, party=None)):
                await self._bus.publish(answered)  # its sender waits on another worker
            return True
        if receipts.party is not None and self._bus.shared:
            await self._bus.publish(replace(response, request_id=None, party=receipts.party))
            return True
        log.info("dropping a live response for %s: no such signal was received by its sender",
                 response.correlation_id)
        return False

    def _answer(self, response: LiveResponse) -> bool:
        """Hand `response` to its sender if that waits here (only this worker knows the request id it names)."""
        future = self._waiting.pop(response.request_id, None) if response.request_id else None
        if future is not None and not future.done():
            future.set_result(response)
        return future is not None

    async def _vouch(self, response: LiveResponse, party: str) -> None:
        """Send on a response of `party` that another worker got, if a receiver of the party here got the
        signal it answers (at most one worker's receipts hold it, once)."""
        for receipts in {receiver.receipts for receiver in self._parties.get(party, ())
                         if receiver.receipts is not None}:
            if (request_id := receipts.take_request(response.correlation_id)) is not None:
                await self._bus.publish(replace(response, request_id=request_id, party=None))
                return

    # -- acknowledgements --------------------------------------------------------------------------

    def parse_declared_acks(self, text: str | None) -> tuple[str, ...]:
        """The labels of a `declared-acks` parameter; raises 400 for invalid or built-in labels."""
        return parse_declared_acks(text)

    async def declare(self, labels: Iterable[str], owner: object, *, subject: str,
                      receipts: Receipts | None = None, on_lost: Callable[[], None] | None = None) -> Declaration:
        """Declare that `owner`, of `subject`, issues acknowledgements of `labels` (for what it receives
        and notes in `receipts`, by default the declaration's own); raises 409
        `acknowledgement:label.not.unique` when another issuer holds one, or it is tied to another subject.
        `on_lost`: see `Declaration`."""
        self._require_open()
        return await self._acks.declare(labels, owner, subject=subject, receipts=receipts, on_lost=on_lost)

    def is_declared(self, label: str) -> bool:
        """Whether an issuer of this worker holds `label` now."""
        return self._acks.labels.is_held(label)

    def label_owner(self, label: str) -> str | None:
        """The subject `label` is tied to, as far as this worker knows."""
        return self._acks.labels.owner(label)

    def expect_acks(self, correlation_id: str, labels: Iterable[str], *, entity_id: str = "") -> AckWait:
        """Start collecting acknowledgements of `labels` for `correlation_id` (about `entity_id`), before
        publishing the signal that requests them; then `await wait.wait(timeout)`."""
        self._require_open()
        return self._acks.expect(correlation_id, labels, entity_id)

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

    async def _announce(self) -> None:
        while True:
            await asyncio.sleep(ANNOUNCE_SECONDS)
            await self._acks.announce_held()

    async def _dispatch(self, signal: Signal) -> None:
        if isinstance(signal, LiveResponse):
            if signal.request_id is None and signal.party is not None:
                await self._vouch(signal, signal.party)
                return
            self._answer(signal)
            return
        if isinstance(signal, Acknowledgement):
            self._acks.collect(signal)
            return
        if isinstance(signal, LabelAnnouncement):
            self._acks.learn(signal)
            return
        if isinstance(signal, SubjectDeletion):
            self.announcements.dispatch(signal)
            return
        receivers = [receiver for receiver in self._receivers if receiver.wants(signal)]
        if not receivers:
            return
        if isinstance(signal, LiveMessage) and signal.claim:
            fan_out(receivers, signal, None)
            return
        try:
            enforcer = await self._things.enforcer(signal.thing_id)
        except TwinhubError as error:  # e.g. the store is unavailable: at most once means dropped
            log.warning("dropping a live signal for %s: %s", signal.thing_id, error.message)
            return
        if enforcer is None:
            return
        fan_out(receivers, signal, enforcer)

    async def _enforcer_or_404(self, thing_id: str) -> Enforcer:
        enforcer = await self._things.enforcer(thing_id)
        if enforcer is None:
            raise ThingNotAccessible(thing_id)
        return enforcer

    def _require_open(self) -> None:
        if self._state is _State.UNOPENED:
            raise RuntimeError("open the live hub with `async with` before using it")
        if self._state is _State.CLOSED:
            raise RuntimeError("the live hub is closed")


def _readable_response(response: LiveResponse, enforcer: Enforcer, subjects: tuple[str, ...],
                       command: LiveCommand) -> LiveResponse:
    """A retrieve's JSON answer reduced to what the sender may READ (other payloads pass as they are)."""
    try:
        value = orjson.loads(response.payload)
    except orjson.JSONDecodeError:
        return response
    view = readable_view(enforcer, subjects, command.thing_id, command.path, value)
    return replace(response, payload=orjson.dumps(view))
