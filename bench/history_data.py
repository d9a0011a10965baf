"""The history benchmark's data and its floors, outside any server: points written through the store's bulk path
(`Store.import_points`), the same rows inserted by plain SQL into a bare table of the same shape (the ingest
floor), and the queries the history API answers, run as plain SQL over the raw points (the query floors).

Every point lies in one day, `DAY_START` to `DAY_START + 24 h`: the series `hz` of `bulk:t-0` has one point per
second (86,400), the `temperature` of each of the bulk things one every `86,400 / n` seconds, together filling
the bulk count.
"""

from __future__ import annotations

import sqlite3
import statistics
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from bench.search_data import chunked
from twinhub.history import Point
from twinhub.store.base import Store
from twinhub.store.points import encode_point
from twinhub.store.postgres import open_postgres_store
from twinhub.store.sqlite import DATABASE_FILE, open_sqlite_store

__all__ = ["BULK_NAMESPACE", "DAY", "DAY_START", "HZ_PATH", "HZ_SERIES_POINTS", "TEMPERATURE_PATH", "BulkPlan",
           "StoreTarget", "bulk_thing", "floor_insert", "import_bulk", "raw_bucket_sql", "scalar_sql",
           "timed_sql"]

BULK_NAMESPACE = "bulk"
DAY_START = datetime(2026, 1, 5, tzinfo=UTC)
DAY = timedelta(days=1)
HZ_PATH = "features/env/properties/hz"
TEMPERATURE_PATH = "features/env/properties/temperature"
HZ_SERIES_POINTS = 86_400
CHUNK = 100_000  # points per import_points call (its bound)


def bulk_thing(index: int) -> str:
    return f"{BULK_NAMESPACE}:t-{index}"


@dataclass(frozen=True, slots=True)
class StoreTarget:
    """One store of the run: SQLite under `data_dir`, or the PostgreSQL database `dsn`."""

    name: str
    data_dir: Path
    dsn: str | None = None

    def open(self) -> AbstractAsyncContextManager[Store]:
        if self.dsn is None:
            return open_sqlite_store(self.data_dir / DATABASE_FILE)
        return open_postgres_store(self.dsn)


