"""What only the SQLite store promises: its schema, its transactions, its bounded queue."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import threading
from datetime import timedelta
from pathlib import Path

import pytest

from tests.contract.helpers import at, create, unit, with_points
from twinhub.history import Point
from twinhub.model.errors import ServiceUnavailable
from twinhub.store.sqlite import SNAPSHOT_INTERVAL, SchemaTooNew, announcements, open_sqlite_store
from twinhub.store.sqlite.devices import SqliteDeviceStore
from twinhub.store.sqlite.readers import Readers
from twinhub.store.sqlite.schema import load_migrations
from twinhub.store.sqlite.wot_models import SqliteThingModelStore

pytestmark = pytest.mark.anyio

BOOM = "org.twinhub:boom"


def pragma(path: Path, name: str) -> object:
    with sqlite3.connect(path) as connection:
        value: object = connection.execute(f"PRAGMA {name}").fetchone()[0]
    connection.close()
    return value


def fail_inserts_of(path: Path, thing_id: str) -> None:
    """A trigger that aborts the transaction inserting `thing_id`: a real SQLite error, no mock."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute(f"CREATE TRIGGER boom BEFORE INSERT ON things WHEN NEW.thing_id = '{thing_id}' "
                       "BEGIN SELECT RAISE(ABORT, 'boom'); END")
    connection.close()


async def test_open_migrates_to_the_latest_version_in_wal_mode(db_path: Path) -> None:
    async with open_sqlite_store(db_path):
        pass
    assert pragma(db_path, "user_version") == len(load_migrations()) >= 1
    assert pragma(db_path, "journal_mode") == "wal"
    assert SNAPSHOT_INTERVAL == 100


async def test_a_newer_schema_refuses_to_open_and_is_left_untouched(db_path: Path) -> None:
    newer = len(load_migrations()) + 1
    connection = sqlite3.connect(db_path)
    connection.execute(f"PRAGMA user_version = {newer}")
    connection.close()
    store = open_sqlite_store(db_path)
    with pytest.raises(SchemaTooNew, match=f"schema version {newer}"):
        await store.__aenter__()
    assert pragma(db_path, "user_version") == newer
    with pytest.raises(RuntimeError, match="reopen"):
        await store.__aenter__()


async def test_an_unopenable_file_is_service_unavailable(tmp_path: Path) -> None:
    with pytest.raises(ServiceUnavailable) as caught:
        async with open_sqlite_store(tmp_path / "missing-dir" / "things.db"):
            pass
    assert isinstance(caught.value.__cause__, sqlite3.Error)


async def test_a_failing_transaction_is_service_unavailable_and_keeps_earlier_data(db_path: Path) -> None:
    async with open_sqlite_store(db_path) as store:
        kept = create("org.twinhub:kept")
        await store.commit(unit(kept))
        fail_inserts_of(db_path, BOOM)
        with pytest.raises(ServiceUnavailable) as caught:
            await store.commit(unit(create(BOOM)))
        assert isinstance(caught.value.__cause__, sqlite3.Error)
        assert await store.load(BOOM) is None
        assert await store.load("org.twinhub:kept") == kept.thing
        later = create("org.twinhub:later")
        await store.commit(unit(later))  # the writer goes on after a failed batch
        assert await store.load("org.twinhub:later") == later.thing


async def test_a_failing_transaction_writes_neither_the_thing_nor_its_points(db_path: Path) -> None:
    async with open_sqlite_store(db_path) as store:
        connection = sqlite3.connect(db_path, isolation_level=None)
        connection.execute(f"CREATE TRIGGER boom_points BEFORE INSERT ON history_points WHEN NEW.thing_id = '{BOOM}' "
                           "BEGIN SELECT RAISE(ABORT, 'boom'); END")
        connection.close()
        with pytest.raises(ServiceUnavailable):  # the points fail: the thing is not written either
            await store.commit(with_points(create(BOOM, {"attributes": {"a": 1}}), None))
        assert await store.load(BOOM) is None
        fail_inserts_of(db_path, "org.twinhub:thing-fails")
        with pytest.raises(ServiceUnavailable):  # the thing fails: none of its points are written
            await store.commit(with_points(create("org.twinhub:thing-fails", {"attributes": {"a": 1}}), None))
        for thing_id in (BOOM, "org.twinhub:thing-fails"):
            page = await store.points(thing_id, ["attributes/a"], start=at(0), end=at(10), limit=10)
            assert page.points == ()


