"""History points survive `kill -9` exactly: clients write as fast as they can, the server is SIGKILLed
mid-stream and started again, and the points stored are those of every acknowledged write (2xx received), plus
at most the one write each client had in flight; on the embedded store (SQLite file) and on PostgreSQL."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import AUTH
from tests.integration.services import shared_backends
from twinhub.history import MAX_LIMIT
from twinhub.store.base import Store
from twinhub.store.postgres import open_postgres_store
from twinhub.store.sqlite import DATABASE_FILE, open_sqlite_store
from twinhub.testing import Server, start_server

CLIENTS = 12
ACKNOWLEDGED_BEFORE_KILL = 400
PATH = "features/counter/properties/n"
EVER = (datetime(2000, 1, 1, tzinfo=UTC), datetime.now(UTC) + timedelta(days=1))


@dataclass
class Writer:
    """One client: it sets its thing's counter to 1, 2, 3... one write at a time."""

    thing_id: str
    acknowledged: list[int] = field(default_factory=list)
    in_flight: int | None = None

    def run(self, base_url: str, stop: threading.Event) -> None:
        with httpx.Client(base_url=base_url, auth=AUTH, timeout=30) as client:
            for n in range(1, 10**9):
                if stop.is_set():
                    return
                self.in_flight = n
                try:
                    response = client.put(f"/api/2/things/{self.thing_id}/{PATH}", json=n)
                except httpx.TransportError:
                    return  # the server died with this write in flight
                if not response.is_success:
                    raise AssertionError(f"write {n} of {self.thing_id}: {response.status_code} {response.text}")
                self.acknowledged.append(n)
                self.in_flight = None


def write_until_killed(server: Server) -> list[Writer]:
    writers = [Writer(f"org.twinhub.kill:counter-{k}") for k in range(CLIENTS)]
    with httpx.Client(base_url=server.base_url, auth=AUTH, timeout=30) as client:
        for writer in writers:
            created = client.put(f"/api/2/things/{writer.thing_id}",
                                 json={"features": {"counter": {"properties": {"n": 0}}}})
            assert created.status_code == 201, created.text
    stop = threading.Event()
    threads = [threading.Thread(target=writer.run, args=(server.base_url, stop)) for writer in writers]
    for thread in threads:
        thread.start()
    try:
        deadline = time.monotonic() + 120
        while sum(len(writer.acknowledged) for writer in writers) < ACKNOWLEDGED_BEFORE_KILL:
            assert time.monotonic() < deadline, "the writers made too little progress"
            assert all(thread.is_alive() for thread in threads), "a writer failed"
            time.sleep(0.01)
        server.kill()  # mid-stream: every client has a write in flight or about to be
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    return writers


async def stored_counters(store: Store, writers: list[Writer]) -> dict[str, list[tuple[object, int]]]:
    """Each writer's stored points: (value, revision), oldest first; and the thing's revision checked alongside."""
    found: dict[str, list[tuple[object, int]]] = {}
    for writer in writers:
        page = await store.points(writer.thing_id, [PATH], start=EVER[0], end=EVER[1], limit=MAX_LIMIT)
        assert page.next is None
        found[writer.thing_id] = [(point.value, point.revision) for point in page.points]
        thing = await store.load(writer.thing_id)
        assert thing is not None
        # The thing and its points committed together: its revision is its last point's.
        assert thing.revision == page.points[-1].revision
    return found


def check_exact(writers: list[Writer], found: dict[str, list[tuple[object, int]]]) -> None:
    assert sum(len(writer.acknowledged) for writer in writers) >= ACKNOWLEDGED_BEFORE_KILL
    for writer in writers:
        values = [value for value, _ in found[writer.thing_id]]
        # The creation's 0, every acknowledged value in order, then at most the one in flight.
        assert values[:len(writer.acknowledged) + 1] == [0, *writer.acknowledged], writer.thing_id
        assert values[len(writer.acknowledged) + 1:] in ([], [writer.in_flight]), writer.thing_id
        assert [revision for _, revision in found[writer.thing_id]] == list(range(1, len(values) + 1))


def kill_restart_and_read(data_dir: Path, env: dict[str, str],
                          open_store: Callable[[], AbstractAsyncContextManager[Store]]) -> None:
    writers = write_until_killed(start_server(data_dir, env=env))
    restarted = start_server(data_dir, env=env)  # recovers from the crash, then answers
    try:
        with httpx.Client(base_url=restarted.base_url, auth=AUTH, timeout=30) as client:
            assert client.get(f"/api/2/things/{writers[0].thing_id}").status_code == 200
    finally:
        restarted.stop()

    async def read() -> dict[str, list[tuple[object, int]]]:
        async with open_store() as store:
            return await stored_counters(store, writers)

    check_exact(writers, asyncio.run(read()))


def test_the_points_after_a_kill_9_are_those_of_the_acknowledged_writes_on_sqlite(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    kill_restart_and_read(data_dir, {}, lambda: open_sqlite_store(data_dir / DATABASE_FILE))


@pytest.fixture
def postgres_env() -> Iterator[dict[str, str]]:
    with shared_backends("twinhub_kill") as env:
        yield env


def test_the_points_after_a_kill_9_are_those_of_the_acknowledged_writes_on_postgres(
        tmp_path: Path, postgres_env: dict[str, str]) -> None:
    kill_restart_and_read(tmp_path / "data", postgres_env,
                          lambda: open_postgres_store(postgres_env["TWINHUB_STORE_URL"]))
