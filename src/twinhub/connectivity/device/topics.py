"""The topics of the device endpoint, and who may use which.

    devices/<thingId>/telemetry   in:  a JSON object merged into the twin (`telemetry.py`)
    devices/<thingId>/responses   in:  a device's Ditto Protocol response to a message it got on `commands`
    devices/<thingId>/commands    out: messages sent to the thing's inbox, as Ditto Protocol JSON
    devices/<thingId>/errors      out: the Ditto error (as Ditto Protocol JSON) of a refused telemetry message

A device (subject `device:<thingId>`) may publish to and subscribe to its own thing's topics only. Any other
client (a basic user, e.g. a gateway) names any thing: the thing's policy decides, through the client's
Ditto Protocol session, what its telemetry may change and which messages reach it. No wildcards: a topic
names one thing.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final

from twinhub.store.devices import DEVICE_SUBJECT_ISSUER, is_valid_device_id

__all__ = ["PREFIX", "DeviceTopic", "Kind", "parse_topic", "topic_of"]

PREFIX: Final = "devices"


class Kind(enum.Enum):
    TELEMETRY = "telemetry"
    RESPONSES = "responses"
    COMMANDS = "commands"
    ERRORS = "errors"

    @property
    def inbound(self) -> bool:
        """Whether clients publish to it (else they subscribe to it)."""
        return self in (Kind.TELEMETRY, Kind.RESPONSES)


_KINDS: Final = {kind.value: kind for kind in Kind}


@dataclass(frozen=True, slots=True)
class DeviceTopic:
    thing_id: str
    kind: Kind

    def __str__(self) -> str:
        return topic_of(self.thing_id, self.kind)

    def allowed(self, subjects: tuple[str, ...], *, publish: bool) -> bool:
        """Whether a client with these subjects may publish to (`publish`) or subscribe to this topic: the
        direction must fit, and a device is confined to its own thing."""
        if self.kind.inbound != publish:
            return False
        devices = [subject for subject in subjects if subject.startswith(f"{DEVICE_SUBJECT_ISSUER}:")]
        return not devices or f"{DEVICE_SUBJECT_ISSUER}:{self.thing_id}" in devices


def topic_of(thing_id: str, kind: Kind) -> str:
    return f"{PREFIX}/{thing_id}/{kind.value}"


def parse_topic(topic: str) -> DeviceTopic | None:
    """The device topic `topic` names, or None (another topic, a wildcard, an invalid thing id)."""
    parts = topic.split("/")
    if len(parts) != 3 or parts[0] != PREFIX or (kind := _KINDS.get(parts[2])) is None:
        return None
    thing_id = parts[1]
    if "+" in thing_id or "#" in thing_id or not is_valid_device_id(thing_id):
        return None
    return DeviceTopic(thing_id, kind)
