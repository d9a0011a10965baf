from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.history.recorded import Point
from twinhub.history.cursor import PageCursor, decode_cursor, encode_cursor, fingerprint
from twinhub.history.paging import page_of, position_of
from twinhub.history.timespec import TimeRange

T0 = datetime(2026, 1, 1, tzinfo=UTC)
RANGE = TimeRange(T0, T0 + timedelta(minutes=10))


points = st.lists(
    st.builds(Point, st.just("ns:t"), st.sampled_from(["/attributes/a", "/attributes/b"]),
              st.integers(-60, 700).map(lambda s: T0 + timedelta(seconds=s)), st.integers(), st.integers(0, 3)),
    unique_by=lambda p: (p.path, p.time, p.revision), max_size=30)


@settings(max_examples=150, deadline=None)
@given(points, st.integers(1, 7))
def test_pages_followed_through_their_cursors_give_every_point_in_range_once_in_order(
        given_points: list[Point], limit: int) -> None:
    expected = sorted((p for p in given_points if T0 <= p.time < RANGE.end),
                      key=lambda p: (p.time, p.revision, p.path))
    seen: list[Point] = []
    after = None
    print_ = fingerprint("ns:t", ["/attributes/a", "/attributes/b"])
    while True:
        page = page_of(reversed(given_points), RANGE, limit, after)
        assert 0 < len(page.points) <= limit or not expected
        seen.extend(page.points)  # type: ignore[arg-type]
        if page.next is None:
            break
        # the position crosses to the client and back as a cursor
        after = decode_cursor(encode_cursor(PageCursor(page.next, RANGE, print_)), print_).after
    assert seen == expected


def test_a_page_that_holds_the_rest_exactly_has_no_next() -> None:
    two = [Point("ns:t", "/attributes/a", T0 + timedelta(seconds=s), s, s) for s in (1, 2)]
    assert page_of(two, RANGE, 2).next is None
    assert page_of(two, RANGE, 1).next == position_of(two[0])


def test_a_page_has_a_positive_limit() -> None:
    with pytest.raises(ValueError):
        page_of([], RANGE, 0)
