"""The group-commit planner both stores run (pure): outcomes in queue order, final rows, latest index rows."""

from __future__ import annotations

from tests.contract.helpers import create, create_policy, delete, modify, with_points
from twinhub.store.base import RevisionConflict
from twinhub.store.batch import plan_batch
from twinhub.store.commit import Commit
from twinhub.store.rows import encode_commit

A = "ns:a"


def test_a_later_unit_sees_an_earlier_one_and_the_entity_is_written_once_in_its_final_state() -> None:
    created = create(A, {"attributes": {"x": 1}})
    modified = modify(created.thing, ("attributes", "x"), 2)
    plan = plan_batch([encode_commit(with_points(created, None)), encode_commit(with_points(modified, created.thing))],
                      {})
    assert plan.outcomes == [None, None]
    (row,) = plan.entity_rows("thing")
    assert row[:2] == (A, 2)
    assert [event[1] for event in plan.events["thing"]] == [1, 2]
    assert [(row[1], row[4]) for row in plan.thing_index[A]] == [("/attributes", None), ("/attributes/x", 2)]
    assert [(point[1], point[3]) for point in plan.points] == [("attributes/x", 1), ("attributes/x", 2)]


def test_a_conflicting_unit_fails_alone_and_writes_nothing_of_its_own() -> None:
    policy = create_policy("ns:p")
    clash = Commit(things=(create(A, {"attributes": {"y": 1}}),), policies=(policy,))
    good = with_points(create("ns:b", {"attributes": {"x": 1}}), None)
    plan = plan_batch([encode_commit(clash), encode_commit(good)], {("thing", A): 1})
    conflict, outcome = plan.outcomes
    assert isinstance(conflict, RevisionConflict) and outcome is None
    assert plan.entity_rows("policy") == [] and plan.events["policy"] == []
    assert [row[0] for row in plan.entity_rows("thing")] == ["ns:b"] and list(plan.thing_index) == ["ns:b"]
    assert {point[0] for point in plan.points} == {"ns:b"}


def test_a_thing_created_again_drops_its_earlier_lives_points_and_is_marked_to_forget_the_stored_ones() -> None:
    created = create(A, {"attributes": {"x": 1}})
    deleted = delete(created.thing)
    again = create(A, {"attributes": {"y": 2}}, after=deleted.thing)
    units = [encode_commit(with_points(write, before)) for write, before in
             ((created, None), (deleted, created.thing), (again, None))]
    plan = plan_batch(units, {})
    assert plan.outcomes == [None, None, None]
    assert plan.lives_restarted == {A}
    assert [(point[1], point[3]) for point in plan.points] == [("attributes/y", 3)]
    # alone in its batch, the creation again is marked too; a first creation and a change are not
    assert plan_batch(units[2:], {("thing", A): 2}).lives_restarted == {A}
    assert plan_batch(units[:1], {}).lives_restarted == set()
    assert plan_batch([encode_commit(with_points(modify(created.thing, ("attributes", "x"), 5), created.thing))],
                      {("thing", A): 1}).lives_restarted == set()
