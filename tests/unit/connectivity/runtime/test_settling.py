"""How a delivery is settled after the session's answer, and how long a connection waits to reconnect."""

from __future__ import annotations

import pytest

from twinhub.connectivity.clients.base import Outcome
from twinhub.connectivity.runtime.connection import backoff
from twinhub.connectivity.runtime.inbound import outcome_of
from twinhub.model.types import JsonValue
from twinhub.protocol import Envelope, Topic


def answer(status: int, value: JsonValue = None, criterion: str = "commands") -> Envelope:
    topic = Topic("org.example", "lamp", "things", "twin", criterion, None if criterion != "commands" else "modify")
    return Envelope(topic, {}, "/", value, status=status)


@pytest.mark.parametrize(("status", "outcome"), [
    (200, Outcome.ACCEPT), (201, Outcome.ACCEPT), (204, Outcome.ACCEPT),
    (400, Outcome.REJECT), (403, Outcome.REJECT), (404, Outcome.REJECT), (409, Outcome.REJECT),
    (412, Outcome.REJECT), (413, Outcome.REJECT),
    (408, Outcome.REDELIVER), (429, Outcome.REDELIVER), (500, Outcome.REDELIVER), (503, Outcome.REDELIVER),
])
def test_a_committed_change_is_accepted_a_refusal_rejected_a_transient_failure_given_back(
        status: int, outcome: Outcome) -> None:
    assert outcome_of(answer(status)) is outcome


def test_failed_acknowledgements_are_given_back_only_when_they_may_succeed_later() -> None:
    timed_out = {"twin-persisted": {"status": 204}, "c:custom": {"status": 408}}
    refused = {"twin-persisted": {"status": 204}, "c:custom": {"status": 400}}
    assert outcome_of(answer(424, timed_out, "acks")) is Outcome.REDELIVER
    assert outcome_of(answer(424, refused, "acks")) is Outcome.REJECT


def test_backoff_grows_exponentially_with_jitter_up_to_its_maximum() -> None:
    for attempt in range(12):
        ceiling = min(60.0, 1.0 * 2**attempt)
        delays = [backoff(attempt, minimum=1.0, maximum=60.0) for _ in range(50)]
        assert all(ceiling / 2 <= delay <= ceiling for delay in delays)
        assert len(set(delays)) > 1  # jitter
