"""Ditto Protocol `merge` over `/ws/2`: what the protocol adapter refuses, and patch conditions (issue 15)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

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
    grant = {"grant": ["READ", "WRITE"], "revoke": []}
    policy = {"entries": {
        "owner": {"subjects": {"nginx:alice": {"type": "test"}}, "resources": {"thing:/": grant, "policy:/": grant}},
        "writer": {"subjects": {"nginx:frank": {"type": "test"}},
                   "resources": {"thing:/": grant, "thing:/attributes/secret": {"grant": [], "revoke": ["WRITE"]}}}}}
    assert alice.put(f"/policies/{thing_id}", json=policy).status_code == 204
    with open_socket(server.base_url, "frank") as frank:
        for path, value in [("/", {"attributes": {"secret": 2}}), ("/attributes", {"secret": None}),
                            ("/attributes/secret", 2)]:
            assert _error(frank.request(_merge(thing_id, path, value))) == (403, "things:thing.notmodifiable")
        assert frank.request(_merge(thing_id, "/attributes", {"model": "T2"}))["status"] == 204
    assert alice.get(f"/things/{thing_id}/attributes").json() == {"secret": 1, "model": "T2"}
