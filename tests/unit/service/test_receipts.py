"""What a party received and may therefore answer: responses by request, acknowledgements by event."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson

from twinhub.model.events import ThingEvent
from twinhub.model.live import LiveCommand, LiveMessage
from twinhub.service.receipts import Receipts

THING_ID = "org.twinhub.test:lamp"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def message(correlation_id: str, request_id: str | None, **headers: str) -> LiveMessage:
    return LiveMessage(THING_ID, "ask", headers={"correlation-id": correlation_id, **headers}, request_id=request_id)


def event(correlation_id: str, *labels: str, thing_id: str = THING_ID) -> ThingEvent:
    return ThingEvent(thing_id, "modified", ("attributes", "x"), 1, 2, datetime(2024, 5, 1, 12, tzinfo=UTC), headers={
        "correlation-id": correlation_id, "requested-acks": orjson.dumps(list(labels)).decode()})


def test_a_response_answers_the_request_of_what_was_received_once() -> None:
    receipts = Receipts()
    receipts.signal(message("c-1", "r-1"))
    receipts.signal(LiveCommand(THING_ID, "retrieve", headers={"correlation-id": "c-2"}, request_id="r-2"))
    assert receipts.take_request("c-unknown") is None
    assert receipts.take_request("c-1") == "r-1"
    assert receipts.take_request("c-1") is None  # answered
    assert receipts.take_request("c-2") == "r-2"


def test_the_same_correlation_id_twice_is_answered_oldest_first() -> None:
    receipts = Receipts()
    receipts.signal(message("c-1", "r-old"))
    receipts.signal(message("c-1", "r-new"))
    assert [receipts.take_request("c-1"), receipts.take_request("c-1")] == ["r-old", "r-new"]


def test_signals_nobody_waits_for_leave_no_receipt() -> None:
    receipts = Receipts()
    receipts.signal(message("c-1", None))  # fire and forget: no request waits
    receipts.signal(message("c-2", "r-2", **{"response-required": "false"}))
    assert len(receipts) == 0


def test_receipts_expire_with_the_signals_timeout() -> None:
    clock = Clock()
    receipts = Receipts(clock=clock)
    receipts.signal(message("c-1", "r-1", timeout="250ms"))
    receipts.signal(message("c-2", "r-2"))  # Ditto's default: 60 s
    clock.now += 1
    assert receipts.take_request("c-1") is None
    clock.now += 58
    assert receipts.take_request("c-2") == "r-2"


def test_a_timeout_beyond_the_maximum_is_cut_to_it_and_a_malformed_one_is_the_default() -> None:
    clock = Clock()
    receipts = Receipts(clock=clock)
    receipts.signal(message("c-long", "r-long", timeout="20m"))  # the claim message's maximum: 10 minutes
    receipts.signal(message("c-bad", "r-bad", timeout="soon"))  # Ditto's default: 60 s
    clock.now += 61
    assert receipts.take_request("c-bad") is None
    clock.now += 538
    assert receipts.take_request("c-long") == "r-long"
    receipts.signal(message("c-long", "r-again", timeout="20m"))
    clock.now += 601
    assert receipts.take_request("c-long") is None


def test_acknowledgements_only_for_events_that_requested_a_declared_label() -> None:
    receipts = Receipts(["conn:mine"])
    receipts.event(event("c-1", "conn:mine", "conn:other"))
    receipts.event(event("c-2", "conn:other"))
    assert receipts.take_ack("c-1", "conn:other") is None  # not declared here
    assert receipts.take_ack("c-2", "conn:mine") is None  # not requested by that event
    assert receipts.take_ack("c-1", "conn:mine") == THING_ID
    assert receipts.take_ack("c-1", "conn:mine") is None  # acknowledged already


def test_acknowledgements_for_messages_and_live_commands_that_requested_a_declared_label() -> None:
    """Ditto aggregates the acknowledgements of live signals as of twin events: a declared label a message
    requests may be acknowledged by the party that received it, within the message's timeout."""
    clock = Clock()
    receipts = Receipts(["custom:seen"], clock=clock)
    receipts.signal(message("c-1", None, **{"requested-acks": '["live-response","custom:seen"]', "timeout": "5"}))
    receipts.signal(LiveCommand(THING_ID, "retrieve", headers={"correlation-id": "c-2",
                                                               "requested-acks": '["custom:other"]'}))
    assert receipts.take_ack("c-2", "custom:other") is None  # not declared here
    assert receipts.take_ack("c-1", "live-response") is None  # the response answers that one
    receipts.signal(message("c-3", None, **{"requested-acks": '["custom:seen"]', "timeout": "5"}))
    assert receipts.take_ack("c-1", "custom:seen") == THING_ID
    assert receipts.take_ack("c-1", "custom:seen") is None  # acknowledged once
    clock.now += 6
    assert receipts.take_ack("c-3", "custom:seen") is None  # past the message's timeout


def test_a_party_without_declared_labels_keeps_no_event_receipts() -> None:
    receipts = Receipts()
    receipts.event(event("c-1", "conn:mine"))
    assert len(receipts) == 0


def test_receipts_are_bounded_oldest_first() -> None:
    receipts = Receipts(["conn:ack"], capacity=3)
    for n in range(5):
        receipts.signal(message("c-same", f"r-{n}"))
        receipts.event(event(f"c-{n}", "conn:ack"))
    assert len(receipts) == 3
    assert receipts.take_ack("c-0", "conn:ack") is None
    assert receipts.take_ack("c-4", "conn:ack") == THING_ID
    assert receipts.take_request("c-same") == "r-4"  # the receipts of r-0..r-3 were dropped
