"""`nats` and `http-push` connections end to end: a real twinhub server, connections created over
/api/2/connections, the machine's NATS (JetStream) as a source and an HTTP receiver of the test's own as a
target. Telemetry in changes twins and is acknowledged to JetStream only then; twin events go out as requests."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import nats
import nats.js.errors
import orjson
import pytest

from tests.connectivity.e2e import OWNER, Connections, merge
from tests.connectivity.http_receiver import HttpReceiver
from tests.connectivity.nats_peer import stream_over
from tests.connectivity.polling import until
from tests.integration.services import NATS
from twinhub.connectivity.clients.nats import durable_name

pytestmark = [pytest.mark.anyio, pytest.mark.xdist_group(__name__)]

@pytest.fixture
async def stream(nats_url: str) -> AsyncIterator[tuple[str, str]]:
    """A JetStream stream of the test's own over `<prefix>.>`: (name, prefix); deleted afterwards."""
    prefix = f"twinhub-test-e2e.{uuid.uuid4().hex[:12]}"
    async with stream_over(nats_url, prefix) as name:
        yield name, prefix


async def test_jetstream_telemetry_changes_the_twin_and_is_acked_after_the_commit(
        e2e_api: httpx.AsyncClient, e2e_connections: Connections, stream: tuple[str, str]) -> None:
    name, prefix = stream
    thing = f"org.twinhub.e2e:meter-{uuid.uuid4().hex[:6]}"
    assert (await e2e_api.put(f"/things/{thing}", json={"attributes": {}})).status_code == 201
    connection_id = await e2e_connections.open({
        "connectionType": "nats", "uri": f"nats://{NATS[0]}:{NATS[1]}",
        "specificConfig": {"jetstream": "true", "stream": name},
        "sources": [{"addresses": [f"{prefix}.telemetry"], "authorizationContext": [OWNER]}]})
    async with await nats.connect(f"nats://{NATS[0]}:{NATS[1]}") as connection:
        js = connection.jetstream()
        for reading in range(5):
            await js.publish(f"{prefix}.telemetry", merge(thing, "/features/energy/properties/value", reading))

        async def landed() -> bool:
            response = await e2e_api.get(f"/things/{thing}/features/energy/properties/value")
            return response.status_code == 200 and response.json() == 4

        await until(landed, "the last reading in the twin", within=30)
        revision = (await e2e_api.get(f"/things/{thing}", params={"fields": "_revision"})).json()["_revision"]
        assert revision == 6  # created, then five merges: each message once
        consumer = durable_name("twinhub", connection_id, 0, f"{prefix}.telemetry")

        async def all_acked() -> bool:
            info = await js.consumer_info(name, consumer)
            return info.num_ack_pending == 0 and info.num_pending == 0 and info.delivered.stream_seq == 5

        await until(all_acked, "every message acknowledged to JetStream")


async def test_twin_events_are_pushed_to_the_http_receiver(e2e_api: httpx.AsyncClient,
                                                            e2e_connections: Connections) -> None:
    thing = f"org.twinhub.e2e:lamp-{uuid.uuid4().hex[:6]}"
    async with HttpReceiver() as receiver:
        await e2e_connections.open({
            "connectionType": "http-push", "uri": receiver.base + "/echo", "specificConfig": {"parallelism": "2"},
            "sources": [],
            "targets": [{"address": "POST:/events/{{ thing:id }}", "topics": ["_/_/things/twin/events"],
                         "authorizationContext": [OWNER], "headerMapping": {"x-thing": "{{ thing:id }}"}}]})
        assert (await e2e_api.put(f"/things/{thing}", json={"attributes": {"on": False}})).status_code == 201
        assert (await e2e_api.put(f"/things/{thing}/attributes/on", json=True)).status_code == 204

        def pushed() -> list[dict[str, Any]]:
            return [orjson.loads(request.body) for request in receiver.received
                    if request.target == f"/echo/events/{thing}"]

        await until(lambda: len(pushed()) == 2, "both events at the receiver")
        created, modified = pushed()
        assert created["topic"].endswith("/things/twin/events/created")
        assert modified["topic"].endswith("/things/twin/events/modified")
        assert (modified["path"], modified["value"]) == ("/attributes/on", True)
        request = next(r for r in receiver.received if r.target == f"/echo/events/{thing}")
        assert request.method == "POST" and request.headers["x-thing"] == thing