@dataclass(frozen=True, slots=True)
class BulkPlan:
    """`things` bulk things sharing `points` (the 1 Hz series included)."""

    things: int
    points: int

    @property
    def per_thing(self) -> int:
        return max(1, (self.points - HZ_SERIES_POINTS) // self.things)

    @property
    def total(self) -> int:
        return HZ_SERIES_POINTS + self.per_thing * self.things

    def temperature_buckets(self, width: timedelta) -> int:
        """How many buckets of `width` the bulk things' temperatures fill (all things share their times)."""
        spacing = DAY / self.per_thing
        return len({(k * spacing) // width for k in range(self.per_thing)})

    def chunks(self) -> Iterator[list[Point]]:
        return chunked(self._points(), CHUNK)

    def _points(self) -> Iterator[Point]:
        for second in range(HZ_SERIES_POINTS):
            yield Point(bulk_thing(0), HZ_PATH, DAY_START + timedelta(seconds=second), 20.0 + (second % 600) / 60, 0)
        spacing = DAY / self.per_thing
        for index in range(self.things):
            thing = bulk_thing(index)
            for k in range(self.per_thing):
                yield Point(thing, TEMPERATURE_PATH, DAY_START + k * spacing, 15 + (index + k) % 20, 0)


async def import_bulk(target: StoreTarget, plan: BulkPlan,
                      progress: Callable[[int], None] | None = None) -> tuple[int, float]:
    """Write the plan's points through `Store.import_points`; (points written, seconds spent in the calls)."""
    written, spent = 0, 0.0
    async with target.open() as store:
        for chunk in plan.chunks():
            started = time.perf_counter()
            written += await store.import_points(chunk)
            spent += time.perf_counter() - started
            if progress is not None:
                progress(written)
    return written, spent


_FLOOR_TABLE = "bench_floor_points"
_FLOOR_COLUMNS = "(thing_id TEXT NOT NULL, path TEXT NOT NULL, t_us BIGINT NOT NULL, revision BIGINT NOT NULL, " \
                 "type INTEGER NOT NULL, num DOUBLE PRECISION, str TEXT, PRIMARY KEY (thing_id, path, t_us, revision))"

Rows = list[tuple[object, ...]]
Insert = Callable[[Rows], Awaitable[None]]
Fetch = Callable[[str, tuple[object, ...]], Awaitable[list[Sequence[object]]]]


@asynccontextmanager
async def _connected(target: StoreTarget) -> AsyncIterator[tuple[Insert, Fetch]]:
    """One connection to the store's database, as two calls: insert rows into the floor table in one transaction
    (SQLite's executemany, PostgreSQL's COPY), and run a statement for the rows it answers."""
    if target.dsn is None:
        connection = sqlite3.connect(target.data_dir / DATABASE_FILE)

        async def sqlite_insert(rows: Rows) -> None:
            with connection:
                connection.executemany(f"INSERT INTO {_FLOOR_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?)", rows)

        async def sqlite_fetch(sql: str, args: tuple[object, ...]) -> list[Sequence[object]]:
            return connection.execute(sql, args).fetchall()
        try:
            yield sqlite_insert, sqlite_fetch
        finally:
            connection.close()
        return
    pg = await asyncpg.connect(target.dsn)

    async def pg_insert(rows: Rows) -> None:
        async with pg.transaction():
            await pg.copy_records_to_table(_FLOOR_TABLE, records=rows)

    async def pg_fetch(sql: str, args: tuple[object, ...]) -> list[Sequence[object]]:
        return [tuple(record) for record in await pg.fetch(sql, *args)]
    try:
        yield pg_insert, pg_fetch
    finally:
        await pg.close()


async def floor_insert(target: StoreTarget, plan: BulkPlan, limit: int) -> tuple[int, float]:
    """The first `limit` rows of the plan inserted by plain SQL (one transaction per chunk) into a bare table with
    the same primary key, dropped afterwards; (rows, seconds)."""
    rows_done, spent = 0, 0.0
    without_rowid = " WITHOUT ROWID" if target.dsn is None else ""  # SQLite keeps the key's order as history does
    async with _connected(target) as (insert, fetch):
        await fetch(f"CREATE TABLE {_FLOOR_TABLE} {_FLOOR_COLUMNS}{without_rowid}", ())
        for chunk in plan.chunks():
            rows: Rows = [encode_point(point) for point in chunk[:limit - rows_done]]
            started = time.perf_counter()
            await insert(rows)
            spent += time.perf_counter() - started
            rows_done += len(rows)
            if rows_done >= limit:
                break
        await fetch(f"DROP TABLE {_FLOOR_TABLE}", ())
    return rows_done, spent


def raw_bucket_sql(*, fleet: bool, postgres: bool) -> str:
    """The history API's aggregation as plain SQL over raw points (count, sum, min, max per bucket): one series
    (thing, path), or a fleet (things in a list, one path). Parameters: thing(s), path, start, end, width (µs)."""
    if postgres:
        things = "thing_id = ANY($1::text[])" if fleet else "thing_id = $1"
        params = ("$2", "$3", "$4", "$5")
    else:
        things = "thing_id IN (SELECT value FROM json_each(?1))" if fleet else "thing_id = ?1"
        params = ("?2", "?3", "?4", "?5")
    path, start, end, width = params
    bucket = f"t_us - ((t_us % {width}) + {width}) % {width}"
    return (f"SELECT {bucket} AS bucket, count(*), sum(num), min(num), max(num) FROM history_points "
            f"WHERE {things} AND path = {path} AND t_us >= {start} AND t_us < {end} AND num IS NOT NULL "
            f"GROUP BY bucket ORDER BY bucket")


async def timed_sql(target: StoreTarget, sql: str, args: tuple[object, ...], repeat: int) -> tuple[float, int]:
    """The median seconds of `sql` run `repeat` times on the store's database (after one unmeasured run), and
    the rows of its answer."""
    times: list[float] = []
    async with _connected(target) as (_, fetch):
        rows = len(await fetch(sql, args))
        for _ in range(repeat):
            started = time.perf_counter()
            await fetch(sql, args)
            times.append(time.perf_counter() - started)
    return statistics.median(times), rows


async def scalar_sql(target: StoreTarget, sql: str) -> int:
    """The integer `sql` (without parameters) answers on the store's database."""
    async with _connected(target) as (_, fetch):
        value = (await fetch(sql, ()))[0][0]
    assert isinstance(value, int)
    return value
