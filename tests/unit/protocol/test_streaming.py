from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from twinhub.model.errors import TwinhubError
from twinhub.model.events import ThingEvent
from twinhub.protocol import (
    Envelope,
    StreamingCancel,
    StreamingRequest,
    SubscribeForPersistedEvents,
    encode_envelope,
    parse_envelope,
    streaming_command,
    streaming_complete,
    streaming_created,
    streaming_failed,
    streaming_next,
    thing_event,
)


def _envelope(topic: str, value: object = ..., path: str = "/") -> Envelope:
    message: dict[str, object] = {"topic": topic, "headers": {"correlation-id": "h-1"}, "path": path}
    if value is not ...:
        message["value"] = value
    return parse_envelope(orjson.dumps(message))


_T = "org.eclipse.ditto/lamp-7/things/twin/streaming/"


def test_subscribe_for_persisted_events_of_a_thing() -> None:
    value = {"fromHistoricalRevision": -5, "toHistoricalRevision": 0,
             "fromHistoricalTimestamp": "2024-01-01T00:00:00+01:00", "toHistoricalTimestamp": "2024-01-02T00:00:00Z",
             "filter": "exists(attributes/x)"}
    assert streaming_command(_envelope(_T + "subscribeForPersistedEvents", value, "/attributes")) == \
        SubscribeForPersistedEvents("things", "org.eclipse.ditto:lamp-7", ("attributes",), -5, 0,
                           datetime(2023, 12, 31, 23, tzinfo=UTC), datetime(2024, 1, 2, tzinfo=UTC),
                           "exists(attributes/x)")


def test_subscribe_without_options_streams_the_whole_history() -> None:
    assert streaming_command(_envelope(_T + "subscribeForPersistedEvents")) == SubscribeForPersistedEvents(
        "things", "org.eclipse.ditto:lamp-7", (), None, None, None, None, None)


def test_policies_stream_too() -> None:
    signal = streaming_command(_envelope("ns/p/policies/streaming/subscribeForPersistedEvents", {}, "/entries"))
    assert signal == SubscribeForPersistedEvents("policies", "ns:p", ("entries",), None, None, None, None, None)


def test_request_and_cancel() -> None:
    assert streaming_command(_envelope(_T + "request", {"subscriptionId": "s", "demand": 10})) == \
        StreamingRequest("things", "org.eclipse.ditto:lamp-7", "s", 10)
    assert streaming_command(_envelope(_T + "cancel", {"subscriptionId": "s"})) == \
        StreamingCancel("things", "org.eclipse.ditto:lamp-7", "s")


@pytest.mark.parametrize(("topic", "value", "path", "code"), [
    (_T + "subscribeForPersistedEvents", {"fromHistoricalRevision": "1"}, "/", "json.invalid"),
    (_T + "subscribeForPersistedEvents", {"toHistoricalRevision": 1.0}, "/", "json.invalid"),
    (_T + "subscribeForPersistedEvents", {"fromHistoricalTimestamp": "yesterday"}, "/", "json.invalid"),
    (_T + "subscribeForPersistedEvents", {"filter": 1}, "/", "json.invalid"),
    (_T + "subscribeForPersistedEvents", [], "/", "json.invalid"),
    (_T + "subscribeForPersistedEvents", {}, "/nope", "protocoladapter:unknown.path"),
    ("bad ns/t/things/twin/streaming/request", {"subscriptionId": "s"}, "/", "things:id.invalid"),
    (_T + "request", {"demand": 1}, "/", "json.field.missing"),
    (_T + "next", {"subscriptionId": "s", "item": {}}, "/", "protocoladapter:unknown.topicpath"),
])
def test_malformed_streaming_commands_are_rejected(topic: str, value: object, path: str, code: str) -> None:
    with pytest.raises(TwinhubError) as raised:
        streaming_command(_envelope(topic, value, path))
    assert raised.value.code == code


def test_streaming_events_keep_the_entity_of_the_subscription_and_echo_its_correlation_id() -> None:
    request = _envelope(_T + "subscribeForPersistedEvents", {"fromHistoricalRevision": 1})
    event = ThingEvent("org.eclipse.ditto:lamp-7", "modified", ("attributes", "x"), 1, 7,
                       datetime(2024, 1, 1, tzinfo=UTC))
    item = thing_event(event, value=1, headers={}).to_json()
    decoded = [orjson.loads(encode_envelope(envelope)) for envelope in (
        streaming_created(request, "s"),
        streaming_next(request, "s", item),
        streaming_complete(request, "s"),
        streaming_failed(request, "s", TwinhubError("x.y", 500, "boom")),
    )]
    assert [message["topic"] for message in decoded] == [
        _T + action for action in ("created", "next", "complete", "failed")]
    assert decoded[1]["value"] == {"subscriptionId": "s", "item": {
        "topic": "org.eclipse.ditto/lamp-7/things/twin/events/modified",
        "headers": {"content-type": "application/json"}, "path": "/attributes/x", "value": 1, "revision": 7,
        "timestamp": "2024-01-01T00:00:00.000000Z"}}
    assert decoded[3]["value"] == {"subscriptionId": "s", "error": {"status": 500, "error": "x.y",
                                                                    "message": "boom"}}
    assert all(message["headers"] == {"correlation-id": "h-1", "content-type": "application/json"}
               for message in decoded)


def test_policy_streaming_events_have_no_channel() -> None:
    request = _envelope("ns/p/policies/streaming/subscribeForPersistedEvents", {})
    assert str(streaming_complete(request, "s").topic) == "ns/p/policies/streaming/complete"
