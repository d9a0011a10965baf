from __future__ import annotations

import base64

import orjson
import pytest

from twinhub.model.errors import TwinhubError
from twinhub.model.types import MISSING, JsonValue
from twinhub.protocol import (
    Envelope,
    Message,
    encode_envelope,
    message_envelope,
    message_from_envelope,
    message_response,
    parse_envelope,
    payload_from_bytes,
    payload_kind,
    payload_to_bytes,
)

_TOPIC = "org.eclipse.ditto/smartcoffee/things/live/messages/"


def _envelope(subject: str, path: str, value: object = ..., content: str | None = "text/plain",
              **fields: object) -> Envelope:
    headers: dict[str, object] = {"correlation-id": "m-1"}
    if content is not None:
        headers["content-type"] = content
    message: dict[str, object] = {"topic": _TOPIC + subject, "headers": headers, "path": path, **fields}
    if value is not ...:
        message["value"] = value
    return parse_envelope(orjson.dumps(message))


def _error(subject: str, path: str) -> TwinhubError:
    with pytest.raises(TwinhubError) as raised:
        message_from_envelope(_envelope(subject, path, "x"))
    return raised.value


# --- reading ------------------------------------------------------------------------------------------


def test_a_text_message_to_a_things_inbox() -> None:
    message = message_from_envelope(_envelope("ask", "/inbox/messages/ask", "Hey, how are you?"))
    assert message == Message(
        thing_id="org.eclipse.ditto:smartcoffee", subject="ask", direction="inbox", feature_id=None,
        payload="Hey, how are you?", content_type="text/plain",
        headers={"correlation-id": "m-1", "content-type": "text/plain"}, status=None)
    assert message.path == "/inbox/messages/ask"


def test_a_message_from_a_features_outbox_with_a_multi_segment_subject() -> None:
    message = message_from_envelope(_envelope("smoke/detected", "/features/smokedetector/outbox/messages/"
                                                                "smoke/detected", {"ppm": 400}, "application/json"))
    assert (message.feature_id, message.direction, message.subject, message.payload) == (
        "smokedetector", "outbox", "smoke/detected", {"ppm": 400})
    assert message.path == "/features/smokedetector/outbox/messages/smoke/detected"


def test_a_message_response_carries_its_status() -> None:
    response = message_from_envelope(_envelope("ask", "/inbox/messages/ask", "I am a teapot", status=418))
    assert response.status == 418


def test_a_message_without_payload_has_none() -> None:
    assert message_from_envelope(_envelope("ping", "/inbox/messages/ping")).payload is MISSING


@pytest.mark.parametrize(("content", "value", "payload"), [
    ("application/json", {"a": [1, 2]}, {"a": [1, 2]}),
    ("application/vnd.eclipse.ditto+json", "text", "text"),
    ("text/plain", "47", "47"),
    ("text/plain", 47, "47"),
    ("text/plain", {"a": 1}, '{"a":1}'),
    ("application/javascript", "x()", "x()"),
    ("application/octet-stream", base64.b64encode(b"\x00\x01").decode(), "AAE="),
    ("application/octet-stream", "AAE", "AAE="),
    ("application/octet-stream", "not base64!", base64.b64encode(b"not base64!").decode()),
    (None, "aGk=", "aGk="),
    ("application/merge-patch+json", "aGk=", "aGk="),
])
def test_payloads_are_represented_by_their_content_type_as_in_ditto(content: str | None, value: JsonValue,
                                                                    payload: JsonValue) -> None:
    message = message_from_envelope(_envelope("s", "/inbox/messages/s", value, content))
    assert message.payload == payload


# --- errors ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/inbox/messages/other", "/messages/ask", "/inbox/messages/ask/more",
                                  "/features/inbox/messages/ask", "/mailbox/messages/ask",
                                  "/features/a/b/inbox/messages/ask"])
