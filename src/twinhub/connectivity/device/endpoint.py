"""The zero-setup device endpoint: `twinhub serve --mqtt-port N` (env `TWINHUB_MQTT_PORT`; off when unset)
runs an MQTT 3.1.1 endpoint in the server process, one subsystem of the application (`twinhub.app`).

Devices log in with their thing id and the password `twinhub device add` issued (subject `device:<thingId>`),
users with their basic credentials (`twinhub user`); see `topics.py` for what each may use, `telemetry.py`
for where telemetry lands, `client.py` for the session behind each connection and `broker.py` for how MQTT
acknowledgements wait for the commit.

Bounds: at most `max_connections` connections (more are closed at once); a packet over the request size
limit (`max_request_size` plus room for the topic) closes its connection before it is read; a connection
has `CONNECT_TIMEOUT` seconds to log in; each client may have `DEFAULT_MAX_PENDING` messages waiting and
`DEFAULT_MAX_SUBSCRIPTIONS` subscriptions, and falls behind its session's buffer no further than a WebSocket
session (then it is disconnected).

The endpoint belongs to the single-process default: `twinhub serve` refuses `--mqtt-port` with several
workers (each worker would need the port); scaled out, devices reach twinhub through an external broker
and a connection, whose shared subscriptions spread them over the workers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Final

from amqtt.session import Session as MqttSession
from starlette.routing import BaseRoute

from twinhub.auth import Authenticator
from twinhub.auth.context import AuthContext
from twinhub.config import Settings
from twinhub.connectivity.device.broker import CONNECT_TIMEOUT, ClosingWriter, DeviceBroker, DeviceGate, LimitedReader
from twinhub.connectivity.device.client import DEFAULT_MAX_PENDING, DEFAULT_MAX_SUBSCRIPTIONS, DeviceClient, Publish
from twinhub.connectivity.device.telemetry import Layout
from twinhub.service.buffers import Budget
from twinhub.service.platform import Platform
from twinhub.service.session import SessionServices

__all__ = ["DEFAULT_MAX_CONNECTIONS", "DeviceEndpoint"]

log = logging.getLogger("twinhub.devices")

DEFAULT_MAX_CONNECTIONS: Final = 10_000
TOPIC_ROOM: Final = 64 * 1024  # bytes a packet may hold beyond the payload limit: its topic and header
_LISTENER: Final = "devices"


class DeviceEndpoint:
    """The endpoint's part of the application: no routes, a lifespan that listens on `settings.mqtt_port`."""

    routes: Sequence[BaseRoute] = ()

    def __init__(self, settings: Settings, *, max_connections: int = DEFAULT_MAX_CONNECTIONS,
                 connect_timeout: float = CONNECT_TIMEOUT, max_pending: int = DEFAULT_MAX_PENDING,
                 max_subscriptions: int = DEFAULT_MAX_SUBSCRIPTIONS) -> None:
        if settings.mqtt_port is None:
            raise ValueError("the device endpoint needs settings.mqtt_port")
        self.settings = settings
        self.port = settings.mqtt_port  # the bound one once it listens (settings may say 0: any free port)
        self._max_connections = max_connections
        self._connect_timeout = connect_timeout
        self._max_pending = max_pending
        self._max_subscriptions = max_subscriptions
        self._connections = 0
        self._clients: dict[int, DeviceClient] = {}  # by id() of amqtt's session
        self._services: SessionServices | None = None
        self._budget: Budget | None = None
        self._authenticator: Authenticator | None = None

    @property
    def authenticator(self) -> Authenticator:
        assert self._authenticator is not None, "the endpoint is not running"
        return self._authenticator

    @contextlib.asynccontextmanager
    async def lifespan(self, platform: Platform) -> AsyncIterator[Mapping[str, object]]:
        self._authenticator = platform.authenticator
        self._services = platform.session_services()
        self._budget = platform.budget
        for chatty in ("amqtt", "transitions"):  # amqtt logs every connection, its state machines every step
            logging.getLogger(chatty).setLevel(logging.WARNING)
        broker = DeviceBroker({
            "listeners": {"default": {"type": "external"}, _LISTENER: {"type": "external"}},
            "plugins": {f"{DeviceGate.__module__}.{DeviceGate.__qualname__}": {"endpoint": self}},
            "session_expiry_interval": 600,  # a persistent session of a client that went away, in seconds
        }, self)
        await broker.start()
        try:
            server = await asyncio.start_server(lambda r, w: self._connected(broker, r, w),
                                                self.settings.host, self.port, reuse_address=True)
        except OSError as exc:
            await broker.shutdown()
            raise RuntimeError(f"the device endpoint cannot listen on {self.settings.host}:{self.port}: "
                               f"{exc.strerror or exc}") from exc
        self.port = server.sockets[0].getsockname()[1]
        log.info("the device endpoint (MQTT 3.1.1) listens on %s:%s", self.settings.host, self.port)
        try:
            yield {}
        finally:
            server.close()
            await broker.shutdown()
            await server.wait_closed()

    # -- connections -----------------------------------------------------------------------------------

    async def _connected(self, broker: DeviceBroker, reader: asyncio.StreamReader,
                         writer: asyncio.StreamWriter) -> None:
        closing = ClosingWriter(writer)
        if self._connections >= self._max_connections:
            await closing.close()
            return
        self._connections += 1
        try:
            limited = LimitedReader(reader, max_packet=self.settings.max_request_size + TOPIC_ROOM,
                                    connect_timeout=self._connect_timeout)
            await broker.external_connected(limited, closing, _LISTENER)
        except Exception as exc:  # a connection that broke amqtt's handshake (too large, too slow, malformed)
            log.info("dropped an MQTT connection: %r", exc)
        finally:
            self._connections -= 1
            await closing.close()

    # -- clients (called by the broker's handlers and plugin) ------------------------------------------------

    def new_client(self, auth: AuthContext, *, publish: Publish) -> DeviceClient:
        assert self._services is not None, "the endpoint is not running"
        return DeviceClient(self._services, auth, publish=publish, layout=Layout(self.settings.mqtt_telemetry),
                            buffer_bytes=self.settings.session_buffer_bytes, budget=self._budget,
                            max_pending=self._max_pending, admins=self.settings.admin_subjects,
                            max_subscriptions=self._max_subscriptions)

    def attach(self, session: MqttSession, client: DeviceClient) -> None:
        self._clients[id(session)] = client

    def detach(self, session: MqttSession) -> None:
        self._clients.pop(id(session), None)

    def client_of(self, session: MqttSession | None) -> DeviceClient | None:
        return None if session is None else self._clients.get(id(session))
