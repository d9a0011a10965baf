"""The built-in mappers both ways, with the examples of Ditto's documentation (connectivity-mapping.md)."""

from __future__ import annotations

import base64
import datetime as dt

import orjson
import pytest

from twinhub.connectivity.external import ExternalMessage
from twinhub.connectivity.mapping.base import MapperConfigurationInvalid, MapperContext, MappingFailed
from twinhub.connectivity.mapping.cloud_events import CloudEventsMapper
from twinhub.connectivity.mapping.connection_status import ConnectionStatusMapper
from twinhub.connectivity.mapping.ditto import DittoMapper
from twinhub.connectivity.mapping.implicit_thing import ImplicitThingCreationMapper
from twinhub.connectivity.mapping.live_response import UpdateTwinWithLiveResponseMapper
from twinhub.connectivity.mapping.normalized import NormalizedMapper
from twinhub.connectivity.mapping.raw_message import RawMessageMapper
from twinhub.model.types import JsonObject
from twinhub.protocol import Envelope, encode_envelope, envelope_from_json, envelope_to_json, parse_envelope

NOW = dt.datetime(2024, 1, 6, 14, 23, 42, 123000, tzinfo=dt.UTC)
DITTO = "application/vnd.eclipse.ditto+json"
MODIFY = {"topic": "org.acme/lamp-1/things/twin/commands/modify", "headers": {"correlation-id": "c-1"},
          "path": "/attributes/on", "value": True}


def context(options: JsonObject | None = None, alias: str = "m") -> MapperContext:
    return MapperContext("conn-1", alias, options or {}, lambda: NOW)


def envelope(message: JsonObject) -> Envelope:
    return envelope_from_json(message)


# --- Ditto ---------------------------------------------------------------------------------------------------

def test_ditto_reads_a_ditto_protocol_message() -> None:
    [mapped] = DittoMapper().map_inbound(ExternalMessage(orjson.dumps(MODIFY), {"content-type": DITTO}))
    assert envelope_to_json(mapped) == MODIFY


def test_ditto_writes_the_envelope_with_its_content_type_and_correlation_id() -> None:
    [message] = DittoMapper().map_outbound(envelope(MODIFY))
    assert parse_envelope(message.payload) == envelope(MODIFY)
    assert message.headers == {"content-type": DITTO, "correlation-id": "c-1"}


@pytest.mark.parametrize("payload", [b"", b"not json", b"[1,2]", b'{"topic":"x"}', b'{"path":"/"}',
                                     b'{"topic":"a/b/things/twin/commands/explode","path":"/"}',
                                     b"\xff\xfe", b"[" * 10_000 + b"]" * 10_000, b'{"a":' + b" " * 300_000 + b"1}"])
def test_ditto_refuses_what_is_no_ditto_protocol(payload: bytes) -> None:
    with pytest.raises(MappingFailed):
        DittoMapper().map_inbound(ExternalMessage(payload))


# --- Normalized ----------------------------------------------------------------------------------------------

def test_normalized_writes_the_documented_example() -> None:
    event = envelope({"topic": "thing/id/things/twin/events/modified", "headers": {},
                      "path": "/features/sensors/properties/temperature/value", "value": 42})
    [message] = NormalizedMapper(context()).map_outbound(event)
    assert message.content_type == "application/json"
    assert orjson.loads(message.payload) == {
        "thingId": "thing:id",
        "features": {"sensors": {"properties": {"temperature": {"value": 42}}}},
        "_context": {"topic": "thing/id/things/twin/events/modified",
                     "path": "/features/sensors/properties/temperature/value", "value": 42, "headers": {}},
    }


def test_normalized_marks_a_deleted_thing_and_adds_revision_and_modified() -> None:
    event = envelope({"topic": "thing/id/things/twin/events/deleted", "headers": {"content-type": "application/json"},
                      "path": "/", "revision": 7, "timestamp": "2023-12-01T10:30:00Z"})
    [message] = NormalizedMapper(context()).map_outbound(event)
    document = orjson.loads(message.payload)
    assert document["_deleted"] == "2023-12-01T10:30:00Z"
    assert document["_revision"] == 7 and document["_modified"] == "2023-12-01T10:30:00Z"
    assert document["_context"]["value"] is None


