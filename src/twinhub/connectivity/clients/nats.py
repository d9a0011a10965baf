"""The `nats` connection type: NATS core and JetStream (a twinhub addition; Ditto has no NATS binding).

The connection's uri is `nats://user:password@host:4222` (`tls://` for TLS; `validateCertificates: false`
accepts any server certificate), or `nats://token@host:4222` for token authentication. Sources' and targets'
addresses are NATS subjects; a source may use the wildcards `*` and `>`, a target may not.

`specificConfig` (all strings, as Ditto's specificConfig is):

    jetstream        "true": sources consume through JetStream, publishes await JetStream's acknowledgement
                     (default "false": core NATS)
    stream           the stream holding the sources' subjects (default: looked up by subject)
    durable          a prefix for the durable consumer names (default "twinhub")
    maxAckPending    unacknowledged messages a source's consumer hands out at most (default 1000)
    ackWaitSeconds   how long JetStream waits for an acknowledgement before it redelivers (default 30)
    maxDeliver       deliveries of one message at most (default unlimited)
    deliverPolicy    "all" (default: everything the stream holds) or "new" (what arrives after the consumer's
                     creation); only when the consumer is created

Delivery guarantees. Core NATS has no acknowledgement: a message is delivered at most once, and lost when
no worker is connected or a worker is too slow (past `PENDING_MESSAGES` waiting messages the server drops
them); `settle` does nothing. Each source subscribes in the queue group `settings.group`, so the workers of a
deployment share it and each message reaches one of them. With JetStream, delivery is at-least-once: each
address of a source has one durable pull consumer, named after the connection, the source and the address,
that every worker pulls from (so each message goes to one of them); `Outcome.ACCEPT` acks it,
`REDELIVER` naks it (JetStream delivers it again at once), `REJECT` terminates it (never again); one
neither acked nor nacked (a worker that died) comes again after `ackWaitSeconds`. The stream itself is not
created here: it belongs to whoever runs the NATS server (`nats stream add`).

Bounds: a source holds at most `max_in_flight` JetStream messages unsettled (it fetches no more until some
are settled), and core ones wait in a queue of that size; a message larger than `max_message_bytes` is
refused (JetStream: terminated) and logged on `REFUSAL_LOGGER`, never yielded.

A message's reply subject, when it has one (NATS request/reply), is its `reply-to` header, so that a source's
`replyTarget` `{{ header:reply-to }}` answers the requester as for AMQP.

The client does not reconnect: a lost connection ends every `deliveries` iterator with ClientFailure, and
the runtime connects anew (JetStream consumers are durable: what was not acked comes again).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import math
import re
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Final

import nats
import nats.errors
import nats.js.errors
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from twinhub.connectivity.clients.base import (
    ClientFailure,
    ClientSettings,
    Outcome,
    SourceSettings,
    refused_as_oversize,
)
from twinhub.connectivity.external import ExternalMessage
from twinhub.connectivity.model import (
    NatsConfig,
    SpecificConfigInvalid,
    validate_nats_subject,
    validate_nats_uri,
)

__all__ = ["NatsClient", "NatsConfigInvalid", "durable_name", "validate_subject"]

_NAME_UNSAFE: Final = re.compile(r"[^A-Za-z0-9_-]")
FETCH_BATCH: Final = 64
FETCH_WAIT_SECONDS: Final = 1.0
# What nats-py may buffer per core subscription before the server's messages are dropped (core NATS only).
PENDING_MESSAGES: Final = 4096
PENDING_BYTES: Final = 16 * 1024 * 1024


def durable_name(prefix: str, connection_id: str, source_index: int, address: str) -> str:
    """The durable consumer of one address of one source: the same on every worker (so they share it), another
    one when the address changes (a consumer's filter cannot change). Readable, and unique by a hash."""
    digest = hashlib.sha256(f"{connection_id}\0{source_index}\0{address}".encode()).hexdigest()[:12]
    readable = _NAME_UNSAFE.sub("_", connection_id)[:48]
    return f"{prefix}_{readable}_{source_index}_{digest}"


def _redacted(uri: str) -> str:
    return re.sub(r"//[^@/]*@", "//***@", uri)


class NatsConfigInvalid(ClientFailure, ValueError):
    """A `specificConfig` entry, uri or address the NATS client cannot use; the message says which."""


def validate_subject(subject: str, *, wildcards: bool) -> None:
    """Raise NatsConfigInvalid unless `subject` is a NATS subject (with `*`/`>` only when `wildcards`)."""
    try:
        validate_nats_subject(subject, wildcards=wildcards)
    except SpecificConfigInvalid as exc:
        raise NatsConfigInvalid(str(exc)) from exc


class NatsDelivery:
    """A message of a source; JetStream ones are settled with the broker, core ones need nothing."""

    __slots__ = ("_jetstream", "_msg", "_on_settled", "message")

    def __init__(self, message: ExternalMessage, msg: Msg, jetstream: bool,
                 on_settled: Callable[[], None] | None = None) -> None:
        self.message = message
        self._msg = msg
        self._jetstream = jetstream
        self._on_settled = on_settled

    async def settle(self, outcome: Outcome) -> None:
        if self._on_settled is None and self._jetstream:
            raise RuntimeError("a delivery is settled once")
        on_settled, self._on_settled = self._on_settled, None
        if on_settled is not None:
            on_settled()
        if not self._jetstream:
            return
        try:
            if outcome is Outcome.ACCEPT:
                await self._msg.ack()
            elif outcome is Outcome.REDELIVER:
                await self._msg.nak()
            else:
                await self._msg.term()
        except (nats.errors.Error, OSError) as exc:
            raise ClientFailure(f"NATS: could not settle a message: {exc or type(exc).__name__}") from exc


def _external(msg: Msg) -> ExternalMessage:
    headers = dict(msg.headers or {})
    if msg.reply and not msg.reply.startswith("$JS.ACK.") and "reply-to" not in {h.lower() for h in headers}:
        headers["reply-to"] = msg.reply
    lowered = {name.lower(): value for name, value in headers.items()}
    return ExternalMessage(payload=msg.data, headers=lowered, content_type=lowered.get("content-type"),
                           address=msg.subject)


class _Feed:
    """Deliveries of one source, gathered from its addresses into one bounded queue, or the failure that
    ended them; JetStream deliveries count as unsettled until settled (at most `max_in_flight`)."""

    def __init__(self, max_in_flight: int) -> None:
        self.queue: asyncio.Queue[NatsDelivery | ClientFailure] = asyncio.Queue(max_in_flight)
        self.tasks: list[asyncio.Task[None]] = []
        self.unsettled = 0
        self.credit = asyncio.Event()

    def settled(self) -> None:
        self.unsettled -= 1
        self.credit.set()

    def fail(self, failure: ClientFailure) -> None:
        # The failure overtakes what is queued: unsettled messages come again from the broker (JetStream) or
        # are lost with the link anyway (core).
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(failure)


class NatsClient:
    """One `nats` connection on one worker (see the module docstring). Not reusable after `aclose`."""

    def __init__(self, settings: ClientSettings) -> None:
        try:
            validate_nats_uri(settings.uri)
            self.config = NatsConfig.parse(settings.specific_config)
        except SpecificConfigInvalid as exc:
            raise NatsConfigInvalid(str(exc)) from exc
        self._settings = settings
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None
        self._feeds: set[_Feed] = set()
        self._closed = False
        self._failure: ClientFailure | None = None
        self._last_error: Exception | None = None

    async def connect(self) -> None:
        if self._closed or self._nc is not None:
            raise RuntimeError("a NATS client connects once")
        tls: ssl.SSLContext | None = None
        if self._settings.uri.startswith("tls://"):
            tls = ssl.create_default_context()
            if not self._settings.validate_certificates:
                tls.check_hostname = False
                tls.verify_mode = ssl.CERT_NONE
        try:
            self._nc = await nats.connect(
                self._settings.uri, name=self._settings.client_id, allow_reconnect=False,
                connect_timeout=math.ceil(self._settings.connect_timeout), tls=tls, error_cb=self._on_error,
                disconnected_cb=self._on_lost, closed_cb=self._on_lost,
                # One attempt: nats-py's own attempts, with a non-positive limit, never end.
                max_reconnect_attempts=1, reconnect_time_wait=0)
        except (TimeoutError, nats.errors.Error, OSError) as exc:
            reason = self._last_error or exc
            raise ClientFailure(f"NATS: cannot connect to {_redacted(self._settings.uri)}: "
                                f"{reason or type(reason).__name__}") from exc
        if self.config.jetstream:
            self._js = self._nc.jetstream(timeout=self._settings.publish_timeout)

    async def _on_error(self, exc: Exception) -> None:
        # Why connecting failed, slow-consumer reports and the like; a fatal error also closes the connection,
        # which `_on_lost` reports.
        self._last_error = exc

    async def _on_lost(self) -> None:
        if self._failure is None:
            self._failure = ClientFailure("NATS: the connection was lost")
        for feed in self._feeds:
            feed.fail(self._failure)

    def _client(self) -> Client:
        if self._nc is None or self._closed:
            raise RuntimeError("the NATS client is not connected")
        if self._failure is not None or not self._nc.is_connected:
            raise self._failure or ClientFailure("NATS: not connected")
        return self._nc

    async def deliveries(self, source: SourceSettings) -> AsyncIterator[NatsDelivery]:
        for address in source.addresses:
            validate_subject(address, wildcards=True)
        nc = self._client()
        feed = _Feed(self._settings.max_in_flight)
        self._feeds.add(feed)
        subscriptions: list[Subscription] = []
        try:
            await self._subscribe(nc, source, feed, subscriptions)
            while True:
                item = await feed.queue.get()
                if isinstance(item, ClientFailure):
                    raise item
                yield item
        finally:
            self._feeds.discard(feed)
            for task in feed.tasks:
                task.cancel()
            await asyncio.gather(*feed.tasks, return_exceptions=True)
            if self._failure is None and not self._closed:
                for subscription in subscriptions:
                    with contextlib.suppress(nats.errors.Error, OSError):
                        await subscription.unsubscribe()

    async def _subscribe(self, nc: Client, source: SourceSettings, feed: _Feed,
                         subscriptions: list[Subscription]) -> None:
        try:
            for address in source.addresses:
                if self._js is None:
                    subscriptions.append(await nc.subscribe(
                        address, queue=self._settings.group, cb=self._enqueue(feed),
                        pending_msgs_limit=PENDING_MESSAGES, pending_bytes_limit=PENDING_BYTES))
                else:
                    consumer = self._consumer(source.index, address)
                    pull = await self._js.pull_subscribe(address, durable=consumer.durable_name,
                                                         stream=self.config.stream, config=consumer)
                    feed.tasks.append(asyncio.create_task(self._pull(pull, feed)))
            # The server has the subscriptions when this returns.
            await nc.flush(timeout=math.ceil(self._settings.publish_timeout))
        except nats.js.errors.NotFoundError as exc:
            raise ClientFailure(f"NATS: no JetStream stream holds {source.addresses}: {exc}") from exc
        except (TimeoutError, nats.errors.Error, OSError) as exc:
            raise ClientFailure(f"NATS: cannot subscribe to {source.addresses}: {exc or type(exc).__name__}") from exc

    def _consumer(self, source_index: int, address: str) -> ConsumerConfig:
        name = durable_name(self.config.durable, self._settings.connection_id, source_index, address)
        return ConsumerConfig(
            name=name, durable_name=name, ack_policy=AckPolicy.EXPLICIT, filter_subject=address,
            max_ack_pending=self.config.max_ack_pending, ack_wait=self.config.ack_wait_seconds,
            max_deliver=self.config.max_deliver,
            deliver_policy=DeliverPolicy.NEW if self.config.deliver_new else DeliverPolicy.ALL)

    async def _pull(self, pull: JetStreamContext.PullSubscription, feed: _Feed) -> None:
        try:
            while True:
                # Never more unsettled than max_in_flight: what is fetched is held (and not acked) here.
                room = self._settings.max_in_flight - feed.unsettled
                if room <= 0:
                    feed.credit.clear()
                    await feed.credit.wait()
                    continue
                try:
                    messages = await pull.fetch(min(FETCH_BATCH, room), timeout=FETCH_WAIT_SECONDS)
                except nats.errors.TimeoutError:
                    continue
                for msg in messages:
                    if refused_as_oversize(self._settings, msg.subject, len(msg.data)):
                        await msg.term()
                        continue
                    feed.unsettled += 1
                    await feed.queue.put(NatsDelivery(_external(msg), msg, True, feed.settled))
        except (nats.errors.Error, OSError) as exc:
            feed.fail(self._failure or ClientFailure(f"NATS: pulling failed: {exc or type(exc).__name__}"))
        except Exception as exc:  # whatever ends the pulling must end the deliveries, not leave them hanging
            feed.fail(ClientFailure(f"NATS: pulling failed unexpectedly: {exc!r}"))

    def _enqueue(self, feed: _Feed) -> Callable[[Msg], Awaitable[None]]:
        async def handle(msg: Msg) -> None:
            if not refused_as_oversize(self._settings, msg.subject, len(msg.data)):
                await feed.queue.put(NatsDelivery(_external(msg), msg, False))

        return handle

    async def publish(self, message: ExternalMessage, *, qos: int | None = None) -> None:
        """Core NATS: publish and flush (the server has it); JetStream: publish and await the stream's ack."""
        validate_subject(message.address, wildcards=False)
        nc = self._client()
        headers = dict(message.headers)
        if message.content_type and "content-type" not in headers:
            headers["content-type"] = message.content_type
        try:
            if self._js is not None:
                await self._js.publish(message.address, message.payload, timeout=self._settings.publish_timeout,
                                       headers=headers or None)
            else:
                await nc.publish(message.address, message.payload, headers=headers or None)
                await nc.flush(timeout=math.ceil(self._settings.publish_timeout))
        except (TimeoutError, nats.errors.Error, OSError) as exc:
            raise ClientFailure(f"NATS: could not publish to {message.address}: {exc or type(exc).__name__}") from exc

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        for feed in list(self._feeds):
            feed.fail(ClientFailure("NATS: the client was closed"))
        if self._nc is not None and not self._nc.is_closed:
            with contextlib.suppress(nats.errors.Error, OSError, asyncio.TimeoutError):
                await self._nc.close()
