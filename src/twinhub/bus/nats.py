"""The NATS JetStream event bus: every worker sees every committed event.

Epochs. Revisions identify events only within one store: a second deployment (a fresh database) or a
database restored from a backup commits again revisions that a store already published. So every bus
belongs to one store's epoch (a random id kept in its database, renewed when it is restored: see
`twinhub.service.coherence`), and the events of each epoch are kept apart: they travel in a stream of their
own, `<stream>_<epoch>`, under `<prefix>.<epoch>.>`, carry the epoch in their message id and header, and
a bus drops any message of another epoch that reaches it. Separated rather than refused: deployments
sharing one NATS with the same settings simply work side by side, a restored store starts afresh in a new
stream without taking anything over, and each stream still holds the events of one epoch only, which is
what lets a gap in its sequence numbers mean lost events (below). The stream of an epoch no longer in use
holds nothing after `max_age_seconds` and may be deleted.

Publishing. An event goes to `<prefix>.<epoch>.things.<namespace>.<name hash>` (`.policies.` for
policies) of its epoch's stream with the header `Nats-Msg-Id: <epoch>:<kind>:<id>:<revision>`, so
JetStream stores an event published twice within its duplicate window only once. `publish` returns when
JetStream has acknowledged the event (at-least-once); without an acknowledgement within
`publish_timeout_seconds` it raises ServiceUnavailable.

Receiving. Each bus follows the stream with one ordered push consumer (deliver policy "new"), created
while the bus opens, and fans every event out to its subscriptions' bounded queues, as the in-process bus
does. One consumer per bus rather than per subscription: `subscribe()` is synchronous, and a consumer that
already runs is what makes every event published after `subscribe()` returns reach the subscription
(a consumer created later, in the background, would miss what is published meanwhile); it also costs one
server consumer and one copy of each event per worker instead of one per subscriber. An event this bus
published and saw acknowledged before `subscribe()` is not delivered to that subscription.

Duplicates (a re-publish after the duplicate window, a message stored twice) are dropped on receipt by
their (epoch, kind, id, revision), remembered for the last `seen_keys` events: effectively once per
subscriber.

Connection loss. nats-py reconnects without end; meanwhile `publish` raises ServiceUnavailable after its
timeout, and the ordered consumer resumes after the last event it delivered, so subscriptions miss nothing
the stream still holds. If the stream lost events in between (expired past `max_age_seconds`, discarded
past `max_bytes`), every subscription ends as overflowed: its owner must forget what it derived from events.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from collections import OrderedDict
from collections.abc import Iterator
from types import TracebackType
from typing import Final

import nats.errors
import nats.js.errors
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import DeliverPolicy

from twinhub.bus.base import Event
from twinhub.bus.codec import EventKey, decode_event, encode_event, event_key
from twinhub.bus.cutoff import CutOffQueue
from twinhub.bus.nats_streams import (
    DEFAULT_STREAM,
    DEFAULT_SUBJECT_PREFIX,
    EPOCH_HEADER,
    MESSAGE_ID_HEADER,
    ensure_stream,
    epoch_names,
    event_subject,
    message_id,
    recent_events,
    stream_config,
)
from twinhub.model.errors import ServiceUnavailable

__all__ = [
    "DEFAULT_STREAM",
    "DEFAULT_SUBJECT_PREFIX",
    "EPOCH_HEADER",
    "NatsBus",
    "NatsSubscription",
    "epoch_names",
    "event_subject",
    "message_id",
    "open_nats_bus",
    "recent_events",
]

log = logging.getLogger(__name__)

DEFAULT_MAX_AGE_SECONDS: Final = 3600
DEFAULT_MAX_BYTES: Final = 1024**3
DEFAULT_DUPLICATE_WINDOW_SECONDS: Final = 120
DEFAULT_PUBLISH_TIMEOUT_SECONDS: Final = 5.0
DEFAULT_CONNECT_TIMEOUT_SECONDS: Final = 10.0
DEFAULT_RECONNECT_WAIT_SECONDS: Final = 2
DEFAULT_HEARTBEAT_SECONDS: Final = 2.0
DEFAULT_SEEN_KEYS: Final = 65_536
DEFAULT_CAPACITY: Final = 1024


@contextlib.contextmanager
def _unavailable(doing: str) -> Iterator[None]:
    """NATS errors leave as ServiceUnavailable (503), the NATS error chained for the logs."""
    try:
        yield
    except (nats.errors.Error, OSError) as exc:
        raise ServiceUnavailable(f"The event bus is unavailable: it failed {doing}.") from exc


class NatsSubscription(CutOffQueue[Event]):
    """A subscriber's bounded queue. When it overflows, the subscription ends instead of growing."""

    def __init__(self, bus: NatsBus, capacity: int, after_sequence: int) -> None:
        super().__init__(capacity, on_close=lambda: bus.unsubscribe(self))
        self._after_sequence = after_sequence

    def offer_at(self, sequence: int, event: Event) -> None:
        """Queue the event stored at stream `sequence` unless it was published before the subscription."""
        if sequence > self._after_sequence:
            self.offer(event)

    def overflow(self) -> None:
        self.overflowed = True
        self.close()


