"""A connection's sources at work on a worker (in process) against the machine's Mosquitto: device messages
change twins as the source's subjects, are acknowledged to the broker only once committed, and what cannot
be done is rejected, logged and counted without stopping the connection."""

from __future__ import annotations

from dataclasses import replace

import orjson
import pytest

from tests.connectivity.e2e import merge
from tests.connectivity.mqtt import collecting, publish, publish_many
from tests.connectivity.polling import until
from tests.connectivity.runtime_world import context_of, create_thing, mqtt_connection, running, thing_at, worker
from twinhub.connectivity.model import MappingDefinition
from twinhub.connectivity.runtime.connection import ConnectionRuntime
from twinhub.model.errors import TwinhubError
from twinhub.model.types import JsonObject, JsonValue
from twinhub.service.platform import Platform

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> tuple[str, dict[str, bool]]:
    return "asyncio", {"use_uvloop": True}  # as the server runs

DEVICE = ("integration:device",)
THING = "org.twinhub.test:lamp"



def counted(runtime: ConnectionRuntime, kind: str, outcome: str = "success", *, address: str | None = None) -> int:
    """What the connection counted, or one source of it (`address`: its addresses joined by ';')."""
    metrics = runtime.monitor.metrics()
    if address is None:
        inbound = metrics["connectionMetrics"]["inbound"]  # type: ignore[index, call-overload]
    else:
        inbound = metrics["sourceMetrics"]["addressMetrics"].get(address, {})  # type: ignore[index, call-overload, union-attr]
    measured = inbound.get(kind, {}).get(outcome)
    return int(measured["PT24H"]) if measured else 0


async def until_consuming(runtime: ConnectionRuntime, platform: Platform, url: str, topic: str) -> None:
    """Ping the thing through the source until a ping lands: the subscription is in place."""
    pings = iter(range(1_000_000))

    async def landed() -> bool:  # or else ping again
        thing = await thing_at(platform, THING, DEVICE)
        if isinstance(thing, dict) and "ping" in thing.get("attributes", {}):  # type: ignore[operator]
            return True
        await publish(url, topic, merge(THING, "/attributes/ping", next(pings)), qos=0)
        return False

    await runtime.connected()
    await until(landed, "a ping through the source")


def source(prefix: str, **extra: JsonValue) -> JsonObject:
    return {"addresses": [f"{prefix}/#"], "authorizationContext": list(DEVICE), "qos": 1, **extra}


async def test_a_device_message_changes_the_twin_and_is_acknowledged(mosquitto_url: str, prefix: str,
                                                                     client_ids: list[str], tmp_path) -> None:
    async with worker(tmp_path) as platform:
        await create_thing(platform, THING, DEVICE)
        # The pings have a source of their own, so that what the lamp's source counts is the lamp's message alone.
        connection = mqtt_connection(mosquitto_url, sources=[source(prefix), source(prefix + "-ping")])
        async with running(connection, context_of(platform, client_ids)) as runtime:
            await until_consuming(runtime, platform, mosquitto_url, f"{prefix}-ping/x")
            await publish(mosquitto_url, f"{prefix}/lamp", merge(THING, "/features/temp/properties/value", 21.5))

            async def changed() -> bool:
                thing = await thing_at(platform, THING, DEVICE)
                return thing.get("features", {}).get("temp") == {"properties": {"value": 21.5}}  # type: ignore[union-attr]

            await until(changed, "the twin change")
            await until(lambda: counted(runtime, "acknowledged", address=f"{prefix}/#") == 1,
                        "the message's acknowledgement")
            assert counted(runtime, "acknowledged", "failure") == 0


