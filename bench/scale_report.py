"""The scale-out benchmark's report (bench/scale_out.py) as Markdown and JSON."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench.report import (
    NOISY_PERCENT,
    beside_sql_cells,
    cpu_shares,
    load_cells,
    memory_text,
    ms_text,
    rate_text,
    server_run_json,
    size_text,
    write_results,
)
from bench.scale_data import TABLES
from bench.scale_out import SCALE_FLOOR, SCALE_SCENARIOS, Row, ScaleOutReport, WorkersRun
from bench.search_data import NAMESPACES


def _workers(n: int) -> str:
    return f"{n} worker{'s' if n != 1 else ''}"


def _database_us_per_request(row: Row) -> float:
    requests = row.run.result.requests
    return 1e6 * row.run.cpu.database_s / requests if requests else 0.0


def _rss_kib(run: WorkersRun, after_run: bool) -> int:
    return sum(process.rss_kib for process in (run.memory_after_run if after_run else run.memory_after_start))


def scale_to_json(report: ScaleOutReport) -> dict[str, Any]:
    return {
        "benchmark": f"scale-out-{report.label}",
        "started_at": report.started_at,
        "machine": report.machine.to_json(),
        "postgres": report.postgres,
        "nats": report.nats,
        "options": asdict(report.options),
        "dataset": report.dataset,
        "runs": [
            {
                "workers": run.workers,
                "stream": run.stream,
                "busy_before_percent": run.busy_before_percent,
                "vacuum_seconds": run.vacuum_s,
                "prewarm_seconds": run.prewarm_s,
                "page_cache_bytes": run.page_cache,
                "database_bytes": run.database_bytes,
                "results": [{"scenario": row.scenario, "request": row.request,
                             "ratio_to_floor": round(row.ratio_to_floor, 4),
                             "database_cpu_us_per_request": round(_database_us_per_request(row), 1),
                             **(server_run_json(row.run) or {})} for row in run.rows],
                "searches_beside_sql": [
                    {"scenario": search.scenario, "example": search.example,
                     "server_one_connection": server_run_json(search.latency), "floor_sql": asdict(search.floor),
                     "ratio_server_to_floor": round(search.ratio, 4),
                     "ratio_server_to_floor_p50": round(search.median_ratio, 4), "query_plan": search.plan}
                    for search in run.searches],
                "checks": run.checks,
                "events": run.events,
                "server": {"memory_after_start": [asdict(p) for p in run.memory_after_start],
                           "memory_after_run": [asdict(p) for p in run.memory_after_run],
                           "rss_kib_after_start": _rss_kib(run, False), "rss_kib_after_run": _rss_kib(run, True),
                           "shutdown": run.server_exit, "log": run.server_log},
                "problems": run.problems,
            }
            for run in report.runs
        ],
        "problems": report.problems,
    }


def _dataset_lines(report: ScaleOutReport) -> list[str]:
    data = report.dataset
    spec, load, sizes, tally = data["spec"], data["load"], data["sizes"], data["tally"]
    generated = (f"generated {data['generated_at']} by an earlier run and reused" if data["cached"]
                 else "generated in this run")
    shapes = ", ".join(f"{count:,} {shape}" for shape, count in tally["visible"].items())
    return [
        f"- data: the search benchmark's data set in the PostgreSQL database `{data['database']}` ({generated}; "
        f"kept there for the next runs): {spec['things']:,} things readable by `nginx:bench` ({shapes}), each "
        f"under its own default policy, in {NAMESPACES} namespaces, plus {spec['hidden']:,} it may not read; "
        f"generator version {spec['generator_version']}, seed {spec['seed']}, store schema version "
        f"{data['schema_version']}",
        f"- load: {load['things']:,} creations (thing + policy + policy index) through `store.commit` of "
        f"`open_postgres_store`, {load['chunk']:,} at a time (group commits of up to {load['batch_max']}), in "
        f"{load['seconds']:,} s: **{load['things_per_s']:,.0f} things/s**; the generator used "
        f"{load['generator_cpu_s']:,} CPU s, PostgreSQL {load.get('database_cpu_s', 0):,} CPU s, other processes "
        f"{load['others_cpu_percent']}% of the machine; ANALYZE {load.get('analyze_runs', 0)} times on the way "
        f"({load.get('analyze_seconds', 0)} s, as autovacuum would: it is off on this server), then VACUUM ANALYZE "
        f"{load.get('vacuum_analyze_seconds', 0)} s and CHECKPOINT {load.get('checkpoint_seconds', 0)} s: ready "
        f"after {load.get('ready_seconds', load['seconds']):,} s",
        f"- database: **{size_text(sizes['database_bytes'])}** as generated (`pg_database_size`); "
        + ", ".join(f"{table} {sizes['rows'][table]:,} rows" for table in TABLES if table in sizes.get("rows", {})),
    ]


def _summary(report: ScaleOutReport) -> list[str]:
    """One row per scenario, the worker counts side by side."""
    runs = [run for run in report.runs if run.rows]
    if not runs:
        return []
    head = " | ".join(f"req/s {_workers(run.workers)}" for run in runs)
    lines = ["## Summary", "",
             f"| scenario | {head} | " + " | ".join(f"÷ floor, {run.workers}" for run in runs) + " | "
             + " | ".join(f"p50 / p99 ms, {run.workers}" for run in runs) + " | "
             + " | ".join(f"server + PostgreSQL CPU µs/req, {run.workers}" for run in runs) + " |",
             "|---|" + "---:|" * (4 * len(runs))]
    for name in [row.scenario for row in runs[0].rows]:
        rows = [next((row for row in run.rows if row.scenario == name), None) for run in runs]
        cells = [f"{rate_text(row.run.requests_per_s)}" if row else "–" for row in rows]
        cells += [f"{row.ratio_to_floor:.3f}" if row else "–" for row in rows]
        cells += [f"{ms_text(row.run.result.p50_ms)} / {ms_text(row.run.result.p99_ms)}" if row else "–"
                  for row in rows]
        cells += [f"{row.run.server_us_per_request:,.0f} + {_database_us_per_request(row):,.0f}" if row else "–"
                  for row in rows]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    rss = "; ".join(f"{_workers(run.workers)}: {_rss_kib(run, False) / 1024:,.0f} MiB after start, "
                    f"{_rss_kib(run, True) / 1024:,.0f} MiB after the run" for run in runs)
    lines += ["", f"Server RSS (granian's main process and its workers, summed): {rss}.", ""]
    return lines


def _run_lines(run: WorkersRun) -> list[str]:
    lines = [f"## {_workers(run.workers)}", "",
             "| scenario | request | req/s | p50 ms | p90 ms | p99 ms | max ms | ratio to floor | non-2xx "
             "| socket errors | server CPU µs/req | PostgreSQL CPU µs/req | CPU server / postgres / nats / wrk / irq "
             "/ other |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for row in run.rows:
        r = row.run.result
        lines.append(f"| {row.scenario} | `{row.request}` | {load_cells(row.run)} | {row.ratio_to_floor:.3f} | "
                     f"{r.non_2xx} | {sum(r.socket_errors.values())} | {row.run.server_us_per_request:,.0f} | "
                     f"{_database_us_per_request(row):,.0f} | {cpu_shares(row.run.cpu, backends=True)} |")
    if run.searches:
        lines += ["", "The searches one request at a time, beside their SQL:", "",
                  "| scenario | server req/s | p50 ms | p99 ms | n | SQL q/s | p50 ms | p99 ms | n "
                  "| **server ÷ SQL** q/s | p50 | rows |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        lines += [f"| {s.scenario} | {beside_sql_cells(s.latency, s.floor, s.ratio, s.median_ratio)} | "
                  f"{s.floor.mean_rows:g} |" for s in run.searches]
    measured = [(row.scenario, row.run) for row in run.rows]
    measured += [(f"{s.scenario} (1 connection)", s.latency) for s in run.searches]
    noisy = [(name, measured_run) for name, measured_run in measured
             if measured_run.cpu.other_percent >= NOISY_PERCENT]
    if noisy:
        lines += ["", f"**Noisy:** other work used ≥ {NOISY_PERCENT}% of the machine during "
                  f"{', '.join(name for name, _ in noisy)}; read those rows' req/s and latencies with care (CPU "
                  "µs/req holds up better). Biggest other CPU users:", ""]
        lines += [f"- {name}: " + (", ".join(f"{p['name']} (pid {p['pid']}) {p['cpu_s']} s"
                                             for p in measured_run.other_processes) or "short-lived processes")
                  for name, measured_run in noisy]
    lines.append("")
    return lines


def _setup_lines(run: WorkersRun) -> list[str]:
    cached = {when: "unknown" if size is None else size_text(size) for when, size in run.page_cache.items()}
    lines = [f"**{_workers(run.workers)}** (stream `{run.stream}`):", "",
             f"- before the server started: VACUUM ANALYZE of things, thing_journal, thing_index {run.vacuum_s} s; "
             f"every table and index read once (pg_prewarm `read`) {run.prewarm_s} s; database "
             f"{size_text(run.database_bytes)}; in the OS page cache after that {cached.get('after_prewarm')}, after "
             f"the run {cached.get('after_run')}; machine CPU busy in the second before the server started "
             f"{run.busy_before_percent:.0f}%"]
    lines += [f"- {'ok' if check['ok'] else '**FAILED**'}: {check['check']} — {check['detail']}"
              for check in run.checks]
    lines += [
        f"- server memory after start: {memory_text(run.memory_after_start)}",
        f"- server memory after the run: {memory_text(run.memory_after_run)}",
        f"- server shutdown: {run.server_exit}",
        f"- server log: {run.server_log.get('log_lines', 0)} lines, {run.server_log.get('notable_lines', 0)} "
        "notable (errors/warnings/tracebacks)",
    ]
    excerpt = run.server_log.get("excerpt") or []
    if excerpt:
        lines += ["", "Server log excerpt (from the first notable line):", "", "```", *excerpt, "```"]
    return [*lines, ""]


def scale_to_markdown(report: ScaleOutReport) -> str:
    m, o, pg = report.machine, report.options, report.postgres
    lines = [
        f"# twinhub scale-out benchmark ({report.label} things on PostgreSQL + NATS) — {report.started_at}",
        "",
        f"- machine: {m.nproc} CPUs ({m.cpus_usable} usable), {m.cpu_model}, Linux {m.kernel}",
        f"- software: Python {m.python}, granian {m.granian}, starlette {m.starlette}, {m.wrk}; PostgreSQL "
        f"{pg.get('server_version')} (shared_buffers {pg.get('shared_buffers')}, effective_cache_size "
        f"{pg.get('effective_cache_size')}, synchronous_commit {pg.get('synchronous_commit')}, autovacuum "
        f"{pg.get('autovacuum')}), {report.nats} with JetStream",
        f"- git commit: {m.git_commit}",
        *_dataset_lines(report),
        "- servers: `twinhub serve --workers N` (the real basic user `bench`) for "
        f"N = {', '.join(str(n) for n in o.workers)}, one after the "
        "other, each on that database (`TWINHUB_STORE_URL`) and on NATS (`TWINHUB_BUS_URL`) with a stream of its own "
        "(`TWINHUB_BUS_STREAM`, deleted afterwards) — the bus for one worker too, so that the runs differ only in N",
        f"- load: wrk on loopback, {o.threads} threads, {o.connections} connections, {o.duration_s} s per scenario "
        f"after a {o.warmup_s} s warmup; wrk request timeout {o.wrk_timeout_s} s",
        f"- **wrk, the workers, PostgreSQL and NATS all share the machine's {m.cpus_usable} cores** (and other "
        "engineers' test runs may: the \"other\" CPU column): a second worker can only take CPU from the others, "
        "which is why every figure is read as a ratio to the /health floor of the same server, and why the CPU "
        "cost per request (server and PostgreSQL) is given beside the throughput.",
        "",
        "## Problems",
        "",
        *([f"- **{problem}**" for problem in report.problems] or ["- none"]),
        "",
        *_summary(report),
    ]
    for run in report.runs:
        lines += _run_lines(run)
    lines += [
        "ratio to floor = the scenario's req/s ÷ the first floor row's req/s of the same server; \"floor (again)\" "
        "repeats it at the end (its distance from 1.000 is this run's noise). server CPU µs/req = CPU time of "
        "granian's processes (main + workers) ÷ requests; PostgreSQL CPU µs/req = the same for PostgreSQL's "
        "processes working on this database (its backends and its own checkpointer, WAL writer, ...). CPU server "
        "/ postgres / nats / wrk / irq / other = shares of the machine's capacity (wall time × CPUs) during the "
        "measured run; nats is the whole NATS server (other tests may use it too), other is everything else plus "
        "hypervisor steal. The searches one at a time: server = wrk with one connection; SQL = the query the server "
        "runs for the request (compiled for PostgreSQL as `service/search.py` compiles it, subject `nginx:bench`) "
        "run with asyncpg on one connection to the same database, timing the fetch only; **server ÷ SQL** = server "
        "req/s ÷ SQL q/s, the share of a request's time that is its SQL (its p50 column: SQL p50 ÷ server p50).",
        "",
        "## What each scenario measures",
        "",
        f"- **{SCALE_FLOOR.name}** (`{SCALE_FLOOR.request}`): {SCALE_FLOOR.measures}",
        *[f"- **{s.name}** (`{s.request}`): {s.measures}" for s in SCALE_SCENARIOS.values()],
        "",
    ]
    first = next((run for run in report.runs if run.searches), None)
    if first is not None:
        lines += ["## Query plans", "", f"`EXPLAIN (ANALYZE, BUFFERS)` of each search's compiled query for one "
                  f"example, on the same database ({_workers(first.workers)} run).", ""]
        for search in first.searches:
            lines += [f"**{search.scenario}** (`{search.example}`):", "", "```", *search.plan, "```", ""]
    sizes = report.dataset["sizes"]
    lines += ["## Database (as generated)", "", "| table or index | kind | size |", "|---|---|---:|"]
    lines += [f"| {o['name']} | {o['kind']} | {size_text(o['bytes'])} |" for o in sizes.get("objects", [])[:20]]
    lines += ["", "## Setup and checks", ""]
    for run in report.runs:
        lines += _setup_lines(run)
    return "\n".join(lines).rstrip("\n") + "\n"


def save_scale(report: ScaleOutReport, markdown: str) -> tuple[Path, Path]:
    """Write `bench/results/<date>-scale-out-<label>.md` and `.json`; returns both paths."""
    return write_results(f"{report.started_at[:10]}-scale-out-{report.label}", markdown, scale_to_json(report))
