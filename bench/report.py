"""Rendering a run as Markdown (printed and committed) and as JSON (committed, for tooling)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench.http_things import FLOOR, SCENARIOS, CpuUse, Report
from bench.machine import ProcessMemory
from bench.search import SearchReport, ServerRun, SqlFloor
from bench.search_data import NAMESPACES as SEARCH_NAMESPACES

RESULTS = Path(__file__).resolve().parent / "results"
NOISY_PERCENT = 10  # "other" CPU share from which a row is flagged as measured on a busy machine


def _mib(kib: int) -> str:
    return f"{kib / 1024:.1f} MiB"


def memory_text(processes: list[ProcessMemory]) -> str:
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
        "results": [
            {"scenario": row.scenario, "request": row.request, "ratio_to_floor": row.ratio_to_floor,
             "warmup_non_2xx": row.warmup_non_2xx, **row.result.to_json(),
             "server_cpu_us_per_request": round(row.server_us_per_request, 1),
             "cpu_seconds": asdict(row.cpu), "other_cpu_percent": round(row.cpu.other_percent, 1),
             "other_processes": row.other_processes}
            for row in report.rows
        ],
        "checks": report.checks,
        "servers": [
            {
                "authentication": server.authentication,
                "preload": server.preload,
                "memory_after_preload": [asdict(p) for p in server.memory_after_preload],
                "memory_after_run": [asdict(p) for p in server.memory_after_run],
                "shutdown": server.exit,
                "log": server.log,
            }
            for server in report.servers
        ],
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
        "ratio to floor = the scenario's req/s ÷ the first floor row's req/s of its server: the rows marked dev "
        "ran on a second server in development mode, after the first one (a real basic user) stopped, beside a "
        "floor of their own. \"floor (again)\" repeats the floor after the other scenarios: its distance from "
        "1.000 shows how noisy this run was. non-2xx counts what wrk "
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
    lines += ["", "## Setup and checks", ""]
    for server in report.servers:
        preload = server.preload
        if preload:
            lines.append(f"- preload ({server.authentication}): {preload['things']} PUT creates, "
                         f"{preload['concurrency']} concurrent, in {preload['seconds']} s, statuses "
                         f"{preload['statuses']} (setup, not a server figure: the rate of "
                         f"{preload['creates_per_s']:,.0f}/s is bound by httpx's async client, far slower than wrk)")
    for check in report.checks:
        lines.append(f"- {'ok' if check['ok'] else '**FAILED**'}: {check['check']} — {check['detail']}")
    for server in report.servers:
        lines += [
            f"- server ({server.authentication}) memory after preload: {memory_text(server.memory_after_preload)}",
            f"- server ({server.authentication}) memory after the run: {memory_text(server.memory_after_run)}",
            f"- server ({server.authentication}) shutdown: {server.exit}",
            f"- server ({server.authentication}) log: {server.log.get('log_lines', 0)} lines, "
            f"{server.log.get('notable_lines', 0)} notable (errors/warnings/tracebacks)",
        ]
    for server in report.servers:
        excerpt = server.log.get("excerpt") or []
        if excerpt:
            lines += ["", f"Server ({server.authentication}) log excerpt (from the first notable line):", "", "```",
                      *excerpt, "```"]
    return "\n".join(lines) + "\n"


def write_results(stem: str, markdown: str, data: dict[str, Any]) -> tuple[Path, Path]:
    """Write `bench/results/<stem>.md` and `.json`; returns both paths."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    md_path, json_path = RESULTS / f"{stem}.md", RESULTS / f"{stem}.json"
    md_path.write_text(markdown)
    json_path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return md_path, json_path


def save(report: Report, markdown: str, *, suffix: str = "") -> tuple[Path, Path]:
    """Write `bench/results/<date>-http-things<suffix>.md` and `.json`; returns both paths."""
    return write_results(f"{report.started_at[:10]}-http-things{suffix}", markdown, to_json(report))


# --- the search benchmark (bench/search.py) --------------------------------------------------------

def size_text(size: int) -> str:
    return f"{size / 2**30:.2f} GiB" if size >= 2**30 else f"{size / 2**20:.1f} MiB"


def rate_text(per_s: float) -> str:
    return f"{per_s:,.0f}" if per_s >= 100 else f"{per_s:.1f}" if per_s >= 10 else f"{per_s:.3g}"


def ms_text(ms: float) -> str:
    return f"{ms:,.0f}" if ms >= 1000 else f"{ms:.3g}" if ms < 1 else f"{ms:.1f}" if ms < 100 else f"{ms:.0f}"


