"""WAL checkpoints of the embedded store run on a thread of their own (`Checkpointer`), not in the writer's commits:
committed pages still reach the database file while the store is open, and a WAL that readers pin past its limit
is waited out rather than left to grow."""

from __future__ import annotations

import logging
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from tests.connectivity.polling import until
from tests.contract.helpers import create, unit
from twinhub.store.sqlite import open_sqlite_store
from twinhub.store.sqlite.checkpoints import Checkpointer

pytestmark = pytest.mark.anyio


def _size(path: Path) -> int:
    return path.stat().st_size


def _wal_frames(path: Path) -> int:
    """Frames in the WAL now (a PASSIVE checkpoint reports them; with nothing left to copy it copies nothing)."""
    with closing(sqlite3.connect(path, isolation_level=None)) as connection:
        return int(connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1])


async def test_committed_pages_reach_the_database_file_while_the_store_is_open(db_path: Path) -> None:
    async with open_sqlite_store(db_path) as store:
        empty = _size(db_path)
        filler = "x" * 2_000
        for n in range(100):  # ~50 pages: far below SQLite's own threshold of 1,000
            await store.commit(unit(create(f"org.twinhub:t{n}", {"attributes": {"filler": filler}})))
        await until(lambda: _size(db_path) >= empty + 100 * 2_000, "the things are in the database file")
    async with open_sqlite_store(db_path) as store:
        assert (await store.load("org.twinhub:t99")) is not None


async def test_a_wal_pinned_by_a_reader_past_its_limit_is_waited_out_and_starts_again(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "pinned.db"
    writer = sqlite3.connect(path, isolation_level=None)
    reader = sqlite3.connect(path, isolation_level=None)
    checkpoints = Checkpointer(path, interval=0.01, limit_frames=20)
    try:
        writer.execute("PRAGMA journal_mode = WAL")
        writer.execute("PRAGMA wal_autocheckpoint = 0")
        writer.execute("CREATE TABLE t (v TEXT)")
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM t").fetchone()  # holds its snapshot: the WAL cannot be copied past it
        for _ in range(40):
            writer.execute("INSERT INTO t VALUES (?)", ("x" * 4_000,))
        checkpoints.start()
        with caplog.at_level(logging.WARNING, logger="twinhub.store.sqlite.checkpoints"):
            checkpoints.written()
            await until(lambda: "readers still need" in caplog.text, "the checkpointer waits for the reader")
        reader.execute("COMMIT")
        checkpoints.written()
        await until(lambda: _wal_frames(path) == 0 or (writer.execute("INSERT INTO t VALUES ('y')") and
                                                       _wal_frames(path) < 20), "the WAL starts again")
    finally:
        checkpoints.stop()
        reader.close()
        writer.close()
