from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from twinhub.history import Aggregation, TimeRange, parse_paths, parse_query
from twinhub.model.errors import (
    HistoryAggregationInvalid,
    HistoryLimitInvalid,
    HistoryPathsInvalid,
    HistoryStepInvalid,
    HistoryTimeInvalid,
    Invalid,
    JsonPointerInvalid,
)

NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)


def test_a_bare_query_is_the_raw_last_hour_of_the_urls_path() -> None:
    query = parse_query({}, NOW, path="features/t/properties/value")
    assert query.range == TimeRange(NOW - timedelta(hours=1), NOW)
    assert query.paths == ("/features/t/properties/value",)
    assert (query.step, query.agg, query.limit, query.cursor, query.aggregated) == (None, None, 1000, None, False)


def test_step_and_agg_make_an_aggregated_query() -> None:
    query = parse_query({"from": "-24h", "step": "1m", "agg": "max", "paths": "/attributes/a"}, NOW)
    assert query.range.start == NOW - timedelta(days=1)
    assert (query.step, query.agg, query.aggregated) == (timedelta(minutes=1), Aggregation.MAX, True)


def test_a_step_without_agg_means_mean() -> None:
    assert parse_query({"step": "5m"}, NOW, path="/attributes/a").agg is Aggregation.MEAN


def test_paths_are_normalised_deduplicated_and_follow_the_urls_path() -> None:
    query = parse_query({"paths": "attributes/b,/attributes/a/,/attributes/b"}, NOW, path="/attributes/a")
    assert query.paths == ("/attributes/a", "/attributes/b")


@pytest.mark.parametrize(("params", "error"), [
    ({"agg": "mean"}, HistoryAggregationInvalid),
    ({"step": "1m", "agg": "median"}, HistoryAggregationInvalid),
    ({"step": "1m", "cursor": "abc"}, HistoryAggregationInvalid),
    ({"step": "1s", "from": "-2d"}, HistoryStepInvalid),
    ({"step": "0s"}, HistoryStepInvalid),
    ({"from": "later"}, HistoryTimeInvalid),
    ({"from": "now"}, HistoryTimeInvalid),
    ({"limit": "0"}, HistoryLimitInvalid),
    ({"limit": "10001"}, HistoryLimitInvalid),
    ({"limit": "-1"}, HistoryLimitInvalid),
    ({"limit": "1e3"}, HistoryLimitInvalid),
    ({"limit": "²"}, HistoryLimitInvalid),
    ({"paths": "/attributes//a"}, JsonPointerInvalid),
    ({"paths": "/"}, HistoryPathsInvalid),
    ({"paths": "/attributes/a,"}, HistoryPathsInvalid),
])
def test_bad_parameters_are_400s(params: dict[str, str], error: type[Invalid]) -> None:
    with pytest.raises(error) as raised:
        parse_query(params, NOW, path="/attributes/x")
    assert raised.value.status == 400


def test_a_query_names_at_least_one_path() -> None:
    with pytest.raises(HistoryPathsInvalid):
        parse_query({}, NOW)


@pytest.mark.parametrize("path", ["/policyId", "/definition", "/attributes", "/features", "/features/f",
                                  "/features/f/properties", "/features/f/definition"])
def test_a_path_where_no_point_is_ever_recorded_is_400_not_an_empty_series(path: str) -> None:
    with pytest.raises(HistoryPathsInvalid):
        parse_paths(path)
    with pytest.raises(HistoryPathsInvalid):
        parse_paths("/attributes/a," + path)


@pytest.mark.parametrize("path", ["/attributes/a", "/attributes/a/b/c", "/features/f/properties/x",
                                  "/features/f/desiredProperties/x/y"])
def test_paths_below_attributes_and_feature_properties_are_queried(path: str) -> None:
    assert parse_paths(path) == (path,)


def test_a_path_ditto_has_no_route_for_is_left_to_the_service_to_answer_as_a_get() -> None:
    assert parse_paths("/nowhere/a") == ("/nowhere/a",)


def test_the_number_of_paths_is_bounded() -> None:
    assert len(parse_paths(",".join(f"/attributes/a{i}" for i in range(100)))) == 100
    with pytest.raises(HistoryPathsInvalid):
        parse_paths(",".join(f"/attributes/a{i}" for i in range(101)))
