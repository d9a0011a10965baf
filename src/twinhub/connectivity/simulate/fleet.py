"""A fleet of simulated devices taking turns, and the faults asked of it: pure, seeded, time is an argument.

Devices report in turn (device 0, 1, ..., N-1, 0, ...), each as one JSON object per reading (see `sensors`).
Faults, each with a probability per reading:

    dropout       the device falls silent for the next `DROPOUT_READINGS` of its turns (nothing is sent)
    malformed     the payload is not a JSON object: cut short, not UTF-8, an array, or empty
    out-of-range  one value is impossible for its sensor (a temperature of 10,000 °C, humidity 150 %, ...)
    duplicate     the same payload is sent twice

The topic comes from a template with `{thingId}`, `{namespace}` and `{name}`. A reading is sent as it is
(`flat`, what the embedded device endpoint takes), or as a Ditto Protocol merge command of the thing (`ditto`,
what a connection's `Ditto` mapper takes): each key K into `features/K/properties/value`, the same place the
device endpoint puts it by default.
"""

from __future__ import annotations

import random
import string
from collections import Counter
from dataclasses import dataclass
from typing import Final

import orjson

from twinhub.connectivity.simulate.sensors import Device, Reading
from twinhub.model.types import JsonObject
from twinhub.protocol import MERGE_PATCH_JSON, Envelope, encode_envelope, thing_topic

__all__ = ["DEFAULT_TOPIC", "FAULTS", "FORMATS", "Faults", "Fleet", "FleetInvalid", "Outgoing", "render_topic"]

DEFAULT_TOPIC: Final = "devices/{thingId}/telemetry"
DROPOUT_READINGS: Final = 20
FAULTS: Final = ("dropout", "malformed", "out-of-range", "duplicate")
FORMATS: Final = ("flat", "ditto")
_TEMPLATE_FIELDS: Final = frozenset({"thingId", "namespace", "name"})
_MALFORMED: Final = (b'{"temperature": 21.', b"\xff\xfe\x00garbage", b"[1, 2, 3]", b"")
_IMPOSSIBLE: Final = (("temperature", 10_000.0), ("temperature", -300.0), ("humidity", 150.0),
                      ("humidity", -20.0), ("battery", 250.0), ("battery", -5.0))


class FleetInvalid(ValueError):
    """Fleet options that cannot work; the message says which, in one line."""


@dataclass(frozen=True, slots=True)
class Faults:
    """The probability of each fault per reading (0: never)."""

    dropout: float = 0.0
    malformed: float = 0.0
    out_of_range: float = 0.0
    duplicate: float = 0.0

    def __post_init__(self) -> None:
        for name in ("dropout", "malformed", "out_of_range", "duplicate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise FleetInvalid(f"the {name.replace('_', '-')} probability must be from 0 to 1, not {value}")


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message to publish; `fault` names what is wrong with it on purpose (None: a good reading)."""

    thing_id: str
    topic: str
    payload: bytes
    fault: str | None = None


class Fleet:
    """N devices and their faults. `next(t)` is the next device's turn at time `t`: zero messages (it is in a
    dropout), one, or two (a duplicate). `faults` counts what was done on purpose (`dropped` counts readings
    not sent)."""

    def __init__(self, devices: int, *, namespace: str = "org.twinhub.sim", name_prefix: str = "device",
                 topic: str = DEFAULT_TOPIC, faults: Faults | None = None, seed: int | None = None,
                 stamp: bool = False, payload_format: str = "flat") -> None:
        if payload_format not in FORMATS:
            raise FleetInvalid(f"the payload format must be one of {', '.join(FORMATS)}, not {payload_format!r}")
        if devices < 1:
            raise FleetInvalid(f"the fleet needs at least one device, not {devices}")
        if not namespace or ":" in namespace or "/" in namespace:
            raise FleetInvalid(f"the namespace {namespace!r} is not a thing namespace")
        self._rng = random.Random(seed)
        width = len(str(devices - 1))
        self.devices = [Device.create(f"{namespace}:{name_prefix}-{index:0{width}d}", self._rng)
                        for index in range(devices)]
        self._topics = [render_topic(topic, device.thing_id) for device in self.devices]
        self._faults = faults or Faults()
        self._silent = [0] * devices
        self._turn = 0
        self._stamp = stamp
        self._ditto = payload_format == "ditto"
        self.faults: Counter[str] = Counter()

    def next(self, t: float) -> list[Outgoing]:
        index = self._turn % len(self.devices)
        self._turn += 1
        device, topic = self.devices[index], self._topics[index]
        reading = device.read(t, self._rng)  # a silent device keeps measuring: its state moves on
        if self._silent[index]:
            self._silent[index] -= 1
            self.faults["dropped"] += 1
            return []
        faults = self._faults
        if self._rng.random() < faults.dropout:
            self._silent[index] = DROPOUT_READINGS - 1
            self.faults["dropout"] += 1
            self.faults["dropped"] += 1
            return []
        if self._rng.random() < faults.malformed:
            self.faults["malformed"] += 1
            return [Outgoing(device.thing_id, topic, self._rng.choice(_MALFORMED), "malformed")]
        fault: str | None = None
        if self._rng.random() < faults.out_of_range:
            key, value = self._rng.choice(_IMPOSSIBLE)
            reading[key] = value
            fault = "out-of-range"
            self.faults[fault] += 1
        message = Outgoing(device.thing_id, topic, self._encode(device.thing_id, reading, t), fault)
        if self._rng.random() < faults.duplicate:
            self.faults["duplicate"] += 1
            return [message, Outgoing(device.thing_id, topic, message.payload, "duplicate")]
        return [message]

    def _encode(self, thing_id: str, reading: Reading, t: float) -> bytes:
        values: dict[str, float | int] = {**reading, "sentAt": round(t, 6)} if self._stamp else reading
        if not self._ditto:
            return orjson.dumps(values)
        features: JsonObject = {key: {"properties": {"value": value}} for key, value in values.items()}
        return encode_envelope(Envelope(thing_topic(thing_id, "commands", "merge"),
                                        {"content-type": MERGE_PATCH_JSON}, "/", {"features": features}))


def render_topic(template: str, thing_id: str) -> str:
    """The template with the thing's fields; raises FleetInvalid for unknown fields or an unusable topic."""
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise FleetInvalid(f"the topic template {template!r} is not a template: {exc}") from exc
    if any(name is not None and (name not in _TEMPLATE_FIELDS or spec or conversion)
           for _, name, spec, conversion in parts):
        raise FleetInvalid(f"the topic template {template!r} may use only {{thingId}}, {{namespace}} and {{name}}")
    namespace, _, name = thing_id.partition(":")
    topic = template.format(thingId=thing_id, namespace=namespace, name=name)
    if not topic or "+" in topic or "#" in topic or "\0" in topic or len(topic.encode()) > 65535:
        raise FleetInvalid(f"the topic {topic!r} is not an MQTT topic to publish to")
    return topic
