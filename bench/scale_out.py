"""The scale-out benchmark: reads, writes and searches over a million things on PostgreSQL + NATS, with one
worker and then two, each figure beside the /health floor of the same server.

The data set is the search benchmark's (`search_data.py`), generated once into a PostgreSQL database of its
own (`scale_data.py`). For each worker count a fresh `twinhub serve --workers N` runs on it, with the NATS
bus on a stream of its own (deleted afterwards), so that the runs differ only in N. Each scenario is driven
by wrk; the searches are also run on one connection beside their raw SQL (the compiled query run with
asyncpg on one connection, one query at a time), as the search benchmark does on SQLite.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import nats
import nats.js.errors

from bench.basic_user import AUTH_HEADER, add_basic_user, sign_in
from bench.http_things import (
    FLOOR,
    BackendOf,
    Options,
    busy_percent,
    server_alive,
    settled,
    shut_down,
)
from bench.machine import MachineInfo, ProcessMemory, machine_info, process_tree_memory
from bench.scale_checks import check_sample, check_writes, checks_before, scenario_query
from bench.scale_data import (
    DEFAULT_POSTGRES,
    PgDataset,
    backends_of,
    connected,
    ensure_pg_dataset,
    postgres_facts,
    prepare_run,
    totals,
)
from bench.search import (
    SEARCH_SCENARIOS,
    SearchScenario,
    ServerRun,
    SqlFloor,
    lua_script,
    measured_run,
    page_cache_bytes,
    record_check,
    run_problems,
    timed_queries,
)
from bench.search_data import Spec, lua_visible_id, shape_indices
from twinhub.store.postgres.rows import bound_params
from twinhub.store.search import CompiledQuery
from twinhub.testing import Server, start_server

DEFAULT_NATS = "nats://127.0.0.1:4222"
WRITE_SHAPE = "features"  # the things whose lamp the write scenario turns up and down
WRITE_PROPERTY = "features/lamp/properties/brightness"  # generated uniform in 0..100, written so too


@dataclass(frozen=True, slots=True)
class ScaleOutOptions:
    duration_s: int = 10
    warmup_s: int = 2
    connections: int = 64
    threads: int = 2
    things: int = 1_000_000
    workers: tuple[int, ...] = (1, 2)
    regenerate: bool = False
    postgres_url: str = DEFAULT_POSTGRES
    nats_url: str = DEFAULT_NATS
    wrk_timeout_s: int = 10
    floor_max_queries: int = 100_000
    keep_data: bool = False  # keep the server logs even when nothing went wrong


# --- the scenarios --------------------------------------------------------------------------------

def _lua_get_thing(spec: Spec) -> str:
    return f"""
wrk.headers["Authorization"] = "{AUTH_HEADER}"
request = function(){lua_visible_id(spec.things)}
  return wrk.format("GET", "/api/2/things/" .. id)
end
"""


def _lua_put_property(spec: Spec) -> str:
    return f"""
wrk.headers["Authorization"] = "{AUTH_HEADER}"
wrk.headers["Content-Type"] = "application/json"
request = function(){lua_visible_id(spec.things, shape=WRITE_SHAPE)}
  return wrk.format("PUT", "/api/2/things/" .. id .. "/{WRITE_PROPERTY}", nil, tostring(math.random(0, 100)))
