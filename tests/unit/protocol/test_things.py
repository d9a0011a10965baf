from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from twinhub.model.commands import ThingCommand
from twinhub.model.errors import TwinhubError
from twinhub.model.events import ThingEvent
from twinhub.model.fields import parse_fields
from twinhub.model.types import MISSING, JsonObject, JsonValue
from twinhub.protocol import (
    Envelope,
    ModifyThing,
    RetrieveThing,
    RetrieveThings,
    ThingEventSignal,
    ThingResponse,
    encode_envelope,
    envelope_to_json,
    parse_envelope,
    parse_topic,
    thing_command,
    thing_event,
    thing_event_from_envelope,
    thing_response,
    thing_response_from_envelope,
    thing_topic,
)

_THING: JsonObject = {
    "thingId": "org.eclipse.ditto:lamp-7",
    "policyId": "org.eclipse.ditto:lamps",
    "attributes": {"site": {"lat": 48.1, "lon": 11.6}},
    "features": {"light": {"properties": {"on": True, "level": 80}, "desiredProperties": {"level": 100}}},
}
_MERGE: dict[str, object] = {"content-type": "application/merge-patch+json"}


def _envelope(topic: str, path: str = "/", value: object = ..., *, headers: dict[str, object] | None = None,
              **fields: object) -> Envelope:
    message: dict[str, object] = {"topic": topic, "headers": {"correlation-id": "cmd-1", **(headers or {})},
                                  "path": path}
    if value is not ...:
        message["value"] = value
    message.update(fields)
    return parse_envelope(orjson.dumps(message))


def _command(topic: str, path: str = "/", value: object = ..., **kwargs: object) -> object:
    return thing_command(_envelope(topic, path, value, **kwargs))  # type: ignore[arg-type]


def _error(topic: str, path: str = "/", value: object = ..., **kwargs: object) -> TwinhubError:
    with pytest.raises(TwinhubError) as raised:
        _command(topic, path, value, **kwargs)
    return raised.value


_T = "org.eclipse.ditto/lamp-7/things/twin/commands/"

# --- commands ----------------------------------------------------------------------------------------


def test_create_at_the_root_is_a_create_only_modify() -> None:
    assert _command(_T + "create", "/", _THING) == ModifyThing(
        ThingCommand("modify", "org.eclipse.ditto:lamp-7", (), _THING), create_only=True)


def test_modify_of_the_whole_thing_may_omit_the_thing_id() -> None:
    value: JsonValue = {"attributes": {"a": 1}}
    assert _command(_T + "modify", "/", value) == ModifyThing(
        ThingCommand("modify", "org.eclipse.ditto:lamp-7", (), value), create_only=False)


@pytest.mark.parametrize(("path", "pointer", "value"), [
    ("/attributes", ("attributes",), {"site": "x"}),
    ("/attributes/site/lat", ("attributes", "site", "lat"), 48.2),
    ("/definition", ("definition",), "org.eclipse.ditto:Lamp:1.0.0"),
    ("/policyId", ("policyId",), "org.eclipse.ditto:other"),
    ("/features", ("features",), {}),
    ("/features/light", ("features", "light"), {"properties": {}}),
    ("/features/light/definition", ("features", "light", "definition"), ["org.eclipse.ditto:Light:1.0.0"]),
    ("/features/light/properties", ("features", "light", "properties"), {"on": False}),
    ("/features/light/properties/level", ("features", "light", "properties", "level"), 10),
    ("/features/light/desiredProperties", ("features", "light", "desiredProperties"), {"level": 5}),
    ("/features/light/desiredProperties/level", ("features", "light", "desiredProperties", "level"), 5),
])
def test_modify_of_every_part_of_a_thing(path: str, pointer: tuple[str, ...], value: JsonValue) -> None:
    assert _command(_T + "modify", path, value) == ModifyThing(
        ThingCommand("modify", "org.eclipse.ditto:lamp-7", pointer, value), create_only=False)


