"""The search benchmark: RQL searches over a million things, each beside the SQL it runs as its floor.

The data set (`bench/search_data.py`) is generated once into an embedded store and reused. Each scenario
is measured three ways on the same file in the same run:

- **floor**: the SQL the server runs for the request — the `SearchSpec` that `twinhub/service/search.py`
  makes, for the subject `nginx:bench`, compiled with `compile_search` / `compile_count` as the store does —
  executed directly with sqlite3 on one read-only connection, one query after the other, with parameters
  drawn like wrk's;
- **plain**: the same query without the visibility clauses (compiled by the same compiler with them
  written as TRUE): what it would cost if search ignored policies — floor ÷ plain is the price of
  policy-awareness;
- **server**: the HTTP request through a real server, driven by wrk with one connection (latency, read
  against the floor's single connection) and with many (throughput).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import sqlite3
import subprocess
import time
from collections.abc import Awaitable, Callable, Sized
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

import httpx

from bench.basic_user import AUTH_HEADER, SUBJECT, add_basic_user, sign_in
from bench.http_things import (
    BackendOf,
    CpuUse,
    ServerStartError,
    accounted_wrk,
    busy_percent,
    server_alive,
    shut_down,
)
from bench.machine import (
    MachineInfo,
    ProcessMemory,
    filesystem_of,
    machine_info,
    process_cpu_seconds,
    process_tree_memory,
)
from bench.search_data import (
    ROOMS,
    TEMPERATURE_RANGE,
    Dataset,
    Spec,
    ensure_dataset,
    hidden_id,
    lua_visible_id,
    visible_id,
)
from bench.wrk import WrkResult, run_wrk
from twinhub.rql import DEFAULT_PAGE_SIZE, SearchSpec
from twinhub.service.search import parse_query_filter
from twinhub.store.index import STRING
from twinhub.store.search import CompiledQuery, Dialect, compile_count, compile_search
from twinhub.store.search.visibility import Visibility
from twinhub.store.sqlite.dialect import SQLITE
from twinhub.store.sqlite.schema import connect_reader
from twinhub.testing import Server, start_server

SUBJECTS = (SUBJECT,)
SEARCH_PATH = "/api/2/search/things"
COUNT_PATH = "/api/2/search/things/count"
RANGE_WIDTH = 0.5
RANGE_STEPS = int((TEMPERATURE_RANGE[1] - TEMPERATURE_RANGE[0] - RANGE_WIDTH) * 10) + 1  # lower bounds 0.1 apart


@dataclass(frozen=True, slots=True)
class SearchOptions:
    duration_s: int = 10
    warmup_s: int = 2
    connections: int = 64
    threads: int = 2
    things: int = 1_000_000
    regenerate: bool = False
    wrk_timeout_s: int = 30
    floor_max_queries: int = 100_000
    keep_data: bool = False  # keep the server log even when nothing went wrong


# --- the scenarios --------------------------------------------------------------------------------
# A scenario's filter is a template with `{name}` fields; wrk's Lua fills them per request (`lua`
# assigns a local of each name) and the floors draw them in Python (`sample`) from the same distribution.

Values = dict[str, str]


@dataclass(frozen=True, slots=True)
class SearchScenario:
    name: str
    endpoint: str  # SEARCH_PATH or COUNT_PATH
    filter: str
    measures: str
    lua: Callable[[Spec], str]
    sample: Callable[[random.Random, Spec], Values]
    # wrk connections for the throughput run; None: --connections. Slow queries get fewer, or every
    # response would wait behind dozens of others for longer than wrk's timeout.
    throughput_connections: int | None = None
    # Slow queries run at least this long per wrk run (and floor), so that a run holds more than a few.
    min_duration_s: int = 0

    @property
    def counting(self) -> bool:
        return self.endpoint == COUNT_PATH

    @property
    def request(self) -> str:
        return f"GET {self.endpoint}?filter={self.filter}"

    def text(self, values: Values) -> str:
        return self.filter.format(**values)


def _range_values(step: int) -> Values:
    low = TEMPERATURE_RANGE[0] + step / 10
    return {"low": f"{low:.1f}", "high": f"{low + RANGE_WIDTH:.1f}"}


SEARCH_SCENARIOS: dict[str, SearchScenario] = {
    scenario.name: scenario
    for scenario in (
        SearchScenario(
            "thing-id", SEARCH_PATH, "eq(thingId,'{id}')",
            "a point lookup by thing id (a column of `things`): parsing, compiling, the visibility check of one "
            "thing, rendering one hit",
            lambda spec: lua_visible_id(spec.things),
            lambda rng, spec: {"id": visible_id(rng.randrange(spec.things))}),
        SearchScenario(
            "attribute-eq", SEARCH_PATH, 'eq(attributes/room,"room-{room}")',
            f"a selective equality on an indexed attribute ({ROOMS} rooms over a third of the things): the index "
            "lookup, field- and thing-level visibility per match, the first page of 25 rendered",
            lambda spec: f"\n  local room = math.random(0, {ROOMS - 1})",
            lambda rng, spec: {"room": str(rng.randrange(ROOMS))}),
        SearchScenario(
            "range", SEARCH_PATH,
            "and(ge(features/thermostat/properties/temperature,{low}),"
            "lt(features/thermostat/properties/temperature,{high}))",
            f"a lower and an upper bound {RANGE_WIDTH} apart on a feature property (about 1/{round(15 / RANGE_WIDTH)} "
            "of the third with thermostats match): the first page of 25 by thing id",
            lambda spec: f"""
  local low = {TEMPERATURE_RANGE[0]} + math.random(0, {RANGE_STEPS - 1}) / 10
  local low, high = string.format("%.1f", low), string.format("%.1f", low + {RANGE_WIDTH})""",
            lambda rng, spec: _range_values(rng.randrange(RANGE_STEPS))),
        SearchScenario(
            "count", COUNT_PATH, "exists(attributes/type)",
            "counting a broad filter (a third of all things): every thing is visited, with its visibility",
            lambda spec: "",
            lambda rng, spec: {},
            throughput_connections=2, min_duration_s=30),
    )
}


def compiled(scenario: SearchScenario, values: Values, dialect: Dialect = SQLITE) -> CompiledQuery:
    """The SQL the server runs for the request: the spec `SearchService.search` / `count` makes, compiled as the
    store of `dialect` compiles it."""
    return _compile(scenario, values, dialect)


def plain(scenario: SearchScenario, values: Values) -> CompiledQuery:
    """The same SQL without the caller's visibility: compiled by the same compiler with its visibility
    conditions (the thing's, and the READ check of each field) written as TRUE — so it keeps the query's
    exact shape whatever the compiler does with the filter itself."""
    hooks = ("visible", "readable_path", "readable_row")
    if not all(callable(getattr(Visibility, hook, None)) for hook in hooks):
        raise RuntimeError("twinhub.store.search.visibility.Visibility no longer has visible/readable_path/"
                           "readable_row: update bench/search.py `plain` to the compiler's new visibility hooks")
    saved = {hook: getattr(Visibility, hook) for hook in hooks}

    def true(self: Visibility, *args: Any, **kwargs: Any) -> str:
        return self.d.true

    try:
        for hook in hooks:
            setattr(Visibility, hook, true)
        return _compile(scenario, values)
    finally:
        for hook, method in saved.items():
            setattr(Visibility, hook, method)


def _compile(scenario: SearchScenario, values: Values, dialect: Dialect = SQLITE) -> CompiledQuery:
    spec = SearchSpec(parse_query_filter([scenario.text(values)]), SUBJECTS, datetime.now(UTC), size=DEFAULT_PAGE_SIZE)
    return compile_count(spec, dialect) if scenario.counting else compile_search(spec, dialect)


def request_path(scenario: SearchScenario, values: Values) -> str:
    return f"{scenario.endpoint}?filter={quote(scenario.text(values), safe='')}"


def lua_script(scenario: SearchScenario, spec: Spec) -> str:
    """wrk's script: the filter template URL-encoded around `%s` for each field, filled in `request()`."""
    pieces: list[str] = []
    names: list[str] = []
    rest = scenario.filter
    while "{" in rest:
        before, _, after = rest.partition("{")
        name, _, rest = after.partition("}")
        pieces.append(quote(before, safe="").replace("%", "%%"))
        pieces.append("%s")
        names.append(name)
    pieces.append(quote(rest, safe="").replace("%", "%%"))
    path = f"{scenario.endpoint}?filter={''.join(pieces)}"
    # Without fields the path is a plain Lua string: no `string.format`, so no `%%` either.
    formatted = f'string.format("{path}", {", ".join(names)})' if names else f'"{path.replace("%%", "%")}"'
    return f"""
wrk.headers["Authorization"] = "{AUTH_HEADER}"
request = function(){scenario.lua(spec)}
  return wrk.format("GET", {formatted})
end
"""


# --- the SQL floors -------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class SqlFloor:
    """Queries run one after the other on one connection; only execute + fetchall is timed."""

    queries: int
    seconds: float  # the sum of the timed executions
    queries_per_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    mean_rows: float


def _percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


# Runs one query and returns its rows; awaited, so that one timing loop serves sqlite3 and asyncpg alike.
Execute = Callable[[CompiledQuery], Awaitable[Sized]]


async def timed_queries(execute: Execute, make: Callable[[], CompiledQuery], *, queries: int, budget_s: float,
                        warmup: int = 3, warmup_s: float = 1.0) -> SqlFloor:
    """Run `queries` queries from `make` (built untimed) one after the other, stopping early after `budget_s`
    of query time; first `warmup` unmeasured ones (fewer if they take more than `warmup_s`). Only `execute`
    is timed."""
    deadline = time.perf_counter() + warmup_s
    for _ in range(warmup):
        await execute(make())
        if time.perf_counter() > deadline:
            break
    latencies: list[float] = []
    rows = 0
    spent = 0.0
    while len(latencies) < queries and spent < budget_s:
        query = make()
        started = time.perf_counter()
        found = await execute(query)
        elapsed = time.perf_counter() - started
        latencies.append(elapsed)
        spent += elapsed
        rows += len(found)
    latencies.sort()
    total = sum(latencies)
    return SqlFloor(
        queries=len(latencies),
        seconds=round(total, 3),
        queries_per_s=float(f"{len(latencies) / total:.4g}") if total else 0.0,
        p50_ms=round(1000 * _percentile(latencies, 0.50), 3),
        p90_ms=round(1000 * _percentile(latencies, 0.90), 3),
        p99_ms=round(1000 * _percentile(latencies, 0.99), 3),
        max_ms=round(1000 * latencies[-1], 3) if latencies else 0.0,
        mean_rows=round(rows / len(latencies), 1) if latencies else 0.0,
    )


def sql_floor(database: Path, make: Callable[[], CompiledQuery], *, queries: int, budget_s: float) -> SqlFloor:
    """`timed_queries` with sqlite3 on one read-only connection, as the server's reader threads open theirs."""
    connection = connect_reader(database)

    async def execute(query: CompiledQuery) -> list[Any]:
        return connection.execute(query.sql, query.params).fetchall()

    try:
        return asyncio.run(timed_queries(execute, make, queries=queries, budget_s=budget_s))
    finally:
        connection.close()


def query_plan(database: Path, query: CompiledQuery) -> list[str]:
    """EXPLAIN QUERY PLAN, indented as the sqlite3 shell shows it."""
    connection = connect_reader(database)
    try:
        plan = connection.execute("EXPLAIN QUERY PLAN " + query.sql, query.params).fetchall()
    finally:
        connection.close()
    depth: dict[int, int] = {0: -1}
    lines = []
    for node, parent, _unused, detail in plan:
        depth[node] = depth.get(parent, -1) + 1
        lines.append("  " * depth[node] + str(detail))
    return lines


# --- the run --------------------------------------------------------------------------------------

@dataclass
class ServerRun:
    """One wrk run of a scenario."""

    connections: int
    threads: int
    result: WrkResult
    warmup_non_2xx: int
    cpu: CpuUse
    other_processes: list[dict[str, Any]]
    idle_wait_before_s: float  # until the warmup's leftover requests were done
    idle_wait_after_s: float  # until the requests wrk left behind were done (not in the figures)

    @property
    def server_us_per_request(self) -> float:
        return 1e6 * self.cpu.server_s / self.result.requests if self.result.requests else 0.0

    @property
    def requests_per_s(self) -> float:
        """Unrounded (wrk.py rounds to 0.1, too coarse for requests that take seconds)."""
        return self.result.requests / self.result.duration_s if self.result.duration_s else 0.0


@dataclass
class ScenarioResult:
    scenario: str
    request: str
    example: str  # one filter as sent
    measures: str
    latency: ServerRun  # wrk, one connection
    throughput: ServerRun | None  # wrk, many connections
    floor: SqlFloor  # the compiled SQL, visibility included
    plain: SqlFloor  # the filter alone
    plan: list[str]
    plain_plan: list[str]
    resident_before: int | None  # bytes of the database in the OS page cache before it was read again
    resident_after: int | None  # ... and after the scenario

    @property
    def latency_ratio(self) -> float:
        """Server req/s on one connection ÷ floor queries/s: the share of a request's time that is its SQL."""
        return self.latency.requests_per_s / self.floor.queries_per_s if self.floor.queries_per_s else 0.0

    @property
    def median_ratio(self) -> float:
        """Floor p50 ÷ server p50 (one connection): the share of the median request that is its SQL, which
        a few stalls do not move."""
        return self.floor.p50_ms / self.latency.result.p50_ms if self.latency.result.p50_ms else 0.0

    @property
    def throughput_ratio(self) -> float:
        if self.throughput is None or not self.floor.queries_per_s:
            return 0.0
        return self.throughput.requests_per_s / self.floor.queries_per_s

    @property
    def visibility_cost(self) -> float:
        """Floor p50 ÷ plain p50: what policy-awareness multiplies the median query's time by (medians, as
        one query that waited for the disk would swamp a mean)."""
        return self.floor.p50_ms / self.plain.p50_ms if self.plain.p50_ms else 0.0


@dataclass
class SearchReport:
    started_at: str
    machine: MachineInfo
    options: SearchOptions
    dataset: dict[str, Any]
    filesystem: str
    results: list[ScenarioResult] = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)
    memory_after_start: list[ProcessMemory] = field(default_factory=list)
    memory_after_run: list[ProcessMemory] = field(default_factory=list)
    page_cache_warmup_s: float = 0.0
    page_cache_before: int | None = None  # bytes of the database in the OS page cache when the run began
    server_exit: str = ""
    server_log: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    log_path: str = ""
    sqlite: str = sqlite3.sqlite_version
    busy_before_percent: float = 0.0
    setup_failed: bool = False

    @property
    def label(self) -> str:
        return str(self.dataset["label"])