async def test_a_command_the_subjects_may_not_do_is_rejected_logged_and_counted(
        mosquitto_url: str, prefix: str, client_ids: list[str], tmp_path) -> None:
    async with worker(tmp_path) as platform:
        await create_thing(platform, THING, DEVICE)
        await create_thing(platform, "org.twinhub.test:other", ("nginx:owner",))
        connection = mqtt_connection(mosquitto_url, sources=[source(prefix)])
        async with running(connection, context_of(platform, client_ids)) as runtime:
            await until_consuming(runtime, platform, mosquitto_url, f"{prefix}/ping")
            await publish(mosquitto_url, f"{prefix}/other", merge("org.twinhub.test:other", "/attributes/x", 1,
                                                                   **{"correlation-id": "forbidden-1"}))

            async def rejected() -> bool:
                return counted(runtime, "acknowledged", "failure") == 1

            await until(rejected, "the rejection")
            [entry] = [entry for entry in runtime.monitor.logs()["connectionLogs"]  # type: ignore[union-attr]
                       if entry["correlationId"] == "forbidden-1"]  # type: ignore[index]
            assert entry["level"] == "failure" and entry["entityId"] == "org.twinhub.test:other"  # type: ignore[index]
            assert "404" in entry["message"] or "403" in entry["message"]  # type: ignore[index, operator]
            with pytest.raises(TwinhubError):  # nothing changed: the owner's thing has no x
                other = await platform.things.retrieve("org.twinhub.test:other", ("attributes", "x"), ("nginx:owner",))
                assert other is None
            # The connection goes on.
            await publish(mosquitto_url, f"{prefix}/lamp", merge(THING, "/attributes/after", True))

            async def went_on() -> bool:
                thing = await thing_at(platform, THING, DEVICE)
                return thing.get("attributes", {}).get("after") is True  # type: ignore[union-attr]

            await until(went_on, "the next message's change")


@pytest.mark.parametrize("payload", [b"not json at all", b'{"topic": "nonsense"}', b"\xff\xfe", b"[]"])
async def test_a_malformed_payload_is_logged_and_counted_and_the_connection_goes_on(
        mosquitto_url: str, prefix: str, client_ids: list[str], tmp_path, payload: bytes) -> None:
    async with worker(tmp_path) as platform:
        await create_thing(platform, THING, DEVICE)
        connection = mqtt_connection(mosquitto_url, sources=[source(prefix)])
        async with running(connection, context_of(platform, client_ids)) as runtime:
            await until_consuming(runtime, platform, mosquitto_url, f"{prefix}/ping")
            await publish(mosquitto_url, f"{prefix}/junk", payload)

            async def counted_as_unmappable() -> bool:
                return counted(runtime, "mapped", "failure") == 1

            await until(counted_as_unmappable, "the mapping failure")
            assert any(entry["type"] == "mapped" and entry["level"] == "failure"  # type: ignore[index]
                       for entry in runtime.monitor.logs()["connectionLogs"])  # type: ignore[union-attr]
            await publish(mosquitto_url, f"{prefix}/lamp", merge(THING, "/attributes/after", 1))

            async def went_on() -> bool:
                thing = await thing_at(platform, THING, DEVICE)
                return thing.get("attributes", {}).get("after") == 1  # type: ignore[union-attr]

            await until(went_on, "the next message's change")


async def test_enforcement_lets_a_device_change_only_its_own_thing(mosquitto_url: str, prefix: str,
                                                                   client_ids: list[str], tmp_path) -> None:
    async with worker(tmp_path) as platform:
        await create_thing(platform, THING, DEVICE)
        await create_thing(platform, "org.twinhub.test:other", DEVICE)
        enforced = source(prefix, enforcement={"input": "{{ source:address }}",
                                               "filters": [prefix + "/{{ thing:name }}"]})
        connection = mqtt_connection(mosquitto_url, sources=[enforced])
        async with running(connection, context_of(platform, client_ids)) as runtime:
            await until_consuming(runtime, platform, mosquitto_url, f"{prefix}/lamp")
            await publish(mosquitto_url, f"{prefix}/lamp", merge("org.twinhub.test:other", "/attributes/x", 1,
                                                                  **{"correlation-id": "not-mine"}))

            async def refused() -> bool:
                return counted(runtime, "enforced", "failure") == 1

            await until(refused, "the enforcement failure")
            assert counted(runtime, "acknowledged", "failure") == 1
            other = await thing_at(platform, "org.twinhub.test:other", DEVICE)
            assert other == {"thingId": "org.twinhub.test:other", "policyId": "org.twinhub.test:other",
                             "attributes": {}}
            [entry] = [entry for entry in runtime.monitor.logs()["connectionLogs"]  # type: ignore[union-attr]
                       if entry["correlationId"] == "not-mine"]  # type: ignore[index]
            assert entry["type"] == "enforced"  # type: ignore[index]


