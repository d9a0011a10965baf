"""Connections end to end: a real twinhub server, a connection created over /api/2/connections, devices on
a real Mosquitto. Telemetry in changes twins (Ditto mapper and a JavaScript mapping script), what the source
may not do is refused and logged, events go out to a target, and /status follows a broker outage."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import aio_pika
import anyio
import httpx
import orjson
import pytest

from tests.connectivity.e2e import OWNER, merge
from tests.connectivity.mosquitto import Mosquitto
from tests.connectivity.mqtt import (
    collecting,
    forget_sessions,
    publish_many_now,
    publish_now,
    responding,
    server_client_ids,
)
from tests.connectivity.peer import new_queue, ready, send
from tests.connectivity.waiting import eventually_blocking as eventually
from twinhub.testing import Server


@pytest.fixture
def api(e2e_server: Server) -> Iterator[httpx.Client]:
    """The server's API as the user `ditto`, for tests outside an event loop."""
    with httpx.Client(base_url=e2e_server.base_url + "/api/2", auth=("ditto", "any"), timeout=30) as client:
        yield client


@pytest.fixture
def connections(api: httpx.Client, e2e_server: Server,
                mosquitto_url: str) -> Iterator[Callable[[dict[str, Any]], str]]:
    """Creates connections over the API; deletes them afterwards and forgets their broker sessions."""
    made: list[str] = []

    def create(body: dict[str, Any]) -> str:
        response = api.post("/connections", json={"connectionStatus": "open", **body})
        assert response.status_code == 201, response.text
        made.append(response.json()["id"])
        return made[-1]

    yield create
    for connection_id in made:
        api.delete(f"/connections/{connection_id}")
    anyio.run(forget_sessions, mosquitto_url, [client_id for connection_id in made
                                               for client_id in server_client_ids(connection_id, e2e_server.data_dir)])



def wait_open(api: httpx.Client, connection_id: str) -> dict[str, Any]:
    status: dict[str, Any] = {}

    def is_open() -> bool:
        nonlocal status
        status = api.get(f"/connections/{connection_id}/status").json()
        return bool(status.get("liveStatus") == "open")

    eventually(is_open, "the connection's opening")
    return status


def attribute(api: httpx.Client, thing_id: str, key: str) -> Any:
    response = api.get(f"/things/{thing_id}/attributes/{key}")
    return response.json() if response.status_code == 200 else None


def until_consuming(api: httpx.Client, url: str, topic: str, thing_id: str) -> None:
    pings = iter(range(1_000_000))
    eventually(lambda: attribute(api, thing_id, "ping") is not None, "a ping through the source",
               between=lambda: publish_now(url, topic, merge(thing_id, "/attributes/ping", next(pings)), qos=0))


def test_telemetry_in_changes_the_twin_through_a_connection_made_over_the_api(
        api: httpx.Client, mosquitto_url: str, prefix: str, connections: Callable[[dict[str, Any]], str]) -> None:
    thing = f"org.twinhub.e2e:lamp-{uuid.uuid4().hex[:6]}"
    assert api.put(f"/things/{thing}", json={"attributes": {}}).status_code == 201
    connection_id = connections({"connectionType": "mqtt-5", "uri": mosquitto_url, "sources": [
        {"addresses": [f"{prefix}/#"], "authorizationContext": [OWNER], "qos": 1}]})
    status = wait_open(api, connection_id)
    assert status["connectionStatus"] == "open" and status["connectedSince"]
    assert [entry["status"] for entry in status["clientStatus"]] == ["open"]
    until_consuming(api, mosquitto_url, f"{prefix}/ping", thing)
    publish_now(mosquitto_url, f"{prefix}/lamp", merge(thing, "/features/temp/properties/value", 21.5))
    eventually(lambda: api.get(f"/things/{thing}/features/temp/properties/value").json() == 21.5, "the change")
    metrics = api.get(f"/connections/{connection_id}/metrics").json()
    assert metrics["connectionMetrics"]["inbound"]["consumed"]["success"]["PT24H"] >= 2


INCOMING_SCRIPT = """
function mapToDittoProtocolMsg(headers, textPayload, bytePayload, contentType) {
    var segments = headers["mqtt.topic"].split("/");
    var thingId = segments[segments.length - 2].split(":");
    var telemetry = JSON.parse(textPayload);
    var value = { temperature: { properties: { value: telemetry.temp, unit: "C" } } };
    return Ditto.buildDittoProtocolMsg(thingId[0], thingId[1], "things", "twin", "commands", "merge",
        "/features", { "content-type": "application/merge-patch+json" }, value);
}
"""


