"""amqp-091 and amqp-10 connections end to end, what they do alike: a real twinhub server, a connection
made over /api/2/connections (to a throwaway virtual host of the machine's RabbitMQ, or to the tests' own
node with its AMQP 1.0 plugin), queues and a peer channel of the test's own. A source message changes the
twin and is settled with the broker only once the change is committed; a target gets the twin events its
topic's namespaces and filter select and its subjects may READ, at its resolved address with its mapped
headers. What only one protocol shows is in test_e2e_amqp091.py / test_e2e_amqp10.py."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest

from tests.connectivity.amqp_side import Side
from tests.connectivity.e2e import NAMESPACE, OWNER, Connections, inbound, merge, new_thing_id, value_at
from tests.connectivity.peer import Channel, dead_lettered_queue, new_queue, send, take
from tests.connectivity.polling import until

pytestmark = pytest.mark.anyio


async def test_a_source_message_changes_the_twin_and_is_settled_after_the_commit(
        e2e_api: httpx.AsyncClient, e2e_connections: Connections, amqp_side: Side, amqp_peer: Channel) -> None:
    thing = new_thing_id("lamp")
    assert (await e2e_api.put(f"/things/{thing}", json={"attributes": {}})).status_code == 201
    queue, _dead = await dead_lettered_queue(amqp_peer)
    connection_id = await amqp_side.open_source(e2e_connections, queue)
    await send(amqp_peer, queue, merge(thing, "/features/temp/properties/value", 21.5))

    async def settled() -> bool:
        if amqp_side.held(queue) > 0:
            return False
        # Gone from the broker: so the twin must have it already (read after the broker said so).
        assert await value_at(e2e_api, thing, "features/temp/properties/value") == 21.5
        return True

    await until(settled, "the message's settlement")
    metrics: dict[str, Any] = {}

    async def counted() -> bool:  # the runtime counts a settlement once its broker confirmed it: a bit later
        nonlocal metrics
        metrics = await e2e_connections.metrics(connection_id)
        return inbound(metrics, "acknowledged") > 0

    await until(counted, "the settlement in the metrics")
    assert inbound(metrics, "consumed") == 1 and inbound(metrics, "acknowledged") == 1
    assert metrics["containsFailures"] is False


async def test_a_target_gets_the_events_its_topic_selects_and_its_subjects_may_read(
        e2e_api: httpx.AsyncClient, e2e_other: httpx.AsyncClient, e2e_connections: Connections, amqp_side: Side,
        amqp_peer: Channel) -> None:
    mine, theirs = new_thing_id("mine"), new_thing_id("theirs")
    elsewhere = new_thing_id("elsewhere", namespace="org.twinhub.elsewhere")
    for api, thing in ((e2e_api, mine), (e2e_other, theirs), (e2e_api, elsewhere)):
        assert (await api.put(f"/things/{thing}", json={"attributes": {"counter": 0}})).status_code == 201
    queue = await new_queue(amqp_peer)
    await (await amqp_peer.declare_queue(queue, passive=True)).bind("amq.topic", routing_key="events.#")
    connection_id = await e2e_connections.create({
        "connectionType": amqp_side.connection_type, "uri": amqp_side.uri, "targets": [
            {"address": amqp_side.exchange("amq.topic", "events.{{ thing:namespace }}.{{ thing:name }}"),
             "topics": [f"_/_/things/twin/events?namespaces={NAMESPACE}&filter=gt(attributes/counter,1)"],
             "authorizationContext": [OWNER],
             "headerMapping": {"thing-id": "{{ thing:id }}", "subject": "{{ topic:action }}"}}]})
    await e2e_connections.wait_open(connection_id)
    # In commit order: one OWNER may not read, one in another namespace, one the filter drops, then the one.
    assert (await e2e_other.put(f"/things/{theirs}/attributes/counter", json=5)).status_code == 204
    assert (await e2e_api.put(f"/things/{elsewhere}/attributes/counter", json=5)).status_code == 204
    assert (await e2e_api.put(f"/things/{mine}/attributes/counter", json=1)).status_code == 204
    assert (await e2e_api.put(f"/things/{mine}/attributes/counter", json=2)).status_code == 204
    message = await take(amqp_peer, queue)
    assert message.routing_key == f"events.{mine.replace(':', '.')}"
    if amqp_side.connection_type == "amqp-091":
        assert (message.headers["thing-id"], message.headers["subject"]) == (mine, "modified")
    else:
        # RabbitMQ hands the AMQP 1.0 sections to an AMQP 0.9.1 consumer as they were encoded: the mapped
        # headers are an application property (thing-id) and the message's subject property.
        assert b"thing-id" in message.headers["x-amqp-1.0-app-properties"]  # type: ignore[operator]
        assert mine.encode() in message.headers["x-amqp-1.0-app-properties"]  # type: ignore[operator]
        assert b"modified" in message.headers["x-amqp-1.0-properties"]  # type: ignore[operator]
    event = orjson.loads(message.body)
    assert event["topic"] == f"{mine.replace(':', '/')}/things/twin/events/modified"
    assert (event["path"], event["value"]) == ("/attributes/counter", 2)
    declared = await amqp_peer.declare_queue(queue, passive=True)
    assert declared.declaration_result.message_count == 0  # nothing else came before it
