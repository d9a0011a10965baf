"""What one party (a WebSocket session) received and may therefore answer.

A response to a message or live command is accepted only from a party that received that signal (and
so may READ it): it answers the request the signal came from, found here by the correlation-id the
party echoes, never the correlation-id alone (which anybody may guess, or reuse for a request of their
own). Likewise an acknowledgement is accepted only for a twin event, message or live command the party
received that requested that label, and it names that signal's thing.

A party whose receivers and responders run on different workers (a connection: the first worker's target
receives, every worker's sources answer) names its receipts (`party`): a response that finds no receipt
where it arrived is passed on for the worker whose receipts hold its signal to vouch for (`LiveHub.respond`).

Bounded: at most `capacity` receipts, each kept until the signal's timeout has passed (Ditto's default
and maximum when it has none); past the capacity the oldest go first.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Final

import orjson

from twinhub.model.errors import TimeoutInvalid
from twinhub.model.events import ThingEvent
from twinhub.model.headers import parse_timeout
from twinhub.model.live import LiveCommand, LiveMessage, SubjectDeletion

__all__ = ["DEFAULT_RECEIPTS", "Receipts"]

DEFAULT_RECEIPTS: Final = 512
DEFAULT_SECONDS: Final = 60.0  # Ditto's default timeout, and the maximum of acknowledgements
MAX_SECONDS: Final = 600.0  # the claim message's maximum


@dataclass(slots=True)
class _Receipt:
    expires: float
    answers: str  # the request id a response answers, or the thing id an acknowledgement names
    correlation_id: str
    label: str | None = None  # None: a request's receipt
    used: bool = False


class Receipts:
    """The receipts of one party; `labels` are the acknowledgement labels it declared (events that
    request none of them leave no receipt); `party` names a party that spans workers (None: one that
    lives on one worker, as a WebSocket session)."""

    def __init__(self, labels: Collection[str] = (), *, party: str | None = None, capacity: int = DEFAULT_RECEIPTS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.labels = frozenset(labels)
        self.party = party
        self._capacity = capacity
        self._clock = clock
        self._requests: dict[str, deque[_Receipt]] = {}  # correlation-id -> receipts, oldest first
        self._acks: dict[tuple[str, str], _Receipt] = {}  # (correlation-id, label) -> receipt
        self._order: deque[_Receipt] = deque()  # every receipt, oldest first

    def __len__(self) -> int:
        return len(self._order)

    # -- noting what arrived -----------------------------------------------------------------------

    def signal(self, signal: LiveMessage | LiveCommand) -> None:
        """Note a message or live command whose sender waits for a response, and the acknowledgements of
        labels declared here it requests."""
        correlation_id = signal.correlation_id
        if not correlation_id:
            return
        expires = self._clock() + _seconds(signal.headers.get("timeout"))
        self._note_acks(signal.thing_id, correlation_id, signal.headers.get("requested-acks"), expires)
        if signal.request_id is None or signal.headers.get("response-required") == "false":
            return
        receipt = _Receipt(expires, signal.request_id, correlation_id)
        self._requests.setdefault(correlation_id, deque()).append(receipt)
        self._note(receipt)

    def event(self, event: ThingEvent) -> None:
        """Note a twin event, if it requests acknowledgements of labels declared here."""
        correlation_id = event.headers.get("correlation-id")
        if correlation_id:
            self._note_acks(event.thing_id, correlation_id, event.headers.get("requested-acks"),
                            self._clock() + DEFAULT_SECONDS)

    def announcement(self, announcement: SubjectDeletion) -> None:
        """Note a policy announcement, if it requests acknowledgements of labels declared here (issued, as Ditto's
        are, on the acknowledgement topic of the entity: its policy id)."""
        correlation_id = announcement.correlation_id
        if correlation_id:
            self._note_acks(announcement.policy_id, correlation_id, announcement.headers.get("requested-acks"),
                            self._clock() + _seconds(announcement.headers.get("timeout")))

    def _note_acks(self, thing_id: str, correlation_id: str, requested: str | None, expires: float) -> None:
        """Note the acknowledgements of labels declared here that a signal's `requested-acks` asks for."""
        if not self.labels or not requested:
            return
        try:
            labels = orjson.loads(requested)
        except orjson.JSONDecodeError:
            return
        for label in labels if isinstance(labels, list) else ():
            if isinstance(label, str) and label in self.labels:
                receipt = _Receipt(expires, thing_id, correlation_id, label)
                self._acks[(correlation_id, label)] = receipt
                self._note(receipt)

    # -- answering ---------------------------------------------------------------------------------

    def take_request(self, correlation_id: str) -> str | None:
        """The request a response with `correlation-id` answers (the oldest one received), or None when
        nothing with it was received here (or it expired, or was answered already)."""
        now = self._clock()
        receipts = self._requests.get(correlation_id)
        while receipts:
            receipt = receipts.popleft()
            if not receipt.used and receipt.expires > now:
                receipt.used = True
                if not receipts:
                    del self._requests[correlation_id]
                return receipt.answers
        self._requests.pop(correlation_id, None)
        return None

    def take_ack(self, correlation_id: str, label: str) -> str | None:
        """The thing an acknowledgement of `label` for `correlation-id` is about, or None when no event
        received here requested it (or it expired, or was acknowledged already)."""
        receipt = self._acks.pop((correlation_id, label), None)
        if receipt is None or receipt.used or receipt.expires <= self._clock():
            return None
        receipt.used = True
        return receipt.answers

    # -- bounds ------------------------------------------------------------------------------------

    def _note(self, receipt: _Receipt) -> None:
        """Keep `receipt`; drop the oldest ones past the capacity, and those used or expired."""
        self._order.append(receipt)
        now = self._clock()
        while self._order and (len(self._order) > self._capacity or self._order[0].used
                               or self._order[0].expires <= now):
            self._forget(self._order.popleft())

    def _forget(self, receipt: _Receipt) -> None:
        receipt.used = True
        if receipt.label is not None:
            key = (receipt.correlation_id, receipt.label)
            if self._acks.get(key) is receipt:
                del self._acks[key]
            return
        receipts = self._requests.get(receipt.correlation_id)
        if receipts and receipts[0] is receipt:  # the oldest of all is the oldest of its correlation-id
            receipts.popleft()
            if not receipts:
                del self._requests[receipt.correlation_id]


def _seconds(timeout: str | None) -> float:
    """How long a signal with this `timeout` header may be answered: its senders checked it already, so a
    header that does not parse (a signal from elsewhere) gets the default, one too long the maximum."""
    if not timeout:
        return DEFAULT_SECONDS
    try:
        return min(parse_timeout(timeout, maximum=math.inf), MAX_SECONDS)
    except TimeoutInvalid:
        return DEFAULT_SECONDS