async def test_a_refused_message_is_terminated_not_redelivered_and_the_next_one_lands(
        e2e_api: httpx.AsyncClient, e2e_connections: Connections, stream: tuple[str, str]) -> None:
    name, prefix = stream
    others = f"org.twinhub.e2e:others-{uuid.uuid4().hex[:6]}"
    async with httpx.AsyncClient(base_url=e2e_api.base_url, auth=("someone-else", "any"), timeout=30) as other:
        assert (await other.put(f"/things/{others}", json={"attributes": {"kept": True}})).status_code == 201
    mine = f"org.twinhub.e2e:mine-{uuid.uuid4().hex[:6]}"
    assert (await e2e_api.put(f"/things/{mine}", json={"attributes": {}})).status_code == 201
    connection_id = await e2e_connections.open({
        "connectionType": "nats", "uri": f"nats://{NATS[0]}:{NATS[1]}",
        "specificConfig": {"jetstream": "true", "stream": name, "ackWaitSeconds": "1"},
        "sources": [{"addresses": [f"{prefix}.in"], "authorizationContext": [OWNER]}]})
    async with await nats.connect(f"nats://{NATS[0]}:{NATS[1]}") as connection:
        js = connection.jetstream()
        await js.publish(f"{prefix}.in", merge(others, "/attributes/kept", False))  # OWNER may not write it
        await js.publish(f"{prefix}.in", merge(mine, "/attributes/after", True))

        async def mine_changed() -> bool:
            return (await e2e_api.get(f"/things/{mine}/attributes/after")).status_code == 200

        await until(mine_changed, "the message after the refused one")
        consumer = durable_name("twinhub", connection_id, 0, f"{prefix}.in")

        async def settled() -> bool:
            info = await js.consumer_info(name, consumer)
            return info.num_ack_pending == 0 and info.num_pending == 0

        await until(settled, "both messages settled")
        assert (await js.consumer_info(name, consumer)).num_redelivered == 0  # terminated, not nak'ed
    async with httpx.AsyncClient(base_url=e2e_api.base_url, auth=("someone-else", "any"), timeout=30) as other:
        assert (await other.get(f"/things/{others}/attributes/kept")).json() is True


@pytest.mark.parametrize(("path", "status"), [("/echo", 200), ("/status/201", 201), ("/status/503", 503)])
async def test_the_receivers_answer_is_the_issued_acknowledgement(
        e2e_api: httpx.AsyncClient, e2e_connections: Connections, path: str, status: int) -> None:
    thing = f"org.twinhub.e2e:acked-{uuid.uuid4().hex[:6]}"
    assert (await e2e_api.put(f"/things/{thing}", json={"attributes": {"n": 0}})).status_code == 201
    async with HttpReceiver() as receiver:
        connection_id = await e2e_connections.open({
            "connectionType": "http-push", "uri": receiver.base, "sources": [],
            "targets": [{"address": f"POST:{path}", "topics": ["_/_/things/twin/events"],
                         "authorizationContext": [OWNER], "issuedAcknowledgementLabel": "{{connection:id}}:pushed"}]})
        label = f"{connection_id}:pushed"
        for n in (1, 2):  # a refusal fails that signal only: the next one is pushed as well
            response = await e2e_api.put(f"/things/{thing}/attributes/n", json=n,
                                         headers={"requested-acks": f"twin-persisted,{label}", "timeout": "10s"})
            acks = response.json()
            assert acks["twin-persisted"]["status"] == 204
            assert acks[label]["status"] == status
            payload = acks[label].get("payload")
            if path == "/echo":
                assert payload["method"] == "POST" and orjson.loads(payload["body"])["value"] == n
            else:
                assert payload == "as you asked"
            assert response.status_code == (200 if status < 300 else 424)
        assert len(receiver.received) == 2
