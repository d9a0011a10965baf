"""Retention in the Store contract: pruning deletes exactly what is older than its rule, in bounded steps that
workers may run at once; rollups outlive the raw points; the journal keeps what historical reads need."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from tests.contract.helpers import at, create, history, modify, with_points
from tests.contract.test_history_rollups import EVER, M, assert_same, raw_samples
from tests.contract.test_store import commit_all, revisions
from twinhub.history import Point, bucket_start, partials
from twinhub.history.retention import HistoryRetention, parse_retention
from twinhub.model.events import Thing
from twinhub.model.types import JsonValue, Pointer
from twinhub.service.retention import Pruner, RetentionPolicy
from twinhub.store.base import Store
from twinhub.store.pruning import Pruned, SeriesKey

pytestmark = pytest.mark.anyio

NOW = at(10_000)
RETENTION = parse_retention(["1h", "features/*/properties/debug*=10m", "ns.keep:*=none"])
LEAVES: list[Pointer] = [("attributes", "a"), ("features", "f", "properties", "debugLevel"),
                         ("features", "f", "properties", "value")]


async def write_leaves(store: Store, thing_id: str, times: list[datetime]) -> None:
    """The thing, then at each time a new value of each of LEAVES (one commit per time, device-timed)."""
    def doc(value: int) -> dict[str, JsonValue]:
        return {"attributes": {"a": value}, "features": {"f": {"properties": {"debugLevel": value, "value": value}}}}

    first = create(thing_id, doc(0))
    await store.commit(with_points(first, None, time=times[0]))
    thing: Thing = first.thing
    for index, time in enumerate(times[1:], start=1):
        before = thing
        for leaf in LEAVES:  # three modifications, one commit each, all at `time`
            write = modify(thing, leaf, index)
            await store.commit(with_points(write, thing, time=time))
            thing = write.thing
        assert thing.revision == before.revision + 3


async def all_points(store: Store, thing_id: str) -> dict[str, list[Point]]:
    found = {}
    for path in ("attributes/a", "features/f/properties/debugLevel", "features/f/properties/value"):
        page = await store.points(thing_id, [path], start=EVER[0], end=EVER[1], limit=1000)
        found[path] = list(page.points)
    return found


async def prune_all(store: Store, retention: HistoryRetention, now: datetime, *, series: int,
                    rows: int) -> tuple[int, int]:
    """Calls until the pass is done: (rows deleted, calls made)."""
    deleted, calls, start = 0, 0, None
    while True:
        pruned: Pruned[SeriesKey] = await store.prune_points(retention, now, start=start, series=series, rows=rows)
        assert pruned.deleted <= rows
        deleted, calls, start = deleted + pruned.deleted, calls + 1, pruned.next
        if start is None:
            return deleted, calls


TIMES = [NOW - timedelta(minutes=minutes) for minutes in (120, 61, 60, 59, 30, 10, 9, 1)]


@pytest.mark.parametrize(("series", "rows"), [(500, 5000), (1, 2), (2, 3)])
async def test_points_older_than_their_rule_are_deleted_and_nothing_else(store: Store, series: int,
                                                                         rows: int) -> None:
    things = ["ns.a:t1", "ns.b:t2", "ns.keep:t3"]
    for thing_id in things:
        await write_leaves(store, thing_id, TIMES)
    before = {thing_id: await all_points(store, thing_id) for thing_id in things}
    deleted, calls = await prune_all(store, RETENTION, NOW, series=series, rows=rows)
    expected_deleted = 0
    for thing_id in things:
        after = await all_points(store, thing_id)
        for path, points in before[thing_id].items():
            keep = RETENTION.keep(thing_id, path)
            kept = [point for point in points if keep is None or point.time >= NOW - keep]  # the cutoff stays
            assert after[path] == kept, (thing_id, path)
            expected_deleted += len(points) - len(kept)
    # attributes/a and value keep 1 h: 2 of 8 go; debugLevel keeps 10 min: 5 go (the first rule that matches
    # decides, in ns.keep too); ns.keep keeps the rest
    assert deleted == expected_deleted == 2 * (2 + 2 + 5) + 5
    assert calls >= expected_deleted // rows
    assert (await prune_all(store, RETENTION, NOW, series=series, rows=rows))[0] == 0  # idempotent


async def test_workers_pruning_at_once_delete_each_point_once(store: Store) -> None:
    things = [f"ns.a:t{index}" for index in range(6)]
    for thing_id in things:
        await write_leaves(store, thing_id, TIMES)
    results = await asyncio.gather(*(prune_all(store, RETENTION, NOW, series=2, rows=3) for _ in range(3)))
    assert sum(deleted for deleted, _ in results) == 6 * (2 + 2 + 5)
    for thing_id in things:
        after = await all_points(store, thing_id)
        assert [len(points) for points in after.values()] == [6, 3, 6]


async def test_retention_keeping_everything_deletes_nothing(store: Store) -> None:
    await write_leaves(store, "ns.a:t", TIMES)
    assert await prune_all(store, HistoryRetention(), NOW, series=10, rows=10) == (0, 1)


async def test_rollups_outlive_the_raw_points_and_answer_for_their_time(store: Store) -> None:
    await write_leaves(store, "ns.a:t", TIMES)
    samples = await raw_samples(store, "ns.a:t", "attributes/a")
    await prune_all(store, RETENTION, NOW, series=10, rows=100)
    assert len(await raw_samples(store, "ns.a:t", "attributes/a")) == 6
    assert_same(await store.rollups("ns.a:t", "attributes/a", start=EVER[0], end=EVER[1], width=M),
                partials(samples, M))


async def test_rollup_buckets_that_end_by_the_cutoff_are_deleted_per_width(store: Store) -> None:
    await write_leaves(store, "ns.a:t", TIMES)
    hours_before = await store.rollups("ns.a:t", "attributes/a", start=EVER[0], end=EVER[1],
                                       width=timedelta(hours=1))
    minutes_before = await store.rollups("ns.a:t", "attributes/a", start=EVER[0], end=EVER[1], width=M)
    cutoff = NOW - timedelta(minutes=59, seconds=30)  # inside the minute bucket of the point at -59 min
    deleted = 0
    while (step := await store.prune_rollups(M, cutoff, rows=4)) == 4:
        deleted += step
    deleted += step
    minutes = await store.rollups("ns.a:t", "attributes/a", start=EVER[0], end=EVER[1], width=M)
    assert minutes == {start: partial for start, partial in minutes_before.items() if start + M > cutoff}
    assert deleted == 3 * 3  # three leaves, three whole minutes before the cutoff (-120, -61, -60)
    assert await store.rollups("ns.a:t", "attributes/a", start=EVER[0], end=EVER[1],
                               width=timedelta(hours=1)) == hours_before


async def prune_journal_all(store: Store, cutoff: datetime, *, things: int, rows: int) -> int:
    deleted, start = 0, None
    while True:
        pruned = await store.prune_journal(cutoff, start=start, things=things, rows=rows)
        deleted, start = deleted + pruned.deleted, pruned.next
        if start is None:
            return deleted


@pytest.mark.parametrize(("things", "rows"), [(500, 5000), (1, 7)])
async def test_journal_retention_keeps_the_snapshot_before_the_cutoff_and_all_after(store: Store, things: int,
                                                                                    rows: int) -> None:
    writes = history("org.twinhub:a", 250)  # revision r at at(r); snapshots at 1, 100 and 200
    await commit_all(store, writes)
    await commit_all(store, history("org.twinhub:b", 50))
    assert await prune_journal_all(store, at(150.5), things=things, rows=rows) == 99  # b has no later snapshot
    assert revisions(await store.journal("org.twinhub:a")) == list(range(200, 251))
    assert revisions(await store.journal("org.twinhub:a", to_revision=150)) == list(range(100, 151))
    entries = await store.journal("org.twinhub:a", to_revision=100)
    assert revisions(entries) == [100] and entries[0].snapshot == writes[99].thing
    assert await store.journal("org.twinhub:a", to_revision=99) == []  # pruned: as a revision it never had
    assert await store.journal("org.twinhub:a", to_timestamp=at(99.5)) == []
    assert revisions(await store.journal("org.twinhub:a", to_timestamp=at(120))) == list(range(100, 121))
    assert revisions(await store.journal("org.twinhub:b")) == list(range(1, 51))
    assert await prune_journal_all(store, at(150.5), things=things, rows=rows) == 0  # idempotent
    assert await prune_journal_all(store, at(0.5), things=things, rows=rows) == 0  # nothing that old


async def test_journal_retention_prunes_up_to_the_latest_snapshot_by_the_cutoff(store: Store) -> None:
    await commit_all(store, history("org.twinhub:a", 250))
    assert await store.life_start("org.twinhub:a") == 1
    assert await prune_journal_all(store, at(10_000), things=10, rows=1000) == 199
    assert revisions(await store.journal("org.twinhub:a", to_revision=250)) == list(range(200, 251))
    assert await store.life_start("org.twinhub:a") == 200  # the creation is gone: the oldest revision kept


async def test_a_pruning_pass_applies_every_retention_setting_and_a_second_finds_nothing(store: Store) -> None:
    await write_leaves(store, "ns.a:t", TIMES)
    await commit_all(store, history("org.twinhub:j", 250))  # revision r at at(r); snapshots at 1, 100, 200
    hours = await store.rollups("ns.a:t", "attributes/a", start=EVER[0], end=EVER[1], width=timedelta(hours=1))
    policy = RetentionPolicy(RETENTION, {M: timedelta(minutes=30)}, journal=NOW - at(150.5))
    pruner = Pruner(store, policy, interval=3600, pause=0, clock=lambda: NOW)
    # points: 2 + 5 + 2; minute buckets ending by -30 min: 4 times x 3 leaves; journal: revisions 1..99
    assert await pruner.prune() == 9 + 12 + 99
    assert [len(points) for points in (await all_points(store, "ns.a:t")).values()] == [6, 3, 6]
    minutes = await store.rollups("ns.a:t", "attributes/a", start=EVER[0], end=EVER[1], width=M)
    assert sorted(minutes) == [bucket_start(NOW - timedelta(minutes=minutes), M) for minutes in (30, 10, 9, 1)]
    assert await store.rollups("ns.a:t", "attributes/a", start=EVER[0], end=EVER[1],
                               width=timedelta(hours=1)) == hours
    assert revisions(await store.journal("org.twinhub:j"))[0] == 200
    assert revisions(await store.journal("org.twinhub:j", to_revision=100)) == [100]
    assert await pruner.prune() == 0
