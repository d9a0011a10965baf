"""nats connections end to end: a real twinhub server, a connection made over /api/2/connections to the
machine's NATS server with JetStream (a stream over random subjects, deleted afterwards).

A source message changes the twin and is acknowledged to JetStream only once the change is committed; a
command the source's subjects may not do and a malformed payload are terminated (never delivered again),
logged and counted while the connection keeps working; a target gets the twin events its topic's namespaces
and filter select and its subjects may READ, on its resolved subject; /status follows a network outage, and
what JetStream took meanwhile arrives after it. A core NATS request is answered through the source's reply
target."""

from __future__ import annotations

import contextlib
import socket
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import nats
import nats.errors
import nats.js.errors
import orjson
import pytest
from nats.aio.client import Client
from nats.aio.msg import Msg

from tests.connectivity.e2e import NAMESPACE, OWNER, Connections, inbound, merge, new_thing_id, value_at, value_is
from tests.connectivity.nats_peer import stream_over
from tests.connectivity.polling import until
from tests.integration.conftest import TcpProxy
from tests.integration.services import NATS
from twinhub.connectivity.clients.nats import durable_name

pytestmark = pytest.mark.anyio


@pytest.fixture
def prefix() -> str:
    return f"twinhub-test-e2e.{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def peer(nats_url: str) -> AsyncIterator[Client]:
    connection = await nats.connect(nats_url)
    try:
        yield connection
    finally:
        await connection.close()


@pytest.fixture
async def stream(nats_url: str, prefix: str) -> AsyncIterator[str]:
    async with stream_over(nats_url, prefix) as name:
        yield name


async def source_connection(connections: Connections, url: str, stream: str, address: str) -> str:
    connection_id = await connections.create({
        "connectionType": "nats", "uri": url, "specificConfig": {"jetstream": "true", "stream": stream},
        "sources": [{"addresses": [address], "authorizationContext": [OWNER]}]})
    await connections.wait_open(connection_id)
    return connection_id


async def consumer_state(peer: Client, stream: str, connection_id: str, address: str) -> Any:
    """The durable consumer of the connection's first source on `address` (as the broker counts)."""
    return await peer.jetstream().consumer_info(stream, durable_name("twinhub", connection_id, 0, address))



async def test_a_source_message_changes_the_twin_and_is_acknowledged_after_the_commit(
        e2e_api: httpx.AsyncClient, e2e_connections: Connections, nats_url: str, peer: Client, stream: str,
        prefix: str) -> None:
    thing = new_thing_id("lamp")
    assert (await e2e_api.put(f"/things/{thing}", json={"attributes": {}})).status_code == 201
    address = f"{prefix}.in.>"
    connection_id = await source_connection(e2e_connections, nats_url, stream, address)
    await peer.jetstream().publish(f"{prefix}.in.lamp", merge(thing, "/features/temp/properties/value", 21.5))

    async def acknowledged() -> bool:
        state = await consumer_state(peer, stream, connection_id, address)
        if state.num_pending > 0 or state.num_ack_pending > 0:
            return False
        # Acknowledged: so the twin must have it already (read after the broker said so).
        assert state.delivered.stream_seq == 1
        assert await value_at(e2e_api, thing, "features/temp/properties/value") == 21.5
        return True

    await until(acknowledged, "the acknowledgement of the message")
    metrics = await e2e_connections.metrics(connection_id)
    assert inbound(metrics, "consumed") == 1 and inbound(metrics, "acknowledged") == 1


