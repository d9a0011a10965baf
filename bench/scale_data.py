"""The scale-out benchmark's data set: the search data set (`search_data.py`) written into PostgreSQL.

The same generator and the same units as the search benchmark's embedded store — each thing committed
with its default policy and that policy's search index through the store API — only the store is
`open_postgres_store` on a database of its own, `twinhub_bench_<size>` (`twinhub_bench_1m`), which the
benchmark creates on the PostgreSQL server it is given, marks as its own (`COMMENT ON DATABASE`), and never
confuses with any other: a database of that name without the mark is left alone and the run stops.

The database is cached on the server: a table `twinhub_bench.dataset` in it, written last, records what
was generated (spec, store schema version, load figures); a later run reuses the database when that row
names the same spec and schema version, and drops and regenerates it otherwise. Writes by the benchmark
(lamp brightness, see `scale_out.py`) leave its shape as generated.

Below the generation: what the benchmark's runs do on the database (vacuum and prewarm before a run, the
totals the write check compares, parameters bound as the store binds them).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from bench.http_things import BackendOf
from bench.machine import all_process_cpu
from bench.search_data import SHAPES, Spec, Tally, load_dataset
from twinhub.store.migrations import load_migrations
from twinhub.store.postgres import DEFAULT_BATCH_MAX, open_postgres_store
from twinhub.store.postgres.rows import bound_params
from twinhub.store.search import CompiledQuery

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432"
MARK = "twinhub benchmark data set (bench/scale_data.py): created by the benchmark, which may drop it"
MARKER_SCHEMA = "twinhub_bench"
# The tables of the store, for exact row counts.
TABLES = ("things", "thing_journal", "thing_index", "policies", "policy_journal", "policy_index")
SERVER_SETTINGS = {"application_name": "twinhub-bench", "jit": "off"}  # jit off, as the store's connections


class NotOurs(RuntimeError):
    """A database of the data set's name exists but was not created by the benchmark."""


def database_name(spec: Spec) -> str:
    return f"twinhub_bench_{spec.label}"


def database_url(server_url: str, database: str) -> str:
    """`server_url` (postgresql://user@host:port, any database in it ignored) pointed at `database`."""
    parts = urlsplit(server_url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, ""))


def schema_version() -> int:
    """How many migrations the PostgreSQL store has: a data set of another schema is generated again."""
    return len(load_migrations("twinhub.store.postgres"))


