"""The wire form of live signals: every kind survives the round trip, binary payloads as they are."""

from __future__ import annotations

import orjson
import pytest

from twinhub.bus.signal_codec import decode_signal, encode_signal, signal_kind
from twinhub.model.live import (
    Acknowledgement,
    LabelAnnouncement,
    LiveCommand,
    LiveEvent,
    LiveMessage,
    LiveResponse,
    Signal,
    SubjectDeletion,
)
from twinhub.model.types import MISSING

THING_ID = "org.twinhub.test:lämp"
SIGNALS: list[Signal] = [
    LiveMessage(THING_ID, "ask/question", "inbox", payload=b"\x00\n\xff{", content_type="application/octet-stream",
                headers={"correlation-id": "c-1", "timeout": "10"}),
    LiveMessage(THING_ID, "smoke", "outbox", "alarm", headers={}),
    LiveMessage(THING_ID, "claim", claim=True),
    LiveResponse("c-1", 200, b'{"mood":"fine"}\n', "application/json", {"x": "y"}),
    LiveResponse("c-2", 204),
    LiveCommand(THING_ID, "modify", ("attributes", "a/b", "~"), {"n": None}, {"correlation-id": "c-3"}),
    LiveCommand(THING_ID, "merge", (), None),
    LiveCommand(THING_ID, "retrieve"),
    LiveEvent(THING_ID, "modified", ("features", "f"), [1, 2.5, "x"], {}, revision=4,
              timestamp="2024-05-01T12:00:00.000000Z"),
    LiveEvent(THING_ID, "deleted"),
    Acknowledgement("conn:ack", THING_ID, "c-4", 200, {"correlation-id": "c-4"}, {"ok": True}),
    Acknowledgement("conn:ack", THING_ID, "c-4", 200, weak=True),
    Acknowledgement("conn:null", THING_ID, "c-4", 500, payload=None),
    LabelAnnouncement("nginx:device", ("conn:ack", "conn:other"), 1700000000.25),
    SubjectDeletion("org.twinhub.test:policy", ("nginx:device", "nginx:other"), "2030-01-01T00:00:00Z",
                    {"correlation-id": "c-5", "requested-acks": '["conn:ack"]', "timeout": "10000ms"}),
]


@pytest.mark.parametrize("signal", SIGNALS, ids=lambda signal: f"{signal_kind(signal)}")
def test_every_signal_survives_the_round_trip(signal: Signal) -> None:
    assert decode_signal(encode_signal(signal)) == signal


def test_the_routing_data_of_workers_survives_the_round_trip() -> None:
    message = decode_signal(encode_signal(LiveMessage(THING_ID, "ask", request_id="r-1")))
    command = decode_signal(encode_signal(LiveCommand(THING_ID, "retrieve", request_id="r-2")))
    response = decode_signal(encode_signal(LiveResponse("c-1", 200, request_id="r-3")))
    vouch = decode_signal(encode_signal(LiveResponse("c-5", 200, party="connection:lamps")))
    ack = decode_signal(encode_signal(Acknowledgement("conn:ack", THING_ID, "c-4", 200, issuer="nginx:device")))
    assert isinstance(vouch, LiveResponse) and (vouch.party, vouch.request_id) == ("connection:lamps", None)
    assert isinstance(message, LiveMessage) and message.request_id == "r-1"
    assert isinstance(command, LiveCommand) and command.request_id == "r-2"
    assert isinstance(response, LiveResponse) and response.request_id == "r-3"
    assert isinstance(ack, Acknowledgement) and ack.issuer == "nginx:device"
    assert decode_signal(encode_signal(LiveResponse("c-1", 200))).request_id is None  # type: ignore[union-attr]
    assert decode_signal(encode_signal(LiveResponse("c-1", 200))).party is None  # type: ignore[union-attr]


def test_absent_values_are_left_out_and_null_is_kept() -> None:
    head = encode_signal(LiveCommand(THING_ID, "retrieve")).split(b"\n", 1)[0]
    assert "value" not in orjson.loads(head)
    head = encode_signal(LiveCommand(THING_ID, "merge", (), None)).split(b"\n", 1)[0]
    assert orjson.loads(head)["value"] is None
    assert decode_signal(encode_signal(LiveCommand(THING_ID, "retrieve"))).value is MISSING  # type: ignore[union-attr]


def test_unknown_fields_are_ignored() -> None:
    head, _, payload = encode_signal(LiveResponse("c-1", 200, b"body")).partition(b"\n")
    newer = orjson.dumps({**orjson.loads(head), "future": {"field": 1}}) + b"\n" + payload
    assert decode_signal(newer) == LiveResponse("c-1", 200, b"body")


@pytest.mark.parametrize("data", [
    b"",
    b"no json line",
    b"not json\n",
    b"[1]\n",
    b'{"kind":"gossip"}\n',
    b'{"kind":"response","status":200}\n',
    b'{"kind":"response","correlationId":"c","status":"200"}\n',
    b'{"kind":"response","correlationId":"c","status":42}\n',
    b'{"kind":"message","thingId":"t:x","subject":"a b","direction":"inbox"}\n',
    b'{"kind":"message","thingId":"t:x","subject":"s","direction":"sideways"}\n',
    b'{"kind":"command","thingId":"t:x","action":"explode","path":[]}\n',
    b'{"kind":"command","thingId":"t:x","action":"retrieve","path":[1]}\n',
    b'{"kind":"ack","label":"x","entityId":"t:x","correlationId":"c","status":200}\n',
    b'{"kind":"ack","label":"conn:a","entityId":"t:x","correlationId":"c","status":200,"headers":{"a":1}}\n',
    b'{"kind":"labels","subject":"s","labels":["no"],"since":1}\n',
    b'{"kind":"labels","subject":"s","labels":"conn:a","since":1}\n',
    b'{"kind":"labels","subject":"s","labels":["conn:a"],"since":"now"}\n',
])
def test_anything_else_is_a_value_error(data: bytes) -> None:
    with pytest.raises(ValueError):
        decode_signal(data)


def test_a_value_that_is_not_json_cannot_be_encoded() -> None:
    with pytest.raises(ValueError):
        encode_signal(LiveCommand(THING_ID, "modify", (), 2**70))