def test_the_path_must_end_in_the_topics_subject(path: str) -> None:
    error = _error("ask", path)
    assert (error.code, error.status) == ("protocoladapter:invalid.path", 400)
    assert error.message == f"The path '{path}' is not valid."
    assert error.description == "It should match the pattern: (/features/[^/]+)?/(inbox|outbox)/messages/ask"


def test_a_subject_with_control_characters_is_subject_invalid() -> None:
    assert _error("bad\u0007bell", "/inbox/messages/bad\u0007bell").code == "messages:subject.invalid"


def test_an_invalid_feature_id_is_json_key_invalid() -> None:
    assert _error("s", "/features/\u00e4/inbox/messages/s").code == "things:json.key.invalid"


def test_only_live_message_topics_are_messages() -> None:
    with pytest.raises(TwinhubError) as raised:
        message_from_envelope(parse_envelope(b'{"topic":"ns/t/things/live/events/created","path":"/","value":{}}'))
    assert raised.value.code == "protocoladapter:unknown.topicpath"


def test_the_thing_id_must_be_valid() -> None:
    with pytest.raises(TwinhubError) as raised:
        message_from_envelope(parse_envelope(
            b'{"topic":"bad ns/t/things/live/messages/s","path":"/inbox/messages/s"}'))
    assert raised.value.code == "things:id.invalid"


# --- writing ------------------------------------------------------------------------------------------


def test_a_message_is_written_back_as_read() -> None:
    envelope = _envelope("heatUp", "/features/water-tank/inbox/messages/heatUp", "47")
    assert message_envelope(message_from_envelope(envelope)) == envelope


def test_message_envelope_adds_the_content_type() -> None:
    message = Message("ns:t", "turnoff", "inbox", payload={"now": True}, content_type="application/json",
                      headers={"correlation-id": "c"})
    assert orjson.loads(encode_envelope(message_envelope(message))) == {
        "topic": "ns/t/things/live/messages/turnoff",
        "headers": {"correlation-id": "c", "content-type": "application/json"},
        "path": "/inbox/messages/turnoff",
        "value": {"now": True},
    }


def test_a_response_keeps_topic_path_and_correlation_id() -> None:
    request = message_from_envelope(_envelope("claim", "/inbox/messages/claim", "secret"))
    response = message_response(request, 204)
    assert orjson.loads(encode_envelope(response)) == {
        "topic": _TOPIC + "claim", "headers": {"correlation-id": "m-1"}, "path": "/inbox/messages/claim",
        "status": 204}
    teapot = message_response(request, 418, "no coffee", content_type="text/plain", headers={"x-brew": "tea"})
    assert teapot.headers == {"correlation-id": "m-1", "content-type": "text/plain", "x-brew": "tea"}
    assert teapot.value == "no coffee"


# --- payload bytes (the HTTP messages API) ----------------------------------------------------------


@pytest.mark.parametrize(("content", "kind"), [
    ("application/json", "json"), ("application/td+json; charset=utf-8", "json"), ("TEXT/HTML", "text"),
    ("application/ecmascript", "text"), ("image/png", "binary"), (None, "binary"), ("", "binary"),
    ("application/merge-patch+json", "binary"),
])
def test_payload_kind_follows_dittos_content_type_classes(content: str | None, kind: str) -> None:
    assert payload_kind(content) == kind


@pytest.mark.parametrize(("content", "data"), [
    ("application/json", b'{"a":1}'), ("text/plain", "h\u00e9llo".encode()), ("image/png", b"\x89PNG\x00\xff"),
])
def test_bytes_round_trip_through_the_wire_payload(content: str, data: bytes) -> None:
    payload = payload_from_bytes(data, content)
    assert payload_to_bytes(payload, content) == data


def test_an_empty_body_is_no_payload_and_no_payload_is_no_bytes() -> None:
    assert payload_from_bytes(b"", "text/plain") is MISSING
    assert payload_to_bytes(MISSING, "text/plain") == b""


def test_a_json_body_that_does_not_parse_is_json_invalid() -> None:
    with pytest.raises(TwinhubError) as raised:
        payload_from_bytes(b"{nope", "application/json")
    assert raised.value.code == "json.invalid"
