"""`StampedHashes`: a hash read once is served from memory while the stamp file keeps its stamp; a stamp renewed
by any process (here: another instance on the same file, and a child process) drops it; a read that a change
overtook is answered but not remembered; without a stamp file there is no memory at all."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from twinhub.store.sqlite.hashes import StampedHashes, renew_stamp

pytestmark = pytest.mark.anyio


class Table:
    """The hashes a store would read, counting the reads."""

    def __init__(self) -> None:
        self.rows: dict[str, str] = {"alice": "hash-1"}
        self.reads = 0

    async def read(self, name: str) -> str | None:
        self.reads += 1
        return self.rows.get(name)


async def test_remembered_until_the_stamp_is_renewed(tmp_path: Path) -> None:
    database, table = tmp_path / "things.db", Table()
    hashes = StampedHashes(database)
    assert [await hashes.get("alice", table.read) for _ in range(3)] == ["hash-1"] * 3
    assert await hashes.get("nobody", table.read) is None
    assert await hashes.get("nobody", table.read) is None  # an absence is remembered too
    assert table.reads == 2
    table.rows["alice"] = "hash-2"
    renew_stamp(database)
    assert await hashes.get("alice", table.read) == "hash-2"
    assert table.reads == 3


async def test_a_stamp_renewed_by_another_process_counts(tmp_path: Path) -> None:
    database, table = tmp_path / "things.db", Table()
    hashes = StampedHashes(database)
    assert await hashes.get("alice", table.read) == "hash-1"
    table.rows["alice"] = "hash-2"
    code = ("import sys, pathlib; from twinhub.store.sqlite.hashes import renew_stamp; "
            "renew_stamp(pathlib.Path(sys.argv[1]))")
    child = await asyncio.create_subprocess_exec(sys.executable, "-c", code, str(database))
    assert await asyncio.wait_for(child.wait(), 60) == 0
    assert await hashes.get("alice", table.read) == "hash-2"


async def test_a_read_overtaken_by_a_change_is_not_remembered(tmp_path: Path) -> None:
    database, table = tmp_path / "things.db", Table()
    hashes = StampedHashes(database)

    async def read_while_it_changes(name: str) -> str | None:
        found = await table.read(name)
        table.rows["alice"] = "hash-2"
        renew_stamp(database)  # committed after the read: what it read is outdated
        return found

    assert await hashes.get("alice", read_while_it_changes) == "hash-1"
    assert await hashes.get("alice", table.read) == "hash-2"


async def test_the_memory_is_bounded_in_names(tmp_path: Path) -> None:
    table = Table()
    hashes = StampedHashes(tmp_path / "things.db", size=2)
    for name in ("alice", "bob", "carol"):
        await hashes.get(name, table.read)
    await hashes.get("alice", table.read)  # the least recently used left
    assert table.reads == 4


async def test_without_a_stamp_file_every_lookup_reads(tmp_path: Path) -> None:
    table = Table()
    hashes = StampedHashes(tmp_path / "no such directory" / "things.db")
    assert [await hashes.get("alice", table.read) for _ in range(2)] == ["hash-1"] * 2
    assert table.reads == 2
