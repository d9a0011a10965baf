"""The console benchmark's report: Markdown for people, JSON with the same figures for tools."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench.console import LISTED_ROWS, ConsoleReport
from bench.report import write_results

__all__ = ["save_console", "to_json", "to_markdown"]


def to_json(report: ConsoleReport) -> dict[str, Any]:
    return {"benchmark": "console", "started_at": report.started_at, "machine": report.machine.to_json(),
            "options": asdict(report.options), "chromium": report.chromium,
            "busy_before_percent": report.busy_before_percent, "preload": report.preload,
            "first_load": report.first_load, "sign_in": report.sign_in, "live": report.live,
            "problems": report.problems, "server_exit": report.server_exit, "server_log": report.server_log}


def _kib(size: int) -> str:
    return f"{size / 1024:,.1f} KiB"


def _first_load_lines(first_load: dict[str, Any]) -> list[str]:
    floor = first_load["floor_health_fetch"]
    lines = ["| cache | p50 ms | p95 ms | ratio to floor | transferred | compressed bodies | decoded bodies | "
             "requests (from cache) | server CPU µs / request |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for state in ("cold", "warm"):
        load = first_load[state]
        sizes = load["bytes"]
        lines.append(f"| {state} | {load['p50_ms']:.0f} | {load['p95_ms']:.0f} | {load['ratio_to_floor']} | "
                     f"{_kib(sizes['transferred'])} | {_kib(sizes['encoded_body'])} | {_kib(sizes['decoded_body'])} | "
                     f"{sizes['requests']} ({sizes['from_cache']}) | {load['server_cpu_us_per_request']:,} |")
    lines.append(f"| floor: `fetch('/health')` from the page | {floor['p50_ms']:.1f} | {floor['p95_ms']:.1f} | 1 | | "
                 "| | | |")
    return lines


def to_markdown(report: ConsoleReport) -> str:
    options = report.options
    lines = [f"# twinhub console benchmark — {report.started_at}", "",
             f"- machine: {report.machine.cpus_usable} CPUs usable, {report.machine.cpu_model}",
             f"- git commit: {report.machine.git_commit}; browser: headless {report.chromium}",
             f"- machine CPU busy in the second before the server started: {report.busy_before_percent:.0f}% (other "
             "work on the machine widens every p95)",
             "- one server (`twinhub serve`, the real basic user `bench`, embedded store, 1 worker), the browser and "
             "this process on the same machine; times in the page are the page's clock (`performance.now()`)",
             "", "## Problems", ""]
    lines += [f"- {problem}" for problem in report.problems] or ["- none"]
    if report.first_load:
        lines += ["", f"## First load: navigation → sign-in form usable ({options.loads} loads each)", "",
                  "Cold: a new browser context each time (empty HTTP cache). Warm: a new tab in a context that "
                  "loaded the console before. Bytes from the last load's Resource Timing: transferred = headers + "
                  "compressed bodies on the wire (0 for what the cache served).", "",
                  *_first_load_lines(report.first_load)]
    if report.sign_in:
        sign_in, floor = report.sign_in, report.sign_in["floor_search_fetch"]
        lines += ["", f"## Sign-in → things list's first page ({report.preload.get('things', 0):,} things, "
                  f"{options.loads} sign-ins, warm cache)", "",
                  "| | p50 ms | p95 ms | ratio to floor | API requests | server CPU µs / sign-in | "
                  "server CPU µs / API request |", "|---|---:|---:|---:|---:|---:|---:|",
                  f"| submit → {LISTED_ROWS} rows shown | {sign_in['p50_ms']:.0f} | {sign_in['p95_ms']:.0f} | "
                  f"{sign_in['ratio_to_floor']} | {max(sign_in['api_requests'], default=0)} | "
                  f"{sign_in['server_cpu_us_per_sign_in']:,} | {sign_in['server_cpu_us_per_api_request']:,} |",
                  f"| floor: the list's search request, `fetch` from the page | {floor['p50_ms']:.1f} | "
                  f"{floor['p95_ms']:.1f} | 1 | 1 | | |"]
        timeline = sign_in.get("last_timeline") or {}
        if timeline:
            steps = "; ".join(f"`{request['path']}` sent +{request['sent_ms']:g}, answered +{request['answered_ms']:g}"
                              for request in timeline["requests"])
            lines += ["", f"The last sign-in, in ms after submitting: {steps}; rows shown +{timeline['listed_ms']:g}."]
    live = report.live
    if "console" in live:
        floor, console = live["floor"], live["console"]
        lines += ["", f"## Live update: PUT → new value shown ({options.updates} PUTs one at a time, each)", "",
                  "| | p50 ms | p95 ms | max ms | server CPU µs / update |", "|---|---:|---:|---:|---:|",
                  f"| console: `fetch` PUT from the page → value in the Overview's DOM | {console['p50_ms']:.2f} | "
                  f"{console['p95_ms']:.2f} | {console['max_ms']:.1f} | {console['server_cpu_us_per_update']:,} |",
                  f"| floor: httpx PUT → event at a raw `START-SEND-EVENTS` WebSocket | {floor['p50_ms']:.2f} | "
                  f"{floor['p95_ms']:.2f} | {floor['max_ms']:.1f} | {floor['server_cpu_us_per_update']:,} |",
                  "", f"**p50 ratio to the floor: {live['ratio_p50']}**; p95 ratio {live['ratio_p95']}. Requests "
                  f"the console made during the run besides the PUTs: {console['other_requests']}."]
    lines += ["", f"Server shutdown: {report.server_exit}.", ""]
    return "\n".join(lines)


def save_console(report: ConsoleReport, markdown: str) -> tuple[Path, Path]:
    """Write `bench/results/<date>-console.md` and `.json`."""
    return write_results(f"{report.started_at[:10]}-console", markdown, to_json(report))