async def test_an_unauthorized_command_is_terminated_logged_and_counted(
        e2e_api: httpx.AsyncClient, e2e_other: httpx.AsyncClient, e2e_connections: Connections, nats_url: str,
        peer: Client, stream: str, prefix: str) -> None:
    mine, theirs = new_thing_id("mine"), new_thing_id("theirs")
    assert (await e2e_api.put(f"/things/{mine}", json={"attributes": {}})).status_code == 201
    assert (await e2e_other.put(f"/things/{theirs}", json={"attributes": {"x": 0}})).status_code == 201
    address = f"{prefix}.in.>"
    connection_id = await source_connection(e2e_connections, nats_url, stream, address)
    await peer.jetstream().publish(f"{prefix}.in.theirs",
                                   merge(theirs, "/attributes/x", 666, **{"correlation-id": "refused-1"}))
    entry = await e2e_connections.wait_logged(connection_id, "the refusal in the logs", correlationId="refused-1",
                                              level="failure")
    assert entry["category"] == "source" and entry["entityId"] == theirs
    await peer.jetstream().publish(f"{prefix}.in.mine", merge(mine, "/attributes/after", True))
    await until(lambda: value_is(e2e_api, mine, "attributes/after", True), "the next message's change")

    async def settled() -> bool:
        state = await consumer_state(peer, stream, connection_id, address)
        return bool(state.num_pending == 0 and state.num_ack_pending == 0)

    await until(settled, "both messages settled")
    state = await consumer_state(peer, stream, connection_id, address)
    assert state.num_redelivered == 0  # the refused one was terminated, not handed out again
    assert await value_at(e2e_other, theirs, "attributes/x") == 0
    metrics = await e2e_connections.metrics(connection_id)
    assert metrics["containsFailures"] is True
    assert inbound(metrics, "acknowledged", "failure") == 1 and inbound(metrics, "acknowledged") == 1


async def test_a_malformed_payload_is_logged_counted_and_the_connection_keeps_working(
        e2e_api: httpx.AsyncClient, e2e_connections: Connections, nats_url: str, peer: Client, stream: str,
        prefix: str) -> None:
    thing = new_thing_id("sturdy")
    assert (await e2e_api.put(f"/things/{thing}", json={"attributes": {}})).status_code == 201
    connection_id = await source_connection(e2e_connections, nats_url, stream, f"{prefix}.in.>")
    await peer.jetstream().publish(f"{prefix}.in.x", b'{"topic": ', headers={"correlation-id": "broken-1"})
    await peer.jetstream().publish(f"{prefix}.in.x", b"\xff\xfe", headers={"correlation-id": "broken-2"})
    for correlation_id in ("broken-1", "broken-2"):
        entry = await e2e_connections.wait_logged(connection_id, f"{correlation_id} in the logs",
                                                  correlationId=correlation_id)
        assert (entry["level"], entry["type"]) == ("failure", "mapped")
    await peer.jetstream().publish(f"{prefix}.in.x", merge(thing, "/attributes/fine", "yes"))
    await until(lambda: value_is(e2e_api, thing, "attributes/fine", "yes"), "the change after the junk")
    assert inbound(await e2e_connections.metrics(connection_id), "mapped", "failure") == 2
    assert (await e2e_connections.status(connection_id))["liveStatus"] == "open"


async def test_a_core_nats_request_is_answered_through_the_reply_target(
        e2e_api: httpx.AsyncClient, e2e_connections: Connections, nats_url: str, peer: Client, prefix: str) -> None:
    thing = new_thing_id("requested")
    assert (await e2e_api.put(f"/things/{thing}", json={"attributes": {}})).status_code == 201
    connection_id = await e2e_connections.create({"connectionType": "nats", "uri": nats_url, "sources": [
        {"addresses": [f"{prefix}.cmd.>"], "authorizationContext": [OWNER],
         "replyTarget": {"address": "{{ header:reply-to }}", "expectedResponseTypes": ["response", "error"]}}]})
    await e2e_connections.wait_open(connection_id)
    answers: list[Msg] = []
    counter = iter(range(1, 1_000_000))

    async def answered() -> bool:
        # Core NATS keeps nothing: a request before the subscription is in place finds no responder.
        with contextlib.suppress(nats.errors.NoRespondersError, nats.errors.TimeoutError):
            answers.append(await peer.request(f"{prefix}.cmd.x", merge(
                thing, "/attributes/n", next(counter), **{"response-required": "true"}), timeout=5))
        return bool(answers)

    await until(answered, "an answer to the request")
    response = orjson.loads(answers[0].data)
    assert response["status"] == 204
    assert response["topic"] == f"{thing.replace(':', '/')}/things/twin/commands/merge"
    assert isinstance(await value_at(e2e_api, thing, "attributes/n"), int)


