"""The parts of an MQTT link that are plain values: the broker a URI names, a delivery waiting to be settled,
and a source's feed of deliveries (which messages it routes)."""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as paho

from twinhub.connectivity.clients.base import ClientFailure, Outcome, SettledOnce, SourceSettings
from twinhub.connectivity.external import ExternalMessage

__all__ = ["Broker", "Feed", "LinkState", "MqttDelivery", "parse_broker", "subscription_filter", "topic_filter"]

_PLAIN: Final = {"tcp": 1883, "mqtt": 1883}
_TLS: Final = {"ssl": 8883, "tls": 8883, "mqtts": 8883}


class LinkState(enum.Enum):
    """A client's states: it connects once, and is not reopened once closed."""

    UNOPENED = "unopened"
    CONNECTED = "connected"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class Broker:
    host: str
    port: int
    tls: bool
    username: str | None
    password: str | None


def parse_broker(uri: str) -> Broker:
    """The broker of an MQTT URI (`tcp://user:password@host:1883`, `ssl://...`); raises ClientFailure."""
    parts = urlsplit(uri)
    scheme = parts.scheme.lower()
    if scheme not in _PLAIN and scheme not in _TLS:
        raise ClientFailure(f"The URI scheme <{scheme}> is none of MQTT's: {', '.join([*_PLAIN, *_TLS])}.")
    try:
        port = parts.port or (_TLS.get(scheme) or _PLAIN[scheme])
    except ValueError as exc:
        raise ClientFailure(f"The URI <{parts.hostname}> has no valid port.") from exc
    if not parts.hostname:
        raise ClientFailure("The URI names no host.")
    return Broker(parts.hostname, port, scheme in _TLS, unquote(parts.username) if parts.username else None,
                   unquote(parts.password) if parts.password is not None else None)


class MqttDelivery(SettledOnce):
    """A message of a source; its PUBACK (QoS 1) goes out when it is settled."""

    __slots__ = ("_client_settle", "mid", "qos")

    def __init__(self, settle: Callable[[MqttDelivery, Outcome], None], message: ExternalMessage, mid: int,
                 qos: int) -> None:
        super().__init__(message)
        self._client_settle = settle
        self.mid = mid
        self.qos = qos

    async def _settle(self, outcome: Outcome) -> None:
        self._client_settle(self, outcome)


@dataclass(eq=False, slots=True)
class Feed:
    """The deliveries of one source on their way to its consumer."""

    source: SourceSettings
    filters: tuple[str, ...]  # as subscribed (with `$share/<group>/`)
    matches: tuple[str, ...]  # the topic filters proper, to route a message without subscription identifier
    # None ends the feed: the link is gone (what was queued cannot be acknowledged any more: dropped).
    queue: asyncio.Queue[MqttDelivery | None] = field(default_factory=asyncio.Queue)

    @property
    def identifier(self) -> int:
        return self.source.index + 1  # MQTT 5 subscription identifiers start at 1

    def routes(self, topic: str) -> bool:
        return any(paho.topic_matches_sub(pattern, topic) for pattern in self.matches)


def topic_filter(address: str) -> str:
    """The topic filter proper of an address (without `$share/<group>/`)."""
    if address.startswith("$share/"):
        return address.split("/", 2)[2] if address.count("/") >= 2 else address
    return address


def subscription_filter(address: str, group: str) -> str:
    """What to subscribe to for `address`: a shared subscription of `group` (none: the address itself); an
    address that names its own `$share/` is left as it is."""
    if not group or address.startswith("$share/"):
        return address
    name = "".join("_" if char in "/+#" else char for char in group)
    return f"$share/{name}/{address}"
