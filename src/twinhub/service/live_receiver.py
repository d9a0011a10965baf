"""A receiver of live signals (see `twinhub.service.live`): the bounded stream of the messages, live
commands and live events one receiver (a WebSocket session, a message SSE stream) gets, and who may get
which signal."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import orjson

from twinhub.bus.cutoff import Budget, CutOffQueue
from twinhub.model.live import LiveEvent, LiveKind, LiveMessage, LiveSignal, kind_of
from twinhub.model.policy import READ
from twinhub.model.types import MISSING
from twinhub.policy import MESSAGE, THING, Enforcer
from twinhub.service.receipts import Receipts

__all__ = ["LiveReceiver", "fan_out", "may_receive", "signal_size"]


class LiveReceiver(CutOffQueue[LiveSignal]):
    """What one receiver gets: a bounded stream of the live signals of `kinds` it may READ. Built by
    `LiveHub.receive`, which `on_close` tells that the receiver is gone."""

    def __init__(self, kinds: frozenset[LiveKind], subjects: tuple[str, ...],
                 namespaces: frozenset[str] | None, accept: Callable[[LiveSignal], bool] | None,
                 capacity: int, max_bytes: int | None, budget: Budget | None, receipts: Receipts | None, *,
                 on_close: Callable[[], None]) -> None:
        super().__init__(capacity, max_bytes=max_bytes, budget=budget, on_close=on_close)
        self.counts_bytes = max_bytes is not None or budget is not None
        self.receipts = receipts  # where what it gets is noted, so that its party may answer it
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

    def deliver(self, signal: LiveSignal, size: int) -> None:
        """Queue `signal` (noted in the receipts, unless it is an event, which nobody answers); `size` is its
        `signal_size`, computed once for all its receivers (a receiver that counts no bytes ignores it)."""
        if self.receipts is not None and not isinstance(signal, LiveEvent):
            self.receipts.signal(signal)
        self.offer(signal, size if self.counts_bytes else 0)


def fan_out(receivers: Sequence[LiveReceiver], signal: LiveSignal, enforcer: Enforcer | None) -> None:
    """Deliver `signal` to each of `receivers` that may receive it (every one without an `enforcer`: a claim
    message needs no permission). Its size and each distinct subjects' permission are worked out once per
    signal, not once per receiver."""
    size = signal_size(signal) if any(receiver.counts_bytes for receiver in receivers) else 0
    allowed: dict[tuple[str, ...], bool] = {}
    for receiver in receivers:
        if enforcer is not None:
            verdict = allowed.get(receiver.subjects)
            if verdict is None:
                verdict = allowed[receiver.subjects] = may_receive(enforcer, receiver.subjects, signal)
            if not verdict:
                continue
        receiver.deliver(signal, size)


def may_receive(enforcer: Enforcer, subjects: tuple[str, ...], signal: LiveSignal) -> bool:
    """Messages need READ on their `message:` resource; live commands and events, which carry thing
    values, READ on all of their `thing:` path."""
    if isinstance(signal, LiveMessage):
        return enforcer.has_permission(subjects, MESSAGE, signal.path, [READ])
    return enforcer.has_unrestricted(subjects, THING, signal.path, [READ])


def signal_size(signal: LiveSignal) -> int:
    """Roughly what a signal costs a receiver's buffer: its payload or its value as JSON."""
    if isinstance(signal, LiveMessage):
        return len(signal.payload)
    return 0 if signal.value is MISSING else len(orjson.dumps(signal.value))
