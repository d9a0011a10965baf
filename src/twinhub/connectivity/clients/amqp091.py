"""The `amqp-091` client: RabbitMQ (AMQP 0.9.1) on aio-pika, as Ditto's AMQP 0.9.1 binding.

- uri `amqp[s]://user:password@host:port/vhost`; no automatic reconnect: a lost connection ends every
  `deliveries` iterator with ClientFailure, so the runtime sees the outage and reconnects itself;
- sources are queue names (they must exist); the consumers of every worker compete on a queue, so each
  message reaches one of them. One channel per source, with a prefetch of `max_in_flight` for the channel;
- settle: ACCEPT = ack, REDELIVER = nack with requeue, REJECT = reject without requeue (dead-lettered when the
  queue has a dead-letter exchange);
- targets are `exchange/routingKey` (an empty exchange is the default one, `/queue` sends to `queue`);
  publishing waits for the broker's publisher confirm;
- headers: AMQP basic properties are the headers `content-type`, `content-encoding`, `correlation-id`,
  `reply-to`, `message-id`, `type` and `app-id`; every other header is an entry of the AMQP headers table.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator
from typing import Final

import aio_pika
import aio_pika.abc
import aio_pika.exceptions
import orjson
import yarl
from pamqp import commands as spec

from twinhub.connectivity.clients.base import (
    ClientFailure,
    ClientSettings,
    Delivery,
    Outcome,
    SettledOnce,
    SourceSettings,
    refused_as_oversize,
)
from twinhub.connectivity.external import ExternalMessage

__all__ = ["Amqp091Client"]

# Header name -> aio-pika Message attribute. `user-id` and `expiration` are left out: RabbitMQ refuses a
# user-id other than the connection's user, and an expiration is the broker's business, not a header's.
PROPERTIES: Final = {"content-type": "content_type", "content-encoding": "content_encoding",
                     "correlation-id": "correlation_id", "reply-to": "reply_to", "message-id": "message_id",
                     "type": "type", "app-id": "app_id"}
_MAX_HEADER_NAME: Final = 128  # pamqp truncates longer field table keys

_FAILURES: Final = (*aio_pika.exceptions.CONNECTION_EXCEPTIONS, asyncio.TimeoutError)


def _where(uri: str) -> str:
    """The uri without its credentials, for messages."""
    try:
        url = yarl.URL(uri)
        return f"{url.scheme}://{url.host}:{url.port or (5671 if url.scheme == 'amqps' else 5672)}{url.path}"
    except ValueError:
        return "<invalid uri>"


class Amqp091Client:
    """One AMQP 0.9.1 connection of one worker (see the module docstring)."""

    def __init__(self, settings: ClientSettings) -> None:
        self._settings = settings
        self._connection: aio_pika.abc.AbstractConnection | None = None
        self._publisher: aio_pika.abc.AbstractChannel | None = None
        self._opening = asyncio.Lock()
        self._closed = False

    async def connect(self) -> None:
        if self._connection is not None or self._closed:
            raise RuntimeError("an AMQP client connects once")
        settings = self._settings
        where = _where(settings.uri)
        try:
            url = yarl.URL(settings.uri)
        except ValueError as exc:
            raise ClientFailure(f"invalid uri: {exc}") from exc
        if url.scheme not in ("amqp", "amqps"):
            raise ClientFailure(f"uri scheme must be amqp or amqps, not {url.scheme!r}")
        if not url.host:
            raise ClientFailure("the uri names no host")
        context = None
        if url.scheme == "amqps" and not settings.validate_certificates:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        try:
            async with asyncio.timeout(settings.connect_timeout):
                self._connection = await aio_pika.connect(
                    url, timeout=settings.connect_timeout, ssl_context=context,
                    client_properties={"connection_name": f"twinhub {settings.connection_id} {settings.client_id}"})
        except aio_pika.exceptions.ProbableAuthenticationError as exc:
            raise ClientFailure(f"{where} refused the credentials: {exc}") from exc
        except aio_pika.exceptions.InvalidFrameError as exc:  # Connection.Close instead of Connection.OpenOk
            raise ClientFailure(f"{where} refused to open the connection (does the virtual host exist, may the "
                                f"user use it?)") from exc
        except TimeoutError as exc:
            raise ClientFailure(f"no answer from {where} within {settings.connect_timeout} s") from exc
        except (*_FAILURES, ValueError) as exc:  # ValueError: a host the resolver cannot take (a NUL, an IDNA label)
            raise ClientFailure(f"cannot connect to {where}: {exc!r}") from exc

    def _open(self) -> aio_pika.abc.AbstractConnection:
        if self._connection is None or self._closed:
            raise RuntimeError("the AMQP client is not connected")
        if self._connection.is_closed:
            raise ClientFailure(f"the connection to {_where(self._settings.uri)} is closed")
        return self._connection

    async def deliveries(self, source: SourceSettings) -> AsyncIterator[Delivery]:
        connection = self._open()
        inbox: asyncio.Queue[aio_pika.abc.AbstractIncomingMessage | ClientFailure] = asyncio.Queue()
        queues: dict[str, str] = {}  # consumer tag -> queue name

        def lost(_sender: object, exc: BaseException | None = None) -> None:
            inbox.put_nowait(ClientFailure(f"source {source.index}: the channel closed: {exc!r}"))

        async def received(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            inbox.put_nowait(message)  # bounded by the channel's prefetch

        def cancelled(frame: spec.Basic.Cancel) -> None:  # e.g. the queue was deleted
            queue = queues.get(frame.consumer_tag or "", "?")
            inbox.put_nowait(ClientFailure(f"source {source.index}: the broker cancelled the consumer of {queue!r}"))

        try:
            channel = await connection.channel(publisher_confirms=False)
        except _FAILURES as exc:
            raise ClientFailure(f"source {source.index}: cannot open a channel: {exc!r}") from exc
        channel.close_callbacks.add(lost)
        try:
            try:
                (await channel.get_underlay_channel()).on_consumer_cancel_callbacks.add(cancelled)
                await channel.set_qos(prefetch_count=self._settings.max_in_flight, global_=True)
                for address in source.addresses:
                    queue = await channel.get_queue(address, ensure=True)
                    queues[await queue.consume(received, no_ack=False)] = address
            except _FAILURES as exc:
                raise ClientFailure(f"source {source.index}: cannot consume {source.addresses}: {exc!r}") from exc
            while True:
                item = await inbox.get()
                if isinstance(item, ClientFailure):
                    raise item
                address = queues.get(item.consumer_tag or "", "")
                if refused_as_oversize(self._settings, address, len(item.body)):
                    await _Delivery(item, ExternalMessage(address=address)).settle(Outcome.REJECT)
                    continue
                yield _Delivery(item, _incoming(item, address))
        finally:
            channel.close_callbacks.discard(lost)
            if not channel.is_closed:
                with contextlib.suppress(*_FAILURES):  # the connection went first: nothing left to close
                    await channel.close()

    async def publish(self, message: ExternalMessage, *, qos: int | None = None) -> None:
        """Publish to `exchange/routingKey` and wait for the publisher confirm (`qos` is ignored: AMQP
        always confirms)."""
        exchange_name, _, routing_key = message.address.partition("/")
        outgoing = _outgoing(message)
        channel = await self._publishing_channel()
        try:
            exchange = (channel.default_exchange if not exchange_name
                        else await channel.get_exchange(exchange_name, ensure=False))
            await exchange.publish(outgoing, routing_key, mandatory=False, timeout=self._settings.publish_timeout)
        except aio_pika.exceptions.DeliveryError as exc:
            raise ClientFailure(f"the broker refused the message to {message.address!r}") from exc
        except TimeoutError as exc:
            raise ClientFailure(f"no confirmation for {message.address!r} within "
                                f"{self._settings.publish_timeout} s") from exc
        except _FAILURES as exc:
            raise ClientFailure(f"cannot publish to {message.address!r}: {exc!r}") from exc

    async def _publishing_channel(self) -> aio_pika.abc.AbstractChannel:
        """The channel for publishing, opened anew after the broker closed it (e.g. for a missing exchange)
        while the connection lives on."""
        connection = self._open()
        async with self._opening:  # concurrent publishers share one channel
            if self._publisher is None or self._publisher.is_closed:
                try:
                    self._publisher = await connection.channel(publisher_confirms=True)
                except _FAILURES as exc:
                    raise ClientFailure(f"cannot open a channel for publishing: {exc!r}") from exc
            return self._publisher

    async def aclose(self) -> None:
        self._closed = True
        connection, self._connection = self._connection, None
        if connection is not None and not connection.is_closed:
            with contextlib.suppress(*_FAILURES):  # already gone
                await connection.close()


class _Delivery(SettledOnce):
    __slots__ = ("_incoming",)

    def __init__(self, incoming: aio_pika.abc.AbstractIncomingMessage, message: ExternalMessage) -> None:
        super().__init__(message)
        self._incoming = incoming

    async def _settle(self, outcome: Outcome) -> None:
        try:
            if outcome is Outcome.ACCEPT:
                await self._incoming.ack()
            elif outcome is Outcome.REDELIVER:
                await self._incoming.nack(requeue=True)
            else:
                await self._incoming.reject(requeue=False)
        except _FAILURES as exc:
            raise ClientFailure(f"cannot settle ({outcome.value}): the channel is gone: {exc!r}") from exc


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, int, float)):
        return str(value).lower() if isinstance(value, bool) else str(value)
    return orjson.dumps(value, default=str).decode()  # tables and arrays, e.g. RabbitMQ's x-death


def _incoming(message: aio_pika.abc.AbstractIncomingMessage, address: str) -> ExternalMessage:
    headers = {name.lower(): _text(value) for name, value in (message.headers or {}).items()}
    for name, attribute in PROPERTIES.items():
        value = getattr(message, attribute)
        if value is not None:
            headers[name] = str(value)
    return ExternalMessage(payload=message.body, headers=headers, content_type=message.content_type,
                           address=address)


def _outgoing(message: ExternalMessage) -> aio_pika.Message:
    properties: dict[str, str] = {}
    table: dict[str, aio_pika.abc.FieldValue] = {}
    for name, value in message.headers.items():
        if name in PROPERTIES:
            properties[PROPERTIES[name]] = value
        elif len(name.encode()) > _MAX_HEADER_NAME:
            raise ClientFailure(f"header name longer than {_MAX_HEADER_NAME} bytes: {name[:40]!r}…")
        else:
            table[name] = value
    if message.content_type is not None:
        properties["content_type"] = message.content_type
    return aio_pika.Message(message.payload, headers=table, delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                            content_type=properties.get("content_type"),
                            content_encoding=properties.get("content_encoding"),
                            correlation_id=properties.get("correlation_id"), reply_to=properties.get("reply_to"),
                            message_id=properties.get("message_id"), type=properties.get("type"),
                            app_id=properties.get("app_id"))