def test_telemetry_in_through_a_javascript_mapping_script(
        api: httpx.Client, mosquitto_url: str, prefix: str, connections: Callable[[dict[str, Any]], str]) -> None:
    thing = f"org.twinhub.e2e:sensor-{uuid.uuid4().hex[:6]}"
    assert api.put(f"/things/{thing}", json={"attributes": {}}).status_code == 201
    connection_id = connections({
        "connectionType": "mqtt", "uri": mosquitto_url,
        "sources": [{"addresses": [f"{prefix}/+/telemetry"], "authorizationContext": [OWNER], "qos": 1,
                     "payloadMapping": ["sensors"]}],
        "mappingDefinitions": {"sensors": {"mappingEngine": "JavaScript",
                                           "options": {"incomingScript": INCOMING_SCRIPT}}}})
    wait_open(api, connection_id)
    temps = iter(range(1_000_000))

    def landed() -> bool:
        response = api.get(f"/things/{thing}/features/temperature/properties")
        return response.status_code == 200

    eventually(landed, "telemetry through the script", between=lambda: publish_now(
        mosquitto_url, f"{prefix}/{thing}/telemetry", orjson.dumps({"temp": next(temps)}), qos=0))
    publish_now(mosquitto_url, f"{prefix}/{thing}/telemetry", orjson.dumps({"temp": 1234}))
    eventually(lambda: api.get(f"/things/{thing}/features/temperature/properties").json() ==
               {"value": 1234, "unit": "C"}, "the last telemetry")


def test_a_command_the_source_may_not_do_is_refused_and_logged(
        api: httpx.Client, e2e_server: Server, mosquitto_url: str, prefix: str,
        connections: Callable[[dict[str, Any]], str]) -> None:
    mine = f"org.twinhub.e2e:mine-{uuid.uuid4().hex[:6]}"
    theirs = f"org.twinhub.e2e:theirs-{uuid.uuid4().hex[:6]}"
    assert api.put(f"/things/{mine}", json={"attributes": {}}).status_code == 201
    with httpx.Client(base_url=e2e_server.base_url + "/api/2", auth=("other", "any"), timeout=30) as other:
        assert other.put(f"/things/{theirs}", json={"attributes": {"x": 0}}).status_code == 201
        connection_id = connections({"connectionType": "mqtt-5", "uri": mosquitto_url, "sources": [
            {"addresses": [f"{prefix}/#"], "authorizationContext": [OWNER], "qos": 1}]})
        wait_open(api, connection_id)
        assert api.post(f"/connections/{connection_id}/command", content="connectivity.commands:enableConnectionLogs",
                        headers={"content-type": "text/plain"}).status_code == 200
        until_consuming(api, mosquitto_url, f"{prefix}/ping", mine)
        publish_now(mosquitto_url, f"{prefix}/theirs", merge(theirs, "/attributes/x", 666),
                    headers={"correlation-id": "refused-1"})

        def logged() -> bool:
            logs = api.get(f"/connections/{connection_id}/logs").json()["connectionLogs"]
            return any(entry["correlationId"] == "refused-1" and entry["level"] == "failure" for entry in logs)

        eventually(logged, "the refusal in the connection's logs")
        assert other.get(f"/things/{theirs}/attributes/x").json() == 0
        metrics = api.get(f"/connections/{connection_id}/metrics").json()
        assert metrics["containsFailures"] is True
        assert metrics["connectionMetrics"]["inbound"]["acknowledged"]["failure"]["PT24H"] == 1


def test_events_go_out_to_a_target_as_normalized_json(
        api: httpx.Client, mosquitto_url: str, prefix: str, connections: Callable[[dict[str, Any]], str]) -> None:
    thing = f"org.twinhub.e2e:out-{uuid.uuid4().hex[:6]}"
    assert api.put(f"/things/{thing}", json={"attributes": {"counter": 0}}).status_code == 201
    connection_id = connections({"connectionType": "mqtt-5", "uri": mosquitto_url, "targets": [
        {"address": prefix + "/events/{{ thing:id }}",
         "topics": ["_/_/things/twin/events?filter=gt(attributes/counter,1)"], "authorizationContext": [OWNER],
         "qos": 1, "payloadMapping": ["Normalized"]}]})
    wait_open(api, connection_id)
    with collecting(mosquitto_url, f"{prefix}/events/#") as events:
        counter = iter(range(2, 1_000_000))
        eventually(lambda: bool(events.messages), "an event at the target", between=lambda: api.put(
            f"/things/{thing}/attributes/counter", json=next(counter)))
    message = events.messages[0]
    assert message.topic == f"{prefix}/events/{thing}"
    normalized = orjson.loads(message.payload)
    assert normalized["thingId"] == thing and normalized["attributes"]["counter"] >= 2
    assert normalized["_context"]["topic"].endswith("/things/twin/events/modified")


