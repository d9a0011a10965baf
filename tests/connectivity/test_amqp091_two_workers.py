"""One `amqp-091` source shared by two twinhub workers on one PostgreSQL and one NATS bus: their consumers
compete on the queue (a throwaway virtual host of the machine's RabbitMQ), so every message is applied exactly
once, and both workers take part."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aio_pika
import httpx
import pytest

from tests.connectivity.e2e import OWNER, merge
from tests.connectivity.peer import Channel, new_queue, send
from tests.connectivity.polling import until
from tests.connectivity.workers import consumed_by_each
from tests.integration.services import NATS, POSTGRES, RABBITMQ, delete_streams, psql, require, throwaway_name
from twinhub.testing import Server, start_server

pytestmark = pytest.mark.anyio

MESSAGES = 60


@pytest.fixture
def stream() -> str:
    """The throwaway event stream of the workers."""
    return throwaway_name("TWINHUB_TEST").upper()


@pytest.fixture
def workers(tmp_path: Path, stream: str) -> Iterator[list[Server]]:
    """Two servers on a throwaway database and event stream (removed afterwards)."""
    require("PostgreSQL", POSTGRES)
    require("NATS", NATS)
    database = throwaway_name("twinhub_amqp_src")
    psql(f"CREATE DATABASE {database}")
    env = {"TWINHUB_STORE_URL": f"postgresql://postgres@{POSTGRES[0]}:{POSTGRES[1]}/{database}",
           "TWINHUB_BUS_URL": f"nats://{NATS[0]}:{NATS[1]}", "TWINHUB_BUS_STREAM": stream}
    servers: list[Server] = []
    try:
        servers += [start_server(tmp_path / f"worker-{n}", env=env, timeout=60) for n in range(2)]
        yield servers
    finally:
        for server in servers:
            server.stop()
        psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        asyncio.run(delete_streams(stream))


@pytest.fixture
async def apis(workers: list[Server]) -> AsyncIterator[list[httpx.AsyncClient]]:
    clients = [httpx.AsyncClient(base_url=server.base_url + "/api/2", auth=("ditto", "any"), timeout=30)
               for server in workers]
    try:
        yield clients
    finally:
        for client in clients:
            await client.aclose()


@pytest.fixture
async def peer(vhost: str) -> AsyncIterator[Channel]:
    connection = await aio_pika.connect(f"amqp://guest:guest@{RABBITMQ[0]}:{RABBITMQ[1]}/{vhost}")
    async with connection:
        yield await connection.channel()


async def test_two_workers_compete_on_one_queue_each_message_applied_once(
        apis: list[httpx.AsyncClient], vhost: str, peer: Channel, stream: str) -> None:
    suffix = uuid.uuid4().hex[:10]
    things = [f"org.twinhub.two:a{suffix}-{n}" for n in range(MESSAGES)]
    for thing in things:
        assert (await apis[0].put(f"/things/{thing}", json={"attributes": {}})).status_code == 201
    queue = await new_queue(peer)
    response = await apis[0].post("/connections", json={
        "connectionType": "amqp-091", "connectionStatus": "open",
        "uri": f"amqp://guest:guest@{RABBITMQ[0]}:{RABBITMQ[1]}/{vhost}",
        "sources": [{"addresses": [queue], "authorizationContext": [OWNER]}]})
    assert response.status_code == 201, response.text
    connection_id = response.json()["id"]
    try:
        for api in apis:  # each worker runs the connection: both consume before anything is sent
            async def consuming(api: httpx.AsyncClient = api) -> bool:  # either's status lists both workers'
                status = (await api.get(f"/connections/{connection_id}/status")).json()
                return [entry["status"] for entry in status["sourceStatus"]] == ["open"] * len(apis)

            await until(consuming, "the connection consuming on every worker")

        async def two_consumers() -> bool:
            declared = await peer.declare_queue(queue, passive=True)
            return declared.declaration_result.consumer_count == 2

        await until(two_consumers, "both workers' consumers on the queue")
        for thing in things:
            await send(peer, queue, merge(thing, "/attributes/seen", True))

        async def merged_once() -> bool:
            found = (await apis[1].get("/things", params={"ids": ",".join(things),
                                                          "fields": "thingId,_revision"})).json()
            return sorted(int(thing["_revision"]) for thing in found) == [2] * MESSAGES

        await until(merged_once, "every thing merged once (revision 2)", within=60)
        shares = await consumed_by_each(stream, connection_id, len(apis))
        assert sum(shares) == MESSAGES and all(shares), shares  # each once, by both workers
        for api in apis:  # either worker's /metrics sums them (PT24H: PT1M may have passed a minute's end)
            metrics = (await api.get(f"/connections/{connection_id}/metrics")).json()
            assert metrics["connectionMetrics"]["inbound"]["consumed"]["success"]["PT24H"] == MESSAGES, metrics
        declared = await peer.declare_queue(queue, passive=True)
        assert declared.declaration_result.message_count == 0
    finally:
        await apis[0].delete(f"/connections/{connection_id}")
