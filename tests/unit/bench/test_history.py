"""The history benchmark end to end at a small scale on the embedded store: every figure is measured, every point
written is counted back, and the report names each figure with its floor."""

from __future__ import annotations

import pytest
from bench.history import HistoryOptions, run, to_markdown
from bench.history_data import HZ_SERIES_POINTS, BulkPlan


def test_the_bulk_plan_fills_its_count_with_the_1hz_series_first() -> None:
    plan = BulkPlan(things=7, points=HZ_SERIES_POINTS + 700)
    chunks = list(plan.chunks())
    points = [point for chunk in chunks for point in chunk]
    assert plan.total == len(points) == HZ_SERIES_POINTS + 700
    assert len({(point.thing_id, point.path, point.time) for point in points}) == len(points)  # no duplicates
    assert all(len(chunk) <= 100_000 for chunk in chunks)


@pytest.mark.slow
def test_a_small_run_measures_every_figure_and_loses_no_point() -> None:
    report = run(HistoryOptions(stores=("sqlite",), bulk_points=HZ_SERIES_POINTS + 2_000, write_points=2_000,
                                things=20, queries=3))
    assert report.problems == []
    (store,) = report.stores
    assert store.figures["bulk"]["points"] == HZ_SERIES_POINTS + 2_000
    assert store.figures["write_path"]["points"] == 2_000
    for name in ("series_24h_1m", "fleet_1h", "fleet_5m"):
        query = store.figures["queries"][name]
        assert query["p50_ms"] > 0 and query["raw_sql_p50_ms"] > 0 and query["raw_sql_rows"] > 0
    markdown = to_markdown(report)
    assert "24 h at 1 min, one 1 Hz series" in markdown and "plain SQL insert" in markdown