def run_problems(scenario: str, run: ServerRun) -> list[str]:
    """What went wrong in a run: non-2xx responses (the warmup's too) and socket errors."""
    where = f"{scenario} ({run.connections} connection{'s' if run.connections > 1 else ''})"
    problems = []
    if run.result.non_2xx or run.warmup_non_2xx:
        problems.append(f"{where}: {run.result.non_2xx} non-2xx responses (+{run.warmup_non_2xx} in the warmup)")
    if any(run.result.socket_errors.values()):
        problems.append(f"{where}: socket errors {run.result.socket_errors}")
    return problems


def wait_idle(server: Server, *, timeout_s: float = 180.0, interval_s: float = 0.5) -> float:
    """Wait until the server's processes use (almost) no CPU: requests wrk gave up on when it stopped keep
    running in the server (a query cannot be cancelled), and must not spill into the next measurement.
    Returns the seconds waited."""
    pids = [process.pid for process in process_tree_memory(server.process.pid)]
    started = time.monotonic()
    previous = process_cpu_seconds(pids)
    while time.monotonic() - started < timeout_s:
        time.sleep(interval_s)
        current = process_cpu_seconds(pids)
        if current - previous < 0.05 * interval_s:
            break
        previous = current
    return round(time.monotonic() - started, 1)


