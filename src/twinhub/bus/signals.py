"""The signal bus: live messages, live commands and events, their responses and acknowledgements reach
every worker.

Unlike the event bus, nothing here is stored or retried: Ditto routes live signals at most once, to whoever
listens at that moment. The embedded bus fans out in process; across workers, `NatsSignalBus` publishes on
core NATS subjects `<prefix>.<kind>` (kind: message, command, event, response, ack), not on JetStream, and
every worker subscribes to `<prefix>.>`, its own publications included. Subscriptions are bounded queues;
one that overflows ends (`overflowed`), never slowing the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import re
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Final, Protocol

import nats.errors
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription as NatsCoreSubscription

from twinhub.bus.cutoff import CutOffQueue
from twinhub.bus.signal_codec import decode_signal, encode_signal, signal_kind
from twinhub.model.errors import MessagePayloadTooLarge, ServiceUnavailable
from twinhub.model.live import Signal

__all__ = [
    "DEFAULT_SIGNAL_CAPACITY",
    "DEFAULT_SIGNAL_PREFIX",
    "InProcessSignalBus",
    "NatsSignalBus",
    "SignalBus",
    "SignalQueue",
    "SignalSubscription",
    "open_nats_signal_bus",
]

log = logging.getLogger(__name__)

DEFAULT_SIGNAL_CAPACITY: Final = 1024
DEFAULT_SIGNAL_PREFIX: Final = "twinhub-signals"
DEFAULT_CONNECT_TIMEOUT_SECONDS: Final = 10.0
DEFAULT_RECONNECT_WAIT_SECONDS: Final = 2
# nats-py buffers this much for one subscription before it drops (a slow consumer, at most once anyway).
_PENDING_BYTES: Final = 64 * 1024 * 1024
_SUBJECT_TOKEN = re.compile(r"[^\s.*>]+")


class SignalSubscription(Protocol):
    """A bounded stream of signals; `overflowed` is set when the subscriber fell behind and was cut off."""

    overflowed: bool

    def __aiter__(self) -> AsyncIterator[Signal]: ...

    def close(self) -> None: ...


class SignalBus(Protocol):
    # Whether other workers publish and receive on this bus too (then nobody can know locally who listens).
    shared: bool

    async def publish(self, signal: Signal) -> None:
        """Deliver `signal` to every current subscriber of every worker, at most once; never blocks on a
        slow subscriber. Raises 413 `messages:payload.toolarge` when it is too large to travel."""
        ...

    def subscribe(self, *, capacity: int = DEFAULT_SIGNAL_CAPACITY) -> SignalSubscription: ...

    async def aclose(self) -> None: ...


class _Owner(Protocol):
    def unsubscribe(self, subscription: SignalQueue) -> None: ...


class SignalQueue(CutOffQueue[Signal]):
    """A subscriber's bounded queue. When it overflows, the subscription ends instead of growing."""

    def __init__(self, owner: _Owner, capacity: int) -> None:
        super().__init__(capacity, on_close=lambda: owner.unsubscribe(self))


class InProcessSignalBus:
    """The embedded signal bus: one process, so whoever subscribed here is everyone."""

    shared = False

    def __init__(self) -> None:
        self._subscribers: set[SignalQueue] = set()
        self._closed = False

    async def publish(self, signal: Signal) -> None:
        for subscriber in list(self._subscribers):
            subscriber.offer(signal)

    def subscribe(self, *, capacity: int = DEFAULT_SIGNAL_CAPACITY) -> SignalQueue:
        if self._closed:
            raise RuntimeError("the signal bus is closed")
        subscription = SignalQueue(self, capacity)
        self._subscribers.add(subscription)
        return subscription

    def unsubscribe(self, subscription: SignalQueue) -> None:
        self._subscribers.discard(subscription)

    async def aclose(self) -> None:
        self._closed = True
        for subscriber in list(self._subscribers):
            subscriber.close()


class _State(enum.Enum):
    UNOPENED = "unopened"
    OPENED = "opened"
    CLOSED = "closed"