async def test_a_failing_transaction_applies_nothing_of_its_batch(db_path: Path) -> None:
    async with open_sqlite_store(db_path) as store:
        fail_inserts_of(db_path, BOOM)
        # Hold SQLite's write lock so the writer waits in BEGIN with the first write taken alone;
        # the next two queue up behind it and are committed together once the lock is free.
        blocker = sqlite3.connect(db_path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        first = asyncio.ensure_future(store.commit(unit(create("org.twinhub:first"))))
        await asyncio.sleep(0.5)
        batch = asyncio.gather(store.commit(unit(create("org.twinhub:good"))), store.commit(unit(create(BOOM))),
                               return_exceptions=True)
        await asyncio.sleep(0.05)
        blocker.execute("ROLLBACK")
        blocker.close()
        await first
        good, boom = await batch
        assert isinstance(good, ServiceUnavailable) and isinstance(boom, ServiceUnavailable)
        assert await store.load("org.twinhub:good") is None
        assert await store.load("org.twinhub:first") is not None




async def test_a_database_of_the_previous_schema_version_is_upgraded_with_its_data(db_path: Path) -> None:
    async with open_sqlite_store(db_path) as store:
        kept = create("org.twinhub:kept")
        await store.commit(unit(kept))
    # What a previous version left: everything before the store's identity, which came with the
    # connections, the devices, the history points, the history rollups (and what followed them: the WoT models, the
    # policy announcements).
    identity = next(migration for migration in load_migrations() if migration.name.endswith("_identity.sql"))
    previous = identity.version - 1
    connection = sqlite3.connect(db_path, isolation_level=None)
    connection.execute("DROP TABLE policy_announcements")
    connection.execute("DROP TABLE wot_models")
    connection.execute("DROP TABLE history_rollups")
    connection.execute("DROP TABLE history_points")
    connection.execute("DROP TABLE devices")
    connection.execute("DROP TABLE connections")
    connection.execute("DROP TABLE connection_journal")
    connection.execute("DROP TABLE store_identity")
    connection.execute(f"PRAGMA user_version = {previous}")
    connection.close()

    async with open_sqlite_store(db_path) as store:
        assert await store.load("org.twinhub:kept") == kept.thing
        assert re.fullmatch(r"[0-9a-f]{16}", await store.epoch())
        assert await store.connections() == []
        assert await SqliteDeviceStore(db_path).list_devices() == []
        assert await SqliteThingModelStore(db_path).list_models() == []
        assert await store.claim_announcements(at(0), timedelta(seconds=1), limit=1) == []
        assert (await store.points("org.twinhub:kept", ["attributes/a"], start=at(0), end=at(10), limit=1)).points == ()
        assert await store.rollups("org.twinhub:kept", "attributes/a", start=at(0), end=at(10),
                                   width=timedelta(minutes=1)) == {}
    assert pragma(db_path, "user_version") == len(load_migrations())


async def test_a_read_longer_than_the_read_timeout_is_interrupted_and_the_reader_goes_on(db_path: Path) -> None:
    start = at(0)
    points = [Point("org.twinhub:fast", "attributes/v", start + timedelta(milliseconds=index), index, index + 1)
              for index in range(100_000)]
    async with open_sqlite_store(db_path, read_timeout=0.001) as store:
        assert await store.import_points(points) == 100_000
        # a 7 s step no rollup divides: every raw point is read, millions of steps, far more than 1 ms
        with pytest.raises(ServiceUnavailable, match=r"did not answer within 0\.001 s"):
            await store.buckets("org.twinhub:fast", "attributes/v", start=start, end=start + timedelta(hours=1),
                                step=timedelta(seconds=7))
        page = await store.points("org.twinhub:fast", ["attributes/v"], start=start, end=start + timedelta(hours=1),
                                  limit=3)  # a short read on the same reader still answers
        assert [point.value for point in page.points] == [0, 1, 2]
    with pytest.raises(ValueError, match="read_timeout"):
        open_sqlite_store(db_path, read_timeout=0)



async def test_a_read_by_key_runs_on_the_loop_and_goes_to_a_reader_thread_when_the_loop_may_not_wait(
        db_path: Path) -> None:
    """A WAL reader answers BUSY at once only while a checkpoint restarts the WAL, which no test can time; the
    lookup itself says BUSY on the loop's thread here, and the read is answered from a reader thread."""
    async with open_sqlite_store(db_path) as store:
        await store.commit(unit(create("org.twinhub:key")))
    readers = Readers(db_path)
    threads: list[str] = []

    def lookup(connection: sqlite3.Connection) -> str:
        threads.append(threading.current_thread().name)
        if threading.current_thread() is threading.main_thread():
            raise sqlite3.OperationalError("database is locked")
        return str(connection.execute("SELECT thing_id FROM things").fetchone()[0])

    try:
        assert await readers.run_by_key(lookup) == "org.twinhub:key"
        assert threads[0] == threading.main_thread().name and threads[1].startswith("twinhub-sqlite-reader")
    finally:
        readers.stop()
        readers.close()


async def test_an_idle_announcement_poll_reads_by_index_only(db_path: Path) -> None:
    """Every worker polls the announcement schedule each second (`twinhub.service.announcements`): what it reads
    when nothing is due (whether to claim, the settled rows to drop) must find rows by index, not scan a schedule
    that holds one row per announcing subject."""
    async with open_sqlite_store(db_path):
        pass
    with sqlite3.connect(db_path) as connection:
        plans = ["\n".join(row[3] for row in connection.execute("EXPLAIN QUERY PLAN " + sql, (0,)))
                 for sql in (announcements.WORK, announcements.DROP_SETTLED)]
    for plan in plans:
        assert "USING INDEX" in plan and not re.search(r"SCAN policy_announcements\b(?! USING)", plan), plan
