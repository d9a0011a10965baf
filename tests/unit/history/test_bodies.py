from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from twinhub.history import Aggregation, Partial, Sample, partials
from twinhub.history.bodies import (
    ExportRow,
    SeriesBuckets,
    aggregated_body,
    bucket_rows,
    buckets_of,
    fleet_body,
    point_rows,
    raw_body,
)
from twinhub.history.fleet import FleetSeries
from twinhub.history.points import Point
from twinhub.model.errors import HistoryAggregationInvalid

T0 = datetime(2026, 1, 1, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
A, B = "/attributes/a", "/features/f/properties/b"


def _point(path: str, seconds: int, value: bool | int | float | str | None, revision: int) -> Point:
    return Point("ns:t", path[1:], T0 + timedelta(seconds=seconds), value, revision)


def test_one_path_answers_its_points_with_deletion_markers_as_null() -> None:
    points = [_point(A, 0, 1, 1), _point(A, 5, None, 2)]
    assert raw_body("ns:t", [A], points, None, several=False) == {
        "thingId": "ns:t", "path": A, "points": [["2026-01-01T00:00:00Z", 1], ["2026-01-01T00:00:05Z", None]]}


def test_several_paths_answer_one_series_each_in_the_order_asked_with_the_pages_cursor() -> None:
    points = [_point(A, 0, 1, 1), _point(B, 1, "x", 2), _point(A, 2, 2.5, 3)]
    assert raw_body("ns:t", [B, A, "/attributes/none"], points, "c", several=True) == {
        "thingId": "ns:t", "cursor": "c", "series": [
            {"path": B, "points": [["2026-01-01T00:00:01Z", "x"]]},
            {"path": A, "points": [["2026-01-01T00:00:00Z", 1], ["2026-01-01T00:00:02Z", 2.5]]},
            {"path": "/attributes/none", "points": []}]}


def test_buckets_finish_the_partials_oldest_first() -> None:
    samples = [Sample(T0 + timedelta(seconds=s), v, s) for s, v in ((70, 4), (5, 1), (10, 2))]
    found = dict(reversed(list(partials(samples, MINUTE).items())))
    series = buckets_of(A, found, Aggregation.SUM)
    assert series == SeriesBuckets(A, [(T0, 3), (T0 + MINUTE, 4)])
    assert aggregated_body("ns:t", [series], Aggregation.SUM, "1m", several=False) == {
        "thingId": "ns:t", "path": A, "step": "1m", "agg": "sum",
        "points": [["2026-01-01T00:00:00Z", 3], ["2026-01-01T00:01:00Z", 4]]}
    assert bucket_rows("ns:t", [series]) == [ExportRow("ns:t", A[1:], T0, 3), ExportRow("ns:t", A[1:], T0 + MINUTE, 4)]


def test_a_numeric_aggregate_of_strings_is_refused() -> None:
    with pytest.raises(HistoryAggregationInvalid):
        buckets_of(A, {T0: Partial.of([Sample(T0, "x")])}, Aggregation.MEAN)


def test_exports_leave_deletion_markers_out() -> None:
    assert point_rows([_point(A, 0, 1, 1), _point(A, 1, None, 2), _point(A, 2, False, 3)]) == [
        ExportRow("ns:t", A[1:], T0, 1, 1), ExportRow("ns:t", A[1:], T0 + timedelta(seconds=2), False, 3)]


def test_the_fleet_body_has_one_entry_per_group() -> None:
    series = [FleetSeries("w1", 2, [["2026-01-01T00:00:00Z", 1.5]]), FleetSeries(None, 1, [])]
    assert fleet_body(A, "5m", Aggregation.MEAN, series) == {
        "path": A, "step": "5m", "agg": "mean", "series": [
            {"group": "w1", "things": 2, "points": [["2026-01-01T00:00:00Z", 1.5]]},
            {"group": None, "things": 1, "points": []}]}