async def test_a_target_gets_the_events_its_topic_selects_and_its_subjects_may_read(
        e2e_api: httpx.AsyncClient, e2e_other: httpx.AsyncClient, e2e_connections: Connections, nats_url: str,
        peer: Client, stream: str, prefix: str) -> None:
    mine, theirs = new_thing_id("mine"), new_thing_id("theirs")
    elsewhere = new_thing_id("elsewhere", namespace="org.twinhub.elsewhere")
    for api, thing in ((e2e_api, mine), (e2e_other, theirs), (e2e_api, elsewhere)):
        assert (await api.put(f"/things/{thing}", json={"attributes": {"counter": 0}})).status_code == 201
    received: list[Msg] = []

    async def collect(msg: Msg) -> None:
        received.append(msg)

    subscription = await peer.subscribe(f"{prefix}.out.>", cb=collect)
    try:
        connection_id = await e2e_connections.create({
            "connectionType": "nats", "uri": nats_url, "specificConfig": {"jetstream": "true", "stream": stream},
            "targets": [{"address": prefix + ".out.{{ thing:namespace }}.{{ thing:name }}",
                         "topics": [f"_/_/things/twin/events?namespaces={NAMESPACE}"
                                    "&filter=gt(attributes/counter,1)"],
                         "authorizationContext": [OWNER]}]})
        await e2e_connections.wait_open(connection_id)
        assert (await e2e_other.put(f"/things/{theirs}/attributes/counter", json=5)).status_code == 204
        assert (await e2e_api.put(f"/things/{elsewhere}/attributes/counter", json=5)).status_code == 204
        assert (await e2e_api.put(f"/things/{mine}/attributes/counter", json=1)).status_code == 204
        assert (await e2e_api.put(f"/things/{mine}/attributes/counter", json=2)).status_code == 204

        async def arrived() -> bool:
            return bool(received)

        await until(arrived, "the event at the target")
    finally:
        await subscription.unsubscribe()
    [message] = received  # nothing came before it (events are published in commit order)
    assert message.subject == f"{prefix}.out.{mine.replace(':', '.')}"
    event = orjson.loads(message.data)
    assert event["topic"] == f"{mine.replace(':', '/')}/things/twin/events/modified"
    assert (event["path"], event["value"]) == ("/attributes/counter", 2)
    # With JetStream on, the stream took it too: the publish waited for its acknowledgement.
    assert (await peer.jetstream().stream_info(stream)).state.messages == 1


async def test_status_shows_a_network_outage_and_what_came_meanwhile_arrives_after_it(
        e2e_api: httpx.AsyncClient, e2e_connections: Connections, peer: Client, stream: str, prefix: str) -> None:
    thing = new_thing_id("outage")
    assert (await e2e_api.put(f"/things/{thing}", json={"attributes": {}})).status_code == 201
    async with TcpProxy(*NATS) as proxy:
        connection_id = await source_connection(e2e_connections, f"nats://127.0.0.1:{proxy.port}", stream,
                                                f"{prefix}.in.>")
        await proxy.cut()
        status = await e2e_connections.wait_failed(connection_id)
        assert status["sourceStatus"][0]["status"] == "failed"
        await peer.jetstream().publish(f"{prefix}.in.x", merge(thing, "/attributes/during", "outage"))
        await proxy.restore()
        await e2e_connections.wait_open(connection_id)
        await until(lambda: value_is(e2e_api, thing, "attributes/during", "outage"), "the outage's message")


async def test_a_dry_run_connects_to_nats_and_says_why_not_where_nothing_listens(
        e2e_api: httpx.AsyncClient, nats_url: str, prefix: str) -> None:
    body = {"connectionType": "nats", "connectionStatus": "open", "uri": nats_url, "sources": [
        {"addresses": [f"{prefix}.>"], "authorizationContext": [OWNER]}]}
    response = await e2e_api.post("/connections", params={"dry-run": "true"}, json=body)
    assert response.status_code == 200, response.text
    with socket.socket() as sock:  # a port nothing listens on: bound, never listening
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        refused = await e2e_api.post("/connections", params={"dry-run": "true"},
                                     json={**body, "uri": f"nats://127.0.0.1:{port}"})
    assert refused.status_code == 504 and refused.json()["error"] == "connectivity:connection.failed"
