"""A connection's targets at work on a worker (in process) against the machine's Mosquitto: twin events go out
as the target's subjects may READ them, filtered by the topic's namespaces and RQL filter, with extra fields,
to an address resolved per thing; an issued acknowledgement answers the sender once the broker has it."""

from __future__ import annotations

import pytest

from tests.connectivity.mqtt import collecting
from tests.connectivity.polling import until
from tests.connectivity.runtime_world import context_of, create_thing, mqtt_connection, running, worker
from twinhub.model.commands import ThingCommand
from twinhub.model.policy import PolicyCommand
from twinhub.model.types import JsonValue
from twinhub.protocol import parse_envelope
from twinhub.service.platform import Platform

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> tuple[str, dict[str, bool]]:
    return "asyncio", {"use_uvloop": True}  # as the server runs

OWNER = ("integration:device",)
READER = "integration:reader"


def policy() -> JsonValue:
    everything = {"grant": ["READ", "WRITE"], "revoke": []}
    return {"entries": {
        "owner": {"subjects": {OWNER[0]: {"type": "test"}},
                  "resources": {"thing:/": everything, "policy:/": everything, "message:/": everything}},
        "reader": {"subjects": {READER: {"type": "test"}},
                   "resources": {"thing:/": {"grant": ["READ"], "revoke": []},
                                 "thing:/attributes/secret": {"grant": [], "revoke": ["READ"]}}}}}


async def thing_with_reader(platform: Platform, thing_id: str) -> None:
    await platform.policies.execute(PolicyCommand("modify", thing_id, (), policy()), OWNER)
    await create_thing(platform, thing_id, OWNER, {"policyId": thing_id, "attributes": {"placement": "hall"}})


async def change(platform: Platform, thing_id: str, key: str, value: JsonValue) -> None:
    await platform.things.execute(ThingCommand("modify", thing_id, ("attributes", key), value), OWNER)


async def test_twin_events_go_out_read_filtered_with_namespaces_filter_and_extra_fields(
        mosquitto_url: str, prefix: str, client_ids: list[str], tmp_path) -> None:
    async with worker(tmp_path) as platform:
        await thing_with_reader(platform, "org.twinhub.test:lamp")
        await thing_with_reader(platform, "org.twinhub.other:lamp")
        target = {"address": prefix + "/events/{{ thing:namespace }}/{{ thing:name }}",
                  "topics": ["_/_/things/twin/events?namespaces=org.twinhub.test&filter=gt(attributes/counter,42)"
                             "&extraFields=attributes/placement"],
                  "authorizationContext": [READER], "qos": 1,
                  "headerMapping": {"x-thing": "{{ thing:id }}"}}
        connection = mqtt_connection(mosquitto_url, targets=[target])
        with collecting(mosquitto_url, f"{prefix}/events/#") as events:
            async with running(connection, context_of(platform, client_ids)) as runtime:
                await runtime.connected()

                async def subscribed() -> bool:
                    return runtime.status_entries()[2][0]["status"] == "open"

                await until(subscribed, "the target's subscription")
                await change(platform, "org.twinhub.test:lamp", "counter", 1)  # filtered out: not > 42
                await change(platform, "org.twinhub.other:lamp", "counter", 50)  # another namespace
                await change(platform, "org.twinhub.test:lamp", "secret", 99)  # not readable: not seen
                await change(platform, "org.twinhub.test:lamp", "counter", 43)  # this one goes out

                async def published() -> bool:
                    return len(events.messages) >= 1

                await until(published, "the event's publication")
                await change(platform, "org.twinhub.test:lamp", "counter", 44)
                await until(lambda: len(events.messages) >= 2, "the second event")
        envelopes = [parse_envelope(message.payload) for message in events.messages]
        assert [message.topic for message in events.messages] == [f"{prefix}/events/org.twinhub.test/lamp"] * 2
        assert [(envelope.path, envelope.value) for envelope in envelopes] == [
            ("/attributes/counter", 43), ("/attributes/counter", 44)]
        assert envelopes[0].topic.criterion == "events"
        assert envelopes[0].extra == {"attributes": {"placement": "hall"}}
        user = dict(events.messages[0].properties.UserProperty)  # type: ignore[union-attr]
        assert user["x-thing"] == "org.twinhub.test:lamp"
        outbound = runtime.monitor.metrics()["connectionMetrics"]["outbound"]  # type: ignore[index, call-overload]
        assert outbound["published"]["success"]["PT24H"] == 2


async def test_an_address_that_does_not_resolve_drops_the_signal(mosquitto_url: str, prefix: str,
                                                                  client_ids: list[str], tmp_path) -> None:
    async with worker(tmp_path) as platform:
        await thing_with_reader(platform, "org.twinhub.test:lamp")
        target = {"address": prefix + "/events/{{ header:no-such-header }}",
                  "topics": ["_/_/things/twin/events"], "authorizationContext": [READER]}
        connection = mqtt_connection(mosquitto_url, targets=[target])
        async with running(connection, context_of(platform, client_ids)) as runtime:
            await runtime.connected()
            await until(lambda: runtime.status_entries()[2][0]["status"] == "open", "the subscription")
            await change(platform, "org.twinhub.test:lamp", "counter", 1)

            async def dropped() -> bool:
                outbound = runtime.monitor.metrics()["connectionMetrics"]["outbound"]  # type: ignore[index]
                return "dropped" in outbound  # type: ignore[operator]

            await until(dropped, "the drop")
            outbound = runtime.monitor.metrics()["connectionMetrics"]["outbound"]  # type: ignore[index, call-overload]
            assert outbound["published"]["success"]["PT24H"] == 0  # type: ignore[index, call-overload]

