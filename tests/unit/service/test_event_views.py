"""What one watcher gets of a thing event: its READ view, and nothing when nothing readable changed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from twinhub.model.events import ThingEvent
from twinhub.model.points import Point
from twinhub.model.types import JsonObject, JsonValue, Pointer
from twinhub.policy import Enforcer
from twinhub.policy.rules import Rule
from twinhub.service.event_views import Delivery, EventFilter, EventView, Interest

TID = "org.twinhub:t"
BOB = ("nginx:bob",)
ALICE = ("nginx:alice",)
ENFORCER = Enforcer([
    Rule(frozenset(ALICE), "thing", (), frozenset({"READ"}), frozenset()),
    Rule(frozenset(BOB), "thing", (), frozenset({"READ"}), frozenset()),
    Rule(frozenset(BOB), "thing", ("attributes", "secret"), frozenset(), frozenset({"READ"})),
    Rule(frozenset(BOB), "thing", ("attributes", "cfg", "key"), frozenset(), frozenset({"READ"})),
])


def seen(subjects: tuple[str, ...], action: str, path: Pointer, value: JsonValue) -> object:
    event = ThingEvent(TID, action, path, value, 2, datetime(2024, 1, 1, tzinfo=UTC))  # type: ignore[arg-type]
    delivery = EventView(event, None, ENFORCER, datetime.now(UTC)).deliver(Interest(subjects, EventFilter()))
    return None if delivery is None else delivery.value


@pytest.mark.parametrize(("path", "patch"), [
    ((), {"attributes": {"secret": 1}}),
    ((), {"attributes": {"secret": {"a": 1}, "cfg": {"key": 2}}}),
    (("attributes",), {"secret": 2}),
    (("attributes", "cfg"), {"key": None}),
    (("attributes", "secret"), {"a": 3}),
])
def test_a_merge_of_nothing_but_hidden_fields_is_no_event(path: Pointer, patch: JsonValue) -> None:
    assert seen(BOB, "merged", path, patch) is None
    assert seen(ALICE, "merged", path, patch) == patch


def test_a_merge_keeps_its_readable_part_and_real_empty_objects() -> None:
    patch: JsonObject = {"attributes": {"secret": 1, "cfg": {"key": 1, "other": 2}, "new": {}, "gone": None}}
    assert seen(BOB, "merged", (), patch) == {"attributes": {"cfg": {"other": 2}, "new": {}, "gone": None}}


def test_a_modification_to_an_emptied_object_is_still_an_event() -> None:
    # a PUT replaces the whole object: what bob sees of it changed (it may have lost fields)
    assert seen(BOB, "modified", ("attributes",), {"secret": 1}) == {}


def points_seen(subjects: tuple[str, ...], paths: set[str], action: str = "modified") -> list[tuple[str, object]]:
    moment = datetime(2024, 1, 1, tzinfo=UTC)
    points = (Point(TID, "attributes/open", moment, 1, 2), Point(TID, "attributes/secret", moment, 2, 2),
              Point(TID, "attributes/cfg/key", moment, None, 2), Point(TID, "attributes/cfg/other", moment, "x", 2))
    event = ThingEvent(TID, action, ("attributes",), {"open": 1, "secret": 2, "cfg": {"other": "x"}}, 2,  # type: ignore[arg-type]
                       moment, points=points)
    interest = Interest(subjects, EventFilter(thing_ids=frozenset({TID}), points=frozenset(paths)))
    delivery = EventView(event, None, ENFORCER, moment).deliver(interest)
    return [] if delivery is None else [(point.path, point.value) for point in delivery.points]


def test_a_watcher_of_points_gets_those_of_its_paths_it_may_read_deletion_markers_included() -> None:
    every = {"attributes/open", "attributes/secret", "attributes/cfg/key", "attributes/cfg/other"}
    assert points_seen(ALICE, every) == [("attributes/open", 1), ("attributes/secret", 2),
                                         ("attributes/cfg/key", None), ("attributes/cfg/other", "x")]
    assert points_seen(BOB, every) == [("attributes/open", 1), ("attributes/cfg/other", "x")]
    assert points_seen(ALICE, {"attributes/cfg/key"}) == [("attributes/cfg/key", None)]


def test_a_watcher_of_points_gets_nothing_when_none_of_its_paths_is_readable() -> None:
    assert points_seen(BOB, {"attributes/secret", "attributes/cfg/key"}) == []
    assert points_seen(("nginx:mallory",), {"attributes/open"}) == []
    assert points_seen(ALICE, {"attributes/elsewhere"}) == []



def test_watchers_of_the_same_points_share_their_rendering_and_others_do_not() -> None:
    moment = datetime(2024, 1, 1, tzinfo=UTC)
    points = (Point(TID, "attributes/open", moment, 1, 2), Point(TID, "attributes/secret", moment, 2, 2))
    event = ThingEvent(TID, "modified", ("attributes",), {"open": 1, "secret": 2}, 2, moment,  # type: ignore[arg-type]
                       points=points)
    view = EventView(event, None, ENFORCER, moment)
    every = EventFilter(thing_ids=frozenset({TID}), points=frozenset({"attributes/open", "attributes/secret"}))
    alice, alice_again, bob = (view.deliver(Interest(subjects, every)) for subjects in (ALICE, ALICE, BOB))
    assert alice is not None and alice_again is not None and bob is not None

    def paths(delivery: Delivery) -> list[str]:
        return delivery.rendered(("paths",), lambda: [point.path for point in delivery.points])

    assert paths(alice) == ["attributes/open", "attributes/secret"]
    assert paths(bob) == ["attributes/open"]  # not alice's rendering: bob may not read the secret
    assert paths(alice_again) is paths(alice)  # rendered once for both of alice's watchers
