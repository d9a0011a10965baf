"""The history benchmark (`python -m bench --only history`), on the embedded store and on PostgreSQL.

Per store, each figure beside a floor measured in the same run:
* ingest through the store's bulk path (`Store.import_points`, rollups maintained) beside the same rows inserted
  by plain SQL into a bare table with the same key;
* ingest through the write path: merge patches of 100 properties each (100 points a command) by a real basic
  user over HTTP, with device timestamps spreading them over the day; beside the same floor; the server's CPU per
  point;
* a 24-hour window at 1-minute buckets of one 1 Hz series (86,400 points), and a fleet aggregation over 1,000
  things (per hour and per 5 minutes), over HTTP with that user: median latency and the server's CPU per request,
  beside `GET /health` on the same server and beside the same aggregation as plain SQL over the raw points.
Every point written is counted back from the store: a figure comes with proof that nothing was lost.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench.basic_user import AUTH_HEADER, add_basic_user
from bench.connectivity_setup import throwaway_database
from bench.history_data import (
    BULK_NAMESPACE,
    DAY,
    DAY_START,
    HZ_PATH,
    TEMPERATURE_PATH,
    BulkPlan,
    StoreTarget,
    bulk_thing,
    floor_insert,
    import_bulk,
    raw_bucket_sql,
    scalar_sql,
    timed_sql,
)
from bench.machine import machine_info, process_cpu_seconds, process_tree_memory
from bench.report import write_results
from bench.scale_data import DEFAULT_POSTGRES
from twinhub.history.series import micros
from twinhub.testing import Server, start_server

__all__ = ["HISTORY", "HistoryOptions", "HistoryReport", "run", "save", "to_markdown"]

HISTORY = "history"
WRITE_NAMESPACE = "bench"
PROPERTIES = 100  # per patch: the points of one command
CONCURRENCY = 32
FLOOR_ROWS = 1_000_000
MARK = "twinhub history benchmark (dropped when the run ends)"


@dataclass(frozen=True, slots=True)
class HistoryOptions:
    stores: tuple[str, ...] = ("sqlite", "postgres")
    bulk_points: int = 10_000_000
    write_points: int = 10_000_000
    things: int = 1000
    queries: int = 30
    postgres_url: str = DEFAULT_POSTGRES
    keep_data: bool = False


@dataclass(slots=True)
class StoreFigures:
    store: str
    figures: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class HistoryReport:
    started_at: str
    options: dict[str, Any]
    machine: dict[str, Any]
    stores: list[StoreFigures] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    setup_failed: bool = False


def _write_thing(index: int) -> str:
    return f"{WRITE_NAMESPACE}:h-{index}"


def _site(index: int) -> str:
    return f"warehouse-{index % 4}"


def _progress(label: str, total: int) -> Callable[[int], None]:
    last = [0.0]

    def show(done: int) -> None:
        now = time.monotonic()
        if now - last[0] > 5 or done >= total:
            last[0] = now
            print(f"  {label}: {done:,} / {total:,}", flush=True)
    return show


# --- servers and stores --------------------------------------------------------------------------


@contextmanager
def _target(name: str, root: Path, postgres_url: str) -> Iterator[StoreTarget]:
    data_dir = root / name
    data_dir.mkdir(parents=True)
    if name == "sqlite":
        yield StoreTarget(name, data_dir)
        return
    with throwaway_database(postgres_url, "twinhub_bench_history", MARK) as dsn:
        yield StoreTarget(name, data_dir, dsn)


def _server(target: StoreTarget) -> Server:
    env = {} if target.dsn is None else {"TWINHUB_STORE_URL": target.dsn}
    add_basic_user(target.data_dir, env)
    return start_server(target.data_dir, args=(), env=env, timeout=120)


def _server_cpu(server: Server) -> float:
    return process_cpu_seconds([process.pid for process in process_tree_memory(server.process.pid)])


# --- the write path --------------------------------------------------------------------------------


async def _create_things(client: httpx.AsyncClient, things: int) -> None:
    """The write path's things (100 properties each, all 0) and the bulk things (for search and policies)."""
    semaphore = asyncio.Semaphore(CONCURRENCY)

    async def put(thing_id: str, body: dict[str, Any]) -> None:
        async with semaphore:
            response = await client.put(f"/api/2/things/{thing_id}", json=body)
            if response.status_code not in (201, 204):
                raise RuntimeError(f"PUT {thing_id}: {response.status_code} {response.text}")

    await asyncio.gather(*(put(_write_thing(i), {"attributes": {"site": _site(i)}, "features": {
        "env": {"properties": {f"p{k}": 0 for k in range(PROPERTIES)}}}}) for i in range(things)))
    await asyncio.gather(*(put(bulk_thing(i), {"attributes": {"site": _site(i)}}) for i in range(things)))


