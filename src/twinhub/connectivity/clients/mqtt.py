"""The MQTT client of `mqtt` (3.1.1) and `mqtt-5` connections: paho-mqtt, driven by the asyncio loop.

paho's socket is registered with the loop (`add_reader`/`add_writer`): paho works in the loop's thread,
but for the TCP (and TLS) connect, in a thread so that it cannot block the loop.

* At-least-once: deliveries are acknowledged by hand (paho's `manual_ack`): the PUBACK of a QoS 1 message
  goes out when the runtime settles it, after its change was committed. The session is persistent
  (MQTT 3.1.1 `clean_session=False`, MQTT 5 `clean_start=False` with a session expiry) under the stable
  client id of the worker, so whatever was not acknowledged when the link broke comes again after the
  reconnect, before or after the source subscribes anew (it waits for its source meanwhile).
* REDELIVER: MQTT has no negative acknowledgement, and a broker sends an unacknowledged message again
  only on a new connection of the session. So the client ends the link (a normal DISCONNECT, which keeps
  the session and sends the acknowledgements settled before it), its `deliveries` raise `ClientFailure`,
  and the runtime connects again after its backoff: the message comes again then (as Ditto's
  `reconnectForRedelivery`). REJECT acknowledges the message (it is given up; MQTT has no dead letters).
* Several workers share a source through MQTT 5 shared subscriptions: each address `a` becomes
  `$share/<group>/a` (an address that starts with `$share/` is left as it is). MQTT 3.1.1 has none: the
  runtime consumes a 3.1.1 connection on one worker only (Ditto allows it one client).
* Bounded: MQTT 5 brokers send at most `max_in_flight` unacknowledged QoS 1 messages (3.1.1 brokers bound
  them themselves); QoS 0 ones beyond that many waiting are dropped (at most once) and counted. A message
  over `max_message_bytes` is given up (acknowledged, never yielded) and logged on REFUSAL_LOGGER.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import AsyncIterator
from typing import Any, Final, NoReturn

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions

from twinhub.connectivity.clients.base import (
    ClientFailure,
    ClientSettings,
    Delivery,
    Outcome,
    SourceSettings,
    refused_as_oversize,
)
from twinhub.connectivity.clients.mqtt_feed import (
    Broker,
    Feed,
    LinkState,
    MqttDelivery,
    parse_broker,
    subscription_filter,
    topic_filter,
)
from twinhub.connectivity.clients.mqtt_headers import inbound_headers, new_properties, publication
from twinhub.connectivity.external import ExternalMessage

__all__ = ["DEFAULT_SESSION_EXPIRY", "MqttClient"]

log = logging.getLogger(__name__)

DEFAULT_SESSION_EXPIRY: Final = 24 * 3600  # seconds the broker keeps an MQTT 5 session of a client gone
DEFAULT_KEEPALIVE: Final = 30
class MqttClient:
    """One MQTT link of one connection on one worker (see the module docstring). Not reopenable: the runtime
    builds a new client for each connect."""

    def __init__(self, settings: ClientSettings, *, session_expiry: int = DEFAULT_SESSION_EXPIRY) -> None:
        if settings.connection_type not in ("mqtt", "mqtt-5"):
            raise ValueError(f"an MQTT client cannot serve a connection of type {settings.connection_type}")
        self._settings = settings
        self._mqtt5 = settings.connection_type == "mqtt-5"
        self._connect_timeout = settings.connect_timeout
        self._ack_timeout = settings.publish_timeout
        self._receive_maximum = settings.max_in_flight
        self._session_expiry = session_expiry
        config = settings.specific_config
        self._clean_session = str(config.get("cleanSession", "false")).lower() == "true"
        self._keepalive = int(config.get("keepAlive", DEFAULT_KEEPALIVE))
        self._state = LinkState.UNOPENED
        self._paho: paho.Client | None = None
        self._fd: int | None = None
        self._failure: ClientFailure | None = None
        self._connack: asyncio.Future[ReasonCode] | None = None
        self._acks: dict[int, asyncio.Future[Any]] = {}  # SUBACKs and PUBACKs awaited, by packet id
        self._feeds: list[Feed] = []
        self._waiting: list[MqttDelivery] = []  # came before their source subscribed (a resumed session)
        self._misc: asyncio.Task[None] | None = None
        self.dropped = 0  # QoS 0 messages dropped because their consumer fell behind

    # -- connecting --------------------------------------------------------------------------------

    async def connect(self) -> None:
        if self._state is not LinkState.UNOPENED:
            raise RuntimeError("an MQTT client connects only once; build a new one to connect again")
        self._state = LinkState.CONNECTED
        broker = parse_broker(self._settings.uri)
        loop = asyncio.get_running_loop()
        client = self._paho = self._new_paho(broker)
        properties = None
        if self._mqtt5:
            properties = new_properties(PacketTypes.CONNECT)
            properties.SessionExpiryInterval = 0 if self._clean_session else self._session_expiry
            properties.ReceiveMaximum = self._receive_maximum
        self._connack = loop.create_future()
        try:
            # The TCP (and TLS) handshake blocks: a thread does it and writes CONNECT; the loop does the rest.
            clean_start = self._clean_session if self._mqtt5 else paho.MQTT_CLEAN_START_FIRST_ONLY
            await asyncio.to_thread(client.connect, broker.host, broker.port, self._keepalive,
                                    clean_start=clean_start, properties=properties)
        except (OSError, ValueError, ssl.SSLError) as exc:
            raise ClientFailure(f"Could not connect to {broker.host}:{broker.port}: {exc}") from exc
        if self._state is LinkState.CLOSED:  # closed meanwhile
            self._close_socket()
            raise ClientFailure("The client was closed while it connected.")
        self._attach(loop, client)
        try:
            async with asyncio.timeout(self._connect_timeout):
                code = await self._connack
        except TimeoutError:
            self._give_up(ClientFailure(f"The broker at {broker.host}:{broker.port} did not accept the connection "
                                        f"within {self._connect_timeout:g} s."))
        if code.is_failure:
            self._give_up(ClientFailure(f"The broker at {broker.host}:{broker.port} refused the connection: {code}."))
        self._misc = asyncio.create_task(self._housekeeping())

    def _new_paho(self, broker: Broker) -> paho.Client:
        protocol = MQTTProtocolVersion.MQTTv5 if self._mqtt5 else MQTTProtocolVersion.MQTTv311
        client = paho.Client(CallbackAPIVersion.VERSION2, client_id=self._settings.client_id,
                             clean_session=None if self._mqtt5 else self._clean_session, protocol=protocol,
                             reconnect_on_failure=False, manual_ack=True)
        client.connect_timeout = self._connect_timeout
        if broker.username is not None:
            client.username_pw_set(broker.username, broker.password)
        if broker.tls:
            context = ssl.create_default_context()
            if not self._settings.validate_certificates:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            client.tls_set_context(context)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        client.on_publish = self._on_publish
        return client

    def _attach(self, loop: asyncio.AbstractEventLoop, client: paho.Client) -> None:
        """From now on the loop reads and writes paho's socket."""
        sock = client.socket()
        if sock is None:
            raise ClientFailure("The link to the broker was lost while connecting.")
        self._fd = sock.fileno()
        client.on_socket_register_write = lambda _client, _data, _sock: self._want_write(True)
        client.on_socket_unregister_write = lambda _client, _data, _sock: self._want_write(False)
        client.on_socket_close = lambda _client, _data, _sock: self._detach()
        loop.add_reader(self._fd, self._readable)
        self._want_write(client.want_write())

    def _want_write(self, wanted: bool) -> None:
        if self._fd is None:
            return
        loop = asyncio.get_running_loop()
        try:
            if wanted:
                loop.add_writer(self._fd, self._writable)
            else:
                loop.remove_writer(self._fd)
        except RuntimeError:  # uvloop closes its handle of a socket that failed (a reset, a hang-up)
            loop.call_soon(self._fail, ClientFailure("The link to the broker was lost."))

    def _detach(self) -> None:
        if self._fd is not None:
            loop = asyncio.get_running_loop()
            loop.remove_reader(self._fd)
            loop.remove_writer(self._fd)
            self._fd = None

    def _readable(self) -> None:
        client = self._paho
        if client is None:
            return
        client.loop_read()
        sock = client.socket()
        while isinstance(sock, ssl.SSLSocket) and sock.pending() and client.socket() is sock:
            client.loop_read()  # TLS may hold decrypted bytes the selector cannot see

    def _writable(self) -> None:
        if self._paho is not None:
            self._paho.loop_write()

    async def _housekeeping(self) -> None:
        """paho's keepalive: PINGREQ when idle, and the link dropped when the broker stops answering."""
        while self._paho is not None and self._failure is None:
            await asyncio.sleep(1.0)
            # A read the selector did not ask for: uvloop stops watching a socket that failed (a reset, a
            # hang-up) without calling its reader, so the end of the link would wait for the keep-alive.
            if self._fd is not None:
                self._readable()
            if self._failure is None and self._paho.loop_misc() is not MQTTErrorCode.MQTT_ERR_SUCCESS:
                self._fail(ClientFailure("The link to the broker was lost (no answer to keep-alive)."))

    # -- paho's callbacks (in the loop's thread) -----------------------------------------------------

    def _on_connect(self, _client: paho.Client, _data: object, _flags: object, code: ReasonCode,
                    _properties: Properties | None) -> None:
        if self._connack is not None and not self._connack.done():
            self._connack.set_result(code)

    def _on_disconnect(self, _client: paho.Client, _data: object, _flags: object, code: ReasonCode,
                       _properties: Properties | None) -> None:
        self._fail(ClientFailure(f"The link to the broker was lost: {code}."))

    def _on_message(self, _client: paho.Client, _data: object, message: paho.MQTTMessage) -> None:
        if refused_as_oversize(self._settings, message.topic, len(message.payload)):
            if message.qos > 0 and self._paho is not None:
                self._paho.ack(message.mid, message.qos)  # given up: never delivered again
            return
        properties = getattr(message, "properties", None)
        headers = inbound_headers(message.topic, message.qos, bool(message.retain), properties)
        external = ExternalMessage(bytes(message.payload), headers, headers.get("content-type"), message.topic)
        delivery = MqttDelivery(self._settle, external, message.mid, message.qos)
        identifiers = getattr(properties, "SubscriptionIdentifier", None) or []
        feed = next((feed for feed in self._feeds if feed.identifier in identifiers), None) or next(
            (feed for feed in self._feeds if feed.routes(message.topic)), None)
        if feed is None:
            self._hold(delivery, self._waiting)
        elif message.qos == 0 and feed.queue.qsize() >= self._receive_maximum:
            self.dropped += 1
        else:
            feed.queue.put_nowait(delivery)

    def _hold(self, delivery: MqttDelivery, waiting: list[MqttDelivery]) -> None:
        if delivery.qos == 0 and len(waiting) >= self._receive_maximum:
            self.dropped += 1
        else:
            waiting.append(delivery)

    def _on_subscribe(self, _client: paho.Client, _data: object, mid: int, codes: list[ReasonCode],
                      _properties: Properties | None) -> None:
        if (future := self._acks.pop(mid, None)) is not None and not future.done():
            future.set_result(codes)

    def _on_publish(self, _client: paho.Client, _data: object, mid: int, code: ReasonCode,
                    _properties: Properties | None) -> None:
        if (future := self._acks.pop(mid, None)) is not None and not future.done():
            if code.is_failure:
                future.set_exception(ClientFailure(f"The broker refused the message: {code}."))
            else:
                future.set_result(None)

    # -- failing and closing -----------------------------------------------------------------------

    def _fail(self, failure: ClientFailure) -> None:
        """The link is gone: every waiter learns it (the first reason wins)."""
        if self._failure is not None:
            return
        self._failure = failure
        if self._connack is not None and not self._connack.done():
            self._connack.set_exception(failure)
            self._connack.exception()  # retrieved: nobody may wait for it any more
        for future in self._acks.values():
            if not future.done():
                future.set_exception(failure)
                future.exception()
        self._acks.clear()
        for feed in self._feeds:
            while not feed.queue.empty():
                feed.queue.get_nowait()
            feed.queue.put_nowait(None)
        self._close_socket()

    def _give_up(self, failure: ClientFailure) -> NoReturn:
        self._fail(failure)
        raise failure  # also when the broker's closing the link was noticed first

    def _close_socket(self) -> None:
        client = self._paho
        if client is not None and (sock := client.socket()) is not None:
            self._detach()
            with contextlib.suppress(OSError):
                sock.close()

    async def aclose(self) -> None:
        """Leave the broker (a DISCONNECT that keeps the session, after the acknowledgements settled before
        it), and end every iterator and waiter. Idempotent."""
        if self._state is LinkState.CLOSED:
            return
        self._state = LinkState.CLOSED
        if self._misc is not None:
            self._misc.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._misc
        client = self._paho
        if client is not None and self._failure is None and client.socket() is not None:
            client.disconnect()
            with contextlib.suppress(OSError):
                client.loop_write()  # the PUBACKs queued before it, then DISCONNECT
        self._fail(ClientFailure("The client was closed."))

    # -- receiving ---------------------------------------------------------------------------------

    async def deliveries(self, source: SourceSettings) -> AsyncIterator[Delivery]:
        client = self._connected()
        matches = tuple(topic_filter(address) for address in source.addresses)
        group = self._settings.group if self._mqtt5 else ""
        filters = tuple(subscription_filter(address, group) for address in source.addresses)
        feed = Feed(source, filters, matches)
        self._feeds.append(feed)
        try:
            if self._failure is not None:
                raise self._failure
            waiting, self._waiting = self._waiting, []
            for held in waiting:
                if feed.routes(held.message.address):
                    feed.queue.put_nowait(held)
                else:
                    self._hold(held, self._waiting)
            await self._subscribe(client, feed, source.qos)
            while (delivery := await feed.queue.get()) is not None:
                yield delivery
            raise self._failure or ClientFailure("The link to the broker was lost.")
        finally:
            self._feeds.remove(feed)

    async def _subscribe(self, client: paho.Client, feed: Feed, qos: int | None) -> None:
        wanted = 1 if qos is None else min(max(qos, 0), 1)  # QoS 2 is not offered on sources (as Ditto)
        try:
            if self._mqtt5:
                properties = new_properties(PacketTypes.SUBSCRIBE)
                properties.SubscriptionIdentifier = feed.identifier
                code, mid = client.subscribe([(topic, SubscribeOptions(qos=wanted)) for topic in feed.filters],
                                             properties=properties)
            else:
                code, mid = client.subscribe([(topic, wanted) for topic in feed.filters])
        except ValueError as exc:
            raise ClientFailure(f"The source addresses {list(feed.source.addresses)} are no MQTT topic filters: "
                                f"{exc}") from exc
        codes: list[ReasonCode] = await self._await_ack(code, mid, "subscription")
        refused = [f"{topic} ({code})" for topic, code in zip(feed.filters, codes, strict=False) if code.is_failure]
        if refused:
            raise ClientFailure(f"The broker refused the subscription to {', '.join(refused)}.")

    async def _await_ack(self, code: MQTTErrorCode, mid: int | None, what: str) -> Any:
        if code is not MQTTErrorCode.MQTT_ERR_SUCCESS or mid is None:
            raise self._failure or ClientFailure(f"The {what} could not be sent: {paho.error_string(code)}.")
        future = self._acks[mid] = asyncio.get_running_loop().create_future()
        try:
            async with asyncio.timeout(self._ack_timeout):
                return await future
        except TimeoutError:
            self._acks.pop(mid, None)
            raise ClientFailure(f"The broker did not acknowledge the {what} within {self._ack_timeout:g} s.") from None

    def _settle(self, delivery: MqttDelivery, outcome: Outcome) -> None:
        client = self._paho
        if self._failure is not None or client is None:
            raise ClientFailure("The link the message came on is gone: the broker delivers it again.")
        if delivery.qos == 0:
            return  # at most once: nothing to acknowledge, nothing to deliver again
        if outcome is Outcome.REDELIVER:
            log.info("connection %s: ending the link to %s so that the broker delivers message %s again",
                     self._settings.connection_id, self._settings.uri.rsplit("@", 1)[-1], delivery.mid)
            client.disconnect()
            return
        try:
            client.ack(delivery.mid, delivery.qos)
        except (OSError, RuntimeError) as exc:
            raise ClientFailure("The link the message came on is gone: the broker delivers it again.") from exc

    # -- publishing --------------------------------------------------------------------------------

    async def publish(self, message: ExternalMessage, *, qos: int | None = None) -> None:
        client = self._connected()
        try:
            out = publication(message.address, message.headers, message.content_type, qos=qos or 0,
                              mqtt5=self._mqtt5)
            info = client.publish(out.topic, message.payload, out.qos, out.retain, out.properties)
        except ValueError as exc:
            raise ClientFailure(f"The message to <{message.address}> cannot be published: {exc}") from exc
        await self._await_ack(info.rc, info.mid, "message")

    def _connected(self) -> paho.Client:
        if self._failure is not None:
            raise self._failure
        if self._state is not LinkState.CONNECTED or self._paho is None:
            raise RuntimeError("connect the client first")
        return self._paho
