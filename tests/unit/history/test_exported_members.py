from __future__ import annotations

import subprocess
import sys

import twinhub.history


def test_history_package_exports_exactly_the_public_surface() -> None:
    assert twinhub.history.__all__ == [
        "HISTORY_TIMESTAMP_HEADER", "MAX_BUCKETS", "MAX_FLEET_THINGS", "MAX_LIMIT", "MAX_PATHS",
        "Aggregation", "FleetPartials", "HistoryRules", "Partial", "Point", "Position", "Rule", "Sample", "Scalar",
        "TimeRange", "aggregate", "bucket_count", "bucket_start", "changed_points", "finish", "fleet_aggregate",
        "format_time", "page_of", "parse_device_time", "parse_instant", "parse_paths", "parse_query", "parse_range",
        "parse_rules", "parse_step", "partials", "rollup", "sample_of",
    ]
    assert all(hasattr(twinhub.history, name) for name in twinhub.history.__all__)


def test_importing_the_package_does_not_import_pyarrow() -> None:
    """The stores import history for capture; pyarrow is for Parquet exports only."""
    code = "import sys, twinhub.history; print('pyarrow' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "False\n"
