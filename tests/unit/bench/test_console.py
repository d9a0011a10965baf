from __future__ import annotations

from bench.__main__ import parse_args
from bench.console import ConsoleOptions, ConsoleReport, summary
from bench.console_report import to_json, to_markdown
from bench.machine import machine_info


def test_the_console_benchmark_is_opt_in_and_runs_alone() -> None:
    assert parse_args([]).console is None
    runs = parse_args(["--only", "console", "--keep-data"])

    assert runs.console == ConsoleOptions(keep_data=True)
    assert runs.http is None and runs.realtime is None  # no server under wrk load beside the browser


def test_a_summary_takes_nearest_rank_percentiles_in_ms() -> None:
    figure = summary([float(value) for value in range(1, 101)])

    assert (figure["n"], figure["p50_ms"], figure["p95_ms"], figure["max_ms"]) == (100, 50.0, 95.0, 100.0)


def _report() -> ConsoleReport:
    report = ConsoleReport("2026-12-07T00:00:00+00:00", machine_info(), ConsoleOptions(), chromium="chromium 1")
    sizes = {"requests": 3, "from_cache": 0, "transferred": 2048, "encoded_body": 1024, "decoded_body": 4096}
    report.first_load = {"floor_health_fetch": summary([10.0]),
                         "cold": {**summary([400.0]), "ratio_to_floor": 40.0, "bytes": sizes,
                                  "server_cpu_us_per_request": 900},
                         "warm": {**summary([200.0]), "ratio_to_floor": 20.0, "bytes": {**sizes, "from_cache": 2},
                                  "server_cpu_us_per_request": 800}}
    report.sign_in = {**summary([300.0]), "ratio_to_floor": 30.0, "floor_search_fetch": summary([10.0]),
                      "api_requests": [4], "server_cpu_us_per_sign_in": 6000, "server_cpu_us_per_api_request": 1500}
    report.live = {"floor": {**summary([5.0]), "server_cpu_us_per_update": 2000},
                   "console": {**summary([20.0]), "server_cpu_us_per_update": 2500, "other_requests": 0},
                   "ratio_p50": 4.0, "ratio_p95": 4.0}
    return report


def test_the_report_shows_each_figure_beside_its_floor_and_the_servers_cpu() -> None:
    markdown = to_markdown(_report())

    assert "| cold | 400 | 400 | 40.0 | 2.0 KiB | 1.0 KiB | 4.0 KiB | 3 (0) | 900 |" in markdown
    assert "| submit → 25 rows shown | 300 | 300 | 30.0 | 4 | 6,000 | 1,500 |" in markdown
    assert "**p50 ratio to the floor: 4.0**" in markdown
    assert "| 20.00 | 20.00 | 20.0 | 2,500 |" in markdown


def test_the_json_carries_the_same_figures() -> None:
    data = to_json(_report())

    assert data["benchmark"] == "console"
    assert data["live"]["ratio_p50"] == 4.0
    assert data["sign_in"]["server_cpu_us_per_api_request"] == 1500