def test_normalized_tracks_deleted_fields_when_asked() -> None:
    merged = envelope({"topic": "thing/id/things/twin/events/merged", "headers": {}, "path": "/",
                       "value": {"attributes": {"location": {"mountedOn": None}, "kept": 1}},
                       "timestamp": "2025-01-27T10:00:00Z"})
    partial = envelope({"topic": "thing/id/things/twin/events/deleted", "headers": {},
                        "path": "/features/myFeature", "timestamp": "2025-01-27T11:00:00Z"})
    mapper = NormalizedMapper(context({"includeDeletedFields": "true"}))
    [first] = mapper.map_outbound(merged)
    document = orjson.loads(first.payload)
    assert document["_deletedFields"] == {"attributes": {"location": {"mountedOn": "2025-01-27T10:00:00Z"}}}
    assert document["attributes"] == {"kept": 1}  # a merged event drops nulls and emptied objects
    [second] = mapper.map_outbound(partial)
    assert orjson.loads(second.payload)["_deletedFields"] == {"features": {"myFeature": "2025-01-27T11:00:00Z"}}
    assert NormalizedMapper(context()).map_outbound(partial) == []  # partial deletions only when asked


def test_normalized_deleted_fields_skip_regex_keys_as_the_merge_reads_them() -> None:
    # `{{ ~regex~ }}` deletes by pattern and names no field; `{{ plain }}` is an ordinary key the merge deleted.
    merged = envelope({"topic": "thing/id/things/twin/events/merged", "headers": {}, "path": "/attributes",
                       "value": {"{{ ~2022-.*~ }}": None, "{{ plain }}": None},
                       "timestamp": "2025-01-27T10:00:00Z"})
    [message] = NormalizedMapper(context({"includeDeletedFields": "true"})).map_outbound(merged)
    assert orjson.loads(message.payload)["_deletedFields"] == {"attributes": {"{{ plain }}": "2025-01-27T10:00:00Z"}}


def test_normalized_maps_a_migration_as_the_merge_it_is() -> None:
    """A `migrated` event (Ditto's ThingDefinitionMigrated: the patch as a thing at `/`) is normalized as a merged
    one: the new definition and values, nulls dropped and tracked as deleted fields. (Ditto's
    NormalizedMessageMapper knows only created/modified/merged/deleted and drops it: twinhub does not lose the
    migration for a normalized consumer.)"""
    migrated = envelope({"topic": "thing/id/things/twin/events/migrated", "headers": {}, "path": "/",
                         "value": {"thingId": "thing:id", "definition": "https://models/lamp-2.tm.jsonld",
                                   "attributes": {"old": None, "serial": "L-2"}},
                         "revision": 3, "timestamp": "2025-01-27T10:00:00Z"})
    [message] = NormalizedMapper(context({"includeDeletedFields": "true"})).map_outbound(migrated)
    document = orjson.loads(message.payload)
    assert document["definition"] == "https://models/lamp-2.tm.jsonld"
    assert document["attributes"] == {"serial": "L-2"}
    assert document["_deletedFields"] == {"attributes": {"old": "2025-01-27T10:00:00Z"}}
    assert (document["_revision"], document["_context"]["topic"]) == (3, "thing/id/things/twin/events/migrated")


def test_normalized_applies_fields_and_merges_extra_fields() -> None:
    event = envelope({"topic": "org.acme/x/things/twin/events/modified", "headers": {}, "path": "/attributes/a",
                      "value": 1, "extra": {"attributes": {"b": 2}, "policyId": "org.acme:p"}})
    [message] = NormalizedMapper(context({"fields": "thingId,attributes"})).map_outbound(event)
    assert orjson.loads(message.payload) == {"thingId": "org.acme:x", "attributes": {"a": 1, "b": 2}}


def test_normalized_drops_what_is_no_thing_change_and_everything_inbound() -> None:
    mapper = NormalizedMapper(context())
    assert mapper.map_outbound(envelope(MODIFY)) == []
    assert mapper.map_outbound(envelope({"topic": "org.acme/lamp/things/live/messages/hi",
                                         "headers": {}, "path": "/inbox/messages/hi"})) == []
    assert mapper.map_inbound(ExternalMessage(orjson.dumps(MODIFY))) == []
    with pytest.raises(MapperConfigurationInvalid):
        NormalizedMapper(context({"fields": "a((("}))


# --- ConnectionStatus ----------------------------------------------------------------------------------------

def status_message(**headers: str) -> ExternalMessage:
    return ExternalMessage(b"", {"device_id": "org.eclipse:ditto", **headers})


