"""Ditto Protocol `merge` over `/ws/2`: what the protocol adapter refuses, and patch conditions (issue 15)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.api.helpers import writer_policy
from tests.api.websocket import DittoSocket, open_socket, topic
from twinhub.testing import Server

MERGE_PATCH = "application/merge-patch+json"


def _merge(thing_id: str, path: str, value: object, **headers: str) -> dict[str, object]:
    return {"topic": topic(thing_id, "things/twin/commands/merge"), "path": path, "value": value,
            "headers": {"content-type": MERGE_PATCH, **headers}}


def _error(frame: dict[str, object]) -> tuple[object, object]:
    value = frame["value"]
    assert isinstance(value, dict), frame
    return frame["status"], value["error"]


@pytest.fixture
def created(socket: DittoSocket, thing_id: str) -> str:
    create = {"topic": topic(thing_id, "things/twin/commands/create"), "path": "/", "headers": {},
              "value": {"attributes": {"a": 1}, "features": {"lamp": {"properties": {"on": False}}}}}
    assert socket.request(create)["status"] == 201
    return thing_id


@pytest.mark.parametrize("value", [None, {}, {"unknown": 1}])
def test_a_null_or_empty_thing_merge_is_merge_invalid(socket: DittoSocket, thing_id: str, value: object) -> None:
    """Ditto's `ThingMergeCommandMappingStrategies.thingForMergeFrom` refuses a null value and
    `MergeThing.withThing` an empty thing (`ThingMergeInvalidException`); no thing is created."""
    assert _error(socket.request(_merge(thing_id, "/", value))) == (400, "things:merge.invalid")
    retrieve = {"topic": topic(thing_id, "things/twin/commands/retrieve"), "path": "/", "headers": {}}
    assert _error(socket.request(retrieve)) == (404, "things:thing.notfound")


def test_a_null_or_empty_merge_of_an_existing_thing_is_merge_invalid_too(socket: DittoSocket, created: str) -> None:
    """The adapter refuses it before the thing is looked up (Ditto `ThingMergeCommandMappingStrategies`)."""
    assert _error(socket.request(_merge(created, "/", None))) == (400, "things:merge.invalid")
    assert _error(socket.request(_merge(created, "/", {}))) == (400, "things:merge.invalid")
    assert socket.request(_merge(created, "/", {"attributes": {"b": 2}}))["status"] == 204


@pytest.mark.parametrize(("path", "value"), [("/", 5), ("/attributes", 5), ("/features/lamp", "x"),
                                             ("/features/lamp/properties", [1])])
def test_a_non_object_merge_of_an_object_resource_is_json_format_invalid(socket: DittoSocket, created: str,
                                                                         path: str, value: object) -> None:
    """The adapter reads the value with `JsonValue::asObject`, whose `UnsupportedOperationException`
    `DittoJsonException` wraps with its fallback code `json.format.invalid` (Ditto `AbstractAdapter.fromAdaptable`)."""
    assert _error(socket.request(_merge(created, path, value))) == (400, "json.format.invalid")


def test_a_merge_touching_a_revoked_leaf_is_thing_notmodifiable(server: Server, as_user: Callable[[str], httpx.Client],
                                                              thing_id: str) -> None:
    """Ditto Protocol merges meet the same enforcement (`ThingCommandEnforcement.enforceMergeThingCommand`) and
    the same fallback error, `things:thing.notmodifiable`, at any path."""
    alice = as_user("alice")
    assert alice.put(f"/things/{thing_id}", json={"attributes": {"secret": 1, "model": "T1"}}).status_code == 201
    policy = writer_policy("alice", "frank", {"thing:/attributes/secret": ["WRITE"]})
    assert alice.put(f"/policies/{thing_id}", json=policy).status_code == 204
    with open_socket(server.base_url, "frank") as frank:
        for path, value in [("/", {"attributes": {"secret": 2}}), ("/attributes", {"secret": None}),
                            ("/attributes/secret", 2)]:
            assert _error(frank.request(_merge(thing_id, path, value))) == (403, "things:thing.notmodifiable")
        assert frank.request(_merge(thing_id, "/attributes", {"model": "T2"}))["status"] == 204
    assert alice.get(f"/things/{thing_id}/attributes").json() == {"secret": 1, "model": "T2"}


def test_patch_conditions_over_the_ditto_protocol(server: Server, socket: DittoSocket, thing_id: str) -> None:
    """The Ditto Protocol example of Ditto's `basic-conditional-requests.md`: the header's value is the JSON object
    as a string; the conditioned parts whose conditions fail are left out of the merge and of its event."""
    create = {"topic": topic(thing_id, "things/twin/commands/create"), "path": "/", "headers": {},
              "value": {"features": {"temperature": {"properties": {"value": 15}},
                                     "humidity": {"properties": {"value": 90}}}}}
    assert socket.request(create)["status"] == 201
    conditions = '{"features/temperature/properties/value":"gt(features/temperature/properties/value,20)",' \
                 '"features/humidity/properties/value":"lt(features/humidity/properties/value,95)"}'
    patch = {"attributes": {"lastMaintenance": "2023-01-20T15:00:00Z"},
             "features": {"temperature": {"properties": {"value": 25}}, "humidity": {"properties": {"value": 60}}}}
    with open_socket(server.base_url) as watcher:  # a session is not sent the events of its own commands
        watcher.control("START-SEND-EVENTS")
        merged = socket.request(_merge(thing_id, "/", patch, **{"merge-thing-patch-conditions": conditions}))
        assert merged["status"] == 204
        event = watcher.receive_until(
            lambda frame: isinstance(frame, dict) and frame["topic"] == topic(thing_id, "things/twin/events/merged"))
    assert isinstance(event, dict)
    assert event["value"] == {"attributes": {"lastMaintenance": "2023-01-20T15:00:00Z"}, "features": {
        "temperature": {"properties": {}}, "humidity": {"properties": {"value": 60}}}}
    retrieve = {"topic": topic(thing_id, "things/twin/commands/retrieve"), "path": "/features", "headers": {}}
    assert socket.request(retrieve)["value"] == {"temperature": {"properties": {"value": 15}},
                                                 "humidity": {"properties": {"value": 60}}}


@pytest.mark.parametrize(("conditions", "code"), [("[1]", "header.invalid"), ({"a": 1}, "header.invalid"),
                                                  ('{"attributes/a":"gt(x"}', "things:condition.invalid")])
def test_invalid_patch_conditions_over_the_ditto_protocol_are_400(socket: DittoSocket, created: str,
                                                                  conditions: object, code: str) -> None:
    """Ditto reads the header as a JSON object of strings (`header.invalid`) whose conditions must parse
    (`things:condition.invalid`)."""
    frame = socket.request(_merge(created, "/attributes", {"a": 2}, **{"merge-thing-patch-conditions": conditions}))
    assert _error(frame) == (400, code)
