"""Buckets of one thing over HTTP: each aggregate against values computed here from the values written, placed
in buckets by their `history-timestamp`; several paths at once; exports of buckets; refusals."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import httpx
import pytest

from tests.api.helpers import assert_error
from tests.api.history.conftest import T0, create, history, iso, write

MINUTE = timedelta(minutes=1)
WINDOW = {"from": iso(T0), "to": iso(T0 + timedelta(hours=1))}
# (seconds after T0, value): three minutes with data, one without (minute 2), ints and floats mixed in minute 3
WRITES = [(5, 10), (20, 14), (59, 9), (61, 2.5), (90, -1.25), (200, 4), (230, 7.5), (239, 1)]


def _written(client: httpx.Client, thing_id: str) -> dict[datetime, list[tuple[datetime, int | float]]]:
    """Writes WRITES to /attributes/t after a creation outside the window; the samples by minute bucket."""
    create(client, thing_id, {"attributes": {"t": 0, "label": "x"}}, at=T0 - timedelta(days=1))
    buckets: dict[datetime, list[tuple[datetime, int | float]]] = {}
    for seconds, value in WRITES:
        at = T0 + timedelta(seconds=seconds)
        write(client, thing_id, "/attributes/t", value, at)
        buckets.setdefault(T0 + (seconds // 60) * MINUTE, []).append((at, value))
    return buckets


def _expected(agg: str, samples: list[tuple[datetime, int | float]]) -> int | float:
    values = [value for _, value in samples]
    if agg == "mean":
        return sum(values) / len(values)
    if agg == "sum":
        return sum(values)
    if agg == "count":
        return len(values)
    if agg == "first":
        return min(samples)[1]
    if agg == "last":
        return max(samples)[1]
    return {"min": min, "max": max}[agg](values)


@pytest.mark.parametrize("agg", ["mean", "min", "max", "sum", "count", "first", "last"])
def test_each_aggregate_per_minute_matches_the_values_written(alice: httpx.Client, thing_id: str, agg: str) -> None:
    buckets = _written(alice, thing_id)
    response = history(alice, thing_id, "/attributes/t", step="1m", agg=agg, **WINDOW)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["thingId"], body["path"], body["step"], body["agg"]) == (thing_id, "/attributes/t", "1m", agg)
    expected = [[iso(start), _expected(agg, samples)] for start, samples in sorted(buckets.items())]
    assert [start for start, _ in body["points"]] == [start for start, _ in expected]
    for (_, got), (_, want) in zip(body["points"], expected, strict=True):
        assert got == pytest.approx(want, rel=1e-9) and type(got) is type(want)


def test_a_step_without_agg_is_the_mean_and_a_wide_step_takes_every_sample(alice: httpx.Client,
                                                                         thing_id: str) -> None:
    _written(alice, thing_id)
    values = [value for _, value in WRITES]
    body = history(alice, thing_id, "/attributes/t", step="1h", **WINDOW).json()
    assert body["agg"] == "mean"
    ((start, mean),) = body["points"]
    assert start == iso(T0) and mean == pytest.approx(sum(values) / len(values), rel=1e-9)


def test_several_paths_are_aggregated_each(alice: httpx.Client, thing_id: str) -> None:
    buckets = _written(alice, thing_id)
    write(alice, thing_id, "/attributes/label", "y", T0 + timedelta(seconds=30))
    body = history(alice, thing_id, step="1m", agg="count", paths="/attributes/t,/attributes/label", **WINDOW).json()
    assert body["series"] == [
        {"path": "/attributes/t", "points": [[iso(start), len(samples)] for start, samples in sorted(buckets.items())]},
        {"path": "/attributes/label", "points": [[iso(T0), 1]]}]


def test_an_aggregated_csv_export_has_one_row_per_bucket(alice: httpx.Client, thing_id: str) -> None:
    buckets = _written(alice, thing_id)
    response = history(alice, thing_id, "/attributes/t", step="1m", agg="max", format="csv", **WINDOW)
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(row["path"], row["time"], float(row["value"])) for row in rows] == [
        ("attributes/t", iso(start), max(value for _, value in samples)) for start, samples in sorted(buckets.items())]


def test_a_numeric_aggregate_of_strings_is_400_but_count_and_last_are_not(alice: httpx.Client, thing_id: str) -> None:
    create(alice, thing_id, {"attributes": {"label": "a"}}, at=T0)
    write(alice, thing_id, "/attributes/label", "b", T0 + timedelta(seconds=1))
    assert_error(history(alice, thing_id, "/attributes/label", step="1m", agg="mean", **WINDOW), 400,
                 "history:aggregation.invalid")
    assert history(alice, thing_id, "/attributes/label", step="1m", agg="last", **WINDOW).json()["points"] == [
        [iso(T0), "b"]]