end
"""


@dataclass(frozen=True, slots=True)
class ScaleScenario:
    name: str
    request: str
    measures: str
    path: str  # where wrk is pointed (the script builds every request)
    lua: Callable[[Spec], str]
    search: SearchScenario | None = None  # also measured on one connection beside its raw SQL
    writes: bool = False


def _search(name: str, scenario: SearchScenario) -> ScaleScenario:
    return ScaleScenario(name, scenario.request, scenario.measures, scenario.endpoint,
                         lambda spec: lua_script(scenario, spec), search=scenario)


SCALE_FLOOR = ScaleScenario(FLOOR.name, FLOOR.request, FLOOR.measures, "/health",
                            lambda spec: FLOOR.lua(Options(things=spec.things)))
SCALE_SCENARIOS: dict[str, ScaleScenario] = {
    scenario.name: scenario
    for scenario in (
        ScaleScenario("get-thing", "GET /api/2/things/{random id}",
                      "the read path on PostgreSQL: auth, the thing cache (mostly missed: random ids over all the "
                      "things) and a primary-key read, the policy, JSON render + ETag",
                      "/api/2/things", _lua_get_thing),
        ScaleScenario("put-property", f"PUT /api/2/things/{{random id of a thing with a lamp}}/{WRITE_PROPERTY}",
                      "the write path on PostgreSQL: load, authorize, compare-and-set under an advisory lock in "
                      "the group commit (thing, journal, search index), then the event published to NATS; a random "
                      "brightness 0–100 to one of the third of the things with features (as generated)",
                      "/api/2/things", _lua_put_property, writes=True),
        _search("search-thing-id", SEARCH_SCENARIOS["thing-id"]),
        _search("search-attribute-eq", SEARCH_SCENARIOS["attribute-eq"]),
    )
}


# --- the SQL floors, on the same database ------------------------------------------------------------

async def _pg_floor(dsn: str, scenario: SearchScenario, spec: Spec, *, queries: int,
                    budget_s: float) -> tuple[SqlFloor, list[str]]:
    """The compiled query run directly on one connection, one after the other (see `timed_queries`), and
    EXPLAIN (ANALYZE, BUFFERS) of one example."""
    async with connected(dsn) as connection:

        async def execute(query: CompiledQuery) -> list[asyncpg.Record]:
            return list(await connection.fetch(query.sql, *bound_params(query)))

        rng = random.Random(1)
        floor = await timed_queries(execute, lambda: scenario_query(scenario, scenario.sample(rng, spec)),
                                    queries=queries, budget_s=budget_s)
        example = scenario_query(scenario, scenario.sample(random.Random(0), spec))
        plan = await connection.fetch("EXPLAIN (ANALYZE, BUFFERS) " + example.sql, *bound_params(example))
    return floor, [str(row[0]) for row in plan]


# --- the results ----------------------------------------------------------------------------------

@dataclass
class Row:
    scenario: str
    request: str
    run: ServerRun
    ratio_to_floor: float


@dataclass
class SearchBeside:
    """A search on one connection beside its raw SQL on one connection."""

    scenario: str
    example: str
    latency: ServerRun
    floor: SqlFloor
    plan: list[str]

    @property
    def ratio(self) -> float:
        """Server req/s ÷ SQL queries/s: the share of a request's time that is its SQL."""
        return self.latency.requests_per_s / self.floor.queries_per_s if self.floor.queries_per_s else 0.0

    @property
    def median_ratio(self) -> float:
        return self.floor.p50_ms / self.latency.result.p50_ms if self.latency.result.p50_ms else 0.0


@dataclass
class WorkersRun:
    """Everything measured on one server with `workers` workers."""

    workers: int
    stream: str
    busy_before_percent: float = 0.0
    vacuum_s: float = 0.0
    prewarm_s: float = 0.0
    page_cache: dict[str, int | None] = field(default_factory=dict)  # database bytes cached before / after
    database_bytes: int = 0  # before the server started
    rows: list[Row] = field(default_factory=list)
    searches: list[SearchBeside] = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    memory_after_start: list[ProcessMemory] = field(default_factory=list)
    memory_after_run: list[ProcessMemory] = field(default_factory=list)
    events: dict[str, int] = field(default_factory=dict)  # journal rows written and stream messages
    server_exit: str = ""
    server_log: dict[str, Any] = field(default_factory=dict)
    log_path: str = ""


@dataclass
class ScaleOutReport:
    started_at: str
    machine: MachineInfo
    options: ScaleOutOptions
    dataset: dict[str, Any]
    postgres: dict[str, str]
    nats: str
    runs: list[WorkersRun] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return str(self.dataset["label"])

    @property
    def setup_failed(self) -> bool:
        return not any(run.rows for run in self.runs)


