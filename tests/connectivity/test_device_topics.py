"""The device endpoint's topics and telemetry layouts, in process: who may use which topic, and the merge a
telemetry message becomes."""

from __future__ import annotations

import json

import pytest

from twinhub.connectivity.device.telemetry import (
    Layout,
    TelemetryInvalid,
    create_command,
    merge_command,
    owner_policy,
    telemetry_patch,
)
from twinhub.connectivity.device.topics import DeviceTopic, Kind, parse_topic
from twinhub.protocol import encode_envelope

DEVICE = ("device:org.example:s1",)
USER = ("nginx:alice",)


@pytest.mark.parametrize(("topic", "parsed"), [
    ("devices/org.example:s1/telemetry", DeviceTopic("org.example:s1", Kind.TELEMETRY)),
    ("devices/org.example:s1/commands", DeviceTopic("org.example:s1", Kind.COMMANDS)),
    ("devices/:no-namespace/errors", DeviceTopic(":no-namespace", Kind.ERRORS)),
    ("devices/org.example:s1/telemetry/extra", None), ("devices/org.example:s1/other", None),
    ("devices/+/telemetry", None), ("devices/#", None), ("devices/org.example:s+/telemetry", None),
    ("devices/not-a-thing-id/telemetry", None), ("things/org.example:s1/telemetry", None), ("", None),
])
def test_parse_topic(topic: str, parsed: DeviceTopic | None) -> None:
    assert parse_topic(topic) == parsed
    if parsed is not None:
        assert str(parsed) == topic


def test_a_device_uses_only_its_own_topics_in_their_direction() -> None:
    own, other = "org.example:s1", "org.example:s2"
    assert DeviceTopic(own, Kind.TELEMETRY).allowed(DEVICE, publish=True)
    assert DeviceTopic(own, Kind.RESPONSES).allowed(DEVICE, publish=True)
    assert DeviceTopic(own, Kind.COMMANDS).allowed(DEVICE, publish=False)
    assert DeviceTopic(own, Kind.ERRORS).allowed(DEVICE, publish=False)
    assert not DeviceTopic(own, Kind.TELEMETRY).allowed(DEVICE, publish=False)
    assert not DeviceTopic(own, Kind.COMMANDS).allowed(DEVICE, publish=True)
    for kind in Kind:
        assert not DeviceTopic(other, kind).allowed(DEVICE, publish=kind.inbound)


def test_a_user_names_any_thing_and_its_policy_decides() -> None:
    assert DeviceTopic("org.example:s2", Kind.TELEMETRY).allowed(USER, publish=True)
    assert DeviceTopic("org.example:s2", Kind.COMMANDS).allowed(USER, publish=False)
    assert not DeviceTopic("org.example:s2", Kind.COMMANDS).allowed(USER, publish=True)


@pytest.mark.parametrize(("layout", "value"), [
    (Layout.FEATURES, {"features": {"t": {"properties": {"value": 21.5}},
                                    "door": {"properties": {"value": {"o": 1}}}}}),
    (Layout.ATTRIBUTES, {"attributes": {"t": 21.5, "door": {"o": 1}}}),
    (Layout.MERGE, {"t": 21.5, "door": {"o": 1}}),
])
def test_telemetry_becomes_one_merge_at_the_root(layout: Layout, value: object) -> None:
    patch = telemetry_patch(b'{"t": 21.5, "door": {"o": 1}}', layout)
    assert patch == value
    frame = json.loads(encode_envelope(merge_command("org.example:s1", patch, "c-1")))
    assert frame == {"topic": "org.example/s1/things/twin/commands/merge", "path": "/", "value": value,
                     "headers": {"correlation-id": "c-1", "content-type": "application/merge-patch+json",
                                 "response-required": True}}
    existing = json.loads(encode_envelope(merge_command("org.example:s1", patch, "c-1", existing=True)))
    assert existing["headers"]["if-match"] == "*"


def test_a_missing_thing_is_created_with_the_owner_policy() -> None:
    policy = owner_policy("device:org.example:s1", ["nginx:admin", "keycloak:ops"])
    frame = json.loads(encode_envelope(create_command("org.example:s1", {"attributes": {"t": 1}}, policy, "c-2")))
    assert frame["topic"] == "org.example/s1/things/twin/commands/create"
    assert frame["headers"]["if-none-match"] == "*"
    assert frame["value"] == {"attributes": {"t": 1}, "_policy": policy}
    device, admin = policy["entries"]["DEVICE"], policy["entries"]["ADMIN"]  # type: ignore[index]
    assert list(device["subjects"]) == ["device:org.example:s1"]
    assert set(device["resources"]) == {"thing:/", "message:/"}  # not its policy
    assert list(admin["subjects"]) == ["nginx:admin", "keycloak:ops"]
    assert set(admin["resources"]) == {"thing:/", "policy:/", "message:/"}


@pytest.mark.parametrize("payload", [b"", b"nope", b"[]", b"1", b'"x"', b"null", b"\xff", b"[" * 2000 + b"]" * 2000,
                                     b'{"a": 1'])
def test_only_a_json_object_is_telemetry(payload: bytes) -> None:
    with pytest.raises(TelemetryInvalid):
        telemetry_patch(payload, Layout.FEATURES)