def _resident(size: int | None, report: SearchReport) -> str:
    if size is None:
        return "unknown"
    total = report.dataset["sizes"]["file_bytes"]
    return f"{size_text(size)} ({100 * size / total:.0f}%)" if total else size_text(size)


def cpu_shares(cpu: CpuUse, *, backends: bool = False) -> str:
    """"server / wrk / irq / other" shares of the machine; with `backends`, "server / postgres / nats / wrk /
    irq / other"."""
    if not cpu.capacity_s:
        return "n/a"
    parts = [cpu.server_s, *((cpu.database_s, cpu.bus_s) if backends else ()), cpu.wrk_s, cpu.irq_s]
    return " / ".join(f"{100 * part / cpu.capacity_s:.0f}%" for part in parts) + f" / {cpu.other_percent:.0f}%"


def load_cells(run: ServerRun) -> str:
    """Table cells: req/s | p50 | p90 | p99 | max (ms)."""
    w = run.result
    return (f"{rate_text(run.requests_per_s)} | {ms_text(w.p50_ms)} | {ms_text(w.p90_ms)} | {ms_text(w.p99_ms)} | "
            f"{ms_text(w.max_ms)}")


def beside_sql_cells(server: ServerRun, floor: SqlFloor, ratio: float, median_ratio: float) -> str:
    """Table cells of a one-connection server run beside its SQL floor: server req/s | p50 | p99 | n | SQL q/s
    | p50 | p99 | n | **server ÷ SQL** | **its p50 ratio**."""
    s = server.result
    return (f"{rate_text(server.requests_per_s)} | {ms_text(s.p50_ms)} | {ms_text(s.p99_ms)} | {s.requests:,} | "
            f"{rate_text(floor.queries_per_s)} | {ms_text(floor.p50_ms)} | {ms_text(floor.p99_ms)} | "
            f"{floor.queries:,} | **{ratio:.3f}** | **{median_ratio:.3f}**")


def server_run_json(run: ServerRun | None) -> dict[str, Any] | None:
    if run is None:
        return None
    return {"connections": run.connections, "threads": run.threads, "warmup_non_2xx": run.warmup_non_2xx,
            "idle_wait_before_s": run.idle_wait_before_s, "idle_wait_after_s": run.idle_wait_after_s,
            **run.result.to_json(), "requests_per_s_exact": float(f"{run.requests_per_s:.4g}"),
            "server_cpu_us_per_request": round(run.server_us_per_request, 1),
            "cpu_seconds": asdict(run.cpu), "other_cpu_percent": round(run.cpu.other_percent, 1),
            "other_processes": run.other_processes}


def search_to_json(report: SearchReport) -> dict[str, Any]:
    return {
        "benchmark": f"search-{report.label}",
        "started_at": report.started_at,
        "machine": {**report.machine.to_json(), "sqlite": report.sqlite},
        "options": asdict(report.options),
        "data_dir_filesystem": report.filesystem,
        "busy_before_percent": report.busy_before_percent,
        "page_cache_warmup_s": report.page_cache_warmup_s,
        "page_cache_bytes_before": report.page_cache_before,
        "dataset": report.dataset,
        "results": [
            {"scenario": r.scenario, "request": r.request, "example": r.example,
             "server_one_connection": server_run_json(r.latency),
             "server_many_connections": server_run_json(r.throughput),
             "floor_sql": asdict(r.floor), "plain_sql": asdict(r.plain),
             "ratio_server_to_floor": round(r.latency_ratio, 4),
             "ratio_server_to_floor_p50": round(r.median_ratio, 4),
             "ratio_throughput_to_floor": round(r.throughput_ratio, 4),
             "visibility_cost": round(r.visibility_cost, 2),
             "query_plan": r.plan, "plain_query_plan": r.plain_plan,
             "page_cache_bytes_before": r.resident_before, "page_cache_bytes_after": r.resident_after}
            for r in report.results
        ],
        "checks": report.checks,
        "server": {
            "memory_after_start": [asdict(p) for p in report.memory_after_start],
            "memory_after_run": [asdict(p) for p in report.memory_after_run],
            "shutdown": report.server_exit,
            "log": report.server_log,
        },
        "problems": report.problems,
        "setup_failed": report.setup_failed,
    }