def test_connection_status_sets_ready_since_and_until_from_ttd() -> None:
    mapper = ConnectionStatusMapper(context({"thingId": "{{ header:device_id }}"}))
    [command] = mapper.map_inbound(status_message(**{"creation-time": "1572358578000", "ttd": "300"}))
    assert str(command.topic) == "org.eclipse/ditto/things/twin/commands/modify"
    assert command.path == "/features/ConnectionStatus"
    assert command.value == {"definition": ["org.eclipse.ditto:ConnectionStatus:1.0.0"], "properties": {
        "status": {"readySince": "2019-10-29T14:16:18Z", "readyUntil": "2019-10-29T14:21:18Z"}}}
    assert command.headers["response-required"] is False


def test_connection_status_forever_and_disconnected() -> None:
    mapper = ConnectionStatusMapper(context({"thingId": "{{ header:device_id }}", "featureId": "Link"}))
    [forever] = mapper.map_inbound(status_message(**{"creation-time": "1572358578000", "ttd": "-1"}))
    assert forever.value["properties"]["status"]["readyUntil"] == "9999-12-31T23:59:59Z"  # type: ignore[index]
    [gone] = mapper.map_inbound(status_message(**{"creation-time": "1572358578000", "ttd": "0"}))
    assert gone.path == "/features/Link/properties/status/readyUntil" and gone.value == "2019-10-29T14:16:18Z"


@pytest.mark.parametrize("headers", [{}, {"ttd": "5"}, {"creation-time": "x", "ttd": "5"},
                                     {"creation-time": "-5", "ttd": "5"}, {"creation-time": "5", "ttd": "-2"},
                                     {"creation-time": "9" * 40, "ttd": "5"}, {"creation-time": "²", "ttd": "5"}])
def test_connection_status_drops_messages_without_usable_headers(headers: dict[str, str]) -> None:
    assert ConnectionStatusMapper(context({"thingId": "{{ header:device_id }}"})).map_inbound(
        status_message(**headers)) == []


def test_connection_status_needs_a_thing_id() -> None:
    with pytest.raises(MapperConfigurationInvalid):
        ConnectionStatusMapper(context())
    with pytest.raises(MapperConfigurationInvalid):
        ConnectionStatusMapper(context({"thingId": "no-namespace-separator"}))
    with pytest.raises(MapperConfigurationInvalid):
        ConnectionStatusMapper(context({"thingId": "{{ thing:id }}"}))


# --- RawMessage ----------------------------------------------------------------------------------------------

def test_raw_message_wraps_a_binary_payload_into_a_live_message() -> None:
    headers = {"content-type": "application/octet-stream", "status": "200", "ditto-message-subject": "heatUp",
               "ditto-message-direction": "TO", "ditto-message-thing-id": "org.eclipse.ditto:smartcoffee",
               "ditto-message-feature-id": "water-tank"}
    [mapped] = RawMessageMapper(context()).map_inbound(ExternalMessage(bytes([1, 2, 3, 4, 5, 6]), headers))
    assert envelope_to_json(mapped) == {
        "topic": "org.eclipse.ditto/smartcoffee/things/live/messages/heatUp",
        "headers": {"content-type": "application/octet-stream"},
        "path": "/features/water-tank/inbox/messages/heatUp", "value": "AQIDBAUG", "status": 200}


@pytest.mark.parametrize("status", ["99", "600", "ok", "²"])  # "²" is a digit to str.isdigit, not to int()
def test_raw_message_refuses_a_status_that_is_no_http_status(status: str) -> None:
    headers = {"content-type": "application/octet-stream", "status": status, "ditto-message-subject": "heatUp",
               "ditto-message-direction": "TO", "ditto-message-thing-id": "org.eclipse.ditto:smartcoffee"}
    with pytest.raises(MappingFailed, match="no HTTP status code"):
        RawMessageMapper(context()).map_inbound(ExternalMessage(b"x", headers))


def test_raw_message_publishes_the_bare_payload_with_the_message_headers() -> None:
    response = envelope({"topic": "org.eclipse.ditto/smartcoffee/things/live/messages/heatUp",
                         "headers": {"content-type": "application/octet-stream"},
                         "path": "/features/water-tank/inbox/messages/heatUp", "value": "AQIDBAUG", "status": 200})
    [message] = RawMessageMapper(context()).map_outbound(response)
    assert message.payload == bytes([1, 2, 3, 4, 5, 6])
    assert message.headers == {"content-type": "application/octet-stream", "status": "200",
                               "ditto-message-subject": "heatUp", "ditto-message-direction": "TO",
                               "ditto-message-thing-id": "org.eclipse.ditto:smartcoffee",
                               "ditto-message-feature-id": "water-tank"}


