"""Connections in the store, on both backends: compare-and-set writes, tombstones, listing, and units that
write a connection beside things all or nothing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from tests.contract.conftest import StoreOpener
from tests.contract.helpers import create
from twinhub.model.events import ConnectionAction, ConnectionEvent, ConnectionWrite, StoredConnection
from twinhub.model.types import JsonObject
from twinhub.store.base import RevisionConflict, Store
from twinhub.store.commit import Commit

pytestmark = pytest.mark.anyio

T0 = datetime(2026, 1, 1, tzinfo=UTC)
T1 = datetime(2026, 1, 2, tzinfo=UTC)


def doc(connection_id: str, status: str = "open") -> JsonObject:
    return {"id": connection_id, "connectionType": "mqtt", "connectionStatus": status,
            "uri": "tcp://user:secret@localhost:1883", "sources": [], "targets": [], "tags": []}


def write(connection_id: str, revision: int = 1, *, status: str = "open", deleted: bool = False) -> ConnectionWrite:
    body = {} if deleted else doc(connection_id, status)
    action: ConnectionAction = "deleted" if deleted else "created" if revision == 1 else "modified"
    return ConnectionWrite(
        StoredConnection(connection_id, body, revision, T0, T1 if revision > 1 else T0, deleted=deleted),
        ConnectionEvent(connection_id, action, None if deleted else body, revision, T1 if revision > 1 else T0),
        revision - 1)


async def test_an_unknown_connection_loads_as_none(store: Store) -> None:
    assert await store.load_connection("nope") is None
    assert await store.connections() == []


async def test_a_connection_is_stored_as_written_credentials_included(store: Store) -> None:
    created = write("c-1")
    await store.commit(Commit(connections=(created,)))
    assert await store.load_connection("c-1") == created.connection
    loaded = await store.load_connection("c-1")
    assert loaded is not None and loaded.doc["uri"] == "tcp://user:secret@localhost:1883"


async def test_a_modification_must_expect_the_stored_revision(store: Store) -> None:
    await store.commit(Commit(connections=(write("c-2"),)))
    await store.commit(Commit(connections=(write("c-2", 2, status="closed"),)))
    with pytest.raises(RevisionConflict):
        await store.commit(Commit(connections=(write("c-2", 2, status="open"),)))
    with pytest.raises(RevisionConflict):  # creating it again
        await store.commit(Commit(connections=(write("c-2"),)))
    stored = await store.load_connection("c-2")
    assert stored is not None and (stored.revision, stored.doc["connectionStatus"]) == (2, "closed")


async def test_a_deleted_connection_is_a_tombstone_and_not_listed(store: Store) -> None:
    await store.commit(Commit(connections=(write("c-3"), )))
    await store.commit(Commit(connections=(write("c-3", 2, deleted=True),)))
    stored = await store.load_connection("c-3")
    assert stored is not None and stored.deleted and stored.revision == 2 and stored.doc == {}
    assert await store.connections() == []


async def test_connections_are_listed_by_id(store: Store) -> None:
    await store.commit(Commit(connections=(write("b"), write("a"), write("c"))))
    assert [stored.connection_id for stored in await store.connections()] == ["a", "b", "c"]
    assert [stored.connection_id for stored in await store.connections(limit=2)] == ["a", "b"]
    assert await store.connections(limit=0) == []


async def test_a_connection_and_a_thing_with_the_same_id_are_separate(store: Store) -> None:
    await store.commit(Commit(things=(create("ns:same"),), connections=(write("ns:same"),)))
    thing, connection = await store.load("ns:same"), await store.load_connection("ns:same")
    assert thing is not None and connection is not None and connection.doc["id"] == "ns:same"


async def test_a_unit_with_a_conflicting_connection_writes_nothing(store: Store) -> None:
    await store.commit(Commit(connections=(write("taken"),)))
    with pytest.raises(RevisionConflict):
        await store.commit(Commit(things=(create("ns:new"),), connections=(write("taken"),)))
    assert await store.load("ns:new") is None


async def test_concurrent_creations_of_one_connection_let_exactly_one_win(store: Store) -> None:
    results = await asyncio.gather(*(store.commit(Commit(connections=(write("race"),))) for _ in range(5)),
                                   return_exceptions=True)
    assert sum(result is None for result in results) == 1
    assert all(isinstance(result, RevisionConflict) for result in results if result is not None)


async def test_connections_survive_reopening(open_store: StoreOpener) -> None:
    async with open_store() as store:
        await store.commit(Commit(connections=(write("kept"),)))
    async with open_store() as store:
        stored = await store.load_connection("kept")
        assert stored is not None and stored.doc == doc("kept")