class _State(enum.Enum):
    UNOPENED = "unopened"
    OPENED = "opened"
    CLOSED = "closed"


class NatsBus:
    """The EventBus on NATS JetStream. Open it once with `async with`; closed, it refuses use."""

    def __init__(
        self,
        url: str,
        *,
        epoch: str,
        stream: str = DEFAULT_STREAM,
        subject_prefix: str = DEFAULT_SUBJECT_PREFIX,
        max_age_seconds: float = DEFAULT_MAX_AGE_SECONDS,
        max_bytes: int = DEFAULT_MAX_BYTES,
        duplicate_window_seconds: float = DEFAULT_DUPLICATE_WINDOW_SECONDS,
        replicas: int = 1,
        publish_timeout_seconds: float = DEFAULT_PUBLISH_TIMEOUT_SECONDS,
        connect_timeout_seconds: float = DEFAULT_CONNECT_TIMEOUT_SECONDS,
        reconnect_wait_seconds: int = DEFAULT_RECONNECT_WAIT_SECONDS,
        heartbeat_seconds: float = DEFAULT_HEARTBEAT_SECONDS,
        seen_keys: int = DEFAULT_SEEN_KEYS,
    ) -> None:
        stream, subject_prefix = epoch_names(stream, subject_prefix, epoch)
        self._url = url
        self._epoch = epoch
        self._stream = stream
        self._prefix = subject_prefix
        self._stream_config = stream_config(stream, subject_prefix, max_age_seconds=max_age_seconds,
                                            max_bytes=max_bytes, duplicate_window_seconds=duplicate_window_seconds,
                                            replicas=replicas)
        self._publish_timeout = publish_timeout_seconds
        self._connect_timeout = connect_timeout_seconds
        self._reconnect_wait = reconnect_wait_seconds
        self._heartbeat = heartbeat_seconds
        self._seen_limit = seen_keys

        self._state = _State.UNOPENED
        self._client: Client | None = None
        self._js: JetStreamContext | None = None
        self._consumer: JetStreamContext.PushSubscription | None = None
        self._subscriptions: set[NatsSubscription] = set()
        self._seen: OrderedDict[tuple[str, EventKey], None] = OrderedDict()  # (epoch, event key)
        self._foreign_seen = False
        self._detect_gaps = False
        self._received_sequence: int | None = None  # stream sequence of the last message received
        self._published_sequence = 0  # highest stream sequence of this bus's acknowledged publishes
        self._publishing = 0
        self._publishes_done = asyncio.Event()

    @property
    def epoch(self) -> str:
        return self._epoch

    @property
    def stream(self) -> str:
        """The stream of this bus's epoch (`<stream>_<epoch>`)."""
        return self._stream

    @property
    def subject_prefix(self) -> str:
        """The subject prefix of this bus's epoch (`<prefix>.<epoch>`)."""
        return self._prefix

    async def __aenter__(self) -> NatsBus:
        if self._state is not _State.UNOPENED:
            raise RuntimeError("a NATS event bus cannot be opened twice")
        self._state = _State.OPENED
        try:
            self._client = await self._connect()
            js = self._client.jetstream(timeout=self._publish_timeout)
            with _unavailable("to set up its stream"):
                self._detect_gaps = await ensure_stream(js, self._stream_config)
                self._consumer = await js.subscribe(
                    f"{self._prefix}.>",
                    stream=self._stream,
                    cb=self._receive,
                    ordered_consumer=True,
                    deliver_policy=DeliverPolicy.NEW,
                    idle_heartbeat=self._heartbeat,
                )
            self._js = js
        except BaseException:
            await self.aclose()
            raise
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def publish(self, event: Event) -> None:
        """Store `event` in the stream; return once JetStream acknowledged it.

        Raises ServiceUnavailable when NATS does not acknowledge in time (e.g. while reconnecting),
        ValueError when the event is not JSON, RuntimeError when the bus is not open.
        """
        js = self._require_open()
        payload = encode_event(event)
        headers = {MESSAGE_ID_HEADER: message_id(self._epoch, event), EPOCH_HEADER: self._epoch}
        self._publishing += 1
        self._publishes_done.clear()
        try:
            # A request, not `publish_async`: the latter turns a cancellation into TooManyStalledMsgsError.
            with _unavailable("to publish an event"):
                ack = await js.publish(
                    event_subject(self._prefix, event),
                    payload,
                    timeout=self._publish_timeout,
                    stream=self._stream,
                    headers=headers,
                )
        finally:
            self._publishing -= 1
            if not self._publishing:
                self._publishes_done.set()
        self._published_sequence = max(self._published_sequence, ack.seq)

    def subscribe(self, *, capacity: int = DEFAULT_CAPACITY) -> NatsSubscription:
        """A subscription to every event stored after this call, queued up to `capacity` events."""
        self._require_open()
        subscription = NatsSubscription(self, capacity, self._published_sequence)
        self._subscriptions.add(subscription)
        return subscription

    def unsubscribe(self, subscription: NatsSubscription) -> None:
        self._subscriptions.discard(subscription)

    async def aclose(self) -> None:
        """Wait (bounded) for publishes in flight, end every subscription, drain and close the connection."""
        if self._state is _State.CLOSED:
            return
        self._state = _State.CLOSED
        client, consumer = self._client, self._consumer
        self._client = self._js = self._consumer = None
        if self._publishing:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._publish_timeout):
                    await self._publishes_done.wait()
        if consumer is not None:
            with contextlib.suppress(nats.errors.Error):
                await consumer.unsubscribe()
        for subscription in list(self._subscriptions):
            subscription.close()
        if client is not None:
            try:
                await client.drain()
            except nats.errors.Error:  # reconnecting or already closed: nothing left to drain
                await client.close()

    def _require_open(self) -> JetStreamContext:
        if self._state is _State.UNOPENED:
            raise RuntimeError("open the NATS event bus with `async with` before using it")
        if self._js is None:
            raise RuntimeError("the event bus is closed")
        return self._js

    async def _connect(self) -> Client:
        client = Client()
        try:
            async with asyncio.timeout(self._connect_timeout):
                await client.connect(
                    self._url,
                    name="twinhub",
                    max_reconnect_attempts=-1,
                    reconnect_time_wait=self._reconnect_wait,
                    error_cb=self._on_error,
                    disconnected_cb=self._on_disconnected,
                    reconnected_cb=self._on_reconnected,
                )
        except (TimeoutError, nats.errors.Error, OSError) as exc:
            await client.close()
            where = self._url.rpartition("@")[2]  # never log credentials
            raise ServiceUnavailable(f"The event bus at {where} is unreachable.") from exc
        return client

    async def _receive(self, msg: Msg) -> None:
        """Fan one stored message out to the subscriptions; runs for each message, in stream order."""
        sequence = msg.metadata.sequence.stream
        previous = self._received_sequence
        if previous is not None and sequence <= previous:
            return  # delivered again after the consumer was recreated
        self._received_sequence = sequence
        if self._detect_gaps and previous is not None and sequence > previous + 1:
            log.warning("the event stream lost events %d to %d; ending all subscriptions", previous + 1, sequence - 1)
            for subscription in list(self._subscriptions):
                subscription.overflow()
        epoch = (msg.headers or {}).get(EPOCH_HEADER)
        if epoch != self._epoch:  # another store's event: never for this store's subscribers
            if not self._foreign_seen:
                self._foreign_seen = True
                log.warning("ignoring events of another store (epoch %r) in the stream %s", epoch, self._stream)
            return
        try:
            event = decode_event(msg.data)
        except ValueError as exc:
            log.warning("skipping message %d on %s: %s", sequence, msg.subject, exc)
            return
        key = (epoch, event_key(event))
        if key in self._seen:
            return
        self._seen[key] = None
        if len(self._seen) > self._seen_limit:
            self._seen.popitem(last=False)
        for subscription in list(self._subscriptions):
            subscription.offer_at(sequence, event)

    async def _on_error(self, exc: Exception) -> None:
        log.warning("NATS event bus: %r", exc)

    async def _on_disconnected(self) -> None:
        if self._js is not None:  # open, not connecting for the first time nor closing
            log.warning("the event bus lost its NATS connection; reconnecting")

    async def _on_reconnected(self) -> None:
        log.info("the event bus reconnected to NATS")