def test_status_shows_a_broker_outage_and_the_recovery(api: httpx.Client, broker: Mosquitto,
                                                       connections: Callable[[dict[str, Any]], str]) -> None:
    thing = f"org.twinhub.e2e:outage-{uuid.uuid4().hex[:6]}"
    assert api.put(f"/things/{thing}", json={"attributes": {}}).status_code == 201
    connection_id = connections({"connectionType": "mqtt-5", "uri": broker.url, "sources": [
        {"addresses": ["devices/#"], "authorizationContext": [OWNER], "qos": 1}]})
    wait_open(api, connection_id)
    broker.stop()

    def failed() -> bool:
        status = api.get(f"/connections/{connection_id}/status").json()
        return bool(status["liveStatus"] == "failed" and status["connectionStatus"] == "open"
                    and status["clientStatus"][0]["status"] == "failed")

    eventually(failed, "the outage in /status")
    broker.start()
    wait_open(api, connection_id)
    until_consuming(api, broker.url, "devices/ping", thing)


def test_qos1_telemetry_in_flight_across_a_broker_restart_all_lands_as_sent(
        api: httpx.Client, broker: Mosquitto, connections: Callable[[dict[str, Any]], str]) -> None:
    thing = f"org.twinhub.e2e:restart-{uuid.uuid4().hex[:6]}"
    assert api.put(f"/things/{thing}", json={"attributes": {}}).status_code == 201
    connection_id = connections({"connectionType": "mqtt-5", "uri": broker.url, "sources": [
        {"addresses": ["devices/#"], "authorizationContext": [OWNER], "qos": 1}]})
    wait_open(api, connection_id)
    until_consuming(api, broker.url, "devices/ping", thing)
    count = 300
    publish_many_now(broker.url, [("devices/lamp", merge(thing, f"/attributes/k{n}", {"n": n}))
                                  for n in range(count)])
    broker.restart()  # mid-stream: the server had not yet taken them all

    def all_landed() -> bool:
        attributes = api.get(f"/things/{thing}/attributes").json()
        return sum(key.startswith("k") for key in attributes) == count

    eventually(all_landed, f"all {count} messages in the twin", within=60)
    attributes = api.get(f"/things/{thing}/attributes").json()
    assert {key: value for key, value in attributes.items() if key.startswith("k")} == {
        f"k{n}": {"n": n} for n in range(count)}


def test_an_oversize_message_is_refused_logged_and_counted_and_the_connection_goes_on(
        api: httpx.Client, mosquitto_url: str, prefix: str, connections: Callable[[dict[str, Any]], str]) -> None:
    thing = f"org.twinhub.e2e:big-{uuid.uuid4().hex[:6]}"
    assert api.put(f"/things/{thing}", json={"attributes": {}}).status_code == 201
    connection_id = connections({"connectionType": "mqtt-5", "uri": mosquitto_url, "sources": [
        {"addresses": [f"{prefix}/#"], "authorizationContext": [OWNER], "qos": 1}]})
    wait_open(api, connection_id)
    until_consuming(api, mosquitto_url, f"{prefix}/ping", thing)
    publish_now(mosquitto_url, f"{prefix}/big", merge(thing, "/attributes/big", "x" * 300_000))
    publish_now(mosquitto_url, f"{prefix}/small", merge(thing, "/attributes/after", True))
    eventually(lambda: attribute(api, thing, "after") is True, "the next message's change")

    def refused() -> bool:
        metrics = api.get(f"/connections/{connection_id}/metrics").json()
        return "failure" in metrics["connectionMetrics"]["inbound"].get("dropped", {})

    eventually(refused, "the refusal in the metrics")
    assert attribute(api, thing, "big") is None
    logs = api.get(f"/connections/{connection_id}/logs").json()["connectionLogs"]
    assert any(entry["type"] == "dropped" and "larger than the limit" in entry["message"] for entry in logs)


