"""The servers of the connectivity benchmark, both with a real basic user (no dev mode): one on the embedded store
with the device endpoint, and one with N workers on a fresh PostgreSQL database and a NATS stream of its own (both
removed afterwards, as the scale-out benchmark leaves the servers it used), where that user is the admin who may
manage connections."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg

from bench.basic_user import SUBJECT, USER, add_basic_user, authorization
from bench.scale_out import stream_messages, workers_ready
from twinhub.testing import Server, start_server

MARK = "twinhub connectivity benchmark (dropped when the run ends)"


@contextmanager
def basic_user_server(data_dir: Path) -> Iterator[tuple[Server, str, str, str]]:
    """A server (not in dev mode) with the device endpoint on a free port and the basic user `bench` with a
    random password; yields (server, user, password, its HTTP Authorization header)."""
    password = add_basic_user(data_dir, password=secrets.token_urlsafe(16))
    server = start_server(data_dir, args=("--mqtt-port", "0"), timeout=60)
    try:
        yield server, USER, password, authorization(USER, password)
    finally:
        server.stop()


async def _database(server_url: str, database: str, mark: str, *, create: bool) -> None:
    admin = await asyncpg.connect(f"{server_url}/postgres")
    try:
        if create:
            await admin.execute(f'CREATE DATABASE "{database}"')
            await admin.execute(f"COMMENT ON DATABASE \"{database}\" IS '{mark}'")
        else:
            await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        await admin.close()


@contextmanager
def throwaway_database(server_url: str, prefix: str, mark: str) -> Iterator[str]:
    """A new database `<prefix>_<random>` on the PostgreSQL server at `server_url`, commented with `mark`; yields
    its URL and drops it when the context ends."""
    database = f"{prefix}_{uuid.uuid4().hex[:10]}"
    asyncio.run(_database(server_url, database, mark, create=True))
    try:
        yield f"{server_url}/{database}"
    finally:
        asyncio.run(_database(server_url, database, mark, create=False))


@contextmanager
def pg_nats_server(data_dir: Path, workers: int, postgres_url: str, nats_url: str) -> Iterator[tuple[Server, str]]:
    """`twinhub serve --workers N` (not in dev mode) on a new database and stream, with the basic user `bench` of
    a random password as its only admin (TWINHUB_ADMIN_SUBJECTS); yields (server, that user's Authorization
    header)."""
    stream = f"TWINHUB_BENCH_CONN_{uuid.uuid4().hex[:10].upper()}"
    try:
        with throwaway_database(postgres_url, "twinhub_bench_conn", MARK) as dsn:
            env = {"TWINHUB_STORE_URL": dsn, "TWINHUB_BUS_URL": nats_url,
                   "TWINHUB_BUS_STREAM": stream, "TWINHUB_ADMIN_SUBJECTS": SUBJECT}
            password = add_basic_user(data_dir, env, password=secrets.token_urlsafe(16))
            server = start_server(data_dir, args=("--workers", str(workers)), env=env, timeout=120)
            try:
                workers_ready(server, workers)
                yield server, authorization(USER, password)
            finally:
                server.stop()
    finally:
        with contextlib.suppress(OSError, TimeoutError):
            asyncio.run(stream_messages(nats_url, stream, delete=True))
