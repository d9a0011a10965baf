"""History queries in the Store contract: raw pages over several paths, buckets of one series and fleet buckets
of groups of things, each compared with the pure reference (`page_of`, `partials`, `fleet_aggregate`) on
generated points: every JSON type, huge integers, deletions, equal times, times before 1970, odd bucket widths.

Sums of floats are the database's double sums: they are checked to lie within 1e-9 of the sum of the samples'
magnitudes of the exact sum (the bound of a double summation's error); everything else is checked exactly."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import timedelta
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.contract.helpers import create, modify
from twinhub.history import (
    MAX_BUCKETS,
    MAX_FLEET_THINGS,
    MAX_LIMIT,
    MAX_PATHS,
    Aggregation,
    FleetPartials,
    Partial,
    Point,
    Position,
    Sample,
    fleet_aggregate,
    page_of,
    partials,
    sample_of,
)
from twinhub.history.series import EPOCH, from_micros, is_number, micros
from twinhub.history.timespec import TimeRange
from twinhub.model.events import ThingWrite
from twinhub.store.base import Store
from twinhub.store.commit import Commit
from twinhub.store.points import MAX_IMPORT, PointCursor

pytestmark = pytest.mark.anyio

PATHS = ("attributes/a", "attributes/b", "features/f~1g/properties/x", "features/f/desiredProperties/x")
EXAMPLES = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
_things = itertools.count()

values = st.one_of(
    st.none(),  # a deletion marker
    st.booleans(),
    st.integers(min_value=-1000, max_value=1000),
    st.integers(min_value=-(2**80), max_value=2**80),  # beyond a double's integers, and beyond 64 bits
    st.sampled_from([2**53, 2**53 + 1, -(2**53) - 1, 2**63, 2**64, float(2**53), float(2**64), 0.0, -0.0]),
    st.floats(min_value=-1e6, max_value=1e6),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=3),
)
# Few distinct times (so that points share them) around the epoch (so that some are before 1970), and a few far.
times = st.one_of(st.integers(min_value=-12, max_value=12).map(lambda step: step * 2_500_000),
                  st.integers(min_value=-(10**13), max_value=10**13))
# At most one point per (path, revision): one revision's change writes a leaf once.
series = st.dictionaries(st.tuples(st.sampled_from(PATHS), st.integers(min_value=1, max_value=6)),
                         st.tuples(times, values), max_size=30)


def points_of(thing_id: str, drawn: dict[tuple[str, int], tuple[int, object]]) -> list[Point]:
    return [Point(thing_id, path, from_micros(t_us), value, revision)  # type: ignore[arg-type]
            for (path, revision), (t_us, value) in drawn.items()]


async def commit_points(store: Store, thing_id: str, points: Sequence[Point]) -> None:
    """The points through the write path: revision r of the thing commits the points of revision r."""
    last = max((point.revision for point in points), default=1)
    write: ThingWrite = create(thing_id, {"attributes": {"r": 1}})
    for revision in range(1, last + 1):
        if revision > 1:
            write = modify(write.thing, ("attributes", "r"), revision)
        await store.commit(Commit(things=(write,),
                                  points=tuple(point for point in points if point.revision == revision)))


def new_thing() -> str:
    return f"org.twinhub:h{next(_things)}"


@EXAMPLES
@given(drawn=series, chosen=st.sets(st.sampled_from(PATHS), min_size=1), limit=st.integers(min_value=1, max_value=7),
       window=st.tuples(times, st.integers(min_value=1, max_value=10**14)))
async def test_raw_pages_of_several_paths_are_the_reference_pages(store: Store, drawn: dict[tuple[str, int],
                                                                  tuple[int, object]], chosen: set[str],
                                                                  limit: int, window: tuple[int, int]) -> None:
    thing_id = new_thing()
    points = points_of(thing_id, drawn)
    await commit_points(store, thing_id, points)
    time_range = TimeRange(from_micros(window[0]), from_micros(window[0] + window[1]))
    mine = [point for point in points if point.path in chosen]
    after: Position | None = None
    cursor: PointCursor | None = None
    for _ in range(len(points) + 1):
        expected = page_of(mine, time_range, limit, after)  # type: ignore[arg-type]
        page = await store.points(thing_id, sorted(chosen), start=time_range.start, end=time_range.end,
                                  limit=limit, after=cursor)
        assert list(page.points) == list(expected.points)
        assert [type(point.value) for point in page.points] == [type(point.value) for point in expected.points]
        if expected.next is None:
            assert page.next is None
            return
        assert page.next == PointCursor(micros(expected.next.time), expected.next.revision, expected.next.path)
        after, cursor = expected.next, page.next
    raise AssertionError("the pages did not end")


async def test_a_page_reads_each_path_once_and_refuses_unbounded_requests(store: Store) -> None:
    thing_id = new_thing()
    points = [Point(thing_id, "attributes/a", EPOCH, 1, 1), Point(thing_id, "attributes/b", EPOCH, 2, 1)]
    await commit_points(store, thing_id, points)
    whole = {"start": EPOCH - timedelta(days=1), "end": EPOCH + timedelta(days=1)}
    page = await store.points(thing_id, ["attributes/b", "attributes/a", "attributes/b"], limit=10, **whole)
    assert page.points == tuple(points) and page.next is None
    with pytest.raises(ValueError, match="at least one path"):
        await store.points(thing_id, [], limit=10, **whole)
    with pytest.raises(ValueError, match="paths"):
        await store.points(thing_id, [f"attributes/p{index}" for index in range(MAX_PATHS + 1)], limit=10, **whole)
    with pytest.raises(ValueError, match="at most"):
        await store.points(thing_id, ["attributes/a"], limit=MAX_LIMIT + 1, **whole)
    # the most paths at once still form one statement
    many = await store.points(thing_id, [f"attributes/{chr(97 + index % 26)}{index}" for index in range(MAX_PATHS)],
                              limit=10, **whole)
    assert many.points == ()


steps = st.sampled_from([1, 7, 1_000_000, 2_500_000, 7_000_003, 3_600_000_000, 86_400_000_000]).map(
    lambda width: timedelta(microseconds=width))
# a range of at most 1,000 buckets of the step, starting anywhere the points are
ranges = st.tuples(times, st.integers(min_value=1, max_value=1_000))


def samples_in(points: Sequence[Point], time_range: TimeRange) -> list[Sample]:
    return [sample_of(point) for point in points  # type: ignore[arg-type]
            if point.value is not None and point.time in time_range]


def magnitude(samples: Sequence[Sample]) -> Fraction:
    return sum((abs(Fraction(sample.value)) for sample in samples  # type: ignore[arg-type]
                if is_number(sample.value)), Fraction(0))


def assert_same_partials(found: dict[object, Partial], expected: dict[object, Partial],
                         samples: Sequence[Sample], step: timedelta) -> None:
    assert list(found) == list(expected)  # the same buckets, oldest first
    for start, partial in expected.items():
        mine = found[start]
        assert type(mine.count) is int  # not Decimal (PostgreSQL's sums), which JSON cannot carry
        assert (mine.count, mine.integral, mine.first, mine.last) == (
            partial.count, partial.integral, partial.first, partial.last)
        for value, reference in ((mine.minimum, partial.minimum), (mine.maximum, partial.maximum),
                                 (mine.first.value, partial.first.value), (mine.last.value, partial.last.value)):
            assert value == reference and type(value) is type(reference)
        if partial.total is None or partial.integral:
            assert mine.total == partial.total
        else:
            assert mine.total is not None
            bucket = [sample for sample in samples if start <= sample.time < start + step]  # type: ignore[operator]
            assert abs(mine.total - partial.total) <= Fraction(1e-9) * magnitude(bucket)


@EXAMPLES
@given(drawn=series, path=st.sampled_from(PATHS), step=steps, window=ranges)
async def test_buckets_of_a_series_are_the_reference_partials(store: Store, drawn: dict[tuple[str, int],
                                                              tuple[int, object]], path: str, step: timedelta,
                                                              window: tuple[int, int]) -> None:
    thing_id = new_thing()
    points = points_of(thing_id, drawn)
    await commit_points(store, thing_id, points)
    time_range = TimeRange(from_micros(window[0]), from_micros(window[0]) + step * window[1])
    samples = samples_in([point for point in points if point.path == path], time_range)
    found = await store.buckets(thing_id, path, start=time_range.start, end=time_range.end, step=step)
    assert_same_partials(found, partials(samples, step), samples, step)  # type: ignore[arg-type]


@EXAMPLES
@given(fleet=st.lists(series, min_size=1, max_size=4),
       membership=st.lists(st.lists(st.integers(min_value=0, max_value=3), max_size=5), max_size=3),
       step=steps, window=ranges)
async def test_fleet_buckets_are_the_reference_partials_of_each_group(
        store: Store, fleet: list[dict[tuple[str, int], tuple[int, object]]], membership: list[list[int]],
        step: timedelta, window: tuple[int, int]) -> None:
    things = [new_thing() for _ in fleet]
    points = {thing_id: points_of(thing_id, drawn) for thing_id, drawn in zip(things, fleet, strict=True)}
    for thing_id, mine in points.items():
        await commit_points(store, thing_id, mine)
    time_range = TimeRange(from_micros(window[0]), from_micros(window[0]) + step * window[1])
    path = PATHS[0]
    groups = [[things[index % len(things)] for index in members] for members in membership]  # repeats, empties
    found = await store.fleet_buckets(groups, path, start=time_range.start, end=time_range.end, step=step)
    assert len(found) == len(groups)
    for group, partials_found in zip(groups, found, strict=True):
        samples = [sample for thing_id in set(group) for sample in samples_in(
            [point for point in points[thing_id] if point.path == path], time_range)]
        assert_same_partials(partials_found.partials, partials(samples, step),  # type: ignore[arg-type]
                             samples, step)
        series_of_group = fleet_aggregate(samples, step, Aggregation.COUNT)
        assert partials_found.things == (series_of_group[0].things if series_of_group else 0)


async def test_bucket_queries_refuse_unbounded_requests_and_answer_empty_groups(store: Store) -> None:
    thing_id = new_thing()
    await commit_points(store, thing_id, [Point(thing_id, "attributes/a", EPOCH, 1, 1)])
    day = {"start": EPOCH - timedelta(days=1), "end": EPOCH + timedelta(days=1)}
    with pytest.raises(ValueError, match="microsecond"):
        await store.buckets(thing_id, "attributes/a", step=timedelta(0), **day)
    with pytest.raises(ValueError, match="buckets"):
        await store.buckets(thing_id, "attributes/a", step=timedelta(days=2) / (MAX_BUCKETS + 1), **day)
    with pytest.raises(ValueError, match="things"):
        await store.fleet_buckets([[thing_id] * 5_000, [thing_id] * (MAX_FLEET_THINGS - 4_999)], "attributes/a",
                                  step=timedelta(hours=1), **day)
    found = await store.fleet_buckets([[], [thing_id, thing_id], ["org.twinhub:none"]], "attributes/a",
                                      step=timedelta(hours=1), **day)
    assert [group.things for group in found] == [0, 1, 0]
    assert found[0].partials == {} and found[2].partials == {}
    assert found[1].partials == partials([Sample(EPOCH, 1, 1, thing_id)], timedelta(hours=1))
    alone = await store.fleet_buckets([[], [thing_id]], "attributes/a", step=timedelta(hours=1), **day)
    assert alone == [FleetPartials(0, {}), found[1]]  # one thing is read as a series, in its own group
    assert await store.buckets(thing_id, "attributes/a", start=EPOCH, end=EPOCH, step=timedelta(hours=1)) == {}


@pytest.mark.parametrize("values", [
    [1.0, 1, 2, 2.0],  # equal integer and float: the integer is the least and the greatest
    [2**60, float(2**60), 2**60 + 1],  # beyond 2**53: exact, text and double side by side
    [float(2**64), 2**64, -(2**70), -float(2**70)],
    [2**53, 2**53 + 1, float(2**53), -(2**53) - 1],
    [1e308, 1e308, -5.5, 2**80],  # a double sum beyond the largest double, and a huge integer
    [-(2**53)] * 3 + [2**53] * 2,  # integer sums beyond 64 bits' halves
    [True, 1, "x"],
])
async def test_buckets_keep_integers_exact_and_prefer_them_on_ties(store: Store, values: list[object]) -> None:
    thing_id = new_thing()
    # equal times, so that first and last are decided by revision
    points = [Point(thing_id, "attributes/a", EPOCH - timedelta(seconds=1), value, revision)  # type: ignore[arg-type]
              for revision, value in enumerate(values, start=1)]
    await commit_points(store, thing_id, points)
    step = timedelta(seconds=10)
    samples = samples_in(points, TimeRange(EPOCH - step, EPOCH))
    found = await store.buckets(thing_id, "attributes/a", start=EPOCH - step, end=EPOCH, step=step)
    assert_same_partials(found, partials(samples, step), samples, step)  # type: ignore[arg-type]
    assert len(found) == 1


async def test_fleet_first_and_last_order_by_time_then_any_revision_then_thing(store: Store) -> None:
    # one time, revisions either side of the fleet key's split at 10**9 and up to the largest: first and last are
    # decided by revision, then by thing id
    revisions = [10**9, 10**9 - 1, 2**63 - 1, 5 * 10**18 + 7, 0, 2**63 - 1, 10**9 + 1]
    things = sorted(new_thing() for _ in revisions)
    points = [Point(thing_id, "attributes/a", EPOCH, index, revision)
              for index, (thing_id, revision) in enumerate(zip(things[::-1], revisions, strict=True))]
    points.append(Point(things[0], "attributes/a", EPOCH - timedelta(microseconds=1), 99, 2**63 - 1))
    assert await store.import_points(points) == len(points)
    step = timedelta(seconds=10)
    samples = samples_in(points, TimeRange(EPOCH - step, EPOCH + step))
    found = await store.fleet_buckets([things], "attributes/a", start=EPOCH - step, end=EPOCH + step, step=step)
    assert_same_partials(found[0].partials, partials(samples, step), samples, step)  # type: ignore[arg-type]
    bucket = found[0].partials[EPOCH]
    assert (bucket.first.revision, bucket.last.revision) == (0, 2**63 - 1)
    assert bucket.last.thing_id == max(things[::-1][2], things[::-1][5])


async def test_imported_points_read_back_as_written_and_a_point_twice_is_stored_once(store: Store) -> None:
    thing_id, other = new_thing(), new_thing()
    values: list[object] = [1, 2**70, -0.5, True, "x\x00y", None, 2**53 + 1]
    points = [Point(thing_id, f"attributes/a\x00{index % 2}", EPOCH + timedelta(seconds=index - 3), value, index)
              for index, value in enumerate(values)]  # type: ignore[arg-type]
    points.append(Point(other, "attributes/a\x000", EPOCH, 5, 7))
    assert await store.import_points([*points, points[0]]) == len(points)  # the repeat within the call too
    assert await store.import_points([*points[2:], Point(thing_id, "attributes/b", EPOCH, 1.5, 1)]) == 1
    page = await store.points(thing_id, ["attributes/a\x000", "attributes/a\x001"], start=EPOCH - timedelta(days=1),
                              end=EPOCH + timedelta(days=1), limit=100)
    assert list(page.points) == points[:-1]
    assert [type(point.value) for point in page.points] == [type(value) for value in values]
    assert await store.import_points([]) == 0


@pytest.mark.parametrize(("point", "message"), [
    (Point("org.twinhub:t", "attributes/a", EPOCH, float("nan"), 1), "JSON number"),
    (Point("org.twinhub:t", "attributes/a", EPOCH, float("-inf"), 1), "JSON number"),
    (Point("org.twinhub:t", "attributes/a", EPOCH, 1, -1), "revision"),
    (Point("org.twinhub:t", "attributes/a", EPOCH, 1, 2**63), "revision"),
    (Point("no id", "attributes/a", EPOCH, 1, 1), "thing id"),
    (Point("org.twinhub:t", "", EPOCH, 1, 1), "path"),
])
async def test_an_import_refuses_points_no_thing_could_have_and_writes_none(store: Store, point: Point,
                                                                             message: str) -> None:
    good = Point("org.twinhub:t", "attributes/a", EPOCH, 1, 1)
    with pytest.raises(ValueError, match=message):
        await store.import_points([good, point])
    page = await store.points("org.twinhub:t", ["attributes/a"], start=EPOCH, end=EPOCH + timedelta(1), limit=5)
    assert page.points == ()


async def test_an_import_is_bounded(store: Store) -> None:
    point = Point("org.twinhub:t", "attributes/a", EPOCH, 1, 1)
    with pytest.raises(ValueError, match="at most"):
        await store.import_points([point] * (MAX_IMPORT + 1))


@EXAMPLES
@given(drawn=st.lists(st.tuples(st.sampled_from(PATHS[:2]), times, st.integers(min_value=0, max_value=3), values),
                      max_size=40),
       step=steps, window=ranges)
async def test_buckets_of_imported_points_are_the_reference_partials(
        store: Store, drawn: list[tuple[str, int, int, object]], step: timedelta, window: tuple[int, int]) -> None:
    thing_id = new_thing()
    # the bulk path takes any (path, time, revision): several points of one revision, one time many revisions
    unique = {(path, t_us, revision): value for path, t_us, revision, value in drawn}
    points = [Point(thing_id, path, from_micros(t_us), value, revision)  # type: ignore[arg-type]
              for (path, t_us, revision), value in unique.items()]
    assert await store.import_points(points) == len(points)
    time_range = TimeRange(from_micros(window[0]), from_micros(window[0]) + step * window[1])
    samples = samples_in([point for point in points if point.path == PATHS[0]], time_range)
    found = await store.buckets(thing_id, PATHS[0], start=time_range.start, end=time_range.end, step=step)
    assert_same_partials(found, partials(samples, step), samples, step)  # type: ignore[arg-type]
