from __future__ import annotations

import orjson
import pytest

from twinhub.model.errors import TwinhubError
from twinhub.model.live import Acknowledgement
from twinhub.model.types import MISSING
from twinhub.protocol import (
    Envelope,
    ack_envelope,
    ack_from_envelope,
    acks_envelope,
    acks_from_envelope,
    aggregate_status,
    encode_envelope,
    parse_envelope,
    parse_topic,
)


def _envelope(topic: str, **fields: object) -> Envelope:
    message: dict[str, object] = {"topic": topic, "headers": {"correlation-id": "cmd-1"}, "path": "/", **fields}
    return parse_envelope(orjson.dumps(message))


# --- aggregate status ------------------------------------------------------------------------------


@pytest.mark.parametrize(("statuses", "combined"), [
    ([204], 204), ([408], 408), ([201, 204], 200), ([204, 408], 424), ([500, 200, 204], 424), ([], 200),
    ([199, 200], 424),
])
def test_aggregate_status_follows_dittos_rule(statuses: list[int], combined: int) -> None:
    assert aggregate_status(statuses) == combined


def test_aggregate_status_takes_any_iterable() -> None:
    assert aggregate_status(status for status in (200, 201)) == 200


# --- single acknowledgements -------------------------------------------------------------------------


def test_a_custom_acknowledgement_from_a_client_is_read() -> None:
    envelope = _envelope("ns/thing/things/twin/acks/my-connection:custom", status=200, value={"ok": True})
    ack = ack_from_envelope(envelope)
    assert ack == Acknowledgement("my-connection:custom", "ns:thing", "cmd-1", 200, {"correlation-id": "cmd-1"},
                                  {"ok": True})
    assert not ack.weak


def test_an_acknowledgement_without_payload_has_none() -> None:
    ack = ack_from_envelope(_envelope("ns/thing/things/live/acks/custom-ack", status=408))
    assert (ack.payload, ack.successful) == (MISSING, False)


def test_header_values_of_an_acknowledgement_become_text() -> None:
    message = {"topic": "ns/thing/things/twin/acks/custom", "path": "/", "status": 200,
               "headers": {"correlation-id": "c", "x-count": 3, "x-flag": True, "x-list": ["a"], "x-none": None}}
    assert ack_from_envelope(parse_envelope(orjson.dumps(message))).headers == {
        "correlation-id": "c", "x-count": "3", "x-flag": "true", "x-list": '["a"]'}


def test_an_acknowledgement_of_nothing_is_refused() -> None:
    # Without a correlation-id nobody can be waiting for it (Ditto: 400, the acknowledgement is not routed).
    for headers in ({}, {"correlation-id": ""}):
        message = {"topic": "ns/thing/things/twin/acks/custom", "headers": headers, "path": "/", "status": 200}
        with pytest.raises(TwinhubError) as raised:
            ack_from_envelope(parse_envelope(orjson.dumps(message)))
        assert (raised.value.code, raised.value.status) == ("acknowledgement:correlation-id.missing", 400)


def test_a_client_cannot_make_its_acknowledgement_weak() -> None:
    # `ditto-*` headers are Ditto's to set: only twinhub issues weak acknowledgements (for filtered events).
    message = {"topic": "ns/thing/things/twin/acks/custom", "path": "/", "status": 200,
               "headers": {"correlation-id": "c", "ditto-weak-ack": True}}
    assert not ack_from_envelope(parse_envelope(orjson.dumps(message))).weak


def test_ditto_weak_ack_is_the_weak_flag_not_a_header() -> None:
    for value in (True, "TRUE"):
        envelope = Envelope(parse_topic("ns/thing/things/twin/acks/custom"),
                            {"correlation-id": "c", "ditto-weak-ack": value}, status=200)
        ack = ack_from_envelope(envelope)
        assert ack.weak and ack.headers == {"correlation-id": "c"}


@pytest.mark.parametrize("label", ["twin-persisted", "live-response", "search-persisted"])
def test_dittos_own_labels_may_not_be_issued_by_clients(label: str) -> None:
    with pytest.raises(TwinhubError) as raised:
        ack_from_envelope(_envelope(f"ns/thing/things/twin/acks/{label}", status=200))
    assert (raised.value.code, raised.value.status) == ("acknowledgement:ditto.acklabel.forbidden", 400)


def test_an_acknowledgement_needs_a_status() -> None:
    with pytest.raises(TwinhubError) as raised:
        ack_from_envelope(_envelope("ns/thing/things/twin/acks/custom"))
    assert raised.value.code == "json.field.missing"


def test_a_bad_label_is_label_invalid_already_when_parsing_the_envelope() -> None:
    with pytest.raises(TwinhubError) as raised:
        _envelope("ns/thing/things/twin/acks/x", status=200)
    assert raised.value.code == "acknowledgement:label.invalid"


@pytest.mark.parametrize("topic", ["ns/thing/things/twin/acks", "ns/thing/things/twin/commands/modify"])
def test_only_labelled_ack_topics_are_single_acknowledgements(topic: str) -> None:
    with pytest.raises(TwinhubError) as raised:
        ack_from_envelope(_envelope(topic, status=200, value=1))
    assert raised.value.code == "protocoladapter:unknown.topicpath"


