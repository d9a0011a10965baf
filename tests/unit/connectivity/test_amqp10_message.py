"""AMQP 1.0 messages ↔ external headers (`amqp10_message`), through proton's own encoding and decoding, no
broker: Ditto's property names, the prefixes for colliding application properties and for message
annotations, times in milliseconds, bodies of every AMQP kind, and headers a property cannot take."""

from __future__ import annotations

import pytest
from proton import Message, symbol

from twinhub.connectivity.clients.amqp10_message import incoming, outgoing, payload_of
from twinhub.connectivity.external import ExternalMessage


def over_the_wire(message: Message) -> Message:
    received = Message()
    received.decode(message.encode())
    return received


def test_every_header_comes_back_as_it_went() -> None:
    headers = {"message-id": "m-1", "user-id": "guest", "to": "/amq/queue/x", "subject": "s", "reply-to": "r",
               "correlation-id": "c-1", "absolute-expiry-time": "1700000060000", "creation-time": "1700000000000",
               "group-id": "g", "group-sequence": "3", "reply-to-group-id": "rg", "device-id": "d1",
               "amqp.application.property:subject": "app-subject", "amqp.message.annotation:x-opt-k": "v"}
    sent = ExternalMessage(payload=b'{"a":1}', headers=headers, content_type="application/json", address="a")
    received = incoming(over_the_wire(outgoing(sent)), "/amq/queue/x")
    assert received.headers == headers | {"content-type": "application/json"}
    assert (received.payload, received.content_type, received.address) == (
        b'{"a":1}', "application/json", "/amq/queue/x")


def test_the_payload_is_a_data_section_and_binary_survives() -> None:
    payload = bytes(range(256))
    amqp = over_the_wire(outgoing(ExternalMessage(payload=payload)))
    assert isinstance(amqp.body, (bytes, memoryview))
    assert incoming(amqp, "q") == ExternalMessage(payload=payload, address="q")


@pytest.mark.parametrize(("body", "payload"), [
    ("text", b"text"),
    ({"k": [1, True, None]}, b'{"k":[1,true,null]}'),
    (None, b""),
    (42, b"42"),
])
def test_amqp_values_from_other_senders_become_bytes(body: object, payload: bytes) -> None:
    assert payload_of(over_the_wire(Message(body=body))) == payload


def test_application_properties_of_any_type_become_text() -> None:
    amqp = Message(body=b"", properties={"n": 7, "ok": True, "f": 1.5, "list": [1, "a"], "Upper": "u"},
                   annotations={symbol("x-opt-n"): 1})
    assert incoming(over_the_wire(amqp), "q").headers == {
        "n": "7", "ok": "true", "f": "1.5", "list": '[1,"a"]', "upper": "u", "amqp.message.annotation:x-opt-n": "1"}


@pytest.mark.parametrize("header", [{"group-sequence": "seven"}, {"creation-time": "yesterday"}])
def test_a_header_its_property_cannot_take_is_refused(header: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        outgoing(ExternalMessage(payload=b"x", headers=header))