def test_a_null_value_is_a_value_for_modify() -> None:
    signal = _command(_T + "modify", "/attributes/a", None)
    assert isinstance(signal, ModifyThing) and signal.command.value is None


def test_merge_needs_the_merge_patch_content_type() -> None:
    patch: JsonValue = {"properties": {"level": None}}
    assert _command(_T + "merge", "/features/light", patch, headers=_MERGE) == ModifyThing(
        ThingCommand("merge", "org.eclipse.ditto:lamp-7", ("features", "light"), patch), create_only=False)
    with_charset = _command(_T + "merge", "/", {"attributes": {}},
                            headers={"content-type": "application/merge-patch+json; q=1"})
    assert isinstance(with_charset, ModifyThing)


@pytest.mark.parametrize("value", [None, {}, {"_policy": {}}])
def test_a_null_or_empty_merge_of_the_thing_is_merge_invalid(value: JsonValue) -> None:
    """Ditto `ThingMergeCommandMappingStrategies.thingForMergeFrom` and `MergeThing.withThing`."""
    error = _error(_T + "merge", "/", value, headers=_MERGE)
    assert (error.code, error.status) == ("things:merge.invalid", 400)


def test_merge_without_content_type_is_415_as_in_ditto() -> None:
    error = _error(_T + "merge", "/attributes", {"a": 1})
    assert (error.code, error.status) == ("mediatype.unsupported", 415)
    assert "Content-Type header was empty or not present" in error.message


def test_merge_with_another_content_type_is_415() -> None:
    error = _error(_T + "merge", "/attributes", {"a": 1}, headers={"content-type": "application/json"})
    assert (error.code, error.status) == ("mediatype.unsupported", 415)


def test_delete_needs_no_value_and_ignores_one() -> None:
    expected = ModifyThing(ThingCommand("delete", "org.eclipse.ditto:lamp-7", ("attributes", "a")),
                           create_only=False)
    assert _command(_T + "delete", "/attributes/a") == expected
    assert _command(_T + "delete", "/attributes/a", {"ignored": True}) == expected


def test_if_equal_is_carried_into_the_command() -> None:
    signal = _command(_T + "modify", "/attributes/a", 1, headers={"if-equal": "skip"})
    assert isinstance(signal, ModifyThing) and signal.command.if_equal == "skip"


def test_retrieve_with_fields() -> None:
    assert _command(_T + "retrieve", "/", fields="thingId,attributes(site)") == RetrieveThing(
        "org.eclipse.ditto:lamp-7", (), parse_fields("thingId,attributes(site)"))
    assert _command(_T + "retrieve", "/features/light/properties/on") == RetrieveThing(
        "org.eclipse.ditto:lamp-7", ("features", "light", "properties", "on"), None)


def test_retrieve_of_several_things_uses_the_wildcard_name() -> None:
    ids = ["org.eclipse.ditto:lamp-1", "org.eclipse.ditto:lamp-2"]
    assert _command("_/_/things/twin/commands/retrieve", "/", {"thingIds": ids}, fields="thingId") == \
        RetrieveThings(None, tuple(ids), parse_fields("thingId"))
    assert _command("org.eclipse.ditto/_/things/twin/commands/retrieve", "/", {"thingIds": ids}) == \
        RetrieveThings("org.eclipse.ditto", tuple(ids), None)


def test_live_commands_parse_like_twin_commands() -> None:
    signal = _command("org.eclipse.ditto/lamp-7/things/live/commands/retrieve", "/attributes")
    assert signal == RetrieveThing("org.eclipse.ditto:lamp-7", ("attributes",), None)


# --- command errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize("verb", ["create", "modify", "merge"])
def test_writes_without_value_are_json_invalid(verb: str) -> None:
    error = _error(_T + verb, "/", headers=_MERGE)
    assert (error.code, error.status) == ("json.invalid", 400)