def test_raw_message_uses_configured_headers_and_json_payloads() -> None:
    mapper = RawMessageMapper(context({"incomingMessageHeaders": {
        "content-type": "application/json", "ditto-message-subject": "{{ header:subject | fn:default('hello') }}",
        "ditto-message-thing-id": "{{ header:device | fn:default('ns:fallback-thing') }}"}}))
    [mapped] = mapper.map_inbound(ExternalMessage(b'{"a":1}', {"device": "org.acme:d-1"}))
    assert str(mapped.topic) == "org.acme/d-1/things/live/messages/hello"
    assert mapped.path == "/inbox/messages/hello" and mapped.value == {"a": 1}
    [text] = RawMessageMapper(context()).map_outbound(envelope({
        "topic": "org.acme/d-1/things/live/messages/hello", "headers": {"content-type": "text/plain"},
        "path": "/outbox/messages/hello", "value": "hi there"}))
    assert text.payload == b"hi there" and text.headers["ditto-message-direction"] == "FROM"


def test_raw_message_lets_ditto_protocol_and_other_signals_fall_through() -> None:
    mapper = RawMessageMapper(context())
    [mapped] = mapper.map_inbound(ExternalMessage(orjson.dumps(MODIFY), {"content-type": DITTO}))
    assert envelope_to_json(mapped) == MODIFY
    [out] = mapper.map_outbound(envelope(MODIFY))
    assert out.content_type == DITTO and parse_envelope(out.payload) == envelope(MODIFY)


@pytest.mark.parametrize("headers", [
    {"content-type": "text/plain"},  # no thing id, no subject
    {"content-type": "text/plain", "ditto-message-thing-id": "org.acme:d", "ditto-message-subject": "s",
     "ditto-message-direction": "SIDEWAYS"},
    {"content-type": "text/plain", "ditto-message-thing-id": "bad", "ditto-message-subject": "s"},
    {"content-type": "text/plain", "ditto-message-thing-id": "org.acme:d", "ditto-message-subject": "s",
     "status": "999"},
    {"content-type": "application/json", "ditto-message-thing-id": "org.acme:d", "ditto-message-subject": "s"},
])
def test_raw_message_refuses_messages_it_cannot_address(headers: dict[str, str]) -> None:
    with pytest.raises(MappingFailed):
        RawMessageMapper(context()).map_inbound(ExternalMessage(b"{not json", headers))


# --- ImplicitThingCreation -----------------------------------------------------------------------------------

ITC_OPTIONS: JsonObject = {
    "thing": {"thingId": "{{ header:device_id }}", "attributes": {"CreatedBy": "ImplicitThingCreation",
                                                                  "createdAt": "{{ time:now[d] }}"},
              "_policy": {"entries": {"DEVICE": {"subjects": {"{{ request:subjectId }}": {"type": "source"}},
                                                 "resources": {"thing:/": {"grant": ["READ", "WRITE"],
                                                                           "revoke": []}}}}}},
    "commandHeaders": {"If-None-Match": "*", "correlation-id": "{{ header:correlation-id }}",
                       "x-missing": "{{ header:absent }}"},
}


def test_implicit_thing_creation_creates_the_thing_of_the_template() -> None:
    message = ExternalMessage(b"whatever", {"device_id": "org.acme:sensor-1", "correlation-id": "c-9"},
                              authorization_subjects=("integration:devices",))
    [create] = ImplicitThingCreationMapper(context(ITC_OPTIONS)).map_inbound(message)
    assert str(create.topic) == "org.acme/sensor-1/things/twin/commands/create" and create.path == "/"
    assert create.value == {
        "thingId": "org.acme:sensor-1",
        "attributes": {"CreatedBy": "ImplicitThingCreation", "createdAt": "2024-01-06T00:00:00Z"},
        "_policy": {"entries": {"DEVICE": {"subjects": {"integration:devices": {"type": "source"}},
                                           "resources": {"thing:/": {"grant": ["READ", "WRITE"], "revoke": []}}}}}}
    assert create.headers == {"if-none-match": "*", "correlation-id": "c-9", "allow-policy-lockout": True}


@pytest.mark.parametrize("command_headers", [{}, {"if-none-match": '"rev:1"'},
                                             {"If-None-Match": "{{ header:absent }}"}])
