"""Live signals as values: message paths and subjects, acknowledgements and their aggregation."""

from __future__ import annotations

import pytest

from twinhub.model.errors import (
    AcknowledgementLabelForbidden,
    AcknowledgementLabelInvalid,
    MessageSubjectInvalid,
)
from twinhub.model.live import (
    Acknowledgement,
    LiveCommand,
    LiveEvent,
    LiveMessage,
    LiveResponse,
    aggregate_acknowledgements,
    kind_of,
    normalize_subject,
    parse_declared_acks,
    persisted,
    timed_out,
    with_headers,
)
from twinhub.model.types import MISSING

THING_ID = "org.twinhub.test:lamp"


def test_a_message_path_is_its_message_resource_with_a_multi_segment_subject() -> None:
    assert LiveMessage(THING_ID, "ask/question").path == ("inbox", "messages", "ask", "question")
    assert LiveMessage(THING_ID, "smoke", "outbox", "alarm").path == (
        "features", "alarm", "outbox", "messages", "smoke")


@pytest.mark.parametrize("subject", ["", "/", "a b", "ask?x", "a#b", "%zz", "ü"])
def test_subjects_must_be_rfc3986_paths(subject: str) -> None:
    with pytest.raises(MessageSubjectInvalid):
        normalize_subject(subject)


def test_a_leading_slash_is_not_part_of_the_subject() -> None:
    assert normalize_subject("/turn/off") == "turn/off"
    assert normalize_subject("a%20b:c@d") == "a%20b:c@d"
    with pytest.raises(MessageSubjectInvalid):
        LiveMessage(THING_ID, "/turn/off")  # normalize first


def test_a_claim_message_is_the_things_inbox_claim() -> None:
    assert LiveMessage(THING_ID, "claim", claim=True).path == ("inbox", "messages", "claim")
    with pytest.raises(ValueError):
        LiveMessage(THING_ID, "claim", "outbox", claim=True)
    with pytest.raises(ValueError):
        LiveMessage(THING_ID, "mine", claim=True)


def test_each_signal_has_the_kind_receivers_subscribe_to() -> None:
    assert kind_of(LiveMessage(THING_ID, "x")) == "messages"
    assert kind_of(LiveCommand(THING_ID, "retrieve")) == "live-commands"
    assert kind_of(LiveEvent(THING_ID, "deleted")) == "live-events"


def test_headers_are_added_to_a_copy() -> None:
    message = LiveMessage(THING_ID, "x", headers={"a": "1"})
    changed = with_headers(message, {"correlation-id": "c-1", "a": "2"})
    assert changed.headers == {"a": "2", "correlation-id": "c-1"} and message.headers == {"a": "1"}
    assert isinstance(changed, LiveMessage) and changed.correlation_id == "c-1"


def test_responses_need_a_correlation_id_and_an_http_status() -> None:
    with pytest.raises(ValueError):
        LiveResponse("", 200)
    with pytest.raises(ValueError):
        LiveResponse("c-1", 42)


def test_an_acknowledgement_renders_as_an_entry_of_the_aggregated_body() -> None:
    ack = Acknowledgement("conn:ack", THING_ID, "c-1", 200, {"correlation-id": "c-1"}, {"ok": True})
    assert ack.to_json() == {"status": 200, "payload": {"ok": True}, "headers": {"correlation-id": "c-1"}}
    weak = Acknowledgement("conn:ack", THING_ID, "c-1", 200, weak=True)
    assert weak.to_json() == {"status": 200, "headers": {"ditto-weak-ack": True}}
    assert Acknowledgement("conn:null", THING_ID, "c-1", 200, payload=None).to_json()["payload"] is None
    with pytest.raises(AcknowledgementLabelInvalid):
        Acknowledgement("no", THING_ID, "c-1", 200)


def test_a_single_acknowledgement_answers_with_its_own_status_and_payload() -> None:
    only = Acknowledgement("conn:ack", THING_ID, "c-1", 400, payload={"why": "broken"})
    assert aggregate_acknowledgements({"conn:ack": only}) == (400, {"why": "broken"})
    silent = Acknowledgement("conn:ack", THING_ID, "c-1", 204)
    assert aggregate_acknowledgements({"conn:ack": silent}) == (204, MISSING)


def test_several_acknowledgements_are_200_when_all_succeeded_else_424() -> None:
    good = Acknowledgement("twin-persisted", THING_ID, "c-1", 204)
    also = Acknowledgement("conn:ack", THING_ID, "c-1", 200, weak=True)
    failed = timed_out("conn:late", THING_ID, "c-1", 1.5)
    assert aggregate_acknowledgements({"twin-persisted": good, "conn:ack": also})[0] == 200
    status, body = aggregate_acknowledgements({"twin-persisted": good, "conn:late": failed})
    assert status == 424
    assert body == {"twin-persisted": {"status": 204, "headers": {}}, "conn:late": failed.to_json()}
    assert failed.payload == {
        "status": 408, "error": "acknowledgement:request.timeout",
        "message": "The acknowledgement request reached the specified timeout of 1500ms.",
        "description": "Try increasing the timeout and make sure that the requested acknowledgement is sent back "
                       "in time."}
    with pytest.raises(ValueError):
        aggregate_acknowledgements({})


def test_a_committed_write_acknowledges_twin_persisted_with_its_status_and_created_value() -> None:
    headers = {"correlation-id": "c-1"}
    created = persisted("twin-persisted", THING_ID, "c-1", created=True, value={"a": 1}, headers=headers)
    assert (created.status, created.payload, created.headers) == (201, {"a": 1}, headers)
    modified = persisted("twin-persisted", THING_ID, "c-1", created=False, value={"a": 1}, headers=headers)
    assert (modified.status, modified.payload) == (204, MISSING)
    indexed = persisted("search-persisted", THING_ID, "c-1", created=True, value={"a": 1}, headers=headers)
    assert (indexed.status, indexed.payload, indexed.correlation_id) == (204, MISSING, "c-1")
    with pytest.raises(ValueError):
        persisted("conn:ack", THING_ID, "c-1", created=False, value=MISSING, headers=headers)


def test_declared_acks_are_a_json_array_or_a_comma_separated_list() -> None:
    assert parse_declared_acks(None) == () and parse_declared_acks(" ") == ()
    assert parse_declared_acks('["conn:a","conn:b","conn:a"]') == ("conn:a", "conn:b")
    assert parse_declared_acks("conn:a, my-ack") == ("conn:a", "my-ack")
    with pytest.raises(AcknowledgementLabelInvalid):
        parse_declared_acks("ok,x")
    with pytest.raises(AcknowledgementLabelInvalid):
        parse_declared_acks('["conn:a", 1]')
    for built_in in ("twin-persisted", "search-persisted", "live-response"):
        with pytest.raises(AcknowledgementLabelForbidden):
            parse_declared_acks(built_in)