@pytest.mark.parametrize("verb", ["create", "modify"])
def test_a_thing_id_in_the_value_must_match_the_topic(verb: str) -> None:
    error = _error(_T + verb, "/", {**_THING, "thingId": "org.eclipse.ditto:other"})
    assert error.code == "things:id.notsettable"
    assert error.message == "The Thing ID in the thing JSON is not equal to the Thing ID in the topic path."


def test_create_below_the_root_is_an_unknown_topic_at_that_path() -> None:
    error = _error(_T + "create", "/attributes", {"a": 1})
    assert error.code == "protocoladapter:unknown.topicpath"
    assert error.message == (f"The topic '{_T}create' is not supported in combination with the path "
                             "'/attributes'")


@pytest.mark.parametrize("path", ["/nope", "/features/light/other", "/attributes/a//b", "/features/a/b/c"])
def test_bad_paths_are_rejected(path: str) -> None:
    error = _error(_T + "retrieve", path)
    assert error.status == 400
    assert error.code in {"protocoladapter:unknown.path", "json.pointer.invalid"}


def test_an_unknown_part_of_a_thing_is_dittos_unknown_path() -> None:
    error = _error(_T + "modify", "/colour", "red")
    assert error.code == "protocoladapter:unknown.path"
    assert error.message == "The path '/colour' does not correspond to any known command, response or event."


def test_an_invalid_key_in_the_path_is_json_key_invalid() -> None:
    assert _error(_T + "modify", "/attributes/\u00e4", 1).code == "things:json.key.invalid"


@pytest.mark.parametrize("topic", ["bad ns/lamp/things/twin/commands/retrieve",
                                   "_/lamp/things/twin/commands/retrieve"])
def test_invalid_thing_ids_are_id_invalid(topic: str) -> None:
    assert _error(topic).code == "things:id.invalid"


def test_the_wildcard_name_only_retrieves() -> None:
    assert _error("ns/_/things/twin/commands/delete").code == "protocoladapter:unknown.topicpath"


@pytest.mark.parametrize("value", [..., [], {"thingIds": "ns:a"}, {"thingIds": [1]}])
def test_retrieve_of_several_things_needs_a_thing_ids_array(value: object) -> None:
    assert _error("_/_/things/twin/commands/retrieve", "/", value).code == "json.invalid"


def test_retrieve_of_several_things_needs_at_least_one_valid_id() -> None:
    assert _error("_/_/things/twin/commands/retrieve", "/", {"thingIds": []}).code == "things:things.ids.missing"
    assert _error("_/_/things/twin/commands/retrieve", "/", {"thingIds": ["nope"]}).code == "things:id.invalid"


def test_retrieve_of_several_things_only_at_the_root() -> None:
    error = _error("_/_/things/twin/commands/retrieve", "/attributes", {"thingIds": ["ns:a"]})
    assert error.code == "protocoladapter:unknown.topicpath"


def test_an_invalid_field_selector_is_field_selection_invalid() -> None:
    assert _error(_T + "retrieve", "/", fields="attributes(").code == "things:field.selection.invalid"


def test_an_invalid_if_equal_is_header_invalid() -> None:
    assert _error(_T + "modify", "/attributes/a", 1, headers={"if-equal": "never"}).code == "header.invalid"


def test_only_thing_commands_are_thing_commands() -> None:
    assert _error("ns/thing/things/twin/events/modified", "/", 1).code == "protocoladapter:unknown.topicpath"
    assert _error("ns/policy/policies/commands/retrieve").code == "protocoladapter:unknown.topicpath"


# --- responses ---------------------------------------------------------------------------------------


def test_create_response_is_201_with_the_thing_and_the_correlation_id() -> None:
    request = _envelope(_T + "create", "/", _THING)
    assert orjson.loads(encode_envelope(thing_response(request, 201, _THING))) == {
        "topic": _T + "create",
        "headers": {"correlation-id": "cmd-1", "content-type": "application/json"},
        "path": "/",
        "value": _THING,
        "status": 201,
    }