def test_implicit_thing_creation_always_asks_if_none_match_star(command_headers: JsonObject) -> None:
    # As Ditto's mapper, which sets the header after the configured ones: the create never replaces a thing.
    options = {"thing": {"thingId": "org.acme:d-1"}, "commandHeaders": command_headers}
    [create] = ImplicitThingCreationMapper(context(options)).map_inbound(ExternalMessage(b"", {}))
    assert create.headers["if-none-match"] == "*"


def test_mapper_options_resolve_every_placeholder_their_validation_accepts() -> None:
    # The options are validated against INBOUND_PREFIXES: connection:id and source:address must resolve too.
    message = ExternalMessage(b"{}", {"content-type": "application/json"}, address="org.acme:d-1")
    creation = ImplicitThingCreationMapper(context({"thing": {
        "thingId": "{{ source:address }}", "attributes": {"via": "{{ connection:id }}"}}}))
    [create] = creation.map_inbound(message)
    assert create.value == {"thingId": "org.acme:d-1", "attributes": {"via": "conn-1"}}
    raw = RawMessageMapper(context({"incomingMessageHeaders": {
        "ditto-message-thing-id": "{{ source:address }}", "ditto-message-subject": "{{ connection:id }}"}}))
    [mapped] = raw.map_inbound(message)
    assert str(mapped.topic) == "org.acme/d-1/things/live/messages/conn-1"


def test_implicit_thing_creation_keeps_json_structure_against_hostile_headers() -> None:
    hostile = 'org.acme:x","attributes":{"owned":true}'
    with pytest.raises(MappingFailed):
        ImplicitThingCreationMapper(context(ITC_OPTIONS)).map_inbound(ExternalMessage(b"", {"device_id": hostile}))


def test_implicit_thing_creation_keeps_a_policy_reference_for_the_thing_service() -> None:
    mapper = ImplicitThingCreationMapper(context({"thing": {
        "thingId": "{{ header:device_id }}", "_copyPolicyFrom": "{{ ref:things/org.acme:template/policyId }}"}}))
    [create] = mapper.map_inbound(ExternalMessage(b"", {"device_id": "org.acme:d"}))
    assert create.value == {"thingId": "org.acme:d", "_copyPolicyFrom": "{{ ref:things/org.acme:template/policyId }}"}


@pytest.mark.parametrize("options", [{}, {"thing": {}}, {"thing": {"thingId": "no-colon"}},
                                     {"thing": {"thingId": "{{ thing:id }}"}},
                                     {"thing": {"thingId": "a:b", "policyId": "bad"}}, {"thing": "text"}])
def test_implicit_thing_creation_refuses_unusable_templates(options: JsonObject) -> None:
    with pytest.raises(MapperConfigurationInvalid):
        ImplicitThingCreationMapper(context(options))


def test_implicit_thing_creation_fails_a_message_without_the_thing_id() -> None:
    with pytest.raises(MappingFailed):
        ImplicitThingCreationMapper(context(ITC_OPTIONS)).map_inbound(ExternalMessage(b"", {}))


# --- UpdateTwinWithLiveResponse ------------------------------------------------------------------------------

LIVE_RESPONSE: JsonObject = {"topic": "org.acme/lamp/things/live/commands/retrieve",
                             "headers": {"correlation-id": "r-1"}, "path": "/attributes",
                             "value": {"on": True}, "status": 200}


def test_update_twin_with_live_response_merges_the_retrieved_data() -> None:
    mapper = UpdateTwinWithLiveResponseMapper(context({"dittoHeadersForMerge": {
        "if-match": "*", "response-required": False,
        "put-metadata": [{"key": "*/updated-by", "value": "{{ request:subjectId }}"},
                         {"key": "*/update-hint", "value": "{{ header:some-custom-hint }}"}]}}))
    message = ExternalMessage(orjson.dumps(LIVE_RESPONSE), {"content-type": DITTO},
                              authorization_subjects=("ditto:device",))
    [merge] = mapper.map_inbound(message)
    assert str(merge.topic) == "org.acme/lamp/things/twin/commands/merge"
    assert merge.path == "/attributes" and merge.value == {"on": True}
    assert merge.headers["correlation-id"] == "r-1-merge-into-twin"
    assert merge.headers["put-metadata"] == [{"key": "*/updated-by", "value": "ditto:device"},
                                             {"key": "*/update-hint", "value": "{{ header:some-custom-hint }}"}]