def _title(pid: int) -> str:
    """A process's command line as `ps` shows it (PostgreSQL writes its process titles there)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def backends_of(database: str) -> BackendOf:
    """Which processes work for a server on `database`: PostgreSQL's own processes (postmaster, checkpointer,
    WAL writer, ...) and its backends connected to `database` ("database"), not its backends of other
    databases (another engineer's tests); and the NATS server ("bus")."""
    def backend_of(pid: int, name: str) -> str | None:
        if name == "nats-server":
            return "bus"
        if name != "postgres":
            return None
        # A backend's title: "postgres: <cluster>: <user> <database> <host>(<port>) <state>".
        title = _title(pid)
        if "(" in title and f" {database} " not in title:
            return None
        return "database"

    return backend_of


def database_cpu_seconds(database: str) -> float:
    """CPU seconds used so far by the PostgreSQL processes working on `database` (see `backends_of`)."""
    backend_of = backends_of(database)
    return sum(seconds for pid, (name, seconds) in all_process_cpu().items() if backend_of(pid, name) == "database")


@dataclass(frozen=True, slots=True)
class PgDataset:
    """A generated data set in its PostgreSQL database, and what was written into it."""

    spec: Spec
    database: str
    dsn: str
    schema_version: int
    load: dict[str, Any]  # the figures of the run that generated it
    tally: Tally
    sizes: dict[str, Any]  # as generated
    generated_at: str
    cached: bool  # reused from an earlier run (its load figures are from that run)

    @property
    def visible_things(self) -> int:
        return sum(self.tally.visible.values())


async def connect(dsn: str) -> asyncpg.Connection:
    return await asyncpg.connect(dsn, server_settings=SERVER_SETTINGS, timeout=10)


@contextlib.asynccontextmanager
async def connected(dsn: str) -> AsyncIterator[asyncpg.Connection]:
    """One connection to `dsn` for the block."""
    connection = await connect(dsn)
    try:
        yield connection
    finally:
        await connection.close()


async def timed(connection: asyncpg.Connection, *statements: str) -> list[float]:
    """Run each statement; the seconds each took."""
    seconds = []
    for statement in statements:
        started = time.perf_counter()
        await connection.execute(statement)
        seconds.append(time.perf_counter() - started)
    return seconds


async def database_sizes(connection: asyncpg.Connection, *, count_rows: bool = True) -> dict[str, Any]:
    """The database's size, every table (with its TOAST) and index of the store by size, and the exact
    row count of each table of the store."""
    sizes: dict[str, Any] = {
        "database_bytes": int(await connection.fetchval("SELECT pg_database_size(current_database())"))}
    objects = await connection.fetch("""
        SELECT c.relname, CASE c.relkind WHEN 'i' THEN 'index' ELSE 'table' END,
               CASE c.relkind WHEN 'i' THEN pg_relation_size(c.oid) ELSE pg_table_size(c.oid) END AS bytes
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i') ORDER BY bytes DESC, c.relname""")
    sizes["objects"] = [{"name": name, "kind": kind, "bytes": int(size)} for name, kind, size in objects]
    if count_rows:
        sizes["rows"] = {table: int(await connection.fetchval(f"SELECT count(*) FROM {table}"))
                         for table in TABLES}
    return sizes


class Analyzer:
    """ANALYZE the store's tables whenever they grew by a tenth since the last time, as autovacuum's
    defaults would (`autovacuum_analyze_scale_factor` 0.1). The load needs it where autovacuum is off: a
    table never analyzed has no statistics, and the planner then reads `policy_id = ANY($1)` of a batch's
    512 ids as most of the table and scans all of `policy_index` for every batch — the load slows down as
    it grows (800 things/s at 100,000 things instead of 2,400)."""

    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._analyzed_at = 0
        self.runs = 0
        self.seconds = 0.0

    async def __call__(self, committed: int) -> None:
        if committed < max(1.1 * self._analyzed_at, 1):
            return
        async with connected(self._dsn) as connection:
            self.seconds += sum(await timed(connection, "ANALYZE"))
        self._analyzed_at = committed
        self.runs += 1


async def _mark(admin: asyncpg.Connection, database: str) -> str | None:
    """The comment of `database` (None when it does not exist; "" when it has none)."""
    row = await admin.fetchrow("SELECT coalesce(shobj_description(oid, 'pg_database'), '') FROM pg_database "
                               "WHERE datname = $1", database)
    return None if row is None else str(row[0])


async def _read_cached(dsn: str, spec: Spec, database: str) -> PgDataset | None:
    async with connected(dsn) as connection:
        if await connection.fetchval("SELECT to_regclass($1)", f"{MARKER_SCHEMA}.dataset") is None:
            return None
        row = await connection.fetchrow(f"SELECT spec::text, schema_version, generated_at, load::text, tally::text, "
                                        f"sizes::text FROM {MARKER_SCHEMA}.dataset")
    if row is None or json.loads(row[0]) != asdict(spec) or row[1] != schema_version():
        return None
    tally = json.loads(row[4])
    tally = {kind: {shape: tally[kind][shape] for shape in SHAPES} for kind in ("visible", "hidden")}  # jsonb sorts
    return PgDataset(spec, database, dsn, row[1], json.loads(row[3]), Tally(tally["visible"], tally["hidden"]),
                     json.loads(row[5]), row[2], cached=True)


async def _create(admin: asyncpg.Connection, database: str, existing: str | None) -> None:
    """(Re)create the benchmark's database; only ever drops one that carries the benchmark's mark."""
    if existing is not None:
        if existing != MARK:
            raise NotOurs(f"a database {database} exists that the benchmark did not create; it is left alone")
        await admin.execute(f'DROP DATABASE "{database}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{database}"')
    await admin.execute(f"COMMENT ON DATABASE \"{database}\" IS '{MARK}'")


async def _finish(dsn: str) -> tuple[dict[str, Any], float, float]:
    """VACUUM ANALYZE (autovacuum may be off: without it index-only scans and estimates would be off) and
    CHECKPOINT; their seconds, then the sizes."""
    async with connected(dsn) as connection:
        vacuum_s, checkpoint_s = await timed(connection, "VACUUM (ANALYZE)", "CHECKPOINT")
        return await database_sizes(connection), vacuum_s, checkpoint_s


async def _write_marker(dsn: str, dataset: PgDataset) -> None:
    async with connected(dsn) as connection:
        await connection.execute(f"CREATE SCHEMA {MARKER_SCHEMA}")
        # json, not jsonb: kept as written, keys in their order.
        await connection.execute(f"CREATE TABLE {MARKER_SCHEMA}.dataset (spec json NOT NULL, schema_version "
                                 "integer NOT NULL, generated_at text NOT NULL, load json NOT NULL, tally json "
                                 "NOT NULL, sizes json NOT NULL)")
        await connection.execute(f"INSERT INTO {MARKER_SCHEMA}.dataset VALUES ($1::json, $2, $3, $4::json, "
                                 "$5::json, $6::json)", json.dumps(asdict(dataset.spec)), dataset.schema_version,
                                 dataset.generated_at, json.dumps(dataset.load), json.dumps(asdict(dataset.tally)),
                                 json.dumps(dataset.sizes))


async def _ensure(spec: Spec, server_url: str, regenerate: bool, progress: bool) -> PgDataset:
    database = database_name(spec)
    dsn = database_url(server_url, database)
    async with connected(database_url(server_url, "postgres")) as admin:
        existing = await _mark(admin, database)
        if existing == MARK and not regenerate:
            cached = await _read_cached(dsn, spec, database)
            if cached is not None:
                return cached
        if progress:
            print(f"bench: scale-out data: generating {spec.things:,} + {spec.hidden:,} hidden things into the "
                  f"PostgreSQL database {database} (once; later runs reuse it)", flush=True)
        await _create(admin, database, existing)
    generated_at = datetime.now(UTC).isoformat(timespec="seconds")
    tally = Tally()
    analyzer = Analyzer(dsn)
    load = await load_dataset(open_postgres_store(dsn), spec, tally, batch_max=DEFAULT_BATCH_MAX,
                              what="scale-out data", progress=progress,
                              database_cpu=lambda: database_cpu_seconds(database), committed_so_far=analyzer)
    load["analyze_runs"], load["analyze_seconds"] = analyzer.runs, round(analyzer.seconds, 1)
    if progress:
        print("bench: scale-out data: VACUUM ANALYZE and CHECKPOINT ...", flush=True)
    sizes, vacuum_s, checkpoint_s = await _finish(dsn)
    load["vacuum_analyze_seconds"] = round(vacuum_s, 1)
    load["checkpoint_seconds"] = round(checkpoint_s, 1)
    load["ready_seconds"] = round(load["seconds"] + vacuum_s + checkpoint_s, 1)
    dataset = PgDataset(spec, database, dsn, schema_version(), load, tally, sizes, generated_at, cached=False)
    await _write_marker(dsn, dataset)  # last: a database without it is regenerated
    return dataset


def ensure_pg_dataset(spec: Spec, server_url: str = DEFAULT_POSTGRES, *, regenerate: bool = False,
                      progress: bool = True) -> PgDataset:
    """The data set for `spec` in its database on the PostgreSQL server at `server_url`, generated first if
    missing, stale or `regenerate`. Raises NotOurs when a database of its name is not the benchmark's."""
    return asyncio.run(_ensure(spec, server_url, regenerate, progress))


# --- the database around the benchmark's runs -----------------------------------------------------

async def fetch(dsn: str, query: CompiledQuery) -> list[asyncpg.Record]:
    """The rows of one query, on a connection of its own."""
    async with connected(dsn) as connection:
        return list(await connection.fetch(query.sql, *bound_params(query)))


_SETTINGS = ("server_version", "shared_buffers", "effective_cache_size", "work_mem", "synchronous_commit",
             "autovacuum", "max_connections", "jit")


async def postgres_facts(dsn: str) -> dict[str, str]:
    """The server's version and the settings that bear on the figures."""
    async with connected(dsn) as connection:
        return {name: str(await connection.fetchval(f"SHOW {name}")) for name in _SETTINGS}


_PREWARM = """
SELECT sum(pg_prewarm(c.oid, 'read')) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname IN ('public', 'pg_toast') AND c.relkind IN ('r', 'i', 't') AND c.relpersistence = 'p'
"""


async def prepare_run(dsn: str) -> tuple[float, float, int, list[str]]:
    """VACUUM ANALYZE the tables the writes touch (autovacuum may be off: earlier runs' dead rows would
    weigh on this one), then read every table and index once into the OS page cache (pg_prewarm, `read`).
    Returns the seconds of each, the database's size and its data files."""
    async with connected(dsn) as connection:
        vacuum_s, _, prewarm_s = await timed(connection, "VACUUM (ANALYZE) things, thing_journal, thing_index",
                                             "CREATE EXTENSION IF NOT EXISTS pg_prewarm", _PREWARM)
        size = int(await connection.fetchval("SELECT pg_database_size(current_database())"))
        files = await data_files(connection)
    return vacuum_s, prewarm_s, size, files


async def data_files(connection: asyncpg.Connection) -> list[str]:
    """The files of the database on the server (when it runs on this machine and they can be read)."""
    directory = Path(str(await connection.fetchval("SHOW data_directory"))) / "base" / str(
        await connection.fetchval("SELECT oid FROM pg_database WHERE datname = current_database()"))
    try:
        return [str(path) for path in directory.iterdir() if path.is_file()]
    except OSError:
        return []


async def _totals(dsn: str) -> tuple[int, int]:
    async with connected(dsn) as connection:
        row = await connection.fetchrow("SELECT (SELECT sum(revision) FROM things), (SELECT count(*) FROM "
                                        "thing_journal)")
    assert row is not None
    return int(row[0]), int(row[1])


def totals(dsn: str) -> tuple[int, int]:
    """(the sum of all things' revisions, the thing journal's rows): what every write raises by one."""
    return asyncio.run(_totals(dsn))