def open_nats_bus(
    url: str,
    *,
    epoch: str,
    stream: str = DEFAULT_STREAM,
    subject_prefix: str = DEFAULT_SUBJECT_PREFIX,
    max_age_seconds: float = DEFAULT_MAX_AGE_SECONDS,
    max_bytes: int = DEFAULT_MAX_BYTES,
    duplicate_window_seconds: float = DEFAULT_DUPLICATE_WINDOW_SECONDS,
    replicas: int = 1,
    publish_timeout_seconds: float = DEFAULT_PUBLISH_TIMEOUT_SECONDS,
    connect_timeout_seconds: float = DEFAULT_CONNECT_TIMEOUT_SECONDS,
    reconnect_wait_seconds: int = DEFAULT_RECONNECT_WAIT_SECONDS,
    heartbeat_seconds: float = DEFAULT_HEARTBEAT_SECONDS,
    seen_keys: int = DEFAULT_SEEN_KEYS,
) -> NatsBus:
    """The event bus of the store with `epoch` on the JetStream of the NATS server at `url`:
    `async with open_nats_bus(url, epoch=epoch) as bus:`.

    Opening connects (raising ServiceUnavailable after `connect_timeout_seconds`), creates the stream
    `<stream>_<epoch>` on `<subject_prefix>.<epoch>.>` (or reuses it as configured) and starts following it.
    """
    return NatsBus(
        url,
        epoch=epoch,
        stream=stream,
        subject_prefix=subject_prefix,
        max_age_seconds=max_age_seconds,
        max_bytes=max_bytes,
        duplicate_window_seconds=duplicate_window_seconds,
        replicas=replicas,
        publish_timeout_seconds=publish_timeout_seconds,
        connect_timeout_seconds=connect_timeout_seconds,
        reconnect_wait_seconds=reconnect_wait_seconds,
        heartbeat_seconds=heartbeat_seconds,
        seen_keys=seen_keys,
    )
