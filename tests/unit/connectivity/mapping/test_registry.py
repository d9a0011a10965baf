"""A connection's mappers from its mappingDefinitions: payloadMapping lists, the default, conditions,
concatenated results, failures per mapper, configuration errors, closing."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator

import orjson
import pytest

from twinhub.connectivity.external import ExternalMessage
from twinhub.connectivity.mapping import ENGINES, MapperConfigurationInvalid, MapperRegistry, MappingFailed
from twinhub.connectivity.mapping.base import MapperContext
from twinhub.connectivity.mapping.javascript import JavaScriptMapper, ScriptLimits
from twinhub.connectivity.model import FALLBACK_MAPPERS, MAPPING_ENGINES
from twinhub.model.types import JsonObject, JsonValue
from twinhub.protocol import envelope_from_json

NOW = dt.datetime(2024, 1, 6, 14, 23, 42, tzinfo=dt.UTC)
DITTO = "application/vnd.eclipse.ditto+json"
MODIFY: JsonObject = {"topic": "org.acme/lamp/things/twin/commands/modify", "headers": {}, "path": "/attributes/on",
                      "value": True}
EVENT: JsonObject = {"topic": "org.acme/lamp/things/twin/events/modified", "headers": {"x-route": "yes"},
                     "path": "/attributes/on", "value": True}
DEFINITIONS: JsonObject = {
    "status": {"mappingEngine": "ConnectionStatus", "options": {"thingId": "{{ header:device_id }}"},
               "incomingConditions": {"hono": "fn:filter(header:ttd,'exists')"}},
    "doubler": {"mappingEngine": "JavaScript", "options": {"incomingScript": """
        function mapToDittoProtocolMsg(headers, textPayload) {
          let msg = JSON.parse(textPayload);
          return [msg, msg];
        }"""}},
    "routed": {"mappingEngine": "Normalized", "outgoingConditions": {"c": "fn:filter(header:x-route,'eq','yes')"}},
}


@pytest.fixture
def registry() -> Iterator[MapperRegistry]:
    built = MapperRegistry("conn-1", DEFINITIONS, clock=lambda: NOW)
    yield built
    built.close()


def test_no_payload_mapping_means_ditto(registry: MapperRegistry) -> None:
    outcome = registry.map_inbound(ExternalMessage(orjson.dumps(MODIFY), {"content-type": DITTO}))
    assert [envelope.to_json() for envelope in outcome.envelopes] == [MODIFY] and outcome.failures == []
    [message] = registry.map_outbound(envelope_from_json(EVENT)).messages
    assert message.content_type == DITTO


def test_results_of_several_mappers_are_concatenated_in_order(registry: MapperRegistry) -> None:
    headers = {"content-type": DITTO, "device_id": "org.acme:lamp", "creation-time": "1000", "ttd": "-1"}
    outcome = registry.map_inbound(ExternalMessage(orjson.dumps(MODIFY), headers), ["Ditto", "status", "doubler"])
    assert [envelope.path for envelope in outcome.envelopes] == [
        "/attributes/on", "/features/ConnectionStatus", "/attributes/on", "/attributes/on"]


def test_a_mapper_runs_only_when_its_conditions_hold(registry: MapperRegistry) -> None:
    without_ttd = ExternalMessage(orjson.dumps(MODIFY), {"content-type": DITTO, "device_id": "org.acme:lamp"})
    assert registry.map_inbound(without_ttd, ["status"]).envelopes == []
    assert len(registry.map_outbound(envelope_from_json(EVENT), ["routed"]).messages) == 1
    unrouted = envelope_from_json({**EVENT, "headers": {"x-route": "no"}})
    assert registry.map_outbound(unrouted, ["routed"]).messages == []


def test_hono_notifications_skip_the_ditto_mapper_but_reach_connection_status(registry: MapperRegistry) -> None:
    notification = ExternalMessage(b"", {"content-type": "application/vnd.eclipse-hono-empty-notification",
                                         "device_id": "org.acme:lamp", "creation-time": "1000", "ttd": "60"})
    outcome = registry.map_inbound(notification, ["Ditto", "status"])
    assert [envelope.path for envelope in outcome.envelopes] == ["/features/ConnectionStatus"]
    assert outcome.failures == []


def test_a_content_type_blocklist_is_configurable() -> None:
    registry = MapperRegistry("conn-1", {"picky": {"mappingEngine": "Ditto", "options": {
        "contentTypeBlocklist": "text/plain, application/xml"}}})
    try:
        skipped = registry.map_inbound(ExternalMessage(orjson.dumps(MODIFY), {"content-type": "text/plain"}),
                                       ["picky"])
        assert skipped.envelopes == [] and skipped.failures == []
        assert len(registry.map_inbound(ExternalMessage(orjson.dumps(MODIFY), {"content-type": DITTO}),
                                        ["picky"]).envelopes) == 1
    finally:
        registry.close()
    with pytest.raises(MapperConfigurationInvalid):
        MapperRegistry("conn-1", {"bad": {"mappingEngine": "Ditto", "options": {"contentTypeBlocklist": ["x"]}}})


def test_a_failing_mapper_is_reported_and_does_not_stop_the_others(registry: MapperRegistry) -> None:
    outcome = registry.map_inbound(ExternalMessage(b"{broken", {"content-type": DITTO}), ["doubler", "Normalized"])
    assert outcome.envelopes == []
    [(mapper_id, failure)] = outcome.failures
    assert mapper_id == "doubler" and isinstance(failure, MappingFailed)
    mixed = registry.map_inbound(ExternalMessage(b"{broken", {"content-type": DITTO}), ["Ditto", "Ditto"])
    assert len(mixed.failures) == 2


def test_an_envelope_a_mapper_built_with_invalid_headers_is_a_failure() -> None:
    definitions: JsonObject = {"create": {"mappingEngine": "ImplicitThingCreation", "options": {
        "thing": {"thingId": "{{ header:device_id }}"}, "commandHeaders": {"timeout": "{{ header:wait }}"}}}}
    registry = MapperRegistry("conn-1", definitions)
    try:
        good = registry.map_inbound(ExternalMessage(b"", {"device_id": "org.acme:d", "wait": "10s"}), ["create"])
        assert len(good.envelopes) == 1 and good.envelopes[0].headers["timeout"] == "10s"
        bad = registry.map_inbound(ExternalMessage(b"", {"device_id": "org.acme:d", "wait": "soon"}), ["create"])
        assert bad.envelopes == [] and len(bad.failures) == 1
    finally:
        registry.close()


def test_an_oversize_message_fails_once_before_any_mapper(registry: MapperRegistry) -> None:
    outcome = registry.map_inbound(ExternalMessage(b" " * (300 * 1024)), ["Ditto", "doubler"])
    assert outcome.envelopes == [] and len(outcome.failures) == 1


def test_bound_mappers_apply_conditions_and_raise_their_failures(registry: MapperRegistry) -> None:
    status, doubler = registry.mappers(["status", "doubler"])
    message = ExternalMessage(orjson.dumps(MODIFY), {"content-type": DITTO, "device_id": "org.acme:lamp"})
    assert status.map_inbound(message) == []  # no ttd header: its condition does not hold
    assert len(doubler.map_inbound(message)) == 2
    with pytest.raises(MappingFailed):
        doubler.map_inbound(ExternalMessage(b"{broken"))
    [ditto] = registry.mappers([])
    assert len(ditto.map_outbound(envelope_from_json(EVENT))) == 1
    with pytest.raises(MapperConfigurationInvalid):
        registry.mappers(["nope"])


def test_engines_without_options_may_be_named_directly(registry: MapperRegistry) -> None:
    registry.check_payload_mapping(["Ditto", "Normalized", "RawMessage", "CloudEvents",
                                    "UpdateTwinWithLiveResponse", "status", "doubler"])
    for unknown in (["nope"], ["JavaScript"], ["ImplicitThingCreation"], ["ConnectionStatus"]):
        with pytest.raises(MapperConfigurationInvalid):
            registry.check_payload_mapping(unknown)


def test_the_registry_runs_every_engine_the_connection_model_accepts() -> None:
    # validate() accepts a connection by the model's lists; the registry must then be able to build it.
    assert sorted(ENGINES) == sorted(MAPPING_ENGINES)
    assert set(FALLBACK_MAPPERS) <= set(MAPPING_ENGINES)


@pytest.mark.parametrize("definitions", [
    {"a": "not an object"},
    {"a": {"mappingEngine": "Kafkaesque"}},
    {"a": {"mappingEngine": "Normalized", "options": []}},
    {"a": {"mappingEngine": "Normalized", "incomingConditions": ["fn:filter(header:x,'exists')"]}},
    {"a": {"mappingEngine": "Normalized", "incomingConditions": {"c": "fn:nope()"}}},
    {"a": {"mappingEngine": "Normalized", "incomingConditions": {"c": "fn:filter(thing:id,'exists')"}}},
    {"a": {"mappingEngine": "JavaScript", "options": {"incomingScript": "function ("}}},
    {f"m{i}": {"mappingEngine": "Ditto"} for i in range(40)},
    {"a": {"mappingEngine": "Ditto", "incomingConditions": {f"c{i}": "fn:filter(header:x,'exists')"
                                                            for i in range(20)}}},
])
def test_unusable_definitions_are_configuration_errors(definitions: dict[str, JsonValue]) -> None:
    with pytest.raises(MapperConfigurationInvalid):
        MapperRegistry("conn-1", definitions)


def test_a_closed_registry_closes_its_script_engines() -> None:
    registry = MapperRegistry("conn-1", DEFINITIONS)
    doubler = registry._mapper("doubler").mapper
    registry.close()
    with pytest.raises(MappingFailed, match="closed"):
        doubler.map_inbound(ExternalMessage(orjson.dumps(MODIFY)))
    with pytest.raises(RuntimeError, match="closed"):
        registry.map_inbound(ExternalMessage(orjson.dumps(MODIFY)))
    registry.close()


def test_a_script_mapper_works_from_async_code_through_a_worker_thread() -> None:
    """Built while an event loop runs (as in the server), called through `asyncio.to_thread`: neither the
    mapping nor an interrupted script blocks or breaks the loop."""
    async def main() -> tuple[object, object]:
        mapper = JavaScriptMapper(MapperContext("conn-1", "js", {"incomingScript": """
            function mapToDittoProtocolMsg(headers, textPayload) {
              if (textPayload === 'loop') { while (true) {} }
              return JSON.parse(textPayload);
            }"""}), limits=ScriptLimits(timeout=0.2))
        try:
            ticks = 0

            async def tick() -> None:
                nonlocal ticks
                while True:
                    ticks += 1
                    await asyncio.sleep(0)

            ticker = asyncio.create_task(tick())
            mapped = await asyncio.to_thread(mapper.map_inbound, ExternalMessage(orjson.dumps(MODIFY),
                                                                                   {"content-type": "text/plain"}))
            try:
                await asyncio.to_thread(mapper.map_inbound, ExternalMessage(b"loop", {"content-type": "text/plain"}))
                failed: object = None
            except MappingFailed as failure:
                failed = failure
            ticker.cancel()
            assert ticks > 0  # the loop kept running while scripts ran
            return mapped, failed
        finally:
            mapper.close()

    mapped, failed = asyncio.run(main())
    assert isinstance(mapped, list) and mapped[0].path == "/attributes/on"
    assert isinstance(failed, MappingFailed)