class NatsSignalBus:
    """The SignalBus on core NATS. Open it once with `async with`; closed, it refuses use.

    It has a connection of its own, so that live traffic never queues behind the event stream's
    acknowledgements (and the event bus keeps its connection to itself).
    """

    shared = True

    def __init__(self, url: str, *, subject_prefix: str = DEFAULT_SIGNAL_PREFIX,
                 connect_timeout_seconds: float = DEFAULT_CONNECT_TIMEOUT_SECONDS,
                 reconnect_wait_seconds: int = DEFAULT_RECONNECT_WAIT_SECONDS) -> None:
        if not all(_SUBJECT_TOKEN.fullmatch(token) for token in subject_prefix.split(".")):
            raise ValueError(f"invalid subject prefix {subject_prefix!r}")
        self._url = url
        self._prefix = subject_prefix
        self._connect_timeout = connect_timeout_seconds
        self._reconnect_wait = reconnect_wait_seconds
        self._state = _State.UNOPENED
        self._client: Client | None = None
        self._subscription: NatsCoreSubscription | None = None
        self._subscribers: set[SignalQueue] = set()

    @property
    def subject_prefix(self) -> str:
        return self._prefix

    async def __aenter__(self) -> NatsSignalBus:
        if self._state is not _State.UNOPENED:
            raise RuntimeError("a NATS signal bus cannot be opened twice")
        self._state = _State.OPENED
        try:
            client = await self._connect()
            self._client = client
            try:
                self._subscription = await client.subscribe(
                    f"{self._prefix}.>", cb=self._receive, pending_bytes_limit=_PENDING_BYTES)
                # A round trip: once open, the server has the subscription, so a signal another worker
                # publishes after that reaches this one (the SUB could otherwise still be in the buffer).
                await client.flush()
            except (nats.errors.Error, OSError) as exc:
                raise ServiceUnavailable("The signal bus is unavailable: it failed to subscribe.") from exc
        except BaseException:
            await self.aclose()
            raise
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.aclose()

    async def publish(self, signal: Signal) -> None:
        """Hand `signal` to NATS (buffered while reconnecting). Raises 413 when it exceeds the server's
        maximum payload, ServiceUnavailable when the connection is closed, RuntimeError when not open."""
        client = self._require_open()
        data = encode_signal(signal)
        if len(data) > client.max_payload:
            raise MessagePayloadTooLarge(len(data), client.max_payload)
        try:
            await client.publish(f"{self._prefix}.{signal_kind(signal)}", data)
        except (nats.errors.Error, OSError) as exc:
            raise ServiceUnavailable("The signal bus is unavailable: it failed to publish.") from exc

    def subscribe(self, *, capacity: int = DEFAULT_SIGNAL_CAPACITY) -> SignalQueue:
        self._require_open()
        subscription = SignalQueue(self, capacity)
        self._subscribers.add(subscription)
        return subscription

    def unsubscribe(self, subscription: SignalQueue) -> None:
        self._subscribers.discard(subscription)

    async def aclose(self) -> None:
        """End every subscription and close the connection."""
        if self._state is _State.CLOSED:
            return
        self._state = _State.CLOSED
        client, subscription = self._client, self._subscription
        self._client = self._subscription = None
        if subscription is not None:
            with contextlib.suppress(nats.errors.Error):
                await subscription.unsubscribe()
        for subscriber in list(self._subscribers):
            subscriber.close()
        if client is not None:
            try:
                await client.drain()
            except nats.errors.Error:  # reconnecting or already closed: nothing left to drain
                await client.close()

    def _require_open(self) -> Client:
        if self._state is _State.UNOPENED:
            raise RuntimeError("open the NATS signal bus with `async with` before using it")
        if self._client is None:
            raise RuntimeError("the signal bus is closed")
        return self._client

    async def _connect(self) -> Client:
        client = Client()
        try:
            async with asyncio.timeout(self._connect_timeout):
                await client.connect(self._url, name="twinhub-signals", max_reconnect_attempts=-1,
                                     reconnect_time_wait=self._reconnect_wait, error_cb=self._on_error,
                                     disconnected_cb=self._on_disconnected, reconnected_cb=self._on_reconnected)
        except (TimeoutError, nats.errors.Error, OSError) as exc:
            await client.close()
            where = self._url.rpartition("@")[2]  # never log credentials
            raise ServiceUnavailable(f"The signal bus at {where} is unreachable.") from exc
        return client

    async def _receive(self, msg: Msg) -> None:
        try:
            signal = decode_signal(msg.data)
        except ValueError as exc:
            log.warning("skipping a signal on %s: %s", msg.subject, exc)
            return
        for subscriber in list(self._subscribers):
            subscriber.offer(signal)

    async def _on_error(self, exc: Exception) -> None:
        log.warning("NATS signal bus: %r", exc)

    async def _on_disconnected(self) -> None:
        if self._client is not None:
            log.warning("the signal bus lost its NATS connection; reconnecting (live signals meanwhile are lost)")

    async def _on_reconnected(self) -> None:
        log.info("the signal bus reconnected to NATS")


def open_nats_signal_bus(url: str, *, subject_prefix: str = DEFAULT_SIGNAL_PREFIX,
                         connect_timeout_seconds: float = DEFAULT_CONNECT_TIMEOUT_SECONDS,
                         reconnect_wait_seconds: int = DEFAULT_RECONNECT_WAIT_SECONDS) -> NatsSignalBus:
    """The signal bus on the NATS server at `url`: `async with open_nats_signal_bus(url) as bus:`.

    Opening connects (raising ServiceUnavailable after `connect_timeout_seconds`) and subscribes to
    `<subject_prefix>.>`. Choose a prefix no JetStream stream captures, or live signals would be stored.
    """
    return NatsSignalBus(url, subject_prefix=subject_prefix, connect_timeout_seconds=connect_timeout_seconds,
                         reconnect_wait_seconds=reconnect_wait_seconds)