async def test_responses_go_to_the_reply_target_with_the_mapped_headers(mosquitto_url: str, prefix: str,
                                                                        client_ids: list[str], tmp_path) -> None:
    async with worker(tmp_path) as platform:
        await create_thing(platform, THING, DEVICE)
        await create_thing(platform, "org.twinhub.test:other", ("nginx:owner",))
        replying = source(prefix, headerMapping={"device-topic": "{{ header:mqtt.topic }}"},
                          replyTarget={"enabled": True, "address": "{{ header:reply-to }}",
                                       "headerMapping": {"x-answered-for": "{{ header:device-topic }}"},
                                       "expectedResponseTypes": ["response", "error"]})
        connection = mqtt_connection(mosquitto_url, sources=[replying])
        async with running(connection, context_of(platform, client_ids)) as runtime:
            await until_consuming(runtime, platform, mosquitto_url, f"{prefix}/ping")
            with collecting(mosquitto_url, f"{prefix}-replies/#") as replies:
                await publish(mosquitto_url, f"{prefix}/lamp", merge(THING, "/attributes/on", True),
                              headers={"reply-to": f"{prefix}-replies/lamp", "correlation-id": "ok-1"})
                await publish(mosquitto_url, f"{prefix}/lamp", merge("org.twinhub.test:other", "/attributes/on", True),
                              headers={"reply-to": f"{prefix}-replies/other", "correlation-id": "no-2"})
                await publish(mosquitto_url, f"{prefix}/lamp", merge(THING, "/attributes/quiet", True,
                                                                      **{"response-required": False}),
                              headers={"reply-to": f"{prefix}-replies/quiet", "correlation-id": "quiet-3"})

                async def both_answered() -> bool:
                    return counted(runtime, "acknowledged") + counted(runtime, "acknowledged", "failure") >= 4

                await until(both_answered, "the answers")
                await until(lambda: len(replies.messages) >= 2, "the replies")
                by_topic = {message.topic: orjson.loads(message.payload) for message in replies.messages}
                assert set(by_topic) == {f"{prefix}-replies/lamp", f"{prefix}-replies/other"}  # not the quiet one
                ok = by_topic[f"{prefix}-replies/lamp"]
                assert ok["status"] == 204 and ok["headers"]["correlation-id"] == "ok-1"
                assert ok["topic"] == "org.twinhub.test/lamp/things/twin/commands/merge"
                refused = by_topic[f"{prefix}-replies/other"]
                assert refused["status"] in (403, 404) and refused["topic"].endswith("/things/twin/errors")
                properties = {message.topic: dict(message.properties.UserProperty)  # type: ignore[union-attr]
                              for message in replies.messages}
                assert properties[f"{prefix}-replies/lamp"]["x-answered-for"] == f"{prefix}/lamp"



ORDERED_SCRIPT = """
function mapToDittoProtocolMsg(headers, textPayload, bytePayload, contentType) {
    var change = JSON.parse(textPayload);
    return Ditto.buildDittoProtocolMsg("org.twinhub.test", "lamp", "things", "twin", "commands", "merge",
        "/attributes", { "content-type": "application/merge-patch+json" }, change);
}
"""


