from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from twinhub.history import Aggregation, Sample, aggregate
from twinhub.history.fleet import FleetSeries, fleet_aggregate

T0 = datetime(2026, 1, 1, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
WAREHOUSE = {"ns:a": "warehouse-1", "ns:b": "warehouse-1", "ns:c": "warehouse-2", "ns:d": None}


def test_without_group_by_the_fleet_is_one_series_with_its_number_of_things() -> None:
    samples = [Sample(T0, 20, 1, "ns:a"), Sample(T0 + timedelta(seconds=5), 22, 1, "ns:b"),
               Sample(T0 + MINUTE, 30, 2, "ns:a")]
    assert fleet_aggregate(samples, MINUTE, Aggregation.MEAN) == [
        FleetSeries(None, 2, [["2026-01-01T00:00:00Z", 21.0], ["2026-01-01T00:01:00Z", 30.0]])]


def test_group_by_gives_one_series_per_value_and_one_for_things_without_it_last() -> None:
    samples = [Sample(T0, 1, 1, thing) for thing in WAREHOUSE]
    result = fleet_aggregate(samples, MINUTE, Aggregation.SUM, WAREHOUSE.get)
    assert [(series.group, series.things, series.points) for series in result] == [
        ("warehouse-1", 2, [["2026-01-01T00:00:00Z", 2]]),
        ("warehouse-2", 1, [["2026-01-01T00:00:00Z", 1]]),
        (None, 1, [["2026-01-01T00:00:00Z", 1]]),
    ]


def test_groups_of_different_kinds_do_not_merge() -> None:
    groups = {"ns:a": 1, "ns:b": "1", "ns:c": True}
    result = fleet_aggregate([Sample(T0, 1, 1, thing) for thing in groups], MINUTE, Aggregation.COUNT, groups.get)
    assert sorted(str(series.group) for series in result) == ["1", "1", "True"] and len(result) == 3


def test_no_samples_give_no_series() -> None:
    assert fleet_aggregate([], MINUTE, Aggregation.MEAN) == []


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 600), st.integers(-100, 100), st.sampled_from(sorted(WAREHOUSE))),
                max_size=40, unique_by=lambda row: (row[0], row[2])))
def test_each_groups_series_is_the_aggregate_of_its_things_samples(rows: list[tuple[int, int, str]]) -> None:
    samples = [Sample(T0 + timedelta(seconds=s), value, 1, thing) for s, value, thing in rows]
    result = {series.group: series for series in fleet_aggregate(samples, MINUTE, Aggregation.MAX, WAREHOUSE.get)}
    for group in set(WAREHOUSE.values()):
        members = [sample for sample in samples if WAREHOUSE[sample.thing_id] == group]
        if not members:
            assert group not in result
            continue
        assert result[group].points == aggregate(members, MINUTE, Aggregation.MAX)
        assert result[group].things == len({sample.thing_id for sample in members})
