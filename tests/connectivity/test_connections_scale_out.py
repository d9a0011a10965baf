"""Two workers (`twinhub serve --workers 2`) on PostgreSQL and NATS JetStream share one MQTT source (MQTT 5
shared subscriptions; MQTT 3.1.1 on one worker): each message lands exactly once, none is lost; each event
goes out to the connection's target once. The connection is made over the API on whichever worker answers;
the other follows its ConnectionEvent on the bus."""

from __future__ import annotations

import concurrent.futures
import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import pytest

from tests.connectivity.e2e import merge
from tests.connectivity.mqtt import collecting, forget_sessions, publish_many_now, publish_now, server_client_ids
from tests.connectivity.waiting import eventually_blocking as eventually
from tests.connectivity.workers import clients_open, consumed_by_each_now
from tests.integration.services import shared_backends
from twinhub.testing import Server, running_server

OWNER = "nginx:ditto"
WORKERS = 2


@pytest.fixture
def backends() -> Iterator[dict[str, str]]:
    with shared_backends("twinhub_connect") as env:
        yield env


@pytest.fixture
def server(tmp_path: Path, mosquitto_url: str, backends: dict[str, str]) -> Iterator[Server]:
    with running_server(tmp_path / "data", args=("--dev", "--workers", str(WORKERS)), env=backends) as running:
        yield running


@pytest.mark.parametrize("kind", ["mqtt-5", "mqtt"])
def test_two_workers_share_one_mqtt_source_without_duplicates_or_loss(server: Server, backends: dict[str, str],
                                                                       mosquitto_url: str, prefix: str,
                                                                       kind: str) -> None:
    count = 120
    run = uuid.uuid4().hex[:6]
    things = [f"org.twinhub.scale:t{n}-{run}" for n in range(count)]
    ping = f"org.twinhub.scale:ping-{run}"
    connection_id = ""
    with httpx.Client(base_url=server.base_url + "/api/2", auth=("ditto", "any"), timeout=30) as api, \
            contextlib.ExitStack() as stack:
        def create(thing_id: str) -> int:
            return api.put(f"/things/{thing_id}", json={"attributes": {}}).status_code

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            assert set(pool.map(create, [*things, ping])) == {201}
        try:
            response = api.post("/connections", json={
                "connectionType": kind, "connectionStatus": "open", "uri": mosquitto_url,
                "sources": [{"addresses": [f"{prefix}/#"], "authorizationContext": [OWNER], "qos": 1}],
                "targets": [{"address": prefix + "-out/{{ thing:name }}", "authorizationContext": [OWNER], "qos": 1,
                             "topics": ["_/_/things/twin/events?filter=exists(attributes/v)"]}]})
            assert response.status_code == 201, response.text
            connection_id = response.json()["id"]
            # Both workers run it: the merged /status (any worker answers for all) names each one's client.
            eventually(lambda: clients_open(api.get(f"/connections/{connection_id}/status").json()) == WORKERS,
                       "the connection open on both workers", within=90)
            pings = iter(range(1_000_000))
            eventually(lambda: api.get(f"/things/{ping}/attributes/ping").status_code == 200, "a ping", within=30,
                       between=lambda: publish_now(mosquitto_url, f"{prefix}/ping",
                                                   merge(ping, "/attributes/ping", next(pings)), qos=0))
            events = stack.enter_context(collecting(mosquitto_url, f"{prefix}-out/#"))
            publish_many_now(mosquitto_url, [(f"{prefix}/t", merge(thing_id, "/attributes/v", n))
                                             for n, thing_id in enumerate(things)])

            def revisions() -> list[tuple[int, object]]:
                found = []
                for thing_id in things:
                    body = api.get(f"/things/{thing_id}", params={"fields": "_revision,attributes"}).json()
                    found.append((body["_revision"], body["attributes"].get("v")))
                return found

            eventually(lambda: all(value is not None for _revision, value in revisions()), "every message's change",
                       within=60)
            # Exactly once each: created at revision 1, changed once (a duplicate would make it 3).
            assert revisions() == [(2, n) for n in range(count)]
            # Each event went out once (one worker publishes to targets): the marker's event comes after them.
            assert api.put(f"/things/{things[0]}/attributes/v", json="marker").status_code == 204
            eventually(lambda: any(b"marker" in message.payload for message in events.messages), "the marker event",
                       within=30)
            names = [message.topic.rsplit("/", 1)[-1] for message in events.messages]
            assert sorted(names) == sorted([thing_id.split(":", 1)[1] for thing_id in things] + [
                things[0].split(":", 1)[1]])
            # MQTT 5, shared: no worker consumed them all (each worker's own metrics); MQTT 3.1.1 has no shared
            # subscriptions: one worker consumes it. Whichever worker answers /metrics sums them.
            shares = consumed_by_each_now(backends["TWINHUB_BUS_STREAM"], connection_id, WORKERS)
            if kind == "mqtt-5":
                assert all(0 < share < count for share in shares), shares
            else:
                assert min(shares) == 0 and max(shares) > count, shares
            for _attempt in range(4):
                metrics = api.get(f"/connections/{connection_id}/metrics", headers={"connection": "close"}).json()
                assert metrics["connectionMetrics"]["inbound"]["consumed"]["success"]["PT24H"] == sum(shares)
        finally:
            if connection_id:
                api.delete(f"/connections/{connection_id}")
    if connection_id:
        anyio.run(forget_sessions, mosquitto_url, server_client_ids(connection_id, server.data_dir, WORKERS))
