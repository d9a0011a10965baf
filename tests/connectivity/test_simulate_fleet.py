"""The simulated fleet without a broker: realistic readings, turns, topics, and each fault as asked."""

from __future__ import annotations

import json
import random
import statistics

import pytest

from twinhub.connectivity.simulate.fleet import Faults, Fleet, FleetInvalid, render_topic
from twinhub.connectivity.simulate.sensors import RANGES, Device
from twinhub.protocol import format_topic, parse_envelope

NOON_UTC = 1_767_268_800.0  # 2026-01-01T12:00:00Z


def readings(fleet: Fleet, turns: int, *, start: float = NOON_UTC, step: float = 1.0) -> list[dict[str, float]]:
    return [json.loads(message.payload) for turn in range(turns) for message in fleet.next(start + turn * step)]


def test_readings_stay_in_their_ranges_and_counters_only_grow() -> None:
    fleet = Fleet(5, seed=1)
    values = readings(fleet, 5000, step=60.0)  # 5000 minutes: several days
    for key, (low, high) in RANGES.items():
        assert all(low <= value[key] <= high for value in values), key
    per_device = [values[index::5] for index in range(5)]
    for device in per_device:
        counters = [value["counter"] for value in device]
        batteries = [value["battery"] for value in device]
        assert counters == sorted(counters) and counters[-1] > counters[0]
        assert batteries == sorted(batteries, reverse=True) and batteries[-1] < batteries[0]
    assert len({value["temperature"] for value in values}) > 1000  # noise: not a constant


def test_temperature_follows_the_day() -> None:
    rng = random.Random(3)
    device = Device.create("org.twinhub.sim:d", rng)
    day = 86_400.0
    afternoon = [device.read(NOON_UTC + 3 * 3600 + n * day, rng)["temperature"] for n in range(200)]
    night = [device.read(NOON_UTC + 15 * 3600 + n * day, rng)["temperature"] for n in range(200)]
    assert statistics.mean(afternoon) - statistics.mean(night) > 4.0  # a 3 °C swing each way


def test_devices_take_turns_with_their_own_topics() -> None:
    fleet = Fleet(3, namespace="org.acme", topic="site/{namespace}/{name}/up", seed=2)
    topics = [message.topic for turn in range(6) for message in fleet.next(NOON_UTC + turn)]
    assert topics == ["site/org.acme/device-0/up", "site/org.acme/device-1/up", "site/org.acme/device-2/up"] * 2
    assert [device.thing_id for device in Fleet(11).devices][10] == "org.twinhub.sim:device-10"
    assert Fleet(11).devices[0].thing_id == "org.twinhub.sim:device-00"


def test_the_same_seed_gives_the_same_messages() -> None:
    def run(seed: int) -> list[bytes]:
        fleet = Fleet(4, seed=seed, faults=Faults(0.05, 0.05, 0.05, 0.05))
        return [message.payload for turn in range(500) for message in fleet.next(NOON_UTC + turn)]

    assert run(7) == run(7)
    assert run(7) != run(8)


def test_stamp_adds_the_send_time() -> None:
    fleet = Fleet(1, stamp=True, seed=1)
    assert json.loads(fleet.next(NOON_UTC + 0.25)[0].payload)["sentAt"] == NOON_UTC + 0.25


def test_malformed_payloads_are_never_json_objects() -> None:
    fleet = Fleet(2, faults=Faults(malformed=1.0), seed=1)
    messages = [message for turn in range(200) for message in fleet.next(NOON_UTC + turn)]
    assert len(messages) == 200 and all(message.fault == "malformed" for message in messages)
    for message in messages:
        try:
            document = json.loads(message.payload)
        except ValueError:
            continue
        assert not isinstance(document, dict)
    assert fleet.faults["malformed"] == 200


def test_out_of_range_values_lie_outside_their_sensor() -> None:
    fleet = Fleet(2, faults=Faults(out_of_range=1.0), seed=1)
    for message in (message for turn in range(200) for message in fleet.next(NOON_UTC + turn)):
        value = json.loads(message.payload)
        assert any(not low <= value[key] <= high for key, (low, high) in RANGES.items())
        assert message.fault == "out-of-range"


def test_duplicates_are_the_same_message_twice() -> None:
    fleet = Fleet(2, faults=Faults(duplicate=1.0), seed=1)
    for turn in range(50):
        first, second = fleet.next(NOON_UTC + turn)
        assert first.payload == second.payload and first.topic == second.topic and second.fault == "duplicate"


def test_a_dropout_silences_the_device_for_a_while() -> None:
    fleet = Fleet(1, faults=Faults(dropout=1.0), seed=1)
    assert all(fleet.next(NOON_UTC + turn) == [] for turn in range(100))
    assert fleet.faults["dropout"] == 5 and fleet.faults["dropped"] == 100  # 20 silent turns each


def test_fault_probabilities_are_kept() -> None:
    fleet = Fleet(10, faults=Faults(malformed=0.2, out_of_range=0.1), seed=4)
    messages = [message for turn in range(5000) for message in fleet.next(NOON_UTC + turn)]
    assert 0.17 < sum(m.fault == "malformed" for m in messages) / 5000 < 0.23
    assert 0.07 < sum(m.fault == "out-of-range" for m in messages) / 5000 < 0.13


@pytest.mark.parametrize("template", ["devices/{thing}/x", "devices/{thingId!r}", "devices/{thingId:>9}",
                                      "devices/+/{thingId}", "devices/#", "{", ""])
def test_bad_topic_templates_are_refused(template: str) -> None:
    with pytest.raises(FleetInvalid):
        render_topic(template, "org.acme:lamp")


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"devices": 0}, "at least one device"),
    ({"devices": 1, "namespace": "a:b"}, "namespace"),
    ({"devices": 1, "faults": "bad"}, "probability"),
])
def test_bad_fleet_options_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(FleetInvalid, match=message):
        if kwargs.get("faults") == "bad":
            Faults(malformed=1.5)
        else:
            Fleet(**kwargs)  # type: ignore[arg-type]


def test_ditto_payloads_are_merge_commands_the_protocol_takes() -> None:
    fleet = Fleet(2, namespace="org.acme", payload_format="ditto", stamp=True, seed=1)
    message = fleet.next(NOON_UTC)[0]
    envelope = parse_envelope(message.payload)
    assert format_topic(envelope.topic) == "org.acme/device-0/things/twin/commands/merge"
    assert envelope.path == "/"
    assert envelope.headers["content-type"] == "application/merge-patch+json"
    features = envelope.value["features"]  # type: ignore[index,call-overload]
    assert set(features) == {"temperature", "humidity", "battery", "counter", "sentAt"}
    assert features["sentAt"] == {"properties": {"value": NOON_UTC}}


def test_unknown_payload_format_is_refused() -> None:
    with pytest.raises(FleetInvalid, match="payload format"):
        Fleet(1, payload_format="xml")
