"""History: values of twins over time. The pure part: the points a change records and which paths are recorded
(`points`, `rules`, `timestamps`); query parameters, buckets and aggregates, rollups, cursors for raw pages, and
export renderers (CSV, InfluxDB line protocol; Parquet in `twinhub.history.parquet`, imported only where an export
is rendered, so that pyarrow stays off the write path). The package exports what other packages use; the
history service and routes import the modules they are built on."""

from __future__ import annotations

from twinhub.history.aggregate import Aggregation, Partial, aggregate, bucket_start, finish, partials, rollup
from twinhub.history.cursor import Position
from twinhub.history.fleet import MAX_FLEET_THINGS, FleetPartials, fleet_aggregate
from twinhub.history.paging import page_of
from twinhub.history.points import Point, changed_points
from twinhub.history.query import MAX_LIMIT, MAX_PATHS, parse_paths, parse_query
from twinhub.history.rules import HistoryRules, Rule, parse_rules
from twinhub.history.series import Sample, Scalar, format_time, sample_of
from twinhub.history.timespec import MAX_BUCKETS, TimeRange, bucket_count, parse_instant, parse_range, parse_step
from twinhub.history.timestamps import HISTORY_TIMESTAMP_HEADER, parse_device_time

__all__ = [
    "HISTORY_TIMESTAMP_HEADER",
    "MAX_BUCKETS",
    "MAX_FLEET_THINGS",
    "MAX_LIMIT",
    "MAX_PATHS",
    "Aggregation",
    "FleetPartials",
    "HistoryRules",
    "Partial",
    "Point",
    "Position",
    "Rule",
    "Sample",
    "Scalar",
    "TimeRange",
    "aggregate",
    "bucket_count",
    "bucket_start",
    "changed_points",
    "finish",
    "fleet_aggregate",
    "format_time",
    "page_of",
    "parse_device_time",
    "parse_instant",
    "parse_paths",
    "parse_query",
    "parse_range",
    "parse_rules",
    "parse_step",
    "partials",
    "rollup",
    "sample_of",
]
