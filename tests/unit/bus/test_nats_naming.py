"""Naming on NATS, pure: subjects and message ids of events (no server involved)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twinhub.bus.nats import NatsBus, epoch_names, event_subject, message_id
from twinhub.model.events import PolicyEvent, ThingEvent

# NATS subject tokens: non-empty, no whitespace, no wildcards.
SUBJECT = re.compile(r"[^\s.*>]+(\.[^\s.*>]+)*")

T = datetime(2024, 5, 1, 12, tzinfo=UTC)


def thing(thing_id: str, revision: int = 1) -> ThingEvent:
    return ThingEvent(thing_id, "modified", (), None, revision, T)


def test_thing_subjects_keep_the_namespace_and_hash_the_name() -> None:
    subject = event_subject("twinhub.events", thing("org.example:lamp 1"))

    assert subject.startswith("twinhub.events.things.org.example.")
    assert re.fullmatch(r"[0-9a-f]{16}", subject.removeprefix("twinhub.events.things.org.example."))


def test_policy_subjects_are_apart_from_thing_subjects() -> None:
    policy = PolicyEvent("org.example:lamp", "created", (), {}, 1, T)

    assert event_subject("p", policy).startswith("p.policies.org.example.")
    assert event_subject("p", thing("org.example:lamp")).startswith("p.things.org.example.")


def test_every_event_of_one_thing_shares_a_subject() -> None:
    assert event_subject("p", thing("a.b:c", 1)) == event_subject("p", thing("a.b:c", 2))
    assert event_subject("p", thing("a.b:c")) != event_subject("p", thing("a.b:d"))


def test_the_empty_namespace_has_a_token_of_its_own() -> None:
    assert event_subject("p", thing(":lamp")).startswith("p.things._.")


@given(st.text(max_size=40))
def test_any_id_makes_a_valid_subject(thing_id: str) -> None:
    assert SUBJECT.fullmatch(event_subject("twinhub.events", thing(thing_id)))


def test_message_ids_name_epoch_kind_id_and_revision() -> None:
    assert message_id("e1", thing("org.example:lamp", 7)) == "e1:thing:org.example:lamp:7"
    assert message_id("e1", PolicyEvent("org.example:p", "deleted", (), None, 2, T)) == "e1:policy:org.example:p:2"
    assert message_id("e2", thing("org.example:lamp", 7)) != message_id("e1", thing("org.example:lamp", 7))


def test_each_epoch_has_a_stream_and_subjects_of_its_own() -> None:
    assert epoch_names("TWINHUB_EVENTS", "twinhub-events.x", "0a1b") == ("TWINHUB_EVENTS_0a1b",
                                                                          "twinhub-events.x.0a1b")
    bus = NatsBus("nats://127.0.0.1:4222", epoch="0a1b", stream="S", subject_prefix="p.q")
    assert (bus.epoch, bus.stream, bus.subject_prefix) == ("0a1b", "S_0a1b", "p.q.0a1b")


@pytest.mark.parametrize("stream", ["", "a.b", "a b", "a*", "a>", "a/b"])
def test_invalid_stream_names_are_refused(stream: str) -> None:
    with pytest.raises(ValueError, match="stream"):
        NatsBus("nats://127.0.0.1:4222", epoch="e", stream=stream)


@pytest.mark.parametrize("prefix", ["", "a..b", ".a", "a.", "a.*", "a.>", "a b"])
def test_invalid_subject_prefixes_are_refused(prefix: str) -> None:
    with pytest.raises(ValueError, match="prefix"):
        NatsBus("nats://127.0.0.1:4222", epoch="e", subject_prefix=prefix)
