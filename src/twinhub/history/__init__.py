"""History: values of twins over time. The pure part: query parameters, buckets and aggregates, rollups,
cursors for raw pages, and export renderers (CSV, InfluxDB line protocol, Parquet)."""

from __future__ import annotations

from twinhub.history.aggregate import Aggregation, Bucket, Partial, aggregate, bucket_start, finish, partials, rollup
from twinhub.history.query import HistoryQuery, parse_agg, parse_paths, parse_query
from twinhub.history.series import RecordedPoint, Sample, Scalar, format_time
from twinhub.history.timespec import TimeRange, bucket_count, parse_instant, parse_range, parse_step

__all__ = [
    "Aggregation",
    "Bucket",
    "HistoryQuery",
    "Partial",
    "RecordedPoint",
    "Sample",
    "Scalar",
    "TimeRange",
    "aggregate",
    "bucket_count",
    "bucket_start",
    "finish",
    "format_time",
    "parse_agg",
    "parse_instant",
    "parse_paths",
    "parse_query",
    "parse_range",
    "parse_step",
    "partials",
    "rollup",
]