def _duration(scenario: SearchScenario, options: SearchOptions) -> int:
    return max(options.duration_s, scenario.min_duration_s)


def measured_run(server: Server, url: str, script: str, *, duration_s: int, warmup_s: int, connections: int,
                 threads: int, timeout_s: int, backend_of: BackendOf | None = None,
                 between: Callable[[], None] | None = None) -> ServerRun:
    """A warmup, a wait until the server is idle, then the measured wrk run with its CPU accounting, and
    another wait (requests wrk gave up on are in no figure). `between` runs after the warmup, just before
    the measured run (for figures read around it)."""
    kwargs: dict[str, Any] = {"connections": connections, "threads": threads, "timeout_s": timeout_s}
    warmup_non_2xx = 0
    if warmup_s > 0:
        warmup, _ = run_wrk(url, script, duration_s=warmup_s, **kwargs)
        warmup_non_2xx = warmup.non_2xx
    waited = wait_idle(server)
    if between is not None:
        between()
    result, cpu, others = accounted_wrk(server, url, script, duration_s=duration_s, backend_of=backend_of, **kwargs)
    return ServerRun(connections, threads, result, warmup_non_2xx, cpu, others, waited, wait_idle(server))


def _server_run(server: Server, scenario: SearchScenario, spec: Spec, options: SearchOptions, *,
                connections: int, threads: int) -> ServerRun:
    return measured_run(server, server.base_url + scenario.endpoint, lua_script(scenario, spec),
                        duration_s=_duration(scenario, options), warmup_s=options.warmup_s, connections=connections,
                        threads=threads, timeout_s=options.wrk_timeout_s)


