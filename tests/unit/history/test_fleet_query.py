from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from twinhub.history import Aggregation, TimeRange
from twinhub.history.fleet_query import MAX_FLEET_CELLS, MAX_GROUPS, parse_fleet_query
from twinhub.model.errors import (
    HistoryAggregationInvalid,
    HistoryPathsInvalid,
    HistoryStepInvalid,
    Invalid,
    JsonPointerInvalid,
)

NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)
BASE = {"path": "features/t/properties/value", "step": "5m"}


def test_a_fleet_query_takes_a_filter_namespaces_a_path_a_step_and_a_group() -> None:
    query = parse_fleet_query({**BASE, "filter": 'eq(attributes/site,"w1")', "namespaces": "a, b,",
                               "from": "-1d", "agg": "max", "groupBy": "/attributes/site"}, NOW)
    assert (query.filter, query.namespaces, query.path) == ('eq(attributes/site,"w1")', ("a", "b"),
                                                            "/features/t/properties/value")
    assert (query.range, query.step, query.agg, query.group_by) == (
        TimeRange(NOW - timedelta(days=1), NOW), timedelta(minutes=5), Aggregation.MAX, ("attributes", "site"))


def test_the_defaults_are_the_last_hour_the_mean_and_no_groups() -> None:
    query = parse_fleet_query(BASE, NOW)
    assert (query.filter, query.namespaces, query.agg, query.group_by) == (None, None, Aggregation.MEAN, None)
    assert query.range == TimeRange(NOW - timedelta(hours=1), NOW)


@pytest.mark.parametrize(("params", "error"), [
    ({"step": "5m"}, HistoryPathsInvalid),
    ({**BASE, "path": "/attributes/a,/attributes/b"}, HistoryPathsInvalid),
    ({**BASE, "path": "/"}, HistoryPathsInvalid),
    ({**BASE, "path": "/a//b"}, JsonPointerInvalid),
    ({"path": "/attributes/a"}, HistoryStepInvalid),
    ({**BASE, "step": "1s", "from": "-30d"}, HistoryStepInvalid),
    ({**BASE, "agg": "median"}, HistoryAggregationInvalid),
    ({**BASE, "groupBy": "/features/f"}, HistoryPathsInvalid),
    ({**BASE, "groupBy": "/attributes"}, HistoryPathsInvalid),
])
def test_bad_fleet_queries_are_400s(params: dict[str, str], error: type[Invalid]) -> None:
    with pytest.raises(error) as raised:
        parse_fleet_query(params, NOW)
    assert raised.value.status == 400


def test_groups_times_buckets_are_bounded() -> None:
    query = parse_fleet_query({**BASE, "step": "1m", "from": "-1d"}, NOW)  # 1,440 buckets
    query.check_groups(MAX_FLEET_CELLS // 1440)
    with pytest.raises(HistoryStepInvalid):
        query.check_groups(MAX_FLEET_CELLS // 1440 + 1)
    with pytest.raises(HistoryStepInvalid):
        parse_fleet_query(BASE, NOW).check_groups(MAX_GROUPS + 1)


def test_a_fleet_answer_holds_no_more_buckets_than_one_things_answer() -> None:
    # 70 groups of a day at one minute: 100,800 series buckets, more than a thing's request may ask for
    query = parse_fleet_query({**BASE, "step": "1m", "from": "-1d"}, NOW)
    query.check_groups(69)
    with pytest.raises(HistoryStepInvalid):
        query.check_groups(70)
