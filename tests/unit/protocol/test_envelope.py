from __future__ import annotations

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from twinhub.model.pointer import get_at
from twinhub.model.types import MISSING, JsonValue
from twinhub.protocol import (
    Envelope,
    ProtocolError,
    encode_envelope,
    envelope_from_json,
    envelope_to_json,
    normalize_path,
    parse_envelope,
    parse_topic,
)

_TOPIC = "org.eclipse.ditto/fancy-thing/things/twin/commands/modify"


def _message(**fields: object) -> bytes:
    message: dict[str, object] = {"topic": _TOPIC, "headers": {"correlation-id": "c-1"}, "path": "/"}
    message.update(fields)
    return orjson.dumps({key: value for key, value in message.items() if value is not ...})


def _raises(data: str | bytes, **kwargs: int) -> ProtocolError:
    with pytest.raises(ProtocolError) as raised:
        parse_envelope(data, **kwargs)
    return raised.value


# --- parsing -----------------------------------------------------------------------------------------


def test_a_full_envelope_parses_every_field() -> None:
    data = orjson.dumps({
        "topic": "org.eclipse.ditto/fancy-thing/things/twin/events/modified",
        "headers": {"Correlation-Id": "c-1", "content-type": "application/json"},
        "path": "/attributes/location",
        "value": {"latitude": 44.67},
        "fields": "thingId",
        "extra": {"attributes": {"room": "kitchen"}},
        "status": 200,
        "revision": 42,
        "timestamp": "2021-01-18T09:42:12Z",
        "metadata": {"latitude": {"unit": "deg"}},
    })
    envelope = parse_envelope(data)
    assert envelope == Envelope(
        topic=parse_topic("org.eclipse.ditto/fancy-thing/things/twin/events/modified"),
        headers={"correlation-id": "c-1", "content-type": "application/json"},
        path="/attributes/location",
        value={"latitude": 44.67},
        fields="thingId",
        extra={"attributes": {"room": "kitchen"}},
        status=200,
        revision=42,
        timestamp="2021-01-18T09:42:12Z",
        metadata={"latitude": {"unit": "deg"}},
    )


def test_text_and_bytes_parse_alike() -> None:
    data = _message(value=1)
    assert parse_envelope(data) == parse_envelope(data.decode())


def test_an_absent_value_is_missing_and_a_null_value_is_none() -> None:
    assert parse_envelope(_message()).value is MISSING
    assert parse_envelope(_message(value=None)).value is None


def test_missing_headers_are_empty_and_internal_ones_dropped() -> None:
    assert parse_envelope(orjson.dumps({"topic": _TOPIC, "path": "/"})).headers == {}
    forged = parse_envelope(_message(headers={"ditto-originator": "nginx:admin", "X-Custom": "1"}))
    assert forged.headers == {"x-custom": "1"}


def test_what_a_pointer_does_not_find_is_an_absent_value() -> None:
    envelope = Envelope(parse_topic(_TOPIC), {}, "/", get_at({}, ("attributes",)))
    assert envelope.value is MISSING and "value" not in envelope_to_json(envelope)
    assert repr(MISSING) == "MISSING"


def test_to_json_is_envelope_to_json() -> None:
    envelope = Envelope(parse_topic(_TOPIC), {"a": "b"}, "/", 1)
    assert envelope.to_json() == envelope_to_json(envelope)


# --- encoding ----------------------------------------------------------------------------------------


def test_encoding_is_compact_json_in_dittos_key_order_without_absent_fields() -> None:
    envelope = Envelope(parse_topic(_TOPIC), {"correlation-id": "c"}, "/attributes/a", None, status=204)
    assert encode_envelope(envelope) == (
        b'{"topic":"org.eclipse.ditto/fancy-thing/things/twin/commands/modify",'
        b'"headers":{"correlation-id":"c"},"path":"/attributes/a","value":null,"status":204}')
    full = Envelope(parse_topic(_TOPIC), {}, "/", 1, "a", {"b": 2}, 200, 3, "t", {"m": 1})
    assert list(envelope_to_json(full)) == ["topic", "headers", "path", "value", "fields", "extra", "status",
                                            "revision", "timestamp", "metadata"]


def test_an_envelope_without_value_encodes_no_value_key() -> None:
    assert "value" not in envelope_to_json(Envelope(parse_topic(_TOPIC), {}, "/"))


_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=8,
)


@given(
    value=st.one_of(st.just(MISSING), _json),
    headers=st.dictionaries(st.from_regex(r"[a-z][a-z\-]{0,10}", fullmatch=True).filter(
        lambda name: not name.startswith("ditto-") and name not in {"channel", "subject", "timeout",
                                                                     "response-required", "requested-acks",
                                                                     "if-equal"}),
        st.text(max_size=5), max_size=3),
    status=st.one_of(st.none(), st.integers(100, 599)),
    revision=st.one_of(st.none(), st.integers(0, 2**40)),
)
def test_encode_then_parse_gives_the_envelope_back(value: JsonValue, headers: dict[str, JsonValue],
                                                   status: int | None, revision: int | None) -> None:
    envelope = Envelope(parse_topic(_TOPIC), headers, "/attributes/x", value, status=status, revision=revision)
    assert parse_envelope(encode_envelope(envelope)) == envelope


