"""History queries in the Store contract: raw pages over several paths, each compared with the pure reference
(`twinhub.history.page_of`) on generated points: every JSON type, huge integers, deletions, equal times and
times before 1970."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.contract.helpers import create, modify
from twinhub.history import MAX_LIMIT, MAX_PATHS, Point, Position, page_of
from twinhub.history.series import EPOCH, from_micros, micros
from twinhub.history.timespec import TimeRange
from twinhub.model.events import ThingWrite
from twinhub.store.base import Store
from twinhub.store.commit import Commit
from twinhub.store.points import PointCursor

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
