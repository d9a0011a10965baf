"""History rollups in the Store contract: maintained with the points in their transaction, equal to the partials
of the raw points (the pure reference), also for late points and when combined with raw ends by the plan."""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Mapping
from datetime import datetime, timedelta

import pytest

from tests.contract.conftest import StoreOpener
from tests.contract.helpers import at, create, delete, modify, with_points
from twinhub.history import Partial, Point, Sample, partials
from twinhub.history.plan import combine, plan_segments
from twinhub.history.retention import parse_retention
from twinhub.model.events import Thing
from twinhub.model.types import JsonValue
from twinhub.store.base import Store

pytestmark = pytest.mark.anyio

T = "org.twinhub:sensor"
VALUE = ("features", "temp", "properties", "value")
PATH = "features/temp/properties/value"
M, H = timedelta(minutes=1), timedelta(hours=1)
EVER = (at(-10**6), at(10**6))


async def write_series(store: Store, values: list[tuple[datetime, JsonValue]], thing_id: str = T) -> Thing:
    """The thing created with the first value, then each further value at its (device) time, one commit each."""
    (time, value), *rest = values
    first = create(thing_id, {"features": {"temp": {"properties": {"value": value}}}})
    await store.commit(with_points(first, None, time=time))
    thing = first.thing
    for time, value in rest:
        write = modify(thing, VALUE, value)
        await store.commit(with_points(write, thing, time=time))
        thing = write.thing
    return thing


async def raw_samples(store: Store, thing_id: str = T, path: str = PATH) -> list[Sample]:
    page = await store.points(thing_id, [path], start=EVER[0], end=EVER[1], limit=1000)
    assert page.next is None
    return [Sample(point.time, point.value, point.revision, thing_id) for point in page.points
            if point.value is not None]


def assert_same(got: Mapping[datetime, Partial], expected: Mapping[datetime, Partial]) -> None:
    """Equal partials: count, minimum, maximum, first, last and integer sums exactly, float sums to 1e-9."""
    assert list(got) == list(expected)
    for start, partial in expected.items():
        found = got[start]
        assert (found.count, found.integral, found.minimum, found.maximum, found.first, found.last) == (
            partial.count, partial.integral, partial.minimum, partial.maximum, partial.first, partial.last), start
        assert [type(found.count), type(found.minimum), type(found.maximum)] == [
            int, type(partial.minimum), type(partial.maximum)]  # a Decimal count would not render as JSON
        if partial.total is None or partial.integral:
            assert found.total == partial.total, start
        else:
            assert found.total is not None
            assert math.isclose(found.total, partial.total, rel_tol=1e-9, abs_tol=1e-9), start