def test_envelope_from_json_takes_already_parsed_messages() -> None:
    assert envelope_from_json(orjson.loads(_message(value=True))).value is True


@pytest.mark.parametrize(("given_path", "written"), [("/", "/"), ("", "/"), ("attributes/a", "/attributes/a"),
                                                     ("/attributes/a/", "/attributes/a")])
def test_paths_are_written_back_with_one_leading_slash(given_path: str, written: str) -> None:
    assert normalize_path(given_path) == written


# --- errors ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("data", ["", "   ", b""])
def test_an_empty_message_is_json_format_invalid(data: str | bytes) -> None:
    error = _raises(data)
    assert (error.code, error.status, error.topic, error.headers) == ("json.format.invalid", 400, None, {})


@pytest.mark.parametrize("data", ["{", "not json", b"\xff\xfe", '{"topic": }'])
def test_malformed_json_is_json_invalid_without_topic(data: str | bytes) -> None:
    error = _raises(data)
    assert (error.code, error.status, error.topic) == ("json.invalid", 400, None)
    assert error.message.startswith("Failed to parse JSON string")


@pytest.mark.parametrize("data", ["[1, 2]", "42", '"topic"', "null"])
def test_json_that_is_no_object_is_json_invalid(data: str) -> None:
    error = _raises(data)
    assert error.code == "json.invalid"
    assert "is not a JSON object" in error.message


def test_headers_that_are_no_object_are_json_invalid() -> None:
    error = _raises(_message(headers=["correlation-id"]))
    assert error.code == "json.invalid"
    assert error.message == 'Value <["correlation-id"]> for </headers> is not of type <JsonObject>!'


@pytest.mark.parametrize("field", ["topic", "path"])
def test_a_missing_topic_or_path_is_json_field_missing_and_keeps_the_headers(field: str) -> None:
    error = _raises(_message(**{field: ...}))
    assert error.code == "json.field.missing"
    assert error.message == f"JSON did not include required </{field}> field!"
    assert error.headers == {"correlation-id": "c-1"}


def test_a_missing_path_keeps_the_parsed_topic_for_the_reply() -> None:
    assert _raises(_message(path=...)).topic == parse_topic(_TOPIC)


@pytest.mark.parametrize(("fields", "name", "java_type"), [
    ({"topic": 7}, "topic", "String"), ({"path": ["a"]}, "path", "String"), ({"fields": 1}, "fields", "String"),
    ({"extra": "x"}, "extra", "JsonObject"), ({"metadata": 1}, "metadata", "JsonObject"),
    ({"status": "200"}, "status", "long"),
    ({"revision": 1.5}, "revision", "long"), ({"revision": True}, "revision", "long"),
    ({"timestamp": 5}, "timestamp", "String"),
])
def test_fields_of_the_wrong_type_are_json_invalid(fields: dict[str, JsonValue], name: str, java_type: str) -> None:
    error = _raises(_message(**fields))
    assert error.code == "json.invalid"
    assert error.message.endswith(f"for </{name}> is not of type <{java_type}>!")


def test_a_status_outside_http_codes_is_json_invalid() -> None:
    assert _raises(_message(status=99)).code == "json.invalid"


def test_an_unknown_topic_is_unknown_topicpath_and_keeps_the_headers() -> None:
    error = _raises(_message(topic="ns/thing/things/twin/commands/frob"))
    assert error.code == "protocoladapter:unknown.topicpath"
    assert error.topic is None
    assert error.headers == {"correlation-id": "c-1"}


def test_invalid_header_values_are_reported_with_the_topic() -> None:
    error = _raises(_message(headers={"correlation-id": "c", "response-required": "perhaps"}))
    assert error.code == "header.invalid"
    assert error.topic == parse_topic(_TOPIC)
    timeout = _raises(_message(headers={"timeout": "5h"}))
    assert timeout.code == "timeout.invalid"


def test_a_message_over_the_size_limit_is_request_too_large() -> None:
    data = _message(value="x" * 100)
    error = _raises(data, max_size=50)
    assert (error.code, error.status) == ("request.toolarge", 413)
    assert parse_envelope(data, max_size=len(data)).value == "x" * 100


def test_the_size_limit_counts_utf8_bytes_of_text() -> None:
    text = _message(value="é" * 30).decode()
    assert _raises(text, max_size=len(text)).code == "request.toolarge"


def test_a_protocol_error_keeps_the_original_error() -> None:
    error = _raises("[]")
    assert error.error.code == error.code
    assert error.to_json()["error"] == "json.invalid"
    assert "ProtocolError" in repr(error)
