"""PostgreSQL goes away under load: writes answer 503, the server recovers by itself, nothing acknowledged
is lost. The test runs its own throwaway cluster (initdb + pg_ctl in a temporary directory)."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from twinhub.testing import free_port, start_server

PG_BIN = Path("/usr/lib/postgresql/15/bin")


@dataclass
class Cluster:
    directory: Path
    port: int

    def _ctl(self, *args: str) -> None:
        _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.directory / "data"), "-w", *args])

    def start(self) -> None:
        self._ctl("-l", str(self.directory / "log"), "-o",
                  f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1", "start")

    def stop(self) -> None:
        self._ctl("-m", "fast", "stop")

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/twinhub"


def _as_postgres(command: list[str]) -> None:
    # initdb and the server refuse to run as root; this machine runs tests as root.
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run(prefix + command, check=True, capture_output=True, timeout=120)


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    if not (PG_BIN / "initdb").exists():
        message = f"PostgreSQL's server binaries are not at {PG_BIN}; install postgresql-15"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    directory = Path(tempfile.mkdtemp(prefix="twinhub-pg-"))
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres")
    cluster = Cluster(directory, free_port())
    _as_postgres([str(PG_BIN / "initdb"), "-D", str(directory / "data"), "-U", "postgres", "--auth=trust"])
    cluster.start()
    _as_postgres([str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres", "twinhub"])
    try:
        yield cluster
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            cluster.stop()
        shutil.rmtree(directory, ignore_errors=True)


def eventually(check: Callable[[], bool], failure: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, failure
        time.sleep(0.02)


def test_outage_answers_503_and_recovers_without_losing_acknowledged_writes(cluster: Cluster, tmp_path: Path) -> None:
    server = start_server(tmp_path / "worker", env={"TWINHUB_STORE_URL": cluster.dsn})
    acknowledged: list[int] = []
    statuses: list[int] = []
    stop = threading.Event()
    thing = "/things/org.twinhub.outage:load"

    def load() -> None:
        with httpx.Client(base_url=server.base_url + "/api/2", auth=("ditto", "x"), timeout=10) as client:
            n = 0
            while not stop.is_set():
                try:
                    status = client.put(f"{thing}/attributes/n{n}", json=n).status_code
                except httpx.TransportError:
                    status = 0
                statuses.append(status)
                if status in (201, 204):
                    acknowledged.append(n)
                n += 1
                time.sleep(0.01)

    try:
        with httpx.Client(base_url=server.base_url + "/api/2", auth=("ditto", "x"), timeout=10) as client:
            assert client.put(thing, json={"attributes": {}}).status_code == 201
            writer = threading.Thread(target=load)
            writer.start()
            eventually(lambda: len(acknowledged) > 20, "the writer got no acknowledgements")
            cluster.stop()
            eventually(lambda: 503 in statuses, "the writer was never answered 503 while the database was down")
            during = client.put(f"{thing}/attributes/during", json=1)
            assert during.status_code == 503, during.text
            assert during.json()["status"] == 503 and during.json()["error"].endswith("unavailable")
            cluster.start()
            eventually(lambda: client.put(f"{thing}/attributes/after", json=1).status_code == 204,
                       "the server did not recover after the database came back")
            recovered = len(acknowledged)
            eventually(lambda: len(acknowledged) > recovered, "the writer got no acknowledgement after the outage")
            stop.set()
            writer.join(timeout=30)
            assert 503 in statuses and all(status in (201, 204, 503) for status in statuses), set(statuses)
            stored = client.get(f"{thing}/attributes").json()
            assert all(f"n{n}" in stored for n in acknowledged)
            assert len(acknowledged) > 20
    finally:
        stop.set()
        server.stop()
