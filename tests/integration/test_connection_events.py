"""Every change of a connection reaches every worker as a ConnectionEvent after its commit: on the
in-process bus, and on NATS JetStream from one worker's bus to another's (the real server)."""

from __future__ import annotations

import contextlib
from pathlib import Path

import anyio
import pytest

from tests.connectivity.stored_status import StoredStatusOperator
from tests.integration.conftest import StreamNames
from twinhub.bus.base import EventBus, Subscription
from twinhub.bus.inprocess import InProcessBus
from twinhub.bus.nats import open_nats_bus
from twinhub.connectivity.service import ConnectionService, event_connection
from twinhub.model.events import ConnectionEvent
from twinhub.model.types import JsonObject
from twinhub.store.sqlite import open_sqlite_store

pytestmark = pytest.mark.anyio

EPOCH = "00112233aabbccdd"
CONNECTION: JsonObject = {"connectionType": "amqp-091", "connectionStatus": "closed", "uri": "amqp://guest:guest@127.0.0.1:5672",
              "sources": [{"addresses": ["telemetry"], "authorizationContext": ["nginx:devices"]}]}


async def next_connection_event(subscription: Subscription) -> ConnectionEvent:
    with anyio.fail_after(10):
        async for event in subscription:
            if isinstance(event, ConnectionEvent):
                return event
    raise AssertionError("the subscription ended")


async def lifecycle(tmp_path: Path, publisher: EventBus, subscription: Subscription) -> None:
    async with open_sqlite_store(tmp_path / "things.db") as store:
        service = ConnectionService(store, publisher, StoredStatusOperator())
        connection = await service.create(CONNECTION, headers={"correlation-id": "c-1"})
        created = await next_connection_event(subscription)
        assert (created.connection_id, created.action, created.revision) == (connection.id, "created", 1)
        assert created.value == connection.to_json() and created.headers == {"correlation-id": "c-1"}

        await service.command(connection.id, "connectivity.commands:openConnection")
        opened = await next_connection_event(subscription)
        assert (opened.action, opened.revision) == ("modified", 2)
        assert isinstance(opened.value, dict) and opened.value["connectionStatus"] == "open"
        followed = event_connection(opened)  # what a worker's runtime makes of it
        assert followed is not None and followed.connection_status.value == "open" and followed.revision == 2
        assert followed.to_json() == (await service.retrieve(connection.id)).to_json()

        await service.delete(connection.id)
        deleted = await next_connection_event(subscription)
        assert (deleted.action, deleted.revision, deleted.value) == ("deleted", 3, None)
        assert event_connection(deleted) is None


async def test_connection_events_on_the_in_process_bus(tmp_path: Path) -> None:
    bus = InProcessBus()
    subscription = bus.subscribe()
    try:
        await lifecycle(tmp_path, bus, subscription)
    finally:
        subscription.close()
        await bus.aclose()


async def test_connection_events_reach_another_worker_over_nats(tmp_path: Path, nats_url: str,
                                                                 stream_names: StreamNames) -> None:
    stream, prefix = stream_names()
    async with contextlib.AsyncExitStack() as stack:
        first = await stack.enter_async_context(
            open_nats_bus(nats_url, epoch=EPOCH, stream=stream, subject_prefix=prefix))
        second = await stack.enter_async_context(
            open_nats_bus(nats_url, epoch=EPOCH, stream=stream, subject_prefix=prefix))
        subscription = second.subscribe()
        stack.callback(subscription.close)
        await lifecycle(tmp_path, first, subscription)


