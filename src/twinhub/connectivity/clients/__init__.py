"""Broker clients: each moves bytes to and from one kind of broker or endpoint (see `base`).

`open_client(settings)` builds the client of a connection's type from `CLIENTS` (one entry per Ditto
`connectionType`); `test_connection(settings)` is the dry run of the connections API: connect, close, and say
why not.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from twinhub.connectivity.clients.amqp091 import Amqp091Client
from twinhub.connectivity.clients.amqp10 import Amqp10Client
from twinhub.connectivity.clients.base import ClientFailure, ClientSettings, ConnectionClient
from twinhub.connectivity.clients.http_push import HttpPushClient
from twinhub.connectivity.clients.mqtt import MqttClient
from twinhub.connectivity.clients.nats import NatsClient

__all__ = ["CLIENTS", "open_client", "test_connection"]

CLIENTS: Final[dict[str, Callable[[ClientSettings], ConnectionClient]]] = {
    "amqp-091": Amqp091Client,
    "amqp-10": Amqp10Client,
    "http-push": HttpPushClient,
    "nats": NatsClient,
    "mqtt": MqttClient,
    "mqtt-5": MqttClient,
}


def open_client(settings: ClientSettings) -> ConnectionClient:
    """A new, unconnected client for the settings' connection type; ClientFailure for a type without one."""
    try:
        factory = CLIENTS[settings.connection_type]
    except KeyError:
        raise ClientFailure(f"no client for the connection type {settings.connection_type!r}") from None
    return factory(settings)


async def test_connection(settings: ClientSettings) -> None:
    """Connect and close again; raises ClientFailure saying why the connection cannot be made."""
    client = open_client(settings)
    try:
        await client.connect()
    finally:
        await client.aclose()


test_connection.__test__ = False  # type: ignore[attr-defined]  # not a test for pytest when imported by one
