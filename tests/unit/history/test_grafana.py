from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from twinhub.history import Aggregation, Sample, partials
from twinhub.history.aggregate import finish
from twinhub.history.grafana import parse_grafana_query, render_grafana_series, split_target
from twinhub.history.timespec import MAX_BUCKETS, bucket_count
from twinhub.model.errors import (
    HistoryAggregationInvalid,
    HistoryPathsInvalid,
    HistoryStepInvalid,
    HistoryTimeInvalid,
    Invalid,
    JsonFieldMissing,
    JsonPointerInvalid,
    RequestInvalid,
)
from twinhub.model.types import JsonValue

NOW = datetime(2026, 12, 7, tzinfo=UTC)
T0 = datetime(2026, 12, 6, 23, tzinfo=UTC)


def _body(**changes: JsonValue) -> dict[str, JsonValue]:
    """A /query body as Grafana sends it (fields twinhub does not use included)."""
    body: dict[str, JsonValue] = {
        "panelId": 2, "interval": "30s", "intervalMs": 30_000, "maxDataPoints": 120,
        "range": {"from": "2026-12-06T23:00:00.000Z", "to": "2026-12-07T00:00:00.000Z",
                  "raw": {"from": "now-1h", "to": "now"}},
        "targets": [{"refId": "A", "target": "ns:sensor/features/t/properties/value", "payload": {"agg": "max"}},
                    {"refId": "B", "target": "ns:other/attributes/load"}],
        "adhocFilters": [],
    }
    body.update(changes)
    return body


def test_a_query_body_becomes_targets_a_range_and_a_step() -> None:
    query = parse_grafana_query(_body(), NOW)
    assert (query.range.start, query.range.end, query.step) == (T0, NOW, timedelta(seconds=30))
    assert [(t.ref_id, t.thing_id, t.path, t.agg) for t in query.targets] == [
        ("A", "ns:sensor", "/features/t/properties/value", Aggregation.MAX),
        ("B", "ns:other", "/attributes/load", Aggregation.MEAN),
    ]


@pytest.mark.parametrize(("interval", "step"), [(30_000, 30), (500, 1), (None, 1), (-5, 1), (10**12, 86_400),
                                                (90_500, 90)])
def test_the_step_follows_grafanas_interval_within_bounds(interval: JsonValue, step: int) -> None:
    assert parse_grafana_query(_body(intervalMs=interval), NOW).step == timedelta(seconds=step)


def test_a_wide_range_widens_the_step_to_keep_all_targets_within_the_bucket_limit() -> None:
    wide = {"from": "2020-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}
    query = parse_grafana_query(_body(range=wide, intervalMs=1000), NOW)
    per_target = MAX_BUCKETS // len(query.targets)
    assert len(query.targets) == 2
    assert bucket_count(query.range, query.step) <= per_target
    assert bucket_count(query.range, query.step - timedelta(seconds=1), limit=10**9) > per_target - 1


@pytest.mark.parametrize("targets", [1, 2, 100])
def test_a_range_too_long_even_for_daily_buckets_is_a_400(targets: int) -> None:
    # the step is at most a day: beyond that many days the stores would refuse the range (it was a 500)
    days = MAX_BUCKETS // targets + 1
    start = NOW - timedelta(days=days)
    body = _body(range={"from": start.isoformat(), "to": NOW.isoformat()},
                 targets=[{"refId": "A", "target": "ns:sensor/attributes/a"}] * targets)
    with pytest.raises(HistoryStepInvalid):
        parse_grafana_query(body, NOW)
    fits = _body(range={"from": (start + timedelta(days=2)).isoformat(), "to": NOW.isoformat()},
                 targets=[{"refId": "A", "target": "ns:sensor/attributes/a"}] * targets)
    assert parse_grafana_query(fits, NOW).step == timedelta(days=1)


def test_the_answer_is_datapoints_of_value_and_epoch_milliseconds() -> None:
    query = parse_grafana_query(_body(), NOW)
    samples = [Sample(T0 + timedelta(seconds=s), float(s), s) for s in (1, 20, 45)]
    agg = query.targets[0].agg
    buckets = [(start, finish(partial, agg)) for start, partial in partials(samples, query.step).items()]
    ms = int(T0.timestamp()) * 1000
    assert render_grafana_series(query.targets[0], buckets) == {
        "target": "ns:sensor/features/t/properties/value", "refId": "A",
        "datapoints": [[20.0, ms], [45.0, ms + 30_000]],
    }


@pytest.mark.parametrize(("body", "error"), [
    ([], JsonFieldMissing),
    (_body(range=None), JsonFieldMissing),
    (_body(range={"from": "now-1h"}), JsonFieldMissing),
    (_body(range={"from": "soon", "to": "now"}), HistoryTimeInvalid),
    (_body(targets=None), JsonFieldMissing),
    (_body(targets=[{"refId": "A"}]), JsonFieldMissing),
    (_body(targets=[{"target": "ns:t/attributes/a", "payload": {"agg": "median"}}]), HistoryAggregationInvalid),
    (_body(targets=[{"target": "ns:t/attributes/a", "payload": {"agg": 1}}]), RequestInvalid),
    (_body(targets=[{"target": "ns:t/attributes/a"}] * 101), RequestInvalid),
])
def test_bad_bodies_are_400s(body: JsonValue, error: type[Invalid]) -> None:
    with pytest.raises(error) as raised:
        parse_grafana_query(body, NOW)
    assert raised.value.status == 400


@pytest.mark.parametrize(("target", "error"), [("ns:t", RequestInvalid), ("/attributes/a", RequestInvalid),
                                               ("ns:t/", HistoryPathsInvalid), ("ns:t/a,b", RequestInvalid),
                                               ("ns:t/a//b", JsonPointerInvalid)])
def test_a_target_names_one_thing_and_one_path(target: str, error: type[Invalid]) -> None:
    with pytest.raises(error):
        split_target(target)
    assert split_target("ns:t/attributes/a/") == ("ns:t", "/attributes/a")