@pytest.mark.parametrize("mapping", ["Ditto", "JavaScript"])
async def test_messages_for_one_thing_change_it_in_the_order_sent(mosquitto_url: str, prefix: str,
                                                                  client_ids: list[str], tmp_path,
                                                                  mapping: str) -> None:
    async with worker(tmp_path) as platform:
        await create_thing(platform, THING, DEVICE)
        ordered = source(prefix, payloadMapping=["ordered"]) if mapping == "JavaScript" else source(prefix)
        connection = mqtt_connection(mosquitto_url, sources=[ordered, source(prefix + "-ping")])
        if mapping == "JavaScript":  # a script mapper runs in a thread: the order must hold all the same
            connection = replace(connection, mapping_definitions={"ordered": MappingDefinition(
                "JavaScript", {"incomingScript": ORDERED_SCRIPT})})
        async with running(connection, context_of(platform, client_ids)) as runtime:
            await until_consuming(runtime, platform, mosquitto_url, f"{prefix}-ping/x")
            count = 200

            def change(n: int) -> bytes:
                return orjson.dumps({"level": n}) if mapping == "JavaScript" else merge(THING, "/attributes/level", n)

            await publish_many(mosquitto_url, [(f"{prefix}/lamp", change(n)) for n in range(count)])
            await publish(mosquitto_url, f"{prefix}-ping/lamp", merge(THING, "/attributes/done", True))

            async def done() -> bool:
                thing = await thing_at(platform, THING, DEVICE)
                attributes = thing.get("attributes", {})  # type: ignore[union-attr]
                return attributes.get("done") is True and "level" in attributes  # type: ignore[operator]

            await until(done, "the last message's change")
            await until(lambda: _level_is(platform, count - 1), "the last level")
            await until(lambda: counted(runtime, "acknowledged", address=f"{prefix}/#") == count,
                        "each message's acknowledgement")


async def _level_is(platform: Platform, level: int) -> bool:
    thing = await thing_at(platform, THING, DEVICE)
    return thing.get("attributes", {}).get("level") == level  # type: ignore[union-attr]


async def test_a_source_acts_as_the_subjects_its_placeholders_resolve_to_per_message(
        mosquitto_url: str, prefix: str, client_ids: list[str], tmp_path) -> None:
    async with worker(tmp_path) as platform:
        await create_thing(platform, THING, DEVICE)
        await create_thing(platform, "org.twinhub.test:own", ("integration:lamp-device",))
        per_device = {"addresses": [f"{prefix}/#"], "qos": 1,
                      "authorizationContext": ["integration:{{ header:device }}"]}
        connection = mqtt_connection(mosquitto_url, sources=[per_device, source(prefix + "-ping")])
        async with running(connection, context_of(platform, client_ids)) as runtime:
            await until_consuming(runtime, platform, mosquitto_url, f"{prefix}-ping/x")
            own = "org.twinhub.test:own"
            await publish(mosquitto_url, f"{prefix}/a", merge(own, "/attributes/by", "intruder",
                                                              **{"correlation-id": "intruder"}),
                          headers={"device": "intruder"})
            await publish(mosquitto_url, f"{prefix}/b", merge(own, "/attributes/by", "nobody",
                                                              **{"correlation-id": "nobody"}))
            await publish(mosquitto_url, f"{prefix}/c", merge(own, "/attributes/by", "its device"),
                          headers={"device": "lamp-device"})

            async def changed() -> bool:
                thing = await thing_at(platform, own, ("integration:lamp-device",))
                return thing.get("attributes", {}).get("by") == "its device"  # type: ignore[union-attr]

            await until(changed, "the change by the thing's own device")
            await until(lambda: counted(runtime, "acknowledged", "failure") == 2, "both refusals")
            refused = {entry["correlationId"]: entry for entry in runtime.monitor.logs()["connectionLogs"]  # type: ignore[union-attr, index]
                       if entry["level"] == "failure"}  # type: ignore[index]
            assert set(refused) == {"intruder", "nobody"}
            assert "placeholder" in refused["nobody"]["message"].lower()  # type: ignore[index, union-attr]
