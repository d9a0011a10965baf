"""The MQTT side of the device endpoint: amqtt's broker, told where twinhub takes over.

amqtt (pinned in pyproject.toml) speaks MQTT 3.1.1 only: an MQTT 5 client is refused at CONNECT with return
code 1 (unacceptable protocol version); MQTT 5 devices reach twinhub through an external broker and a
connection. Authentication and the topics a client may subscribe to go through amqtt's documented plugin
interface (`DeviceGate`: `authenticate`, `topic_filtering`).

What no plugin can do is the crux of at-least-once: amqtt acknowledges a QoS 1 PUBLISH (`PUBACK`) as soon as
it has queued the message for its subscribers (`ProtocolHandler._handle_qos1_message_flow`), before any
plugin sees it — its message events are fired and not awaited. So the endpoint gives each connection its
own protocol handler, `DeviceHandler`, which overrides `handle_publish`, the handler's per-packet entry point
for PUBLISH (the `handle_*` methods are the ones amqtt's own broker and client handlers override): the
message is applied to the twin first, and only an accepted one is acknowledged. amqtt creates its handler
inside `Broker._initialize_client_session`; `DeviceBroker` overrides `_handle_client_session`, which
receives the unattached handler, to put a `DeviceHandler` in its place (and to refuse a failed login before
amqtt's session take-over, which it does first). tests/connectivity/test_amqtt_seams.py fails when amqtt
changes these methods' signatures or the version, so an upgrade is looked at first.

How a PUBLISH ends (MQTT 3.1.1 has no negative acknowledgement; [MQTT-3.3.5-2] leaves a server that does not
take a message the choice between acknowledging it and closing the connection):

* committed (or a response handed on): PUBACK (QoS 1), PUBREC..PUBCOMP (QoS 2, then at least once);
* refused for good (malformed, not allowed, not authorized by the thing's policy): acknowledged and dropped,
  as Mosquitto does with denied messages, so a device does not resend it forever; the Ditto error goes to
  `devices/<thingId>/errors` when the client subscribed to it;
* not committed for now (the store unavailable, a timeout) or a client flooding: no acknowledgement, the
  connection is closed, and the device resends after reconnecting.

Messages never travel between MQTT clients here (this is a device endpoint, not a general broker): every
PUBLISH ends with twinhub, and what a client receives comes from its Ditto Protocol session.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any, Final, Protocol

from amqtt.adapters import ReaderAdapter, StreamReaderAdapter, StreamWriterAdapter, WriterAdapter
from amqtt.broker import Broker
from amqtt.contexts import Action, BaseContext
from amqtt.mqtt.connack import NOT_AUTHORIZED, ConnackPacket
from amqtt.mqtt.constants import QOS_1, QOS_2
from amqtt.mqtt.protocol.broker_handler import BrokerProtocolHandler
from amqtt.mqtt.puback import PubackPacket
from amqtt.mqtt.publish import PublishPacket
from amqtt.mqtt.subscribe import SubscribePacket
from amqtt.mqtt.unsubscribe import UnsubscribePacket
from amqtt.plugins.base import BaseAuthPlugin, BaseTopicPlugin
from amqtt.session import IncomingApplicationMessage, Session

from twinhub.auth import Authenticator
from twinhub.auth.context import AuthContext
from twinhub.connectivity.device.client import DeviceClient, Outcome, Publish
from twinhub.connectivity.device.topics import parse_topic
from twinhub.model.errors import TwinhubError

__all__ = ["AMQTT_VERSION", "ClosingWriter", "DeviceBroker", "DeviceGate", "DeviceHandler", "LimitedReader"]

log = logging.getLogger("twinhub.devices")

AMQTT_VERSION: Final = "0.12.1"  # the version whose internals this module was written against
AUTH_KEY: Final = "twinhub.auth"  # where the gate leaves a session's AuthContext (amqtt's `Session.attributes`)
CONNECT_TIMEOUT: Final = 10.0  # seconds a new connection has to complete its CONNECT
CLOSE_TIMEOUT: Final = 5.0  # seconds a closing connection may take to flush before it is cut
PUBLISH_TIMEOUT: Final = 10.0  # seconds a client may take to take (QoS 0) or acknowledge (QoS 1) a message


class DeviceEndpoint(Protocol):
    """What the broker's handlers and plugin need of the endpoint (`endpoint.DeviceEndpoint`)."""

    @property
    def authenticator(self) -> Authenticator: ...

    def new_client(self, auth: AuthContext, *, publish: Publish) -> DeviceClient: ...

    def attach(self, session: Session, client: DeviceClient) -> None: ...

    def detach(self, session: Session) -> None: ...

    def client_of(self, session: Session | None) -> DeviceClient | None: ...


class PacketTooLarge(Exception):
    """A packet longer than the endpoint takes: the connection is closed before it is read."""


