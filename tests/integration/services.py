"""The real PostgreSQL and NATS servers of this machine, for integration tests: reachable or not, throwaway
databases and stream names, and deployments of several workers on them. In CI (`CI=true`) a missing service
fails the run; elsewhere the tests skip with a message that says how to start it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import nats
import nats.js.errors
import pytest

from twinhub.testing import Server, start_server

POSTGRES = ("127.0.0.1", 5432)
NATS = ("127.0.0.1", 4222)
MOSQUITTO = ("127.0.0.1", 1883)
RABBITMQ = ("127.0.0.1", 5672)
START = {
    "Mosquitto": "start-stop-daemon --start --oknodo --background --exec /usr/sbin/mosquitto -- "
                 "-c /etc/mosquitto/mosquitto.conf",
    "RabbitMQ": "rabbitmq-server -detached",
    "PostgreSQL": "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
    "NATS": "start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- "
            "-a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log",
}


def require(name: str, address: tuple[str, int]) -> None:
    """Fail (in CI) or skip unless the service listens at `address`."""
    try:
        with socket.create_connection(address, timeout=2):
            return
    except OSError:
        message = f"{name} is not reachable at {address[0]}:{address[1]}; start it with: {START[name]}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


def psql(sql: str, database: str = "postgres") -> None:
    subprocess.run(["psql", "-h", POSTGRES[0], "-p", str(POSTGRES[1]), "-U", "postgres", "-d", database,
                    "-v", "ON_ERROR_STOP=1", "-qc", sql], check=True, capture_output=True, timeout=60)


def throwaway_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


async def delete_streams(*names: str) -> None:
    """Delete the NATS streams named `names`, and those of every store epoch made under them
    (`<name>_<epoch>`, see `twinhub.bus.nats`)."""
    async with await nats.connect(f"nats://{NATS[0]}:{NATS[1]}") as connection:
        js = connection.jetstream()
        for info in await js.streams_info():
            stream = info.config.name or ""
            if any(stream == name or stream.startswith(name + "_") for name in names):
                with contextlib.suppress(nats.js.errors.NotFoundError):  # deleted meanwhile
                    await js.delete_stream(stream)


def database_url(database: str) -> str:
    return f"postgresql://postgres@{POSTGRES[0]}:{POSTGRES[1]}/{database}"


@contextlib.contextmanager
def store_settings(backend: str, database_prefix: str) -> Iterator[dict[str, str]]:
    """The settings of a server on `backend`: none for "sqlite" (the store in its data directory); for
    "postgres" a throwaway database, dropped afterwards (requires PostgreSQL)."""
    if backend == "sqlite":
        yield {}
        return
    require("PostgreSQL", POSTGRES)
    database = throwaway_name(database_prefix)
    psql(f"CREATE DATABASE {database}")
    try:
        yield {"TWINHUB_STORE_URL": database_url(database)}
    finally:
        psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


@contextlib.contextmanager
def shared_backends(database_prefix: str) -> Iterator[dict[str, str]]:
    """A throwaway PostgreSQL database and NATS event stream (both removed afterwards): the settings that point
    workers at them. Requires both services."""
    require("PostgreSQL", POSTGRES)
    require("NATS", NATS)
    database, stream = throwaway_name(database_prefix), throwaway_name("TWINHUB_TEST").upper()
    psql(f"CREATE DATABASE {database}")
    try:
        yield {"TWINHUB_STORE_URL": database_url(database), "TWINHUB_BUS_URL": f"nats://{NATS[0]}:{NATS[1]}",
               "TWINHUB_BUS_STREAM": stream}
    finally:
        psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        asyncio.run(delete_streams(stream))


@contextlib.contextmanager
def deployment(env: dict[str, str], where: Path, count: int = 2, *, timeout: float = 30.0) -> Iterator[list[Server]]:
    """`count` workers (`where/worker-<n>`) on the store and bus of `env`, each started within `timeout` seconds;
    all stopped at the end, also those started before one failed to."""
    servers: list[Server] = []
    try:
        for n in range(count):
            servers.append(start_server(where / f"worker-{n}", env=env, timeout=timeout))
        yield servers
    finally:
        for server in servers:
            server.stop()
