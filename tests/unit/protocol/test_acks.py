from __future__ import annotations

import orjson
import pytest

from twinhub.model.errors import TwinhubError
from twinhub.protocol import (
    MISSING,
    Acknowledgement,
    Envelope,
    ack_envelope,
    ack_from_envelope,
    ack_json,
    acks_envelope,
    acks_from_envelope,
    aggregate_status,
    encode_envelope,
    parse_envelope,
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
    assert ack_from_envelope(envelope) == Acknowledgement(
        "my-connection:custom", "ns:thing", 200, {"ok": True}, {"correlation-id": "cmd-1"}, "twin")


def test_an_acknowledgement_without_payload_has_none() -> None:
    ack = ack_from_envelope(_envelope("ns/thing/things/live/acks/custom-ack", status=408))
    assert (ack.payload, ack.channel, ack.successful) == (MISSING, "live", False)


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
    ack = Acknowledgement("conn:done", "ns:thing", 200, "fine", {"correlation-id": "c"})
    assert orjson.loads(encode_envelope(ack_envelope(ack))) == {
        "topic": "ns/thing/things/twin/acks/conn:done",
        "headers": {"correlation-id": "c", "content-type": "application/json"},
        "path": "/", "value": "fine", "status": 200,
    }


# --- aggregated acknowledgements ------------------------------------------------------------------


def test_aggregated_acknowledgements_combine_labels_and_status() -> None:
    acks = [Acknowledgement("twin-persisted", "ns:thing", 204, headers={"correlation-id": "c"}),
            Acknowledgement("conn:done", "ns:thing", 408, {"status": 408, "error": "command.timeout",
                                                           "message": "late"})]
    envelope = acks_envelope("ns:thing", acks, headers={"correlation-id": "c"})
    assert orjson.loads(encode_envelope(envelope)) == {
        "topic": "ns/thing/things/twin/acks",
        "headers": {"correlation-id": "c", "content-type": "application/json"},
        "path": "/",
        "value": {
            "twin-persisted": {"status": 204, "headers": {"correlation-id": "c"}},
            "conn:done": {"status": 408, "payload": {"status": 408, "error": "command.timeout", "message": "late"}},
        },
        "status": 424,
    }


def test_ack_json_leaves_out_absent_payload_and_empty_headers() -> None:
    assert ack_json(Acknowledgement("lbl", "ns:t", 200)) == {"status": 200}
    assert ack_json(Acknowledgement("lbl", "ns:t", 200, None)) == {"status": 200, "payload": None}


def test_aggregated_acknowledgements_are_read_back() -> None:
    acks = (Acknowledgement("twin-persisted", "ns:thing", 201, {"thingId": "ns:thing"}, {"a": "b"}, "live"),
            Acknowledgement("conn:done", "ns:thing", 200, channel="live"))
    envelope = acks_envelope("ns:thing", acks, headers={}, channel="live")
    assert acks_from_envelope(parse_envelope(encode_envelope(envelope))) == acks


@pytest.mark.parametrize(("fields", "code"), [
    ({"value": {}}, "json.field.missing"),
    ({"status": 200}, "json.field.missing"),
    ({"status": 200, "value": []}, "json.invalid"),
    ({"status": 200, "value": {"lbl": 200}}, "json.invalid"),
    ({"status": 200, "value": {"lbl": {"status": "200"}}}, "json.invalid"),
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
