"""The real PostgreSQL and NATS servers of this machine, for integration tests: reachable or not, and
throwaway databases and stream names. In CI (`CI=true`) a missing service fails the run; elsewhere the
tests skip with a message that says how to start it."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import uuid

import nats
import nats.js.errors
import pytest

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
    connection = await nats.connect(f"nats://{NATS[0]}:{NATS[1]}")
    try:
        js = connection.jetstream()
        for info in await js.streams_info():
            stream = info.config.name or ""
            if any(stream == name or stream.startswith(name + "_") for name in names):
                with contextlib.suppress(nats.js.errors.NotFoundError):  # deleted meanwhile
                    await js.delete_stream(stream)
    finally:
        await connection.close()