def test_modify_response_204_has_no_value_and_carries_extra_headers() -> None:
    request = _envelope(_T + "modify", "attributes/site/", {"lat": 1})
    response = envelope_to_json(thing_response(request, 204, headers={"etag": '"hash:1"'}))
    assert response == {"topic": _T + "modify", "path": "/attributes/site", "status": 204,
                        "headers": {"correlation-id": "cmd-1", "content-type": "application/json",
                                    "etag": '"hash:1"'}}


def test_merge_response_is_a_merge_patch() -> None:
    request = _envelope(_T + "merge", "/attributes", {"a": 1}, headers=_MERGE)
    response = thing_response(request, 204)
    assert response.headers["content-type"] == "application/merge-patch+json"
    assert response.value is MISSING


def test_retrieve_response_is_200_with_the_value_and_keeps_a_live_topic() -> None:
    request = _envelope("org.eclipse.ditto/lamp-7/things/live/commands/retrieve", "/attributes/site")
    response = thing_response(request, 200, {"lat": 48.1})
    assert (str(response.topic), response.status, response.value) == (
        "org.eclipse.ditto/lamp-7/things/live/commands/retrieve", 200, {"lat": 48.1})


def test_retrieve_things_response_is_an_array_on_the_request_topic() -> None:
    request = _envelope("_/_/things/twin/commands/retrieve", "/", {"thingIds": ["ns:a"]})
    assert thing_response(request, 200, [{"thingId": "ns:a"}]).value == [{"thingId": "ns:a"}]


def test_responses_without_correlation_id_have_none() -> None:
    request = parse_envelope(b'{"topic":"ns/a/things/twin/commands/delete","path":"/"}')
    assert thing_response(request, 204).headers == {"content-type": "application/json"}


def test_a_devices_live_response_is_read_back() -> None:
    response = _envelope("ns/a/things/live/commands/retrieve", "/attributes/x", 5, status=200)
    assert thing_response_from_envelope(response) == ThingResponse("ns:a", "retrieve", ("attributes", "x"), 200, 5)
    with pytest.raises(TwinhubError) as raised:
        thing_response_from_envelope(_envelope("ns/a/things/live/commands/retrieve", "/"))
    assert raised.value.code == "json.field.missing"


# --- events ------------------------------------------------------------------------------------------


def _event(action: str, path: tuple[str, ...], value: JsonValue) -> ThingEvent:
    return ThingEvent("org.eclipse.ditto:lamp-7", action, path, value, 42,
                      datetime(2021, 1, 18, 9, 42, 12, tzinfo=UTC))  # type: ignore[arg-type]


def test_a_created_event_carries_value_revision_timestamp_and_the_commands_headers() -> None:
    envelope = thing_event(_event("created", (), _THING), value=_THING,
                           headers={"correlation-id": "cmd-1", "ditto-originator": "nginx:ditto"})
    assert orjson.loads(encode_envelope(envelope)) == {
        "topic": "org.eclipse.ditto/lamp-7/things/twin/events/created",
        "headers": {"correlation-id": "cmd-1", "ditto-originator": "nginx:ditto",
                    "content-type": "application/json"},
        "path": "/",
        "value": _THING,
        "revision": 42,
        "timestamp": "2021-01-18T09:42:12.000000Z",
    }


def test_a_merged_event_is_a_merge_patch() -> None:
    envelope = thing_event(_event("merged", ("attributes",), {"a": None}), value={"a": None}, headers={})
    assert str(envelope.topic) == "org.eclipse.ditto/lamp-7/things/twin/events/merged"
    assert envelope.headers == {"content-type": "application/merge-patch+json"}
    assert envelope.path == "/attributes"