class LimitedReader(StreamReaderAdapter):  # type: ignore[misc]  # amqtt ships no type information
    """A socket reader that refuses packets over `max_packet` bytes (they are never buffered) and gives a
    new connection `CONNECT_TIMEOUT` seconds to say who it is."""

    def __init__(self, reader: asyncio.StreamReader, *, max_packet: int, connect_timeout: float = CONNECT_TIMEOUT
                 ) -> None:
        super().__init__(reader)
        self._max_packet = max_packet
        self._deadline: float | None = asyncio.get_running_loop().time() + connect_timeout

    def established(self) -> None:
        self._deadline = None  # from now on the client's keep-alive governs, as amqtt applies it

    async def read(self, n: int = -1) -> bytes:
        if n < 0 or n > self._max_packet:
            raise PacketTooLarge(f"a packet part of {n} bytes is over the limit of {self._max_packet}")
        if self._deadline is None:
            data: bytes = await super().read(n)
            return data
        remaining = self._deadline - asyncio.get_running_loop().time()
        return await asyncio.wait_for(super().read(n), max(remaining, 0.0))


class ClosingWriter(StreamWriterAdapter):  # type: ignore[misc]
    """amqtt's socket writer, whose close cannot hang on a client that stopped reading."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        super().__init__(writer)
        self.is_closed: bool = False

    def abort(self) -> None:
        """Drop the connection now, unsent data and all."""
        self.is_closed = True
        writer: asyncio.StreamWriter = self._writer
        writer.transport.abort()

    async def close(self) -> None:
        if self.is_closed:
            return
        self.is_closed = True
        writer: asyncio.StreamWriter = self._writer
        writer.close()
        try:
            await asyncio.wait_for(writer.wait_closed(), CLOSE_TIMEOUT)
        except (TimeoutError, OSError):
            writer.transport.abort()


class DeviceGate(BaseAuthPlugin, BaseTopicPlugin):  # type: ignore[misc]
    """amqtt's plugin for twinhub's logins and topics. Configured with the endpoint itself (`Config.endpoint`)."""

    @dataclass
    class Config:
        endpoint: object = None

    def __init__(self, context: BaseContext) -> None:
        super().__init__(context)
        self._endpoint: DeviceEndpoint = self.config.endpoint

    async def authenticate(self, *, session: Session) -> bool:
        """Log the client in as a device (a thing id as username) or a user; the subjects stay with its session."""
        if not session.username or session.password is None:
            return False
        try:
            auth = await self._endpoint.authenticator.login(session.username, session.password)
        except TwinhubError as error:
            log.info("refused an MQTT login: %s", error.message)
            return False
        earlier = session.attributes.get(AUTH_KEY)
        if earlier is not None and earlier.default_subject != auth.default_subject:
            # amqtt hands a reconnecting client its persistent session by client id alone: another subject
            # may not take it over (and with it the connection of its owner).
            log.info("refused an MQTT login: %s used the client id of %s", auth.default_subject,
                     earlier.default_subject)
            return False
        if session.will_flag:
            # amqtt would publish the will to the subscribers of any topic it names, past twinhub's checks.
            log.info("ignoring the will of %s: the device endpoint publishes no wills", auth.default_subject)
            session.will_flag = False
        session.attributes[AUTH_KEY] = auth
        return True

    async def topic_filtering(self, *, session: Session | None = None, topic: str | None = None,
                              action: Action | None = None) -> bool:
        """Subscriptions (the only action that reaches amqtt's filter here): a thing's commands or errors topic
        the client may use; the client starts delivering them."""
        client = self._endpoint.client_of(session)
        device_topic = parse_topic(topic or "")
        if client is None or device_topic is None or action != Action.SUBSCRIBE:
            return False
        try:
            if not client.may_subscribe(device_topic):
                return False
            await client.watch(device_topic)
        except Exception:  # amqtt would leave the SUBSCRIBE unanswered: refuse it, and say why
            log.exception("refused a subscription to %s after an error", topic)
            return False
        return True


class DeviceHandler(BrokerProtocolHandler):  # type: ignore[misc]
    """One connection's MQTT protocol handler, applying its PUBLISHes to twins before acknowledging them."""

    def __init__(self, endpoint: DeviceEndpoint, broker: Broker) -> None:
        super().__init__(broker.plugins_manager, loop=asyncio.get_running_loop())
        self._endpoint = endpoint
        self.client: DeviceClient | None = None
        self._dropping: asyncio.Task[None] | None = None
        self._watchdog: asyncio.Task[None] | None = None

    async def start(self) -> None:
        session: Session = self.session
        auth = session.attributes.get(AUTH_KEY)
        if auth is None:
            raise RuntimeError("a connection started without a login")
        if isinstance(self.reader, LimitedReader):
            self.reader.established()
        self.client = self._endpoint.new_client(auth, publish=self._publish_to_client)
        await self.client.open()
        self._endpoint.attach(session, self.client)
        self._watchdog = asyncio.create_task(self._drop_when_ended(self.client))
        await super().start()

    async def stop(self) -> None:
        await super().stop()
        if self._watchdog is not None and self._watchdog is not asyncio.current_task():
            self._watchdog.cancel()  # the connection is closing anyway
        client, self.client = self.client, None
        if client is not None:
            if self.session is not None:
                self._endpoint.detach(self.session)
            await client.close()

    async def handle_publish(self, publish_packet: PublishPacket) -> None:
        """Apply the message (in arrival order), then settle it by its outcome (see the module docstring)."""
        client = self.client
        topic_name, data, qos = publish_packet.topic_name, publish_packet.data, publish_packet.qos
        if client is None or topic_name is None or data is None:
            return
        packet_id = publish_packet.variable_header.packet_id if publish_packet.variable_header else None

        async def settle(outcome: Outcome) -> None:
            if outcome in (Outcome.UNAVAILABLE, Outcome.OVERLOADED):
                log.info("closing the MQTT connection of %s: %s", client.auth.default_subject, outcome.value)
                self._drop()
            elif qos == QOS_1 and packet_id is not None:
                await self._send_packet(PubackPacket.build(packet_id))

        try:
            outcome = await client.ingest(parse_topic(topic_name), bytes(data), settle)
        except Exception:  # a bug, not the client's doing: not acknowledged, the client sends it again
            log.exception("a message of %s failed; closing its connection", client.auth.default_subject)
            self._drop()
            return
        if outcome in (Outcome.ACCEPTED, Outcome.REFUSED) and qos == QOS_2 and packet_id is not None:
            # amqtt's own exchange (PUBREC, PUBREL, PUBCOMP) after the commit, outside the client's turn (it waits
            # for the client's PUBREL): at least once, not exactly once.
            message = IncomingApplicationMessage(packet_id, topic_name, qos, data, publish_packet.retain_flag)
            message.publish_packet = publish_packet
            await self._handle_qos2_message_flow(message)

    async def handle_subscribe(self, subscribe: SubscribePacket) -> None:
        if subscribe.payload is not None and self.client is not None:
            for topic, qos in subscribe.payload.topics:
                self.client.requested(topic, qos)
        await super().handle_subscribe(subscribe)

    async def handle_unsubscribe(self, unsubscribe: UnsubscribePacket) -> None:
        if unsubscribe.payload is not None and self.client is not None:
            for topic in unsubscribe.payload.topics:
                if (device_topic := parse_topic(topic)) is not None:
                    self.client.unwatch(device_topic)
        await super().handle_unsubscribe(unsubscribe)

    async def _publish_to_client(self, topic: str, payload: bytes, qos: int) -> None:
        """Send the client one message; a client that cannot take it is disconnected (never an exception)."""
        try:
            async with asyncio.timeout(PUBLISH_TIMEOUT):  # no task of its own: nothing outlives a cancelled caller
                await self.mqtt_publish(topic, payload, qos, False)
        except Exception as exc:  # amqtt raises its own errors, TimeoutError and OSError here
            log.info("closing the MQTT connection of a client that did not take a message: %r", exc)
            self._drop()

    async def _drop_when_ended(self, client: DeviceClient) -> None:
        await client.ended.wait()
        log.info("closing the MQTT connection of %s: its session ended", client.auth.default_subject)
        self._drop()

    def _drop(self) -> None:
        """Close the connection (once), from a task of its own: the caller may be one the closing cancels."""
        if self._dropping is None:
            self._dropping = asyncio.create_task(self._close_connection())

    async def _close_connection(self) -> None:
        # The socket first: amqtt's stop cancels its reader task, and on Python 3.11 `asyncio.wait_for` loses
        # that cancellation when a read completes at the same moment (a flooding client); the closed socket
        # ends the reader for sure, after what it buffered (at most the stream's 64 KiB).
        if isinstance(self.writer, ClosingWriter):
            self.writer.abort()
        with contextlib.suppress(Exception):
            await self.handle_connection_closed()
            await self.stop()


class DeviceBroker(Broker):  # type: ignore[misc]
    """amqtt's broker with a `DeviceHandler` for every connection."""

    def __init__(self, config: dict[str, Any], endpoint: DeviceEndpoint) -> None:
        super().__init__(config)
        self._endpoint = endpoint

    async def _handle_client_session(self, reader: ReaderAdapter, writer: WriterAdapter, client_session: Session,
                                     handler: BrokerProtocolHandler, server: Any, listener_name: str) -> None:
        # amqtt takes a persistent session over from its connected owner before it refuses a login that fails:
        # anyone knowing a client id could disconnect its client. So a refused login ends here.
        if not await self._authenticate(client_session, self.listeners_config[listener_name]):
            await ConnackPacket.build(0, NOT_AUTHORIZED).to_stream(writer)
            await writer.close()
            return
        # `handler` is the unattached one `BrokerProtocolHandler.init_from_connect` made: replaced before use
        # (amqtt authenticates again, from the verifier's cache).
        await super()._handle_client_session(reader, writer, client_session, DeviceHandler(self._endpoint, self),
                                             server, listener_name)

