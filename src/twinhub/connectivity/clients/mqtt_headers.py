"""MQTT's message attributes as a connection's headers, both ways, as Ditto's MQTT bindings name them.

Inbound every message carries `mqtt.topic`, `mqtt.qos` and `mqtt.retain`; MQTT 5 adds its user properties
(names lower-cased), `content-type` (Content Type), `correlation-id` (Correlation Data), `reply-to` (Response
Topic) and `mqtt.message-expiry-interval`. Outbound the same names become the MQTT 5 properties again (MQTT
3.1.1 carries no headers: only the payload goes out), and a target's header mapping may set `mqtt.topic`,
`mqtt.qos` and `mqtt.retain` to steer the publication itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

__all__ = ["Publication", "inbound_headers", "new_properties", "publication"]

TOPIC: Final = "mqtt.topic"
QOS: Final = "mqtt.qos"
RETAIN: Final = "mqtt.retain"
EXPIRY: Final = "mqtt.message-expiry-interval"
_STEERING: Final = frozenset({TOPIC, QOS, RETAIN, EXPIRY})
_PROPERTIES: Final = frozenset({"content-type", "correlation-id", "reply-to"})


def new_properties(packet_type: int) -> Properties:
    """Empty MQTT 5 properties of a packet type (paho's constructor is untyped)."""
    return Properties(packet_type)  # type: ignore[no-untyped-call]


def inbound_headers(topic: str, qos: int, retain: bool, properties: Properties | None) -> dict[str, str]:
    headers = {TOPIC: topic, QOS: str(qos), RETAIN: str(retain).lower()}
    if properties is None:
        return headers
    for name, value in getattr(properties, "UserProperty", []):
        headers[str(name).lower()] = str(value)
    if content_type := getattr(properties, "ContentType", None):
        headers["content-type"] = str(content_type)
    if (correlation := getattr(properties, "CorrelationData", None)) is not None:
        headers["correlation-id"] = bytes(correlation).decode("utf-8", "replace")
    if response_topic := getattr(properties, "ResponseTopic", None):
        headers["reply-to"] = str(response_topic)
    if (expiry := getattr(properties, "MessageExpiryInterval", None)) is not None:
        headers[EXPIRY] = str(expiry)
    return headers


@dataclass(frozen=True, slots=True)
class Publication:
    topic: str
    qos: int
    retain: bool
    properties: Properties | None


def publication(address: str, headers: Mapping[str, str], content_type: str | None, *, qos: int,
                mqtt5: bool) -> Publication:
    """Where and how a message goes: its address unless `mqtt.topic` says otherwise, `qos` unless
    `mqtt.qos` does (0 or 1; anything else is a ValueError), and for MQTT 5 its headers as properties."""
    topic = headers.get(TOPIC) or address
    qos = int(headers[QOS]) if headers.get(QOS) else qos
    if qos not in (0, 1, 2):
        raise ValueError(f"the MQTT QoS <{qos}> is none of 0, 1 and 2")
    retain = headers.get(RETAIN, "false").strip().lower() == "true"
    if not mqtt5:
        return Publication(topic, qos, retain, None)
    properties = new_properties(PacketTypes.PUBLISH)
    if content_type := content_type or headers.get("content-type"):
        properties.ContentType = content_type
    if correlation := headers.get("correlation-id"):
        properties.CorrelationData = correlation.encode()
    if reply_to := headers.get("reply-to"):
        properties.ResponseTopic = reply_to
    if expiry := headers.get(EXPIRY):
        properties.MessageExpiryInterval = int(expiry)
    user = [(name, value) for name, value in headers.items() if name not in _STEERING | _PROPERTIES]
    if user:
        properties.UserProperty = user
    return Publication(topic, qos, retain, properties)
