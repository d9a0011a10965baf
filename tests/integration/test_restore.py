"""A store restored from a backup on a real NATS: it finds out at start (its epoch's stream carries events it
is behind), renews its epoch, and the events it commits again get through instead of passing for duplicates."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import anyio
import pytest

from tests.contract.helpers import create, modify, unit
from tests.integration.conftest import StreamNames
from twinhub.bus.nats import open_nats_bus, recent_events
from twinhub.model.events import ThingWrite
from twinhub.service.coherence import bus_epoch
from twinhub.store.base import Store
from twinhub.store.sqlite import open_sqlite_store

pytestmark = pytest.mark.anyio


def back_up(database: Path, backup: Path) -> None:
    """A consistent copy of the database, WAL included (SQLite's online backup)."""
    source, target = sqlite3.connect(database), sqlite3.connect(backup)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()


def restore(backup: Path, database: Path) -> None:
    """Put the backup in place of the database, as an operator restores one (its WAL goes with it)."""
    for leftover in (database, database.with_name(database.name + "-wal"), database.with_name(database.name + "-shm")):
        leftover.unlink(missing_ok=True)
    shutil.copy(backup, database)


async def epoch_of(store: Store, nats_url: str, stream: str, prefix: str) -> str:
    return await bus_epoch(store, lambda epoch: recent_events(nats_url, epoch=epoch, stream=stream,
                                                              subject_prefix=prefix))


async def commit_and_publish(store: Store, nats_url: str, stream: str, prefix: str, write: ThingWrite) -> str:
    """Commit `write`, then publish its event as a worker does; the epoch it went by."""
    await store.commit(unit(write))
    epoch = await epoch_of(store, nats_url, stream, prefix)
    async with open_nats_bus(nats_url, epoch=epoch, stream=stream, subject_prefix=prefix) as bus:
        await bus.publish(write.event)
    return epoch


async def test_a_restored_store_renews_its_epoch_and_its_events_get_through(
        tmp_path: Path, nats_url: str, stream_names: StreamNames) -> None:
    stream, prefix = stream_names()
    database, backup = tmp_path / "things.db", tmp_path / "backup.db"
    first = create("org.twinhub:lamp", {"attributes": {"on": False}})
    lost = modify(first.thing, ("attributes", "on"), True)
    async with open_sqlite_store(database) as store:
        epoch = await commit_and_publish(store, nats_url, stream, prefix, first)
    back_up(database, backup)
    async with open_sqlite_store(database) as store:
        assert await commit_and_publish(store, nats_url, stream, prefix, lost) == epoch  # a restart keeps it
    assert await recent_events(nats_url, epoch=epoch, stream=stream, subject_prefix=prefix) == [lost.event,
                                                                                                  first.event]
    restore(backup, database)  # revision 2 is gone

    async with open_sqlite_store(database) as store:
        renewed = await epoch_of(store, nats_url, stream, prefix)
        assert renewed != epoch and await store.epoch() == renewed
        again = modify(first.thing, ("attributes", "color"), "red")  # revision 2 again, another change
        await store.commit(unit(again))
        async with (open_nats_bus(nats_url, epoch=renewed, stream=stream, subject_prefix=prefix) as worker,
                    open_nats_bus(nats_url, epoch=renewed, stream=stream, subject_prefix=prefix) as other):
            subscription = other.subscribe()
            await worker.publish(again.event)
            with anyio.fail_after(10):
                assert await anext(aiter(subscription)) == again.event
        assert await epoch_of(store, nats_url, stream, prefix) == renewed  # found nothing ahead any more


async def test_a_store_ahead_of_its_stream_keeps_its_epoch(tmp_path: Path, nats_url: str,
                                                           stream_names: StreamNames) -> None:
    stream, prefix = stream_names()
    first = create("org.twinhub:lamp")
    async with open_sqlite_store(tmp_path / "things.db") as store:
        epoch = await commit_and_publish(store, nats_url, stream, prefix, first)
        await store.commit(unit(modify(first.thing, ("attributes", "n"), 1)))  # committed, not yet published
        assert await epoch_of(store, nats_url, stream, prefix) == epoch