def _dataset_lines(report: SearchReport) -> list[str]:
    data = report.dataset
    spec, load, sizes, tally = data["spec"], data["load"], data["sizes"], data["tally"]
    generated = (f"generated {data['generated_at']} by an earlier run and reused (cached in `{data['path']}`)"
                 if data["cached"] else f"generated in this run (cached in `{data['path']}` for the next ones)")
    shapes = ", ".join(f"{count:,} {shape}" for shape, count in tally["visible"].items())
    hidden = ", ".join(f"{count:,} {shape}" for shape, count in tally["hidden"].items())
    return [
        f"- data: {spec['things']:,} things readable by `nginx:bench` ({shapes}), each under its own default "
        f"policy, in {SEARCH_NAMESPACES} namespaces, plus {spec['hidden']:,} it may not read ({hidden}; half "
        f"another subject's default policy, half its own with READ revoked on `thing:/`); generator version "
        f"{spec['generator_version']}, seed {spec['seed']}; {generated}",
        f"- load: {load['things']:,} creations (thing + policy + policy index, the units `PUT /api/2/things/{{id}}` "
        f"commits) through `store.commit`, {load['chunk']:,} at a time, in {load['seconds']:,} s: "
        f"**{load['things_per_s']:,.0f} things/s** (including closing the store, which checkpoints the WAL)"
        + (f"; the generator used {load['generator_cpu_s']:,} CPU s (peak RSS {load['generator_peak_rss_mib']} MiB), "
           f"other processes {load['others_cpu_percent']}% of the machine meanwhile" if "generator_cpu_s" in load
           else ""),
        f"- database: **{size_text(sizes['file_bytes'])}** (`things.db`; WAL {size_text(sizes.get('wal_bytes', 0))}), "
        + ", ".join(f"{table} {count:,} rows" for table, count in sizes.get("rows", {}).items()),
    ]


