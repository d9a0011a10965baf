"""Rendering a run as Markdown (printed and committed) and as JSON (committed, for tooling)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench.http_things import FLOOR, SCENARIOS, Report
from bench.machine import ProcessMemory

RESULTS = Path(__file__).resolve().parent / "results"
NOISY_PERCENT = 10  # "other" CPU share from which a row is flagged as measured on a busy machine


def _mib(kib: int) -> str:
    return f"{kib / 1024:.1f} MiB"


def _memory(processes: list[ProcessMemory]) -> str:
    if not processes:
        return "n/a"
    parts = [f"pid {p.pid} {p.name}: RSS {_mib(p.rss_kib)} (peak {_mib(p.peak_rss_kib)})" for p in processes]
    total = sum(p.rss_kib for p in processes)
    return "; ".join(parts) + f" — total RSS {_mib(total)}"


def sharing_note(report: Report) -> str:
    cores = report.machine.cpus_usable
    return (f"wrk ({report.options.threads} threads) and the server (1 granian worker) run on the same machine and "
            f"share its {cores} CPU core{'s' if cores != 1 else ''}: the client's cost is inside every figure, "
            "which is why each one is read as a ratio to the /health floor measured in the same run.")


def to_json(report: Report) -> dict[str, Any]:
    return {
        "benchmark": "http-things",
        "started_at": report.started_at,
        "machine": report.machine.to_json(),
        "options": asdict(report.options),
        "data_dir_filesystem": report.filesystem,
        "busy_before_percent": report.busy_before_percent,
        "note": sharing_note(report),
        "preload": report.preload,
        "results": [
            {"scenario": row.scenario, "request": row.request, "ratio_to_floor": row.ratio_to_floor,
             "warmup_non_2xx": row.warmup_non_2xx, **row.result.to_json(),
             "server_cpu_us_per_request": round(row.server_us_per_request, 1),
             "cpu_seconds": asdict(row.cpu), "other_cpu_percent": round(row.cpu.other_percent, 1),
             "other_processes": row.other_processes}
            for row in report.rows
        ],
        "checks": report.checks,
        "server": {
            "memory_after_preload": [asdict(p) for p in report.memory_after_preload],
            "memory_after_run": [asdict(p) for p in report.memory_after_run],
            "shutdown": report.server_exit,
            "log": report.server_log,
        },
        "problems": report.problems,
        "setup_failed": report.setup_failed,
    }


def to_markdown(report: Report) -> str:
    m, o = report.machine, report.options
    lines = [
        f"# twinhub HTTP things benchmark — {report.started_at}",
        "",
        f"- machine: {m.nproc} CPUs ({m.cpus_usable} usable), {m.cpu_model}, Linux {m.kernel}",
        f"- software: Python {m.python}, granian {m.granian}, starlette {m.starlette}, {m.wrk}",
        f"- git commit: {m.git_commit}",
        f"- load: wrk on loopback, {o.threads} threads, {o.connections} connections, {o.duration_s} s per scenario "
        f"after a {o.warmup_s} s warmup; wrk request timeout {o.wrk_timeout_s} s",
        f"- data: a fresh data dir ({report.filesystem}), {o.things} things preloaded "
        f"(2 attributes, feature `f` with property `p`)",
        f"- machine CPU busy in the second before the server started: {report.busy_before_percent:.0f}%",
        f"- **{sharing_note(report)}**",
        "",
        "## Problems",
        "",
        *([f"- **{problem}**" for problem in report.problems] or ["- none"]),
        "",
        "## Results",
        "",
        "| scenario | request | req/s | p50 ms | p90 ms | p99 ms | max ms | ratio to floor | non-2xx "
        "| socket errors | server CPU µs/req | CPU server / wrk / irq / other |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in report.rows:
        r, c = row.result, row.cpu
        errors = sum(r.socket_errors.values())
        share = (f"{100 * c.server_s / c.capacity_s:.0f}% / {100 * c.wrk_s / c.capacity_s:.0f}% / "
                 f"{100 * c.irq_s / c.capacity_s:.0f}% / {c.other_percent:.0f}%") if c.capacity_s else "n/a"
        lines.append(f"| {row.scenario} | `{row.request}` | {r.requests_per_s:,.0f} | {r.p50_ms:.2f} | "
                     f"{r.p90_ms:.2f} | {r.p99_ms:.2f} | {r.max_ms:.2f} | {row.ratio_to_floor:.3f} | "
                     f"{r.non_2xx} | {errors} | {row.server_us_per_request:,.0f} | {share} |")
    lines += [
        "",
        "ratio to floor = the scenario's req/s ÷ the first floor row's req/s. \"floor (again)\" repeats the floor "
        "after the other scenarios: its distance from 1.000 shows how noisy this run was. non-2xx counts what wrk "
        "counts as status errors (status ≥ 400). server CPU µs/req = the server processes' CPU time during the "
        "run ÷ requests. CPU server / wrk / irq / other = shares of the machine's capacity (wall time × CPUs); "
        "irq is the kernel's interrupt and softirq time, mostly the loopback network carrying the load; "
        "\"other\" is everything else on the machine plus hypervisor steal — when it is large, the req/s "
        "figures are unreliable.",
    ]
    noisy = [row for row in report.rows if row.cpu.other_percent >= NOISY_PERCENT]
    if noisy:
        lines += ["", f"**Noisy:** other work used ≥ {NOISY_PERCENT}% of the machine during "
                  f"{', '.join(row.scenario for row in noisy)}; read those rows' req/s, latencies and ratios with "
                  "care (server CPU µs/req holds up better). Biggest other CPU users:", ""]
        for row in noisy:
            users = ", ".join(f"{p['name']} (pid {p['pid']}) {p['cpu_s']} s" for p in row.other_processes)
            lines.append(f"- {row.scenario}: {users or 'short-lived processes'}")
    lines += [
        "",
        "## What each scenario measures",
        "",
        f"- **{FLOOR.name}** (`{FLOOR.request}`): {FLOOR.measures}",
    ]
    lines += [f"- **{s.name}** (`{s.request}`): {s.measures}" for s in SCENARIOS.values()]
    preload = report.preload
    lines += ["", "## Setup and checks", ""]
    if preload:
        lines.append(f"- preload: {preload['things']} PUT creates, {preload['concurrency']} concurrent, in "
                     f"{preload['seconds']} s, statuses {preload['statuses']} (setup, not a server figure: the rate "
                     f"of {preload['creates_per_s']:,.0f}/s is bound by httpx's async client, far slower than wrk)")
    for check in report.checks:
        lines.append(f"- {'ok' if check['ok'] else '**FAILED**'}: {check['check']} — {check['detail']}")
    lines += [
        f"- server memory after preload: {_memory(report.memory_after_preload)}",
        f"- server memory after the run: {_memory(report.memory_after_run)}",
        f"- server shutdown: {report.server_exit}",
        f"- server log: {report.server_log.get('log_lines', 0)} lines, "
        f"{report.server_log.get('notable_lines', 0)} notable (errors/warnings/tracebacks besides the dev-auth "
        "warning)",
    ]
    excerpt = report.server_log.get("excerpt") or []
    if excerpt:
        lines += ["", "Server log excerpt (from the first notable line):", "", "```", *excerpt, "```"]
    return "\n".join(lines) + "\n"


def save(report: Report, markdown: str, *, suffix: str = "") -> tuple[Path, Path]:
    """Write `bench/results/<date>-http-things<suffix>.md` and `.json`; returns both paths."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = f"{report.started_at[:10]}-http-things{suffix}"
    md_path, json_path = RESULTS / f"{stem}.md", RESULTS / f"{stem}.json"
    md_path.write_text(markdown)
    json_path.write_text(json.dumps(to_json(report), indent=2, ensure_ascii=False) + "\n")
    return md_path, json_path