def _measure(server: Server, scenario: SearchScenario, dataset: Dataset, options: SearchOptions) -> ScenarioResult:
    spec = dataset.spec
    resident_before = page_cache_bytes(dataset.database)
    warm_page_cache(dataset.database)
    latency = _server_run(server, scenario, spec, options, connections=1, threads=1)
    throughput = None
    many = min(scenario.throughput_connections or options.connections, options.connections)
    if many > 1:
        throughput = _server_run(server, scenario, spec, options, connections=many,
                                 threads=min(options.threads, many))
    # As many queries as the one-connection run made (at least 20), within as much query time as it ran.
    queries = min(max(latency.result.requests, 20), options.floor_max_queries)
    budget = float(_duration(scenario, options))
    rng = random.Random(1)
    floor = sql_floor(dataset.database, lambda: compiled(scenario, scenario.sample(rng, spec)),
                      queries=queries, budget_s=budget)
    rng = random.Random(1)
    without = sql_floor(dataset.database, lambda: plain(scenario, scenario.sample(rng, spec)),
                      queries=queries, budget_s=budget)
    example = scenario.sample(random.Random(0), spec)
    return ScenarioResult(scenario.name, scenario.request, scenario.text(example), scenario.measures, latency,
                          throughput, floor, without, query_plan(dataset.database, compiled(scenario, example)),
                          query_plan(dataset.database, plain(scenario, example)), resident_before,
                          page_cache_bytes(dataset.database))


