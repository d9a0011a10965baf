"""One `nats` source shared by two twinhub workers on one PostgreSQL and one NATS: core NATS through the
connection's queue group, JetStream through one durable consumer. Every message is applied exactly once, and
both workers take part."""

from __future__ import annotations

import asyncio
import functools
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import nats
import pytest

from tests.connectivity.e2e import merge
from tests.connectivity.nats_peer import publish
from tests.connectivity.waiting import eventually_blocking as eventually
from tests.connectivity.workers import clients_open, consumed_by_each_now
from tests.integration.services import (
    NATS,
    delete_streams,
    deployment,
    shared_backends,
)
from twinhub.testing import Server

OWNER = "nginx:ditto"
MESSAGES = 60


@pytest.fixture
def backends() -> Iterator[dict[str, str]]:
    with shared_backends("twinhub_nats_src") as env:
        yield env


@pytest.fixture
def workers(tmp_path: Path, backends: dict[str, str]) -> Iterator[list[Server]]:
    """Two servers on a throwaway database and event stream (removed afterwards)."""
    with deployment(backends, tmp_path, timeout=60) as servers:
        yield servers


def api(server: Server) -> httpx.Client:
    return httpx.Client(base_url=server.base_url + "/api/2", auth=("ditto", "any"), timeout=30)


async def add_stream(name: str, subjects: str) -> None:
    async with await nats.connect(f"nats://{NATS[0]}:{NATS[1]}") as connection:
        await connection.jetstream().add_stream(name=name, subjects=[subjects])


@pytest.mark.parametrize("jetstream", [False, True])
def test_two_workers_share_one_nats_source_each_message_applied_once(workers: list[Server], backends: dict[str, str],
                                                                      jetstream: bool) -> None:
    suffix = uuid.uuid4().hex[:10]
    prefix, stream = f"twinhub-test-two.{suffix}", f"TWINHUB_TEST_TWO_{suffix}"
    if jetstream:
        asyncio.run(add_stream(stream, f"{prefix}.>"))
    try:
        things = [f"org.twinhub.two:t{suffix}-{n}" for n in range(MESSAGES)]
        with api(workers[0]) as client:
            for thing in things:
                assert client.put(f"/things/{thing}", json={"attributes": {}}).status_code == 201
            specific = {"jetstream": "true", "stream": stream} if jetstream else {}
            response = client.post("/connections", json={
                "connectionType": "nats", "connectionStatus": "open", "uri": f"nats://{NATS[0]}:{NATS[1]}",
                "specificConfig": specific,
                "sources": [{"addresses": [f"{prefix}.telemetry"], "authorizationContext": [OWNER]}]})
            assert response.status_code == 201, response.text
            connection_id = response.json()["id"]

        def open_on_both(server: Server) -> bool:  # either worker's status lists both workers' clients
            with api(server) as client:
                return clients_open(client.get(f"/connections/{connection_id}/status").json()) == len(workers)

        for server in workers:  # each worker runs the connection: both subscribed before anything is sent
            eventually(functools.partial(open_on_both, server), "the connection open on every worker", within=90)
        asyncio.run(publish(f"nats://{NATS[0]}:{NATS[1]}", f"{prefix}.telemetry",
                            [merge(thing, "/attributes", {"seen": True}) for thing in things], jetstream=jetstream))

        def revisions() -> list[int]:
            with api(workers[1]) as client:
                found = client.get("/things", params={"ids": ",".join(things), "fields": "thingId,_revision"}).json()
            return sorted(int(thing["_revision"]) for thing in found)

        eventually(lambda: revisions() == [2] * MESSAGES, "every thing merged once (revision 2)", within=30)
        shares = consumed_by_each_now(backends["TWINHUB_BUS_STREAM"], connection_id, len(workers))
        assert sum(shares) == MESSAGES and all(shares), shares  # each once, by both workers
        with api(workers[0]) as client:  # the API sums them
            metrics = client.get(f"/connections/{connection_id}/metrics").json()
        # (PT24H: the last minute's PT1M may have passed a minute's end since)
        assert metrics["connectionMetrics"]["inbound"]["consumed"]["success"]["PT24H"] == MESSAGES, metrics
    finally:
        if jetstream:
            asyncio.run(delete_streams(stream))