@pytest.mark.parametrize("response", [
    MODIFY, {**LIVE_RESPONSE, "status": 404},
    {**LIVE_RESPONSE, "topic": "org.acme/lamp/things/twin/commands/retrieve"},
    {k: v for k, v in LIVE_RESPONSE.items() if k != "status"},
])
def test_update_twin_with_live_response_drops_everything_else(response: JsonObject) -> None:
    mapper = UpdateTwinWithLiveResponseMapper(context())
    assert mapper.map_inbound(ExternalMessage(orjson.dumps(response))) == []
    assert mapper.map_inbound(ExternalMessage(b"garbage")) == []


# --- CloudEvents ---------------------------------------------------------------------------------------------

CLOUD_DATA: JsonObject = {"topic": "my.sensors/sensor01/things/twin/commands/modify", "path": "/",
                          "value": {"thingId": "my.sensors:sensor01", "policyId": "my.test:policy",
                                    "features": {"measurements": {"properties": {"temperature": 100}}}}}


def test_cloud_events_reads_a_binary_cloud_event() -> None:
    headers = {"ce-specversion": "1.0", "ce-id": "some-id", "ce-type": "some-type", "ce-source": "generic-producer",
               "content-type": DITTO}
    [mapped] = CloudEventsMapper(context()).map_inbound(ExternalMessage(orjson.dumps(CLOUD_DATA), headers))
    assert str(mapped.topic) == CLOUD_DATA["topic"] and mapped.headers["correlation-id"] == "some-id"


def test_cloud_events_reads_a_structured_cloud_event_with_data_or_base64() -> None:
    event = {"specversion": "1.0", "id": "3212e", "source": "http:somesite.com", "type": "com.site.com",
             "data": CLOUD_DATA}
    headers = {"content-type": "application/cloudevents+json"}
    [mapped] = CloudEventsMapper(context()).map_inbound(ExternalMessage(orjson.dumps(event), headers))
    assert mapped.value == CLOUD_DATA["value"] and mapped.headers["correlation-id"] == "3212e"
    encoded = {**event, "data": None, "data_base64": base64.b64encode(orjson.dumps(CLOUD_DATA)).decode()}
    [again] = CloudEventsMapper(context()).map_inbound(ExternalMessage(orjson.dumps(encoded), headers))
    assert again.value == CLOUD_DATA["value"]


@pytest.mark.parametrize(("payload", "headers"), [
    (orjson.dumps(CLOUD_DATA), {"content-type": DITTO}),  # no ce- headers
    (b'{"id":"1"}', {"content-type": "application/cloudevents+json"}),
    (b'{"specversion":"1.0","id":"1","source":"s","type":"t"}', {"content-type": "application/cloudevents+json"}),
    (b'{"specversion":"1.0","id":"1","source":"s","type":"t","data_base64":"!!"}',
     {"content-type": "application/cloudevents+json"}),
    (b'{"specversion":"1.0","id":"1","source":"s","type":"t","data":{"no":"protocol"}}',
     {"content-type": "application/cloudevents+json"}),
    (b"nonsense", {"content-type": "application/cloudevents+json"}),
])
def test_cloud_events_refuses_what_claims_to_be_a_cloud_event_but_is_none(payload: bytes,
                                                                         headers: dict[str, str]) -> None:
    with pytest.raises(MappingFailed):
        CloudEventsMapper(context()).map_inbound(ExternalMessage(payload, headers))


def test_cloud_events_ignores_other_content_types_and_writes_structured_events() -> None:
    mapper = CloudEventsMapper(context())
    assert mapper.map_inbound(ExternalMessage(b"{}", {"content-type": "text/plain"})) == []
    [message] = mapper.map_outbound(envelope(MODIFY))
    event = orjson.loads(message.payload)
    assert message.content_type == "application/cloudevents+json"
    assert event["data"] == MODIFY and event["id"] == "c-1" and event["subject"] == "org.acme:lamp-1"
    assert event["type"] == "org.eclipse.ditto.outbound:things/twin/commands/modify"
    assert event["specversion"] == "1.0" and event["datacontenttype"] == DITTO


def test_every_outbound_only_mapper_drops_inbound_and_vice_versa() -> None:
    assert ConnectionStatusMapper(context({"thingId": "a:b"})).map_outbound(envelope(MODIFY)) == []
    assert ImplicitThingCreationMapper(context(ITC_OPTIONS)).map_outbound(envelope(MODIFY)) == []
    assert UpdateTwinWithLiveResponseMapper(context()).map_outbound(envelope(MODIFY)) == []
    assert encode_envelope(envelope(MODIFY))  # the fixture is a valid message