def test_a_target_issues_its_acknowledgement_once_the_broker_has_the_event(
        api: httpx.Client, mosquitto_url: str, prefix: str, connections: Callable[[dict[str, Any]], str]) -> None:
    thing = f"org.twinhub.e2e:acked-{uuid.uuid4().hex[:6]}"
    assert api.put(f"/things/{thing}", json={"attributes": {}}).status_code == 201
    connection_id = connections({"connectionType": "mqtt-5", "uri": mosquitto_url, "targets": [
        {"address": prefix + "/acked/{{ thing:name }}", "topics": ["_/_/things/twin/events"],
         "authorizationContext": [OWNER], "qos": 1, "issuedAcknowledgementLabel": "{{connection:id}}:delivered"}]})
    wait_open(api, connection_id)
    label = f"{connection_id}:delivered"
    with collecting(mosquitto_url, f"{prefix}/acked/#") as events:
        response = api.put(f"/things/{thing}/attributes/on", json=True,
                           headers={"requested-acks": f"twin-persisted,{label}", "timeout": "10s"})
        assert response.status_code == 200, response.text
        acks = response.json()
        assert acks["twin-persisted"]["status"] in (201, 204)
        assert acks[label]["status"] == 200
        eventually(lambda: bool(events.messages), "the event at the broker")  # it was published before the ack
    assert events.messages[0].topic == f"{prefix}/acked/{thing.split(':', 1)[1]}"


def test_a_message_to_a_thing_reaches_the_device_and_its_answer_the_caller(
        api: httpx.Client, mosquitto_url: str, prefix: str, connections: Callable[[dict[str, Any]], str]) -> None:
    thing = f"org.twinhub.e2e:asked-{uuid.uuid4().hex[:6]}"
    assert api.put(f"/things/{thing}", json={"attributes": {}}).status_code == 201
    connection_id = connections({
        "connectionType": "mqtt-5", "uri": mosquitto_url,
        "sources": [{"addresses": [f"{prefix}/responses/#"], "authorizationContext": [OWNER], "qos": 1}],
        "targets": [{"address": prefix + "/commands/{{ thing:name }}", "topics": ["_/_/things/live/messages"],
                     "authorizationContext": [OWNER], "qos": 1}]})
    wait_open(api, connection_id)
    asked: list[dict[str, Any]] = []

    def answer(message: dict[str, Any]) -> None:  # the device: what it was asked, answered on its source
        asked.append(message)
        publish_now(mosquitto_url, f"{prefix}/responses/{thing}", orjson.dumps({
            "topic": message["topic"], "path": message["path"], "status": 200, "value": {"answer": 42},
            "headers": {"correlation-id": message["headers"]["correlation-id"], "content-type": "application/json"}}))

    with responding(mosquitto_url, f"{prefix}/commands/#", answer):
        response = api.post(f"/things/{thing}/inbox/messages/ask", json={"question": "?"},
                            params={"timeout": "10"})
    assert response.status_code == 200, response.text
    assert response.json() == {"answer": 42}
    assert asked[0]["topic"].endswith("/things/live/messages/ask") and asked[0]["value"] == {"question": "?"}


def test_an_amqp_091_source_changes_twins_and_rejects_what_its_subjects_may_not_do(
        api: httpx.Client, e2e_server: Server, vhost: str, connections: Callable[[dict[str, Any]], str]) -> None:
    uri = f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
    thing = f"org.twinhub.e2e:amqp-{uuid.uuid4().hex[:6]}"
    theirs = f"org.twinhub.e2e:not-mine-{uuid.uuid4().hex[:6]}"
    assert api.put(f"/things/{thing}", json={"attributes": {}}).status_code == 201
    with httpx.Client(base_url=e2e_server.base_url + "/api/2", auth=("other", "any"), timeout=30) as other:
        assert other.put(f"/things/{theirs}", json={"attributes": {}}).status_code == 201

    async def broker(action: str, queue: str = "", body: bytes = b"") -> Any:
        async with await aio_pika.connect(uri) as link:
            channel = await link.channel()
            if action == "declare":
                return await new_queue(channel)
            if action == "send":
                await send(channel, queue, body, content_type="application/json")
                return None
            return await ready(channel, queue)

    queue = anyio.run(broker, "declare")
    connection_id = connections({"connectionType": "amqp-091", "uri": uri, "sources": [
        {"addresses": [queue], "authorizationContext": [OWNER]}]})
    wait_open(api, connection_id)
    anyio.run(broker, "send", queue, merge(theirs, "/attributes/x", 1))
    anyio.run(broker, "send", queue, merge(thing, "/attributes/via", "amqp"))
    eventually(lambda: attribute(api, thing, "via") == "amqp", "the change through AMQP")

    def settled() -> bool:
        metrics = api.get(f"/connections/{connection_id}/metrics").json()["connectionMetrics"]["inbound"]
        acknowledged = metrics.get("acknowledged", {})
        return "failure" in acknowledged and "success" in acknowledged

    eventually(settled, "both messages settled")
    assert anyio.run(broker, "ready", queue) == 0  # neither waits in the queue: the refused one was rejected
