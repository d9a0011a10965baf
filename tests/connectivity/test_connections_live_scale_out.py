"""A device's answers to live messages with two workers (`twinhub serve --workers 2`) on PostgreSQL and NATS: the
first worker's target sends each message to the device, the device answers on an MQTT 5 source both workers share,
and whichever worker consumes an answer, it reaches its HTTP caller. A response the connection never received a
message for (a guessed correlation-id) still reaches nobody, from either worker."""

from __future__ import annotations

import concurrent.futures
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import anyio
import httpx
import orjson
import pytest

from tests.connectivity.mqtt import forget_sessions, publish_now, responding, server_client_ids
from tests.connectivity.waiting import eventually_blocking as eventually
from tests.connectivity.workers import clients_open, consumed_by_each_now
from tests.integration.services import shared_backends
from twinhub.testing import Server, running_server

OWNER = "nginx:ditto"
WORKERS = 2
ASKED = "org.twinhub.asked"  # the namespace whose messages the target sends to the device


@dataclass(frozen=True)
class World:
    server: Server
    api: httpx.Client
    url: str  # the machine's Mosquitto
    prefix: str  # topics of this test alone
    connection_id: str
    stream: str  # the deployment's event stream (its workers' polls are named after it)


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    data = tmp_path_factory.mktemp("live-scale-out") / "data"
    with shared_backends("twinhub_live") as env, \
            running_server(data, args=("--dev", "--workers", str(WORKERS)), env=env) as running:
        yield running, env["TWINHUB_BUS_STREAM"]


@pytest.fixture
def world(deployment: tuple[Server, str], mosquitto_url: str, prefix: str) -> Iterator[World]:
    """A new connection (its metrics start at zero on both workers), open on both workers."""
    server, stream = deployment
    with httpx.Client(base_url=server.base_url + "/api/2", auth=("ditto", "any"), timeout=60) as api:
        response = api.post("/connections", json={
            "connectionType": "mqtt-5", "connectionStatus": "open", "uri": mosquitto_url,
            "sources": [{"addresses": [f"{prefix}/responses/#"], "authorizationContext": [OWNER], "qos": 1}],
            "targets": [{"address": prefix + "/commands/{{ thing:name }}", "authorizationContext": [OWNER], "qos": 1,
                         "topics": [f"_/_/things/live/messages?namespaces={ASKED}",
                                    f"_/_/things/live/commands?namespaces={ASKED}"]}]})
        assert response.status_code == 201, response.text
        connection_id = response.json()["id"]
        try:
            # Both workers run it: the merged /status (any worker answers for all) names each one's client.
            eventually(lambda: clients_open(api.get(f"/connections/{connection_id}/status").json()) == WORKERS,
                       "the connection open on both workers", within=90)
            yield World(server, api, mosquitto_url, prefix, connection_id, stream)
        finally:
            api.delete(f"/connections/{connection_id}")
            anyio.run(forget_sessions, mosquitto_url, server_client_ids(connection_id, server.data_dir, WORKERS))


def both_consumed(world: World, count: int) -> bool:
    """Whether each worker consumed some of the `count` answers and neither all (its own metrics)."""
    return all(0 < share < count for share in consumed_by_each_now(world.stream, world.connection_id, WORKERS))


def test_every_caller_gets_the_devices_answer_whichever_worker_consumed_it(world: World) -> None:
    count = 40
    things = [f"{ASKED}:device-{n}-{uuid.uuid4().hex[:6]}" for n in range(4)]
    for thing_id in things:
        assert world.api.put(f"/things/{thing_id}", json={"attributes": {}}).status_code == 201

    def answer(message: dict[str, Any]) -> None:  # the device answers each question on the shared source
        thing_id = message["topic"].split("/things/", 1)[0].replace("/", ":", 1)
        publish_now(world.url, f"{world.prefix}/responses/{thing_id}", orjson.dumps({
            "topic": message["topic"], "path": message["path"], "status": 200,
            "value": {"answer": message["value"]["n"]},
            "headers": {"correlation-id": message["headers"]["correlation-id"], "content-type": "application/json"}}))

    def ask(n: int) -> tuple[int, Any]:  # each on a new HTTP connection: the callers wait on either worker
        response = world.api.post(f"/things/{things[n % len(things)]}/inbox/messages/ask", json={"n": n},
                                  params={"timeout": "10"}, headers={"connection": "close"})
        return response.status_code, response.json()

    with responding(world.url, f"{world.prefix}/commands/#", answer), \
            concurrent.futures.ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(ask, range(count)))
    assert answers == [(200, {"answer": n}) for n in range(count)]
    # Both workers consumed answers (MQTT 5 shared subscription): neither alone consumed them all.
    eventually(lambda: both_consumed(world, count), "answers consumed by both workers", within=20)


def test_every_live_retrieve_gets_the_devices_answer_whichever_worker_consumed_it(world: World) -> None:
    count = 16
    thing_id = f"{ASKED}:device-{uuid.uuid4().hex[:6]}"
    assert world.api.put(f"/things/{thing_id}", json={"attributes": {"model": "twin"}}).status_code == 201

    def answer(command: dict[str, Any]) -> None:  # the device answers a live retrieve with what it reads itself
        publish_now(world.url, f"{world.prefix}/responses/{thing_id}", orjson.dumps({
            "topic": command["topic"], "path": command["path"], "status": 200,
            "value": f"device {command['headers']['correlation-id']}",
            "headers": {"correlation-id": command["headers"]["correlation-id"], "content-type": "application/json"}}))

    def retrieve(n: int) -> tuple[int, str, Any]:
        response = world.api.get(f"/things/{thing_id}/attributes/model", params={"channel": "live", "timeout": "10"},
                                 headers={"connection": "close", "correlation-id": f"read-{n}"})
        return response.status_code, response.headers.get("channel", ""), response.json()

    with responding(world.url, f"{world.prefix}/commands/#", answer), \
            concurrent.futures.ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(retrieve, range(count)))
    assert answers == [(200, "live", f"device read-{n}") for n in range(count)]
    eventually(lambda: both_consumed(world, count), "answers consumed by both workers", within=20)


def test_a_response_to_a_message_the_connection_never_received_reaches_nobody(world: World) -> None:
    thing_id = f"org.twinhub.other:device-{uuid.uuid4().hex[:6]}"  # not of the namespace the target sends
    assert world.api.put(f"/things/{thing_id}", json={"attributes": {}}).status_code == 201
    correlation_id = f"guessed-{uuid.uuid4().hex}"
    forged = orjson.dumps({
        "topic": f"{thing_id.replace(':', '/', 1)}/things/live/messages/ask", "path": "/inbox/messages/ask",
        "status": 200, "value": "forged",
        "headers": {"correlation-id": correlation_id, "content-type": "application/json"}})

    def ask() -> httpx.Response:
        return world.api.post(f"/things/{thing_id}/inbox/messages/ask", json="?", params={"timeout": "3"},
                              headers={"correlation-id": correlation_id})

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        asking = pool.submit(ask)
        while not asking.done():  # forged answers on the shared source, to both workers, while the caller waits
            publish_now(world.url, f"{world.prefix}/responses/{thing_id}", forged)
        response = asking.result()
    assert response.status_code == 408, response.text
    assert response.json()["error"] == "command.timeout"