async def _write_path(client: httpx.AsyncClient, things: int, points: int) -> tuple[int, float]:
    """Merge patches of PROPERTIES new values each, round-robin over the things, CONCURRENCY at a time, each
    thing's k-th patch at the device time DAY_START + k * spacing; (patches acknowledged, seconds)."""
    patches = max(1, points // PROPERTIES)
    per_thing = -(-patches // things)
    spacing = DAY / per_thing
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(patches):
        queue.put_nowait(n)
    acknowledged = 0
    show = _progress("write path points", patches * PROPERTIES)

    async def worker() -> None:
        nonlocal acknowledged
        while not queue.empty():
            n = queue.get_nowait()
            index, k = n % things, n // things
            body = orjson.dumps({f"p{p}": k * PROPERTIES + p + 1 for p in range(PROPERTIES)})
            stamp = (DAY_START + k * spacing).isoformat().replace("+00:00", "Z")
            response = await client.patch(
                f"/api/2/things/{_write_thing(index)}/features/env/properties", content=body,
                headers={"content-type": "application/merge-patch+json", "history-timestamp": stamp})
            if response.status_code != 204:
                raise RuntimeError(f"PATCH: {response.status_code} {response.text}")
            acknowledged += 1
            show(acknowledged * PROPERTIES)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return acknowledged, time.perf_counter() - started


# --- queries ---------------------------------------------------------------------------------------


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


# The server's CPU is read from /proc in clock ticks (10 ms): a figure per request needs many ticks of requests.
MIN_TIMED_SECONDS = 3.0


async def _timed_gets(client: httpx.AsyncClient, server: Server, url: str, repeat: int,
                      check: Callable[[Any], None]) -> dict[str, float]:
    """Median and p95 latency of sequential GETs of `url` (after one unmeasured, checked one): at least `repeat`,
    and for at least MIN_TIMED_SECONDS; the server's CPU µs per request."""
    first = await client.get(url)
    if first.status_code != 200:
        raise RuntimeError(f"GET {url}: {first.status_code} {first.text[:500]}")
    check(first.json())
    times: list[float] = []
    cpu_before, began = _server_cpu(server), time.perf_counter()
    while len(times) < repeat or time.perf_counter() - began < MIN_TIMED_SECONDS:
        started = time.perf_counter()
        response = await client.get(url)
        times.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url}: {response.status_code}")
    cpu = _server_cpu(server) - cpu_before
    times.sort()
    return {"requests": len(times), "p50_ms": round(statistics.median(times) * 1e3, 3),
            "p95_ms": round(times[int(len(times) * 0.95) - 1] * 1e3, 3),
            "server_cpu_us_per_request": round(cpu / len(times) * 1e6)}


def _expect_buckets(count: int, *, series: int = 1) -> Callable[[Any], None]:
    def check(body: Any) -> None:
        got = [len(one["points"]) for one in body["series"]] if "series" in body else [len(body["points"])]
        if got != [count] * series:
            raise RuntimeError(f"expected {series} series of {count} buckets, got {got}")
    return check


async def _queries(client: httpx.AsyncClient, server: Server, target: StoreTarget, options: HistoryOptions
                   ) -> dict[str, Any]:
    window = f"from={_iso(DAY_START)}&to={_iso(DAY_START + DAY)}"
    figures: dict[str, Any] = {}
    figures["health_floor"] = await _timed_gets(client, server, "/health", options.queries, lambda body: None)
    postgres = target.dsn is not None
    start, end = micros(DAY_START), micros(DAY_START + DAY)
    one = f"/api/2/history/things/{bulk_thing(0)}/{HZ_PATH}?{window}&step=1m&agg=mean"
    figures["series_24h_1m"] = await _timed_gets(client, server, one, options.queries, _expect_buckets(1440))
    sql, rows = await timed_sql(target, raw_bucket_sql(fleet=False, postgres=postgres),
                                (bulk_thing(0), HZ_PATH, start, end, 60_000_000), options.queries)
    figures["series_24h_1m"]["raw_sql_p50_ms"] = round(sql * 1e3, 3)
    figures["series_24h_1m"]["raw_sql_rows"] = rows
    things = [bulk_thing(i) for i in range(options.things)]
    ids: object = things if postgres else orjson.dumps(things).decode()
    plan = BulkPlan(options.things, options.bulk_points)
    for name, step in (("fleet_1h", timedelta(hours=1)), ("fleet_5m", timedelta(minutes=5))):
        width, buckets = step // timedelta(microseconds=1), plan.temperature_buckets(step)
        url = (f"/api/2/history/search?namespaces={BULK_NAMESPACE}&filter=exists(attributes/site)"
               f"&path=/{TEMPERATURE_PATH}&{window}&step={step // timedelta(minutes=1)}m&agg=mean")
        figures[name] = await _timed_gets(client, server, url, max(5, options.queries // 3), _expect_buckets(buckets))
        sql, rows = await timed_sql(target, raw_bucket_sql(fleet=True, postgres=postgres),
                                    (ids, TEMPERATURE_PATH, start, end, width), max(5, options.queries // 3))
        figures[name]["raw_sql_p50_ms"] = round(sql * 1e3, 3)
        figures[name]["raw_sql_rows"] = rows
    for name in ("series_24h_1m", "fleet_1h", "fleet_5m"):
        entry = figures[name]
        entry["ratio_to_raw_sql"] = round(entry["raw_sql_p50_ms"] / entry["p50_ms"], 3)
        entry["ratio_to_health"] = round(figures["health_floor"]["p50_ms"] / entry["p50_ms"], 3)
    return figures


# --- one store, the run ----------------------------------------------------------------------------


async def _count_points(target: StoreTarget, namespace: str, *paths: str) -> int:
    """The points stored for the things of `namespace`, of `paths` if any (names of this benchmark's, no quoting
    needed)."""
    only = " AND path IN (" + ", ".join(f"'{path}'" for path in paths) + ")" if paths else ""
    return await scalar_sql(target, f"SELECT count(*) FROM history_points WHERE thing_id LIKE '{namespace}:%'{only}")


def _run_store(target: StoreTarget, options: HistoryOptions, report: HistoryReport, figures: StoreFigures) -> None:
    """Fill `figures` as each part is measured (what was measured stays when a later part fails)."""
    plan = BulkPlan(options.things, options.bulk_points)
    print(f"history/{target.name}: bulk path, {plan.total:,} points", flush=True)
    floor_rows, floor_s = asyncio.run(floor_insert(target, plan, min(FLOOR_ROWS, plan.total)))
    written, bulk_s = asyncio.run(import_bulk(target, plan, _progress("bulk points", plan.total)))
    floor_rate = floor_rows / floor_s
    figures.figures["bulk"] = {"points": written, "seconds": round(bulk_s, 1), "points_per_s": round(written / bulk_s),
                               "floor_sql_rows": floor_rows, "floor_sql_rows_per_s": round(floor_rate),
                               "ratio_to_floor": round(written / bulk_s / floor_rate, 3)}
    server = _server(target)
    try:
        async def drive() -> None:
            limits = httpx.Limits(max_connections=CONCURRENCY)
            async with httpx.AsyncClient(base_url=server.base_url, headers={"Authorization": AUTH_HEADER},
                                         limits=limits, timeout=120) as client:
                await _create_things(client, options.things)
                created = await _count_points(target, WRITE_NAMESPACE)
                cpu_before = _server_cpu(server)
                patches, seconds = await _write_path(client, options.things, options.write_points)
                cpu = _server_cpu(server) - cpu_before
                points = patches * PROPERTIES
                figures.figures["write_path"] = {
                    "points": points, "commands": patches, "seconds": round(seconds, 1),
                    "points_per_s": round(points / seconds), "ratio_to_floor": round(points / seconds / floor_rate, 3),
                    "server_cpu_us_per_point": round(cpu / points * 1e6, 1),
                    "server_cpu_us_per_command": round(cpu / patches * 1e6)}
                stored = await _count_points(target, WRITE_NAMESPACE) - created
                if stored != points:
                    report.problems.append(f"{target.name}: {points:,} points acknowledged, {stored:,} stored")
                figures.figures["queries"] = await _queries(client, server, target, options)
        asyncio.run(drive())
        stored_bulk = asyncio.run(_count_points(target, BULK_NAMESPACE, HZ_PATH, TEMPERATURE_PATH))
        if stored_bulk != plan.total:
            report.problems.append(f"{target.name}: {plan.total:,} bulk points written, {stored_bulk:,} stored")
    finally:
        server.stop()


def run(options: HistoryOptions) -> HistoryReport:
    report = HistoryReport(datetime.now(UTC).isoformat(timespec="seconds"), asdict(options), asdict(machine_info()))
    with tempfile.TemporaryDirectory(prefix="twinhub-bench-history-") as root:
        for name in options.stores:
            with _target(name, Path(root), options.postgres_url) as target:
                figures = StoreFigures(name)
                report.stores.append(figures)
                try:
                    _run_store(target, options, report, figures)
                except (RuntimeError, httpx.HTTPError, OSError) as error:
                    report.problems.append(f"{name}: {error}")
    report.setup_failed = not any(entry.figures for entry in report.stores)
    return report


# --- the report --------------------------------------------------------------------------------


def to_markdown(report: HistoryReport) -> str:
    lines = [f"# History benchmark, {report.started_at}", "",
             "Real basic user; figures beside floors of the same run (ratio: figure / floor, higher is better).", ""]
    for entry in report.stores:
        f = entry.figures
        lines += [f"## {entry.store}", ""]
        if bulk := f.get("bulk"):
            lines.append(f"- bulk path: {bulk['points']:,} points in {bulk['seconds']} s = {bulk['points_per_s']:,}"
                         f"/s; plain SQL insert {bulk['floor_sql_rows_per_s']:,} rows/s; ratio "
                         f"{bulk['ratio_to_floor']}")
        if write := f.get("write_path"):
            lines.append(f"- write path: {write['points']:,} points ({write['commands']:,} commands of {PROPERTIES})"
                         f" in {write['seconds']} s = {write['points_per_s']:,}/s; ratio to the SQL floor "
                         f"{write['ratio_to_floor']}; server CPU {write['server_cpu_us_per_point']} µs/point "
                         f"({write['server_cpu_us_per_command']:,} µs/command)")
        if queries := f.get("queries"):
            health = queries["health_floor"]
            lines.append(f"- GET /health floor: p50 {health['p50_ms']} ms, {health['server_cpu_us_per_request']} µs "
                         "CPU/req")
            for name, label in (("series_24h_1m", "24 h at 1 min, one 1 Hz series"),
                                ("fleet_1h", f"fleet, {report.options['things']:,} things, 1 h buckets"),
                                ("fleet_5m", f"fleet, {report.options['things']:,} things, 5 min buckets")):
                q = queries[name]
                lines.append(f"- {label}: p50 {q['p50_ms']} ms (p95 {q['p95_ms']}), "
                             f"{q['server_cpu_us_per_request']:,} µs server CPU/req; raw SQL p50 "
                             f"{q['raw_sql_p50_ms']} ms over {q['raw_sql_rows']:,} rows (ratio "
                             f"{q['ratio_to_raw_sql']})")
        lines.append("")
    if report.problems:
        lines += ["## Problems", "", *(f"- {problem}" for problem in report.problems), ""]
    return "\n".join(lines)


def save(report: HistoryReport, markdown: str) -> tuple[Path, Path]:
    data = {"started_at": report.started_at, "options": report.options, "machine": report.machine,
            "stores": [asdict(entry) for entry in report.stores], "problems": report.problems}
    stores = tuple(report.options["stores"])
    suffix = "" if stores == HistoryOptions().stores else "-" + "-".join(stores)  # a run of one store keeps the other's
    return write_results(f"{report.started_at[:10]}-{HISTORY}{suffix}", markdown, data)

