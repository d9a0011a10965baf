"""The connection service on a real store: revisions under concurrent changes (one worker's lane, and two
workers on one store), creation and modification times, and what a command changes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.connectivity.stored_status import StoredStatusOperator
from twinhub.bus.inprocess import InProcessBus
from twinhub.connectivity.service import ConnectionService
from twinhub.model.errors import ConnectionNotAccessible, ConnectionsAmountIllegal, ConnectivityCommandInvalid
from twinhub.model.types import JsonObject
from twinhub.store.base import Store
from twinhub.store.sqlite import open_sqlite_store

pytestmark = pytest.mark.anyio

CONNECTION: JsonObject = {"connectionType": "nats", "connectionStatus": "closed", "uri": "nats://127.0.0.1:4222",
                          "sources": [{"addresses": ["telemetry.>"], "authorizationContext": ["nginx:devices"]}]}


class Clock:
    def __init__(self) -> None:
        self.moment = datetime(2026, 12, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.moment += timedelta(seconds=1)
        return self.moment


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with open_sqlite_store(tmp_path / "things.db") as store:
        yield store


def service_on(store: Store, clock: Clock | None = None) -> ConnectionService:
    if clock is None:
        return ConnectionService(store, InProcessBus(), StoredStatusOperator())
    return ConnectionService(store, InProcessBus(), StoredStatusOperator(), now=clock)


async def test_concurrent_changes_on_one_worker_queue_and_each_gets_a_revision(store: Store) -> None:
    service = service_on(store)
    connection = await service.create(CONNECTION)
    names = [f"name-{n}" for n in range(10)]
    await asyncio.gather(*(service.modify(connection.id, {**CONNECTION, "name": name}) for name in names))
    current = await service.retrieve(connection.id)
    assert current.revision == 11 and current.name in names


async def test_two_workers_on_one_store_both_get_their_changes_in(store: Store) -> None:
    first, second = service_on(store), service_on(store)
    connection = await first.create(CONNECTION)
    await asyncio.gather(*(worker.modify(connection.id, {**CONNECTION, "name": f"{n}"})
                           for n, worker in enumerate([first, second] * 3)))
    assert (await second.retrieve(connection.id)).revision == 7


async def test_created_stays_and_modified_moves(store: Store) -> None:
    clock = Clock()
    service = service_on(store, clock)
    connection = await service.create(CONNECTION)
    await service.modify(connection.id, {**CONNECTION, "name": "x"})
    current = await service.retrieve(connection.id)
    assert (current.created, current.modified) == ("2026-12-01T00:00:01.000000Z", "2026-12-01T00:00:02.000000Z")
    assert current.to_json(special=True)["_modified"] == "2026-12-01T00:00:02.000000Z"


async def test_the_clients_hidden_fields_are_not_taken(store: Store) -> None:
    service = service_on(store)
    connection = await service.create({**CONNECTION, "_revision": 99, "_created": "1999-01-01T00:00:00.000000Z"})
    assert connection.revision == 1 and connection.created != "1999-01-01T00:00:00.000000Z"


async def test_commands_change_only_what_they_are_for(store: Store) -> None:
    service = service_on(store)
    connection = await service.create(CONNECTION)
    await service.command(connection.id, "connectivity.commands:resetConnectionMetrics")
    assert (await service.retrieve(connection.id)).revision == 1
    await service.command(connection.id, "  connectivity.commands:openConnection  ")
    opened = await service.retrieve(connection.id)
    assert (opened.revision, opened.connection_status.value) == (2, "open")
    with pytest.raises(ConnectivityCommandInvalid):
        await service.command(connection.id, "connectivity.commands:OPENCONNECTION")
    await service.delete(connection.id)
    with pytest.raises(ConnectionNotAccessible):
        await service.command(connection.id, "connectivity.commands:closeConnection")


async def test_more_connections_than_the_retrieve_limit_are_refused_whole_but_not_as_ids(store: Store) -> None:
    service = ConnectionService(store, InProcessBus(), StoredStatusOperator(), retrieve_limit=3)
    ids = sorted([(await service.create(CONNECTION)).id for _ in range(3)])
    assert [connection.id for connection in await service.retrieve_all()] == ids
    ids = sorted([*ids, (await service.create(CONNECTION)).id])
    with pytest.raises(ConnectionsAmountIllegal) as caught:
        await service.retrieve_all()
    assert caught.value.message == "The amount of requested connections exceeds the limit of '3'."
    assert await service.retrieve_ids() == ids
    await service.delete(ids[0])  # deleted ones do not count
    assert len(await service.retrieve_all()) == 3
