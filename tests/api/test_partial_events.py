"""A merge patch that touches only fields a subscriber may not READ reaches it not at all, over WebSocket and
SSE, as a PUT of such a field does not (issue 10, item 10); a merge with something readable still does."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.api.helpers import MERGE
from tests.api.test_sse import open_stream
from tests.api.websocket import DittoSocket, open_socket, topic
from twinhub.testing import Server

Users = Callable[[str], httpx.Client]
ALL = ["READ", "WRITE"]
POLICY = {"entries": {
    "owner": {"subjects": {"nginx:alice": {"type": "test"}},
              "resources": {"thing:/": {"grant": ALL, "revoke": []}, "policy:/": {"grant": ALL, "revoke": []}}},
    "reader": {"subjects": {"nginx:bob": {"type": "test"}},
               "resources": {"thing:/": {"grant": ["READ"], "revoke": []},
                             "thing:/attributes/secret": {"grant": [], "revoke": ["READ"]}}}}}


@pytest.fixture
def shared(as_user: Users, thing_id: str) -> str:
    alice = as_user("alice")
    assert alice.put(f"/things/{thing_id}", json={"_policy": POLICY, "attributes": {"model": "T1"}}).status_code == 201
    return thing_id


def change_hidden_then_visible(alice: httpx.Client, thing_id: str) -> None:
    """Three merges of nothing but the secret, then one of something bob may read (an empty object)."""
    assert alice.patch(f"/things/{thing_id}", json={"attributes": {"secret": 1}}, headers=MERGE).status_code == 204
    assert alice.patch(f"/things/{thing_id}/attributes", json={"secret": 2}, headers=MERGE).status_code == 204
    assert alice.patch(f"/things/{thing_id}/attributes/secret", json={"a": 3}, headers=MERGE).status_code == 204
    assert alice.patch(f"/things/{thing_id}", json={"attributes": {"cfg": {}}}, headers=MERGE).status_code == 204


@pytest.fixture
def sockets(server: Server) -> Iterator[tuple[DittoSocket, DittoSocket]]:
    with open_socket(server.base_url, "alice") as alice, open_socket(server.base_url, "bob") as bob:
        alice.control("START-SEND-EVENTS")
        bob.control("START-SEND-EVENTS")
        yield alice, bob


def _events(socket: DittoSocket, thing_id: str, count: int) -> list[tuple[str, object]]:
    prefix = topic(thing_id, "things/twin/events/")
    frames = [socket.receive_until(lambda frame: isinstance(frame, dict) and frame["topic"].startswith(prefix))
              for _ in range(count)]
    return [(frame["path"], frame["value"]) for frame in frames if isinstance(frame, dict)]


def test_websocket_restricted_subscriber_gets_no_event_of_a_merge_of_hidden_fields(
        as_user: Users, shared: str, sockets: tuple[DittoSocket, DittoSocket]) -> None:
    alice_socket, bob_socket = sockets
    change_hidden_then_visible(as_user("alice"), shared)
    assert _events(bob_socket, shared, 1) == [("/", {"attributes": {"cfg": {}}})]
    assert bob_socket.no_frame(0.5)
    assert _events(alice_socket, shared, 4) == [
        ("/", {"attributes": {"secret": 1}}), ("/attributes", {"secret": 2}), ("/attributes/secret", {"a": 3}),
        ("/", {"attributes": {"cfg": {}}})]


def test_sse_restricted_subscriber_gets_no_event_of_a_merge_of_hidden_fields(as_user: Users, shared: str) -> None:
    alice = as_user("alice")
    with open_stream(as_user("bob"), "/things", params={"ids": shared}) as bobs, \
            open_stream(alice, "/things", params={"ids": shared}) as alices:
        change_hidden_then_visible(alice, shared)
        assert bobs.next().data == {"thingId": shared, "attributes": {"cfg": {}}}
        assert [alices.next().data for _ in range(4)] == [
            {"thingId": shared, "attributes": {"secret": 1}}, {"thingId": shared, "attributes": {"secret": 2}},
            {"thingId": shared, "attributes": {"secret": {"a": 3}}}, {"thingId": shared, "attributes": {"cfg": {}}}]


def test_sse_on_a_path_skips_a_merge_of_hidden_fields_below_it(as_user: Users, shared: str) -> None:
    alice = as_user("alice")
    with open_stream(as_user("bob"), f"/things/{shared}/attributes") as bobs:
        change_hidden_then_visible(alice, shared)
        assert bobs.next().data == {"cfg": {}}
