from __future__ import annotations

from datetime import UTC, datetime, timedelta

from twinhub.history import Partial, Point, Sample, partials
from twinhub.store.points import encode_point
from twinhub.store.rollups import COLUMNS, add_integers, decode_partial, rollup_rows, width_micros

T0 = datetime(2026, 1, 1, tzinfo=UTC)
M = timedelta(minutes=1)


def _partials(points: list[Point], width: timedelta, *, isum_bound: int | None = None) -> dict[datetime, Partial]:
    rows = rollup_rows([encode_point(point) for point in points], width_micros([width]), isum_bound=isum_bound)
    assert all(len(row) == len(COLUMNS) for row in rows)
    return dict(decode_partial(row[0], row[1], row[3:]) for row in rows)


def _reference(points: list[Point], width: timedelta) -> dict[datetime, Partial]:
    return partials([Sample(p.time, p.value, p.revision, p.thing_id) for p in points if p.value is not None], width)


def test_a_batch_combines_to_the_partials_of_its_points_per_bucket() -> None:
    values = [3, 1.0, 1, 2**60 + 1, 2**60, -5, 2.5, None, 2**80]
    points = [Point("ns:t", "attributes/a", T0 + timedelta(seconds=7 * index), value, index)
              for index, value in enumerate(values)]
    assert _partials(points, M) == _reference(points, M)
    assert _partials(points, timedelta(seconds=10)) == _reference(points, timedelta(seconds=10))


def test_an_integer_sum_beyond_the_database_is_kept_as_text_and_added_exactly() -> None:
    points = [Point("ns:t", "attributes/a", T0, 2**62, 1), Point("ns:t", "attributes/a", T0, 2**62, 2)]
    rows = rollup_rows([encode_point(point) for point in points], width_micros([M]), isum_bound=2**63)
    assert rows[0][COLUMNS.index("isum")] == str(2**63)
    assert add_integers(str(2**63), -1) == 2**63 - 1 and add_integers(2**63 - 1, 1) == str(2**63)
    assert decode_partial("ns:t", "attributes/a", rows[0][3:])[1].total == 2**63


def test_deletion_markers_make_no_row_and_keys_come_sorted() -> None:
    points = [Point("ns:b", "x", T0, None, 1), Point("ns:b", "a", T0 + M, 1, 2), Point("ns:a", "z", T0, "s", 1)]
    rows = rollup_rows([encode_point(point) for point in points], width_micros([M, timedelta(hours=1)]))
    assert [row[:4] for row in rows] == sorted(row[:4] for row in rows)
    assert {row[1] for row in rows} == {"a", "z"}