def test_a_migrated_event_is_the_patch_thing_at_the_root_as_a_merge_patch() -> None:
    """Ditto's ThingDefinitionMigratedEventSignalMapper: topic `.../events/migrated`, path `/`, the thing (the
    migration's patch with the thing id) as value, revision, timestamp, `application/merge-patch+json`."""
    thing = {"thingId": "org.eclipse.ditto:lamp-7", "definition": "https://models/lamp-2.tm.jsonld"}
    envelope = thing_event(_event("migrated", (), thing), value=thing, headers={"correlation-id": "m-1"})
    assert orjson.loads(encode_envelope(envelope)) == {
        "topic": "org.eclipse.ditto/lamp-7/things/twin/events/migrated",
        "headers": {"correlation-id": "m-1", "content-type": "application/merge-patch+json"},
        "path": "/", "value": thing, "revision": 42, "timestamp": "2021-01-18T09:42:12.000000Z"}


def test_a_migrated_event_is_read_back_and_its_bad_forms_refused() -> None:
    """ThingDefinitionMigratedEventAdapter / -MappingStrategies: the value is a thing (a JSON object), the revision
    is required (`json.field.missing`); twinhub takes it only at `/`, where Ditto publishes it."""
    topic = "ns/a/things/live/events/migrated"
    value = {"thingId": "ns:a", "definition": "https://models/lamp-2.tm.jsonld"}
    assert thing_event_from_envelope(_envelope(topic, "/", value, revision=3)) == ThingEventSignal(
        "ns:a", "migrated", (), value, 3, None)
    for envelope, code in ((_envelope(topic, "/", value), "json.field.missing"),
                           (_envelope(topic, "/", [1], revision=3), "json.invalid"),
                           (_envelope(topic, "/", revision=3), "json.invalid"),
                           (_envelope(topic, "/attributes", value, revision=3), "protocoladapter:unknown.path"),
                           (_envelope(topic, "/_unknown", value, revision=3), "protocoladapter:unknown.path")):
        with pytest.raises(TwinhubError) as raised:
            thing_event_from_envelope(envelope)
        assert (raised.value.code, raised.value.status) == (code, 400)


def test_a_deleted_event_has_no_value_and_no_content_type() -> None:
    envelope = thing_event(_event("deleted", ("attributes", "site"), None), value=MISSING,
                           headers={"correlation-id": "c"})
    assert "value" not in envelope_to_json(envelope)
    assert envelope.headers == {"correlation-id": "c"}
    assert envelope.path == "/attributes/site"


def test_events_take_the_readable_value_extra_fields_and_the_live_channel() -> None:
    envelope = thing_event(_event("modified", ("features", "light"), {"properties": {"on": True, "pin": 1}}),
                           value={"properties": {"on": True}}, headers={}, extra={"attributes": {"site": "x"}},
                           channel="live")
    assert str(envelope.topic) == "org.eclipse.ditto/lamp-7/things/live/events/modified"
    assert envelope.value == {"properties": {"on": True}}
    assert envelope.extra == {"attributes": {"site": "x"}}


def test_event_paths_escape_tildes() -> None:
    envelope = thing_event(_event("modified", ("attributes", "a~b"), 1), value=1, headers={})
    assert envelope.path == "/attributes/a~0b"


def test_a_devices_live_event_is_read_back() -> None:
    envelope = _envelope("ns/a/things/live/events/modified", "/attributes/x", 5, revision=3)
    assert thing_event_from_envelope(envelope) == ThingEventSignal("ns:a", "modified", ("attributes", "x"), 5, 3,
                                                                   None)
    deleted = _envelope("ns/a/things/live/events/deleted", "/attributes/x")
    assert thing_event_from_envelope(deleted).value is MISSING
    with pytest.raises(TwinhubError) as raised:
        thing_event_from_envelope(_envelope("ns/a/things/live/events/modified", "/attributes/x"))
    assert raised.value.code == "json.invalid"


def test_thing_topic_splits_at_the_first_colon() -> None:
    assert thing_topic("ns:a:b", "events", "created") == parse_topic("ns/a:b/things/twin/events/created")
