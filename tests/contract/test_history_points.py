"""History points in the Store contract: written with their thing in one commit, read back per series."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from tests.contract.helpers import at, create, delete, modify, with_points
from twinhub.history import MAX_LIMIT, HistoryRules, Point, parse_device_time, parse_rules
from twinhub.model.events import Thing, ThingEvent, ThingWrite
from twinhub.model.merge import merge_patch
from twinhub.model.types import JsonObject
from twinhub.store.base import RevisionConflict, Store
from twinhub.store.commit import Commit
from twinhub.store.points import PointCursor

pytestmark = pytest.mark.anyio

T = "org.twinhub:sensor"
VALUE = "features/temp/properties/value"
EVER = (at(-10**6), at(10**6))


def merged(thing: Thing, patch: JsonObject) -> ThingWrite:
    revision = thing.revision + 1
    doc = merge_patch(thing.doc, patch)
    assert isinstance(doc, dict)
    return ThingWrite(Thing(thing.thing_id, doc, revision, thing.created, at(revision)),
                      ThingEvent(thing.thing_id, "merged", (), patch, revision, at(revision)), thing.revision)


async def series(store: Store, path: str, thing_id: str = T) -> list[tuple[datetime, object, int]]:
    page = await store.points(thing_id, [path], start=EVER[0], end=EVER[1], limit=1000)
    assert page.next is None
    return [(point.time, point.value, point.revision) for point in page.points]


async def test_a_put_and_a_merge_store_exactly_the_points_of_their_changes(store: Store) -> None:
    first = create(T, {"attributes": {"name": "s1", "big": 2**63 - 1, "on": True},
                       "features": {"temp": {"properties": {"value": 20.5, "unit": "°C"},
                                             "desiredProperties": {"value": 21}}}})
    await store.commit(with_points(first, None))
    second = modify(first.thing, ("features", "temp", "properties", "value"), 21.25)
    await store.commit(with_points(second, first.thing))
    third = merged(second.thing, {"attributes": {"on": False, "name": None},
                                  "features": {"temp": {"properties": {"value": 22}}}})
    await store.commit(with_points(third, second.thing))

    assert await series(store, VALUE) == [(at(1), 20.5, 1), (at(2), 21.25, 2), (at(3), 22, 3)]
    assert await series(store, "attributes/on") == [(at(1), True, 1), (at(3), False, 3)]
    assert await series(store, "attributes/name") == [(at(1), "s1", 1), (at(3), None, 3)]  # removed
    assert await series(store, "attributes/big") == [(at(1), 2**63 - 1, 1)]  # exact beyond a double
    assert await series(store, "features/temp/properties/unit") == [(at(1), "°C", 1)]
    assert await series(store, "features/temp/desiredProperties/value") == [(at(1), 21, 1)]
    assert [type(value) for _, value, _ in await series(store, VALUE)] == [float, float, int]


async def test_a_deleted_thing_ends_each_series_with_a_deletion_marker(store: Store) -> None:
    first = create(T, {"attributes": {"a": 1}})
    await store.commit(with_points(first, None))
    gone = delete(first.thing)
    await store.commit(with_points(gone, first.thing))
    assert await series(store, "attributes/a") == [(at(1), 1, 1), (at(2), None, 2)]


async def test_a_thing_created_again_keeps_no_point_or_rollup_of_its_earlier_life(store: Store) -> None:
    # the earlier life may have been someone else's, under another policy: its history must not reappear
    first = create(T, {"attributes": {"a": 1}})
    await store.commit(with_points(first, None))
    gone = delete(first.thing)
    await store.commit(with_points(gone, first.thing))
    again = create(T, {"attributes": {"b": 2}}, after=gone.thing)
    await store.commit(with_points(again, None))
    assert await series(store, "attributes/a") == []
    assert await series(store, "attributes/b") == [(at(3), 2, 3)]
    for path in ("attributes/a", "attributes/b"):  # rollups and buckets show only the new life
        counts = {start: partial.count for start, partial in
                  (await store.buckets(T, path, start=EVER[0], end=EVER[1], step=timedelta(hours=1))).items()}
        assert sum(counts.values()) == (path == "attributes/b")
    # deleted and created again within one group commit: the deletion's markers are not written either
    other = "org.twinhub:other"
    created = create(other, {"attributes": {"a": 1}})
    await store.commit(with_points(created, None))
    deleted = delete(created.thing)
    reborn = create(other, {"attributes": {"b": 3}}, after=deleted.thing)
    await asyncio.gather(store.commit(with_points(deleted, created.thing)), store.commit(with_points(reborn, None)))
    assert await series(store, "attributes/a", other) == []
    assert await series(store, "attributes/b", other) == [(at(3), 3, 3)]


async def test_a_conflicting_commit_writes_none_of_its_points(store: Store) -> None:
    first = create(T, {"attributes": {"a": 1}})
    await store.commit(with_points(first, None))
    winner = modify(first.thing, ("attributes", "a"), 2)
    loser = modify(first.thing, ("attributes", "a"), 3)  # the same expected revision: loses in the batch
    outcomes = await asyncio.gather(store.commit(with_points(winner, first.thing)),
                                    store.commit(with_points(loser, first.thing)), return_exceptions=True)
    assert outcomes[0] is None and isinstance(outcomes[1], RevisionConflict)
    assert await series(store, "attributes/a") == [(at(1), 1, 1), (at(2), 2, 2)]
    with pytest.raises(RevisionConflict):
        await store.commit(with_points(modify(first.thing, ("attributes", "a"), 4), first.thing))
    assert await series(store, "attributes/a") == [(at(1), 1, 1), (at(2), 2, 2)]


async def test_points_of_several_things_in_one_group_commit_each_land_with_their_thing(store: Store) -> None:
    writes = [create(f"org.twinhub:t{index}", {"attributes": {"n": index}}) for index in range(20)]
    await asyncio.gather(*(store.commit(with_points(write, None)) for write in writes))
    for index in range(20):
        assert await series(store, "attributes/n", f"org.twinhub:t{index}") == [(at(1), index, 1)]


async def test_rules_decide_which_leaves_are_stored(store: Store) -> None:
    rules = HistoryRules(include=parse_rules(["features/*"]), exclude=parse_rules(["*/desiredProperties/*"]))
    first = create(T, {"attributes": {"a": 1}, "features": {"temp": {"properties": {"value": 1},
                                                                      "desiredProperties": {"value": 2}}}})
    await store.commit(with_points(first, None, rules=rules))
    assert await series(store, VALUE) == [(at(1), 1, 1)]
    assert await series(store, "attributes/a") == []
    assert await series(store, "features/temp/desiredProperties/value") == []


async def test_a_device_timestamp_places_late_points_in_time_order(store: Store) -> None:
    first = create(T, {"features": {"temp": {"properties": {"value": 1}}}})
    await store.commit(with_points(first, None))
    late = modify(first.thing, ("features", "temp", "properties", "value"), 0)
    measured = parse_device_time("2023-12-31T23:59:59.5Z")
    await store.commit(with_points(late, first.thing, time=measured))
    assert await series(store, VALUE) == [(measured, 0, 2), (at(1), 1, 1)]
    assert (await store.load(T)) == late.thing  # the thing keeps the commit's time


async def test_a_range_is_from_inclusive_to_exclusive_and_pages_follow_their_cursor(store: Store) -> None:
    write = create(T, {"attributes": {"n": 0}})
    writes = [write]
    await store.commit(with_points(write, None))
    for value in range(1, 25):
        previous = writes[-1].thing
        writes.append(modify(previous, ("attributes", "n"), value))
        await store.commit(with_points(writes[-1], previous))
    start, end = at(3), at(23)  # revisions 3..22, at(r)
    seen: list[Point] = []
    cursor: PointCursor | None = None
    pages = 0
    while True:
        page = await store.points(T, ["attributes/n"], start=start, end=end, limit=7, after=cursor)
        seen.extend(page.points)
        pages += 1
        if page.next is None:
            break
        cursor = page.next
        assert PointCursor.decode(cursor.encode()) == cursor
    assert pages == 3
    assert [point.revision for point in seen] == list(range(3, 23))
    assert [point.value for point in seen] == list(range(2, 22))
    empty = await store.points(T, ["attributes/n"], start=at(100), end=at(100) + timedelta(hours=1), limit=5)
    assert empty.points == () and empty.next is None
    with pytest.raises(ValueError, match="at least one"):
        await store.points(T, ["attributes/n"], start=start, end=end, limit=0)
    with pytest.raises(ValueError, match="at most"):
        await store.points(T, ["attributes/n"], start=start, end=end, limit=MAX_LIMIT + 1)


async def test_a_commit_refuses_points_of_no_thing_write_and_points_twice() -> None:
    write = create(T, {"attributes": {"a": 1}})
    point = Point(T, "attributes/a", at(1), 1, 1)
    with pytest.raises(ValueError, match="no thing write"):
        Commit(things=(write,), points=(Point(T, "attributes/a", at(1), 1, 2),))
    with pytest.raises(ValueError, match="twice"):
        Commit(things=(write,), points=(point, point))


async def test_a_large_creation_stores_every_leaf_and_escaped_keys_read_back(store: Store) -> None:
    properties: JsonObject = {f"p{index}": index for index in range(500)}
    first = create(T, {"attributes": {"a/b": {"ü~x": "y"}}, "features": {"f": {"properties": properties}}})
    commit = with_points(first, None)
    assert len(commit.points) == 501
    await store.commit(commit)
    assert await series(store, "attributes/a~1b/ü~0x") == [(at(1), "y", 1)]
    for index in (0, 250, 499):
        assert await series(store, f"features/f/properties/p{index}") == [(at(1), index, 1)]


async def test_nul_and_its_escape_in_keys_and_strings_read_back(store: Store) -> None:
    # PostgreSQL text cannot hold U+0000: keys and string values are escaped as the search index's are.
    first = create(T, {"attributes": {"a\x00b": "x\x00y", "c\x01": "\x01\x02"}})
    await store.commit(with_points(first, None))
    assert await series(store, "attributes/a\x00b") == [(at(1), "x\x00y", 1)]
    assert await series(store, "attributes/c\x01") == [(at(1), "\x01\x02", 1)]
    assert await store.load(T) == first.thing