def search_to_markdown(report: SearchReport) -> str:
    m, o = report.machine, report.options
    lines = [
        f"# twinhub search benchmark ({report.label} things) — {report.started_at}",
        "",
        f"- machine: {m.nproc} CPUs ({m.cpus_usable} usable), {m.cpu_model}, Linux {m.kernel}",
        f"- software: Python {m.python}, SQLite {report.sqlite}, granian {m.granian}, starlette {m.starlette}, "
        f"{m.wrk}",
        f"- git commit: {m.git_commit}",
        *_dataset_lines(report),
        f"- page cache: {_resident(report.page_cache_before, report)} of the database was in the OS page cache when "
        f"the run began; the file is read once before the server starts ({report.page_cache_warmup_s} s) and again "
        "before each scenario, so that figures are measured with it cached as far as the machine keeps it (the "
        "residency before and after each scenario is under Setup); filesystem " + report.filesystem,
        f"- server: `twinhub serve` on that data dir (the real basic user `bench` → subject `nginx:bench`); wrk on "
        f"loopback, {o.duration_s} s per run after a {o.warmup_s} s warmup, request timeout {o.wrk_timeout_s} s",
        f"- machine CPU busy in the second before the server started: {report.busy_before_percent:.0f}%",
        "",
        "## Problems",
        "",
        *([f"- **{problem}**" for problem in report.problems] or ["- none"]),
        "",
        "## Results: one request at a time, beside its SQL",
        "",
        "| scenario | server req/s | p50 ms | p99 ms | n | floor SQL q/s | p50 ms | p99 ms | n "
        "| **server ÷ floor** q/s | p50 | plain SQL q/s | p50 ms | p99 ms | **visibility cost** | rows |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in report.results:
        p = r.plain
        lines.append(f"| {r.scenario} | {beside_sql_cells(r.latency, r.floor, r.latency_ratio, r.median_ratio)} | "
                     f"{rate_text(p.queries_per_s)} | {ms_text(p.p50_ms)} | {ms_text(p.p99_ms)} | "
                     f"**{r.visibility_cost:.2f}×** | {r.floor.mean_rows:g} |")
    lines += [
        "",
        "server = wrk with one connection (and one thread): each request waits for the previous one, as the floor's "
        "queries do; n = requests (queries) measured. floor SQL = the query the server runs for the request "
        "(`service/search.py`'s spec compiled as the store does, subject `nginx:bench`), run with "
        "sqlite3 on one read-only connection to the same file, timing execute + fetchall only, parameters drawn from "
        "the same distribution as wrk's, as many queries as the server run made (at most as much query time). plain "
        "SQL = the same query without the visibility clauses (the same compiler, with them written as TRUE). **server "
        "÷ floor** = server req/s ÷ floor q/s: the share of a request's time that is its SQL (1.0 = the server adds "
        "nothing); its p50 column is floor p50 ÷ server p50, the same for the median request, which stalls in the "
        "tail do not move. **visibility cost** = floor p50 ÷ plain p50: what policy-awareness multiplies the median "
        "query's time by (medians: a single query that waited for the disk would swamp a mean). rows = rows the floor"
        " query returned on average (a search fetches one more than the 25 it shows).",
        "",
        "## Results: under load",
        "",
        "| scenario | connections | req/s | p50 ms | p90 ms | p99 ms | max ms | ÷ floor q/s | non-2xx "
        "| socket errors | server CPU µs/req | CPU server / wrk / irq / other | busy after s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in report.results:
        for run in (r.latency, r.throughput):
            if run is None:
                continue
            w = run.result
            lines.append(f"| {r.scenario} | {run.connections} | {load_cells(run)} | "
                         f"{run.requests_per_s / r.floor.queries_per_s if r.floor.queries_per_s else 0:.3f} | "
                         f"{w.non_2xx} | {sum(w.socket_errors.values())} | {run.server_us_per_request:,.0f} | "
                         f"{cpu_shares(run.cpu)} | {run.idle_wait_after_s:g} |")
    lines += [
        "",
        f"wrk and the server share the machine's {m.cpus_usable} cores; the server reads with 2 reader threads. "
        "Latencies with many connections are latencies under saturation (queueing included). Slow scenarios get "
        "fewer connections, so that responses do not queue past wrk's timeout. server CPU µs/req = the server "
        "processes' CPU time during the run ÷ requests; CPU shares as in the HTTP things report. busy after = how "
        "long the server went on working after wrk stopped (requests wrk had given up on: a query is not "
        "cancelled when its client goes away); the next run waits for that, it is in no figure.",
    ]
    noisy = [(r.scenario, run) for r in report.results for run in (r.latency, r.throughput)
             if run is not None and run.cpu.other_percent >= NOISY_PERCENT]
    if noisy:
        lines += ["", f"**Noisy:** other work used ≥ {NOISY_PERCENT}% of the machine during "
                  f"{', '.join(f'{name} ({run.connections})' for name, run in noisy)}; read those rows with care."]
    lines += ["", "## What each scenario measures", ""]
    lines += [f"- **{r.scenario}** (`{r.request}`, e.g. `{r.example}`): {r.measures}" for r in report.results]
    lines += ["", "## Query plans", "",
              "`EXPLAIN QUERY PLAN` of each scenario's compiled query (floor) and of its plain variant, for the "
              "example filter above.", ""]
    for r in report.results:
        lines += [f"**{r.scenario}** — floor:", "", "```", *r.plan, "```", "", "plain:", "", "```", *r.plain_plan,
                  "```", ""]
    sizes = report.dataset["sizes"]
    objects = sizes.get("objects") or {}
    lines += ["## Database", ""]
    if objects:
        lines += ["| table or index | size |", "|---|---:|"]
        lines += [f"| {name} | {size_text(size)} |" for name, size in objects.items()]
    else:
        lines.append(f"- per-object sizes unavailable: {sizes.get('objects_error', 'no dbstat')}")
    lines += ["", "## Setup and checks", ""]
    for r in report.results:
        lines.append(f"- page cache, {r.scenario}: {_resident(r.resident_before, report)} of the database cached "
                     f"before it was read again, {_resident(r.resident_after, report)} after the scenario")
    for check in report.checks:
        lines.append(f"- {'ok' if check['ok'] else '**FAILED**'}: {check['check']} — {check['detail']}")
    lines += [
        f"- server memory after start: {memory_text(report.memory_after_start)}",
        f"- server memory after the run: {memory_text(report.memory_after_run)}",
        f"- server shutdown: {report.server_exit}",
        f"- server log: {report.server_log.get('log_lines', 0)} lines, "
        f"{report.server_log.get('notable_lines', 0)} notable (errors/warnings/tracebacks)",
    ]
    excerpt = report.server_log.get("excerpt") or []
    if excerpt:
        lines += ["", "Server log excerpt (from the first notable line):", "", "```", *excerpt, "```"]
    return "\n".join(lines) + "\n"


def save_search(report: SearchReport, markdown: str) -> tuple[Path, Path]:
    """Write `bench/results/<date>-search-<label>.md` and `.json`; returns both paths."""
    return write_results(f"{report.started_at[:10]}-search-{report.label}", markdown, search_to_json(report))
