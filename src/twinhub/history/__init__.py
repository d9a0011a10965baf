"""History: values of twins over time. The pure part: the points a change records and which paths are recorded
(`points`, `rules`, `timestamps`); query parameters, buckets and aggregates, rollups, cursors for raw pages, and
export renderers (CSV, InfluxDB line protocol; Parquet in `twinhub.history.parquet`, imported only where an export
is rendered, so that pyarrow stays off the write path)."""

from __future__ import annotations

from twinhub.history.aggregate import Aggregation, Bucket, Partial, aggregate, bucket_start, finish, partials, rollup
from twinhub.history.cursor import PageCursor, Position, decode_cursor, encode_cursor, fingerprint
from twinhub.history.export import ExportFormat, choose_format, render_csv
from twinhub.history.fleet import MAX_FLEET_THINGS, FleetPartials, FleetSeries, fleet_aggregate
from twinhub.history.grafana import GrafanaQuery, GrafanaTarget, parse_grafana_query, render_grafana_series
from twinhub.history.lineprotocol import render_line_protocol
from twinhub.history.paging import Page, page_of, position_of
from twinhub.history.points import Point, PointValue, changed_points, format_leaf_path
from twinhub.history.query import DEFAULT_LIMIT, MAX_LIMIT, MAX_PATHS, HistoryQuery, parse_agg, parse_paths, parse_query
from twinhub.history.rules import HistoryRules, Rule, parse_rules
from twinhub.history.series import RecordedPoint, Sample, Scalar, format_time, sample_of
from twinhub.history.timespec import (
    DEFAULT_WINDOW,
    MAX_BUCKETS,
    TimeRange,
    bucket_count,
    parse_instant,
    parse_range,
    parse_step,
)
from twinhub.history.timestamps import HISTORY_TIMESTAMP_HEADER, parse_device_time

__all__ = [
    "DEFAULT_LIMIT",
    "DEFAULT_WINDOW",
    "HISTORY_TIMESTAMP_HEADER",
    "MAX_BUCKETS",
    "MAX_FLEET_THINGS",
    "MAX_LIMIT",
    "MAX_PATHS",
    "Aggregation",
    "Bucket",
    "ExportFormat",
    "FleetPartials",
    "FleetSeries",
    "GrafanaQuery",
    "GrafanaTarget",
    "HistoryQuery",
    "HistoryRules",
    "Page",
    "PageCursor",
    "Partial",
    "Point",
    "PointValue",
    "Position",
    "RecordedPoint",
    "Rule",
    "Sample",
    "Scalar",
    "TimeRange",
    "aggregate",
    "bucket_count",
    "bucket_start",
    "changed_points",
    "choose_format",
    "decode_cursor",
    "encode_cursor",
    "fingerprint",
    "finish",
    "fleet_aggregate",
    "format_leaf_path",
    "format_time",
    "page_of",
    "parse_agg",
    "parse_device_time",
    "parse_grafana_query",
    "parse_instant",
    "parse_paths",
    "parse_query",
    "parse_range",
    "parse_rules",
    "parse_step",
    "partials",
    "position_of",
    "render_csv",
    "render_grafana_series",
    "render_line_protocol",
    "rollup",
    "sample_of",
]
