from __future__ import annotations

import subprocess
import sys

import twinhub.history


def test_history_package_exports_exactly_the_public_surface() -> None:
    assert twinhub.history.__all__ == [
        "DEFAULT_LIMIT", "DEFAULT_WINDOW", "HISTORY_TIMESTAMP_HEADER", "MAX_BUCKETS", "MAX_FLEET_THINGS", "MAX_LIMIT",
        "MAX_PATHS",
        "Aggregation", "Bucket", "ExportFormat", "FleetPartials", "FleetSeries", "GrafanaQuery", "GrafanaTarget",
        "HistoryQuery",
        "HistoryRules", "Page", "PageCursor", "Partial", "Point", "PointValue", "Position", "RecordedPoint", "Rule",
        "Sample", "Scalar", "TimeRange", "aggregate", "bucket_count", "bucket_start", "changed_points",
        "choose_format", "decode_cursor", "encode_cursor", "fingerprint", "finish", "fleet_aggregate",
        "format_leaf_path", "format_time", "page_of", "parse_agg", "parse_device_time", "parse_grafana_query",
        "parse_instant", "parse_paths", "parse_query", "parse_range", "parse_rules", "parse_step", "partials",
        "position_of", "render_csv", "render_grafana_series", "render_line_protocol", "rollup", "sample_of",
    ]
    assert all(hasattr(twinhub.history, name) for name in twinhub.history.__all__)


def test_importing_the_package_does_not_import_pyarrow() -> None:
    """The stores import history for capture; pyarrow is for Parquet exports only."""
    code = "import sys, twinhub.history; print('pyarrow' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "False\n"
