"""What one property write costs a thing with many properties: `python -m bench.index_writes [--properties N]
[--writes N] [--postgres URL]`.

Writes one property at a time, as ThingService does (the model applies the command, the store commits it), to a
thing with N properties on a fresh SQLite file (and a fresh PostgreSQL database with --postgres), and prints per
write: the event loop's CPU (applying, the index change, encoding) and on SQLite the writer thread's CPU (its
transaction), measured as the process's CPU besides the loop's thread. Sequential writes: one per group commit.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import secrets
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from twinhub.model.commands import ThingCommand, apply
from twinhub.model.events import Thing, ThingWrite
from twinhub.store.base import Store
from twinhub.store.commit import Commit
from twinhub.store.postgres import open_postgres_store
from twinhub.store.sqlite import open_sqlite_store

try:  # absent before writes changed only their own index rows: then every write replaces all of them
    from twinhub.store.index import thing_index_change
except ImportError:  # pragma: no cover - A/B runs on older commits
    thing_index_change = None  # type: ignore[assignment]

THING_ID = "bench:big"


def _commit(write: ThingWrite, before: Thing | None) -> Commit:
    if thing_index_change is None:
        return Commit(things=(write,))
    return Commit(things=(write,), index_changes=(thing_index_change(write, before.doc if before else None),))


async def measure(store: Store, properties: int, writes: int) -> dict[str, float]:
    now = datetime.now(UTC)
    body = {"policyId": THING_ID, "features": {"f": {"properties": {f"p{n}": n for n in range(properties)}}}}
    created = apply(None, ThingCommand("modify", THING_ID, (), body), now=now)
    await store.commit(_commit(ThingWrite(created.thing, created.event, 0), None))
    current = created.thing
    loop_cpu = process_cpu = 0.0
    wall = time.perf_counter()
    for n in range(writes):
        loop_before, process_before = time.thread_time(), time.process_time()
        command = ThingCommand("modify", THING_ID, ("features", "f", "properties", f"p{n % properties}"), -n)
        applied = apply(current, command, now=datetime.now(UTC))
        await store.commit(_commit(ThingWrite(applied.thing, applied.event, current.revision), current))
        current = applied.thing
        loop_cpu += time.thread_time() - loop_before
        process_cpu += time.process_time() - process_before
    wall = time.perf_counter() - wall
    per_write = 1e6 / writes  # µs
    return {"wall": wall * per_write, "loop": loop_cpu * per_write, "other": (process_cpu - loop_cpu) * per_write}


@contextlib.asynccontextmanager
async def _postgres(url: str) -> AsyncIterator[Store]:
    name = f"twinhub_bench_index_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            async with open_postgres_store(url.rstrip("/") + "/" + name) as store:
                yield store
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--properties", type=int, default=1000)
    parser.add_argument("--writes", type=int, default=500)
    parser.add_argument("--postgres", help="a PostgreSQL server to create a throwaway database on")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        async with open_sqlite_store(Path(directory) / "things.db") as store:
            figures = await measure(store, options.properties, options.writes)
        print(f"sqlite, {options.properties} properties: {figures['wall']:.0f} µs/write wall, loop CPU "
              f"{figures['loop']:.0f} µs/write, writer thread CPU {figures['other']:.0f} µs/write")
    if options.postgres:
        async with _postgres(options.postgres) as store:
            figures = await measure(store, options.properties, options.writes)
        print(f"postgres, {options.properties} properties: {figures['wall']:.0f} µs/write wall, loop CPU "
              f"{figures['loop']:.0f} µs/write")


if __name__ == "__main__":
    asyncio.run(main())