async def stream_messages(nats_url: str, stream: str, *, delete: bool) -> int | None:
    """The messages in the run's stream, `<stream>_<store epoch>` (None if there is none); deletes it with
    `delete`."""
    client = await nats.connect(nats_url, connect_timeout=5, max_reconnect_attempts=1)
    try:
        js = client.jetstream()
        found = {info.config.name: info.state.messages for info in await js.streams_info()
                 if info.config.name and info.config.name.startswith(stream + "_")}
        if not found:
            return None
        if delete:
            for name in found:
                with contextlib.suppress(nats.js.errors.NotFoundError):
                    await js.delete_stream(name)
        return sum(found.values())
    finally:
        await client.close()


def nats_version() -> str:
    try:
        completed = subprocess.run(["nats-server", "--version"], capture_output=True, text=True, check=False,
                                   timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return completed.stdout.strip() or "unknown"


# --- the run --------------------------------------------------------------------------------------

def workers_ready(server: Server, workers: int, timeout_s: float = 60.0) -> None:
    """Wait until granian runs its `workers` worker processes and answers on fresh connections."""
    deadline = time.monotonic() + timeout_s
    while len(process_tree_memory(server.process.pid)) < workers + 1 and time.monotonic() < deadline:
        time.sleep(0.2)
    for _ in range(10 * workers):
        httpx.get(f"{server.base_url}/health", headers={"Connection": "close"}, timeout=10)


def _measure(server: Server, scenario: ScaleScenario, dataset: PgDataset, options: ScaleOutOptions,
             run: WorkersRun, backend_of: BackendOf, *, connections: int | None = None) -> ServerRun:
    many = connections is None
    before: list[tuple[int, int]] = []

    def read_totals() -> None:
        before.append(totals(dataset.dsn))

    result = measured_run(server, server.base_url + scenario.path, scenario.lua(dataset.spec),
                          duration_s=options.duration_s, warmup_s=options.warmup_s,
                          connections=connections or options.connections,
                          threads=options.threads if many else 1, timeout_s=options.wrk_timeout_s,
                          backend_of=backend_of, between=read_totals if scenario.writes else None)
    if scenario.writes:
        after = settled(lambda: totals(dataset.dsn))
        check_writes(run, result, before[0], after, options.connections)
        check_sample(server, dataset, run)
    run.problems += run_problems(scenario.name, result)
    return result


def _drive(server: Server, dataset: PgDataset, options: ScaleOutOptions, run: WorkersRun) -> None:
    backend_of = backends_of(dataset.database)
    workers_ready(server, run.workers)
    sign_in(server.base_url, workers=run.workers)
    run.memory_after_start = process_tree_memory(server.process.pid)
    try:
        checks_before(server, dataset, run)
    except (AssertionError, httpx.HTTPError, asyncpg.PostgresError, OSError) as error:
        run.problems.append(f"checks could not run: {error}; nothing was measured")
        return
    floor = _measure(server, SCALE_FLOOR, dataset, options, run, backend_of)
    run.rows.append(Row(SCALE_FLOOR.name, SCALE_FLOOR.request, floor, 1.0))
    floor_rps = floor.requests_per_s
    for scenario in SCALE_SCENARIOS.values():
        print(f"bench: scale-out: {run.workers} worker(s): {scenario.name} ...", flush=True)
        measured = _measure(server, scenario, dataset, options, run, backend_of)
        run.rows.append(Row(scenario.name, scenario.request, measured, measured.requests_per_s / floor_rps))
        if scenario.search is not None:
            latency = _measure(server, scenario, dataset, options, run, backend_of, connections=1)
            queries = min(max(latency.result.requests, 20), options.floor_max_queries)
            sql, plan = asyncio.run(_pg_floor(dataset.dsn, scenario.search, dataset.spec, queries=queries,
                                              budget_s=float(options.duration_s)))
            example = scenario.search.text(scenario.search.sample(random.Random(0), dataset.spec))
            run.searches.append(SearchBeside(scenario.name, example, latency, sql, plan))
        if not server_alive(server):
            run.problems.append(f"the server is not healthy after {scenario.name}")
            return
    again = _measure(server, SCALE_FLOOR, dataset, options, run, backend_of)
    run.rows.append(Row("floor (again)", SCALE_FLOOR.request, again, again.requests_per_s / floor_rps))
    run.memory_after_run = process_tree_memory(server.process.pid)


def _run_workers(workers: int, dataset: PgDataset, options: ScaleOutOptions, logs: Path) -> WorkersRun:
    """One server with `workers` workers on the data set and a stream of its own; measured, checked, stopped,
    its stream deleted."""
    suffix = uuid.uuid4().hex[:10]
    run = WorkersRun(workers, f"TWINHUB_BENCH_{suffix.upper()}")
    vacuum_s, prewarm_s, run.database_bytes, files = asyncio.run(prepare_run(dataset.dsn))
    run.vacuum_s, run.prewarm_s = round(vacuum_s, 1), round(prewarm_s, 1)
    run.page_cache["after_prewarm"] = page_cache_bytes(*files)
    run.busy_before_percent = busy_percent()
    env = {"TWINHUB_STORE_URL": dataset.dsn, "TWINHUB_BUS_URL": options.nats_url, "TWINHUB_BUS_STREAM": run.stream}
    start_totals = totals(dataset.dsn)
    try:
        add_basic_user(logs / f"workers-{workers}", env)
        server = start_server(logs / f"workers-{workers}", args=("--workers", str(workers)), env=env, timeout=120)
    except RuntimeError as error:
        run.problems.append(f"the server did not start: {str(error)[-2000:]}")
        return run
    run.log_path = str(server.log_path)
    started = [process.pid for process in process_tree_memory(server.process.pid)]
    try:
        _drive(server, dataset, options, run)
    finally:
        ended = shut_down(server, started)
        run.server_exit, run.server_log = ended.exit, ended.log
        run.problems += ended.problems
        end_totals = totals(dataset.dsn)
        messages = asyncio.run(stream_messages(options.nats_url, run.stream, delete=True))
    run.page_cache["after_run"] = page_cache_bytes(*files)
    journal = end_totals[1] - start_totals[1]
    run.events = {"journal_rows_written": journal, "stream_messages": -1 if messages is None else messages}
    record_check(run, "every event written reached the NATS stream once (its messages = journal rows written)",
                 messages == journal, f"{journal} thing journal rows written during the run, {messages} messages "
                                      f"in stream {run.stream}")
    if not options.keep_data and not run.problems:
        with contextlib.suppress(OSError):
            server.log_path.unlink()
    return run


def run(options: ScaleOutOptions) -> ScaleOutReport:
    """Generate (or reuse) the data set, then for each worker count start a server on it, check, measure
    and stop it."""
    dataset = ensure_pg_dataset(Spec(things=options.things), options.postgres_url, regenerate=options.regenerate)
    report = ScaleOutReport(
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        machine=machine_info(),
        options=options,
        dataset=_dataset_facts(dataset),
        postgres=asyncio.run(postgres_facts(dataset.dsn)),
        nats=nats_version(),
    )
    logs = Path(tempfile.mkdtemp(prefix="twinhub-bench-scale-"))
    for workers in options.workers:
        run_ = _run_workers(workers, dataset, options, logs)
        report.runs.append(run_)
        report.problems += [f"{workers} worker{'s' if workers > 1 else ''}: {problem}" for problem in run_.problems]
    if not report.problems and not options.keep_data:
        shutil.rmtree(logs, ignore_errors=True)
    return report


def _dataset_facts(dataset: PgDataset) -> dict[str, Any]:
    return {
        "label": dataset.spec.label,
        "database": dataset.database,
        "spec": {"things": dataset.spec.things, "hidden": dataset.spec.hidden,
                 "generator_version": dataset.spec.generator_version, "seed": dataset.spec.seed},
        "schema_version": dataset.schema_version,
        "generated_at": dataset.generated_at,
        "cached": dataset.cached,
        "load": dataset.load,
        "tally": {"visible": dataset.tally.visible, "hidden": dataset.tally.hidden},
        "sizes": dataset.sizes,
        "write_targets": len(shape_indices(dataset.spec.things, WRITE_SHAPE)),
    }