# --- checks: the server answers what the floors' SQL answers -------------------------------------------

def _sql(database: Path, query: CompiledQuery) -> list[tuple[Any, ...]]:
    connection = connect_reader(database)
    try:
        return connection.execute(query.sql, query.params).fetchall()
    finally:
        connection.close()


class Checked(Protocol):
    """What records checks: every one in `checks`, the failed ones in `problems` too."""

    checks: list[dict[str, Any]]
    problems: list[str]


def record_check(report: Checked, name: str, ok: bool, detail: str) -> None:
    report.checks.append({"check": name, "ok": ok, "detail": detail})
    if not ok:
        report.problems.append(f"check failed: {name} — {detail}")


def get_json(client: httpx.Client, path: str) -> Any:
    """The JSON body of a GET that must answer 200 (AssertionError otherwise)."""
    response = client.get(path)
    if response.status_code != 200:
        raise AssertionError(f"GET {path} -> {response.status_code}: {response.text[:300]}")
    return response.json()


def _checks(server: Server, dataset: Dataset, report: SearchReport) -> None:
    """Before anything is measured: the server finds what the compiled SQL finds, the hidden things stay
    hidden, and the counts agree with what was generated."""
    database, scenarios = dataset.database, SEARCH_SCENARIOS
    tally = dataset.tally
    with httpx.Client(base_url=server.base_url, headers={"Authorization": AUTH_HEADER}, timeout=300) as client:
        # Counts: everything, and the broad filter of the count scenario.
        total = get_json(client, COUNT_PATH)
        record_check(report, "count of all things = the visible things generated", total == dataset.visible_things,
                     f"server {total}, generated {dataset.visible_things} visible "
                     f"+ {sum(tally.hidden.values())} hidden")
        count = scenarios["count"]
        server_count = get_json(client, request_path(count, {}))
        floor_count = _sql(database, compiled(count, {}))[0][0]
        plain_count = _sql(database, plain(count, {}))[0][0]
        expected, hidden = tally.visible["attributes"], tally.hidden["attributes"]
        record_check(report,
                     f"count of {count.text({})}: server = compiled SQL = generated; plain SQL sees the hidden too",
                     server_count == floor_count == expected and plain_count == expected + hidden,
                     f"server {server_count}, compiled SQL {floor_count}, generated {expected}; "
                     f"plain SQL {plain_count} (= {expected} + {hidden} hidden?)")
        # A point lookup finds a visible thing and none of the hidden ones (both kinds of hiding policy).
        thing_id = scenarios["thing-id"]
        wanted = visible_id(dataset.spec.things // 2)
        items = get_json(client, request_path(thing_id, {"id": wanted}))["items"]
        record_check(report, "thing-id: a visible thing is found", [item.get("thingId") for item in items] == [wanted],
                     f"{wanted} -> {[item.get('thingId') for item in items]}")
        for index in (0, 1):
            hidden_thing = hidden_id(index)
            items = get_json(client, request_path(thing_id, {"id": hidden_thing}))["items"]
            stored = len(_sql(database, plain(thing_id, {"id": hidden_thing})))
            record_check(report, f"thing-id: hidden thing {hidden_thing} is stored but not found",
                         stored == 1 and items == [], f"plain SQL finds {stored}, the server {len(items)}")
        # The first pages of the searches are the compiled SQL's first rows, in order.
        for name, values in (("attribute-eq", {"room": "17"}), ("range", _range_values(50))):
            scenario = scenarios[name]
            items = get_json(client, request_path(scenario, values))["items"]
            rows = _sql(database, compiled(scenario, values))
            server_ids = [item.get("thingId") for item in items]
            sql_ids = [row[0] for row in rows[:DEFAULT_PAGE_SIZE]]
            record_check(report, f"{name}: the first page is the compiled SQL's first {DEFAULT_PAGE_SIZE} rows",
                         server_ids == sql_ids and len(items) == min(len(rows), DEFAULT_PAGE_SIZE) and len(items) > 0,
                         f"{scenario.text(values)}: server {len(items)} items, SQL {len(rows)} rows "
                         f"(first {server_ids[:1]} / {sql_ids[:1]})")
        # Visibility matters for the searches too: a room that hidden things have is counted without them.
        room = _hidden_room(database)
        if room is not None:
            scenario = scenarios["attribute-eq"]
            values = {"room": room}
            server_count = get_json(client, f"{COUNT_PATH}?filter={quote(scenario.text(values), safe='')}")
            plain_rows = len(_sql(database, _room_ids(room)))
            hidden_rows = len(_sql(database, _room_ids(room, hidden=True)))
            record_check(report, "attribute-eq: things the subject may not read are not counted",
                         hidden_rows > 0 and server_count == plain_rows - hidden_rows,
                         f"{scenario.text(values)}: server counts {server_count}; stored {plain_rows}, of them "
                         f"{hidden_rows} hidden")


def _room_ids(room: str, *, hidden: bool = False) -> CompiledQuery:
    like = " AND i.thing_id GLOB '*:hidden-*'" if hidden else ""
    return CompiledQuery(f"SELECT i.thing_id FROM thing_index i WHERE i.path = '/attributes/room' "
                         f"AND i.type = {STRING} AND i.value = ?1{like}", [f"room-{room}"])


def _hidden_room(database: Path) -> str | None:
    rows = _sql(database, CompiledQuery(
        "SELECT i.value FROM thing_index i WHERE i.thing_id GLOB '*:hidden-*' AND i.path = '/attributes/room' "
        "LIMIT 1", []))
    return str(rows[0][0]).removeprefix("room-") if rows else None


# --- putting it together --------------------------------------------------------------------------

def page_cache_bytes(*paths: Path | str) -> int | None:
    """How much of the files is in the OS page cache (util-linux `fincore`); None when unknown."""
    total = 0
    for start in range(0, len(paths), 200):
        try:
            completed = subprocess.run(["fincore", "--bytes", "--noheadings", "--output", "RES",
                                        *map(str, paths[start:start + 200])],
                                       capture_output=True, text=True, check=False, timeout=60)
            if completed.returncode != 0:
                return None
            total += sum(int(size) for size in completed.stdout.split())
        except (OSError, ValueError, subprocess.TimeoutExpired):
            return None
    return total if paths else None


def warm_page_cache(path: Path) -> float:
    """Read the database file once, so that every figure is measured with it in the OS page cache (as it
    is right after generation); returns the seconds it took."""
    started = time.perf_counter()
    with path.open("rb") as file:
        while file.read(16 << 20):
            pass
    return round(time.perf_counter() - started, 1)


def _dataset_facts(dataset: Dataset) -> dict[str, Any]:
    return {
        "label": dataset.spec.label,
        "path": str(dataset.root),
        "spec": {"things": dataset.spec.things, "hidden": dataset.spec.hidden,
                 "generator_version": dataset.spec.generator_version, "seed": dataset.spec.seed},
        "generated_at": dataset.generated_at,
        "cached": dataset.cached,
        "load": dataset.load,
        "tally": {"visible": dataset.tally.visible, "hidden": dataset.tally.hidden},
        "sizes": dataset.sizes,
    }


def _drive(server: Server, dataset: Dataset, options: SearchOptions, report: SearchReport,
           selected: list[SearchScenario]) -> None:
    report.memory_after_start = process_tree_memory(server.process.pid)
    try:
        _checks(server, dataset, report)
    except (AssertionError, httpx.HTTPError, sqlite3.Error) as error:
        report.problems.append(f"checks could not run: {error}; nothing was measured")
        report.setup_failed = True
        return
    for scenario in selected:
        print(f"bench: search: {scenario.name} ...", flush=True)
        report.results.append(_measure(server, scenario, dataset, options))
        if not server_alive(server):
            report.problems.append(f"the server is not healthy after {scenario.name}")
            return
    report.memory_after_run = process_tree_memory(server.process.pid)


def run(options: SearchOptions, only: tuple[str, ...] = ()) -> SearchReport:
    """Generate (or reuse) the data set, start a server on it, check, measure, stop it."""
    selected = [scenario for name, scenario in SEARCH_SCENARIOS.items() if not only or name in only]
    dataset = ensure_dataset(Spec(things=options.things), regenerate=options.regenerate)
    report = SearchReport(
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        machine=machine_info(),
        options=options,
        dataset=_dataset_facts(dataset),
        filesystem=filesystem_of(dataset.root),
    )
    report.page_cache_before = page_cache_bytes(dataset.database)
    report.page_cache_warmup_s = warm_page_cache(dataset.database)
    report.busy_before_percent = busy_percent()
    try:
        add_basic_user(dataset.data_dir)
        server = start_server(dataset.data_dir, args=(), timeout=120)
    except RuntimeError as error:
        raise ServerStartError(f"{error}\n(server log kept in {dataset.root})") from error
    report.log_path = str(server.log_path)
    started = [process.pid for process in process_tree_memory(server.process.pid)]
    try:
        sign_in(server.base_url)
        _drive(server, dataset, options, report, selected)
    finally:
        wait_idle(server, timeout_s=120)
        ended = shut_down(server, started)
        report.server_exit, report.server_log = ended.exit, ended.log
    for result in report.results:
        for run_ in (result.latency, result.throughput):
            if run_ is not None:
                report.problems += run_problems(result.scenario, run_)
    report.problems += ended.problems
    if not options.keep_data and not report.problems:
        with contextlib.suppress(OSError):
            Path(report.log_path).unlink()
    return report