def test_an_acknowledgement_for_an_invalid_thing_id_is_id_invalid() -> None:
    with pytest.raises(TwinhubError) as raised:
        ack_from_envelope(_envelope("bad ns/thing/things/twin/acks/custom", status=200))
    assert raised.value.code == "things:id.invalid"


def test_a_single_acknowledgement_is_written_with_status_and_payload() -> None:
    ack = Acknowledgement("conn:done", "ns:thing", "c", 200, payload="fine")
    assert orjson.loads(encode_envelope(ack_envelope(ack))) == {
        "topic": "ns/thing/things/twin/acks/conn:done",
        "headers": {"correlation-id": "c", "content-type": "application/json"},
        "path": "/", "value": "fine", "status": 200,
    }


def test_a_single_acknowledgement_is_written_on_the_given_channel_weak_as_a_header() -> None:
    ack = Acknowledgement("conn:done", "ns:thing", "c", 200, {"correlation-id": "c"}, weak=True)
    envelope = ack_envelope(ack, channel="live")
    assert str(envelope.topic) == "ns/thing/things/live/acks/conn:done"
    assert envelope.headers == {"correlation-id": "c", "ditto-weak-ack": True, "content-type": "application/json"}
    assert ack_from_envelope(envelope) == Acknowledgement("conn:done", "ns:thing", "c", 200,
                                                          {"correlation-id": "c", "content-type": "application/json"},
                                                          weak=True)


# --- aggregated acknowledgements ------------------------------------------------------------------


def test_aggregated_acknowledgements_combine_labels_and_status() -> None:
    acks = [Acknowledgement("twin-persisted", "ns:thing", "c", 204, {"correlation-id": "c"}),
            Acknowledgement("conn:done", "ns:thing", "c", 408,
                            payload={"status": 408, "error": "command.timeout", "message": "late"})]
    envelope = acks_envelope("ns:thing", acks, headers={"correlation-id": "c"})
    assert orjson.loads(encode_envelope(envelope)) == {
        "topic": "ns/thing/things/twin/acks",
        "headers": {"correlation-id": "c", "content-type": "application/json"},
        "path": "/",
        "value": {
            "twin-persisted": {"status": 204, "headers": {"correlation-id": "c"}},
            "conn:done": {"status": 408, "payload": {"status": 408, "error": "command.timeout", "message": "late"},
                          "headers": {}},
        },
        "status": 424,
    }


def test_an_aggregation_entry_is_the_acknowledgements_own_json() -> None:
    acks = [Acknowledgement("conn:a", "ns:thing", "c", 200, {"correlation-id": "c"}, None, weak=True),
            Acknowledgement("conn:b", "ns:thing", "c", 204)]
    value = acks_envelope("ns:thing", acks, headers={}).value
    assert value == {ack.label: ack.to_json() for ack in acks}
    assert value == {"conn:a": {"status": 200, "payload": None,
                                "headers": {"correlation-id": "c", "ditto-weak-ack": True}},
                     "conn:b": {"status": 204, "headers": {}}}


def test_aggregated_acknowledgements_are_read_back() -> None:
    acks = (Acknowledgement("twin-persisted", "ns:thing", "c", 201, {"correlation-id": "c"}, {"thingId": "ns:thing"}),
            Acknowledgement("conn:done", "ns:thing", "c", 200, {"correlation-id": "c"}, None, weak=True))
    envelope = acks_envelope("ns:thing", acks, headers={"correlation-id": "c"}, channel="live")
    assert acks_from_envelope(parse_envelope(encode_envelope(envelope))) == acks


def test_an_entry_without_a_correlation_id_has_the_aggregations() -> None:
    envelope = _envelope("ns/thing/things/twin/acks", status=200, value={"conn:a": {"status": 200}})
    assert acks_from_envelope(envelope) == (Acknowledgement("conn:a", "ns:thing", "cmd-1", 200),)
    anonymous = parse_envelope(orjson.dumps({"topic": "ns/thing/things/twin/acks", "path": "/", "status": 200,
                                             "value": {"conn:a": {"status": 200}}}))
    with pytest.raises(TwinhubError) as raised:
        acks_from_envelope(anonymous)
    assert raised.value.code == "acknowledgement:correlation-id.missing"


@pytest.mark.parametrize(("fields", "code"), [
    ({"value": {}}, "json.field.missing"),
    ({"status": 200}, "json.field.missing"),
    ({"status": 200, "value": []}, "json.invalid"),
    ({"status": 200, "value": {"lbl": 200}}, "json.invalid"),
    ({"status": 200, "value": {"lbl": {"status": "200"}}}, "json.invalid"),
    ({"status": 200, "value": {"lbl": {"status": 42}}}, "json.invalid"),
    ({"status": 200, "value": {"lbl": {"status": 200, "headers": []}}}, "json.invalid"),
    ({"status": 200, "value": {"x": {"status": 200}}}, "acknowledgement:label.invalid"),
])
def test_malformed_aggregations_are_rejected(fields: dict[str, object], code: str) -> None:
    with pytest.raises(TwinhubError) as raised:
        acks_from_envelope(_envelope("ns/thing/things/twin/acks", **fields))
    assert raised.value.code == code


def test_a_labelled_topic_is_no_aggregation() -> None:
    with pytest.raises(TwinhubError) as raised:
        acks_from_envelope(_envelope("ns/thing/things/twin/acks/custom", status=200, value={}))
    assert raised.value.code == "protocoladapter:unknown.topicpath"