def mixed_values(seed: int, count: int) -> list[tuple[datetime, JsonValue]]:
    """Integers and floats at random times over three hours, some of them late (before earlier writes)."""
    rng = random.Random(seed)
    times = sorted(at(rng.uniform(0, 3 * 3600)) for _ in range(count))
    for _ in range(count // 5):  # late arrivals: swap a point with an earlier one
        i, j = sorted(rng.sample(range(count), 2))
        times[i], times[j] = times[j], times[i]
    values: list[tuple[datetime, JsonValue]] = []
    for index, time in enumerate(times):  # each differs from the one before (an unchanged leaf records nothing)
        values.append((time, rng.choice([rng.randint(-1000, 1000) * 10 + index % 2, round(rng.uniform(-50, 50), 3)
                                         + index % 2, 2**60 + index])))
    return values


@pytest.mark.parametrize("width", [M, H])
async def test_rollups_equal_the_partials_of_the_raw_points(store: Store, width: timedelta) -> None:
    await write_series(store, mixed_values(1, 120))
    samples = await raw_samples(store)
    assert len(samples) == 120
    assert_same(await store.rollups(T, PATH, start=EVER[0], end=EVER[1], width=width), partials(samples, width))


async def test_a_late_point_updates_the_bucket_of_its_own_time(store: Store) -> None:
    thing = await write_series(store, [(at(3600), 10), (at(3660), 20)])
    late = modify(thing, VALUE, 5)
    await store.commit(with_points(late, thing, time=at(30)))  # an hour earlier, written last
    minutes = await store.rollups(T, PATH, start=EVER[0], end=EVER[1], width=M)
    assert {start: (p.count, p.minimum, p.first.value, p.last.value) for start, p in minutes.items()} == {
        at(0): (1, 5, 5, 5), at(3600): (1, 10, 10, 10), at(3660): (1, 20, 20, 20)}
    hours = await store.rollups(T, PATH, start=EVER[0], end=EVER[1], width=H)
    assert {start: (p.count, p.total, p.first.value, p.last.value) for start, p in hours.items()} == {
        at(0): (1, 5, 5, 5), at(3600): (2, 30, 10, 20)}


async def test_points_of_one_group_commit_combine_into_one_row_per_bucket(store: Store) -> None:
    first = create(T, {"attributes": {"n": 0}})
    writes = [first]
    for value in range(1, 30):
        writes.append(modify(writes[-1].thing, ("attributes", "n"), value))
    befores = [None, *(write.thing for write in writes[:-1])]
    # one batch, chained revisions: the same rollup rows many times in one transaction
    await asyncio.gather(*(store.commit(with_points(write, before, time=at(index * 7)))
                           for index, (write, before) in enumerate(zip(writes, befores, strict=True))))
    samples = await raw_samples(store, path="attributes/n")
    assert len(samples) == 30
    for width in (M, H):
        assert_same(await store.rollups(T, "attributes/n", start=EVER[0], end=EVER[1], width=width),
                    partials(samples, width))


async def test_strings_and_booleans_count_but_have_no_numeric_aggregate(store: Store) -> None:
    thing = await write_series(store, [(at(1), "on"), (at(2), True), (at(3), 1.5), (at(70), "x\x00y")])
    gone = delete(thing)
    await store.commit(with_points(gone, thing, time=at(80)))  # deletion markers are not rolled up
    samples = await raw_samples(store)
    minutes = await store.rollups(T, PATH, start=EVER[0], end=EVER[1], width=M)
    assert_same(minutes, partials(samples, M))
    assert minutes[at(0)].total is None and minutes[at(0)].count == 3
    assert minutes[at(60)].last.value == "x\x00y"


async def test_a_range_reads_whole_buckets_from_its_start_on(store: Store) -> None:
    await write_series(store, [(at(59), 1), (at(60), 2), (at(130), 3), (at(180), 4)])
    got = await store.rollups(T, PATH, start=at(60), end=at(180), width=M)
    assert {start: p.count for start, p in got.items()} == {at(60): 1, at(120): 1}
    assert await store.rollups(T, PATH, start=EVER[0], end=EVER[1], width=timedelta(minutes=5)) == {}
    assert await store.rollups("org.twinhub:other", PATH, start=EVER[0], end=EVER[1], width=M) == {}


async def test_raw_ends_and_rollups_between_answer_as_the_raw_points(store: Store) -> None:
    await write_series(store, mixed_values(2, 150))
    samples = await raw_samples(store)
    start, end = at(17.5), at(3 * 3600 - 1234.25)
    step = 2 * H
    segments = plan_segments(start, end, step, [M, H])
    assert [segment.width for segment in segments] == [None, H, None]
    parts = []
    for segment in segments:
        if segment.width is None:
            inside = [sample for sample in samples if segment.start <= sample.time < segment.end]
            parts.append((segment, partials(inside, step)))
        else:
            parts.append((segment, await store.rollups(T, PATH, start=segment.start, end=segment.end,
                                                       width=segment.width)))
    assert_same(combine(parts, step), partials([s for s in samples if start <= s.time < end], step))


async def test_no_rollups_are_kept_when_none_are_configured(open_store: StoreOpener) -> None:
    async with open_store(rollups=()) as store:
        await write_series(store, [(at(1), 1), (at(2), 2)])
        assert len(await raw_samples(store)) == 2
        assert await store.rollups(T, PATH, start=EVER[0], end=EVER[1], width=M) == {}


async def test_each_width_configured_is_kept(open_store: StoreOpener) -> None:
    widths = [timedelta(seconds=10), 5 * M, timedelta(days=1)]
    async with open_store(rollups=widths) as store:
        await write_series(store, mixed_values(3, 60))
        samples = await raw_samples(store)
        for width in widths:
            assert_same(await store.rollups(T, PATH, start=EVER[0], end=EVER[1], width=width),
                        partials(samples, width))
        assert await store.rollups(T, PATH, start=EVER[0], end=EVER[1], width=M) == {}




# -- bucket queries through the rollups ----------------------------------------------------------------------

QUERIES = [  # (start, end, step): rollup segments between raw ends, aligned ranges, and raw only
    (at(17.5), at(3 * 3600 - 1234.25), 2 * H),
    (at(0), at(3 * 3600), 5 * M),
    (at(-3600), at(4 * 3600), H),
    (at(33), at(3 * 3600 - 7), 15 * M),
    (at(100), at(5000), timedelta(seconds=30)),  # finer than every rollup: raw only
]


@pytest.mark.parametrize(("start", "end", "step"), QUERIES)
async def test_buckets_through_rollups_equal_the_partials_of_the_raw_points(store: Store, start: datetime,
                                                                           end: datetime, step: timedelta) -> None:
    await write_series(store, mixed_values(4, 150))
    samples = await raw_samples(store)
    expected = partials([sample for sample in samples if start <= sample.time < end], step)
    assert expected
    assert_same(await store.buckets(T, PATH, start=start, end=end, step=step), expected)


async def prune_raw_points(store: Store) -> None:
    """Every raw point deleted (the rollups stay): a query can only be answered from the rollups."""
    everything = parse_retention(["1s"])
    while (await store.prune_points(everything, at(10**5))).next is not None:
        pass


# Sparse rollups (a sample or so per row) are read from the raw points while those are all there; pruned, from
# the rollups (whole minutes: no raw ends remain).
SPARSE = pytest.mark.parametrize(("pruned", "margin"), [(False, 45), (True, 0)], ids=["raw", "pruned"])


@SPARSE
async def test_fleet_buckets_through_rollups_count_things_and_combine_them(store: Store, pruned: bool,
                                                                           margin: int) -> None:
    things = [f"org.twinhub:f{index}" for index in range(5)]
    for index, thing_id in enumerate(things[:4]):  # the last has no point
        await write_series(store, mixed_values(10 + index, 40), thing_id)
    samples = {thing_id: await raw_samples(store, thing_id) for thing_id in things}
    if pruned:
        await prune_raw_points(store)
    groups = [things[:2], things[2:], ["org.twinhub:none"]]
    start, end, step = at(margin), at(3 * 3600 - margin), 30 * M
    found = await store.fleet_buckets(groups, PATH, start=start, end=end, step=step)
    for group, fleet in zip(groups, found, strict=True):
        inside = [sample for thing_id in group for sample in samples.get(thing_id, [])
                  if start <= sample.time < end]
        assert fleet.things == len({sample.thing_id for sample in inside})
        assert_same(fleet.partials, partials(inside, step))
    assert [fleet.things for fleet in found] == [2, 2, 0]
    alone = await store.fleet_buckets([[], [things[1]], []], PATH, start=start, end=end, step=step)
    assert [fleet.things for fleet in alone] == [0, 1, 0] and alone[0].partials == alone[2].partials == {}
    assert_same(alone[1].partials, partials([sample for sample in samples[things[1]]
                                             if start <= sample.time < end], step))


async def test_a_range_whose_raw_points_are_pruned_is_answered_from_the_rollups(store: Store) -> None:
    await write_series(store, mixed_values(5, 120))
    samples = await raw_samples(store)
    await prune_raw_points(store)
    assert await raw_samples(store) == []
    start, end = at(0), at(3 * 3600)  # whole hours: the rollup of an hour answers all of it
    assert_same(await store.buckets(T, PATH, start=start, end=end, step=H), partials(samples, H))
    fleet = await store.fleet_buckets([[T]], PATH, start=start, end=end, step=H)
    assert fleet[0].things == 1
    assert_same(fleet[0].partials, partials(samples, H))


async def test_imported_points_are_rolled_up_once(store: Store) -> None:
    points = [Point(T, PATH, time, value, revision) for revision, (time, value) in enumerate(mixed_values(6, 90))]
    assert await store.import_points(points) == 90
    assert await store.import_points(points[:30]) == 0  # already stored: not rolled up again
    samples = await raw_samples(store)
    for width in (M, H):
        assert_same(await store.rollups(T, PATH, start=EVER[0], end=EVER[1], width=width), partials(samples, width))
    assert_same(await store.buckets(T, PATH, start=at(10), end=at(3 * 3600), step=H),
                partials([sample for sample in samples if sample.time >= at(10)], H))


@pytest.mark.parametrize("pruned", [False, True], ids=["raw", "pruned"])
async def test_fleet_extremes_through_rollups_are_exact_and_prefer_integers(store: Store, pruned: bool) -> None:
    values: dict[str, JsonValue] = {"org.twinhub:a": 5.0, "org.twinhub:b": 5, "org.twinhub:c": 2**60 + 3,
                                    "org.twinhub:d": 2**60 + 1, "org.twinhub:e": 2.0**60}
    for thing_id, value in values.items():
        await write_series(store, [(at(90), value)], thing_id)
    samples = [sample for thing_id in values for sample in await raw_samples(store, thing_id)]
    if pruned:
        await prune_raw_points(store)
    start, end, step = at(0), at(3600), 5 * M
    found = await store.fleet_buckets([list(values)], PATH, start=start, end=end, step=step)
    partial = found[0].partials[at(0)]
    assert (partial.minimum, type(partial.minimum)) == (5, int)
    assert (partial.maximum, type(partial.maximum)) == (2**60 + 3, int)
    assert_same(found[0].partials, partials(samples, step))


@SPARSE
async def test_fleet_first_and_last_strings_read_back_as_written(store: Store, pruned: bool, margin: int) -> None:
    # U+0000 is escaped in PostgreSQL rows: the fleet reads of raw rows and of rollup rows must both undo it
    things = ["org.twinhub:s0", "org.twinhub:s1"]
    for offset, thing_id in enumerate(things):
        await write_series(store, [(at(60 * minute + offset), f"{thing_id}\x00{minute}") for minute in range(6)],
                           thing_id)
    samples = [sample for thing_id in things for sample in await raw_samples(store, thing_id)]
    if pruned:
        await prune_raw_points(store)
    start, end = at(margin), at(3600 - margin)
    (fleet,) = await store.fleet_buckets([things], PATH, start=start, end=end, step=H)
    assert_same(fleet.partials, partials([sample for sample in samples if start <= sample.time < end], H))
    ((_, bucket),) = fleet.partials.items()
    first_minute = 1 if margin else 0  # a margin leaves minute 0 out
    assert (bucket.first.value, bucket.last.value) == (f"org.twinhub:s0\x00{first_minute}", "org.twinhub:s1\x005")
