"""History over real sockets across the lives of a thing id and of its policy: historical reads (SSE replay,
WebSocket `subscribeForPersistedEvents`, `at-historical-*` on GET) stop at the last deletion of the whole
thing, and each past revision is READ-filtered by the policy it was under, as well as by the current one."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.api.helpers import assert_error
from tests.api.test_sse import SSE, entry, owner, replay
from tests.api.websocket import DittoSocket, open_socket, topic
from twinhub.testing import Server

Users = Callable[[str], httpx.Client]
SECRET = {"attributes": {"secret": "alice's", "model": "T1"}}


def policy(*entries: tuple[str, dict[str, object]]) -> dict[str, object]:
    return {"entries": dict(entries)}


def persisted_events(server: Server, user: str, thing_id: str, **value: int | str) -> list[Any] | int:
    """The items of a `subscribeForPersistedEvents` stream, or the status of the error failing it."""
    with open_socket(server.base_url, user) as socket:
        return _subscribe(socket, thing_id, value)


def _subscribe(socket: DittoSocket, thing_id: str, value: dict[str, int | str]) -> list[Any] | int:
    streaming = topic(thing_id, "things/twin/streaming/")
    socket.send({"topic": topic(thing_id, "things/twin/streaming/subscribeForPersistedEvents"), "path": "/",
                 "headers": {"correlation-id": "history"}, "value": value})
    first = socket.receive_until(lambda frame: isinstance(frame, dict) and (
        frame["topic"].startswith(streaming) or "status" in frame))
    assert isinstance(first, dict)
    if "status" in first:
        return int(first["status"])
    assert first["topic"].endswith("/created"), first
    socket.send({"topic": topic(thing_id, "things/twin/streaming/request"), "path": "/", "headers": {},
                 "value": {"subscriptionId": first["value"]["subscriptionId"], "demand": 1000}})
    items = []
    while True:
        frame = socket.receive_until(lambda frame: isinstance(frame, dict) and frame["topic"].startswith(streaming))
        assert isinstance(frame, dict)
        if frame["topic"].endswith("/failed"):
            return int(frame["value"]["error"]["status"])
        if not frame["topic"].endswith("/next"):
            assert frame["topic"].endswith("/complete"), frame
            return items
        items.append(frame["value"]["item"])


@pytest.fixture
def reborn(as_user: Users, thing_id: str) -> dict[str, Any]:
    """alice creates the thing (revision 1), writes her secret (2) and deletes it (3); bob creates the same id
    again under his own policy (4) and changes it (5)."""
    alice, bob = as_user("alice"), as_user("bob")
    assert alice.put(f"/things/{thing_id}", json={"attributes": {"model": "T1"}}).status_code == 201
    assert alice.put(f"/things/{thing_id}/attributes/secret", json="alice's").status_code == 201
    alice_stamp = alice.get(f"/things/{thing_id}", params={"fields": "_modified"}).json()["_modified"]
    assert alice.delete(f"/things/{thing_id}").status_code == 204
    bob_policy = f"{thing_id}-bob"
    assert bob.put(f"/policies/{bob_policy}", json=policy(("owner", owner("bob")))).status_code == 201
    assert bob.put(f"/things/{thing_id}", json={"policyId": bob_policy, "attributes": {"model": "B1"}}
                   ).status_code == 201
    assert bob.put(f"/things/{thing_id}/attributes/model", json="B2").status_code == 204
    return {"alice": alice, "bob": bob, "alice_stamp": alice_stamp}


def test_sse_history_of_a_recreated_thing_starts_at_its_new_life(reborn: dict[str, Any], thing_id: str) -> None:
    bob: httpx.Client = reborn["bob"]
    fields = {"fields": "attributes,_revision"}
    assert replay(bob, f"/things/{thing_id}", **{"from-historical-revision": "1", **fields}) == [
        {"attributes": {"model": "B1"}, "_revision": 4}, {"attributes": {"model": "B2"}, "_revision": 5}]
    assert replay(bob, f"/things/{thing_id}", **{"from-historical-revision": "0", "to-historical-revision": "3",
                                                  **fields}) == []
    assert replay(bob, f"/things/{thing_id}", **{"from-historical-timestamp": reborn["alice_stamp"],
                                                  **fields}) == [
        {"attributes": {"model": "B1"}, "_revision": 4}, {"attributes": {"model": "B2"}, "_revision": 5}]
    assert replay(bob, f"/things/{thing_id}/attributes/secret", **{"from-historical-revision": "1"}) == []


def test_websocket_history_of_a_recreated_thing_starts_at_its_new_life(server: Server, reborn: dict[str, Any],
                                                                        thing_id: str) -> None:
    items = persisted_events(server, "bob", thing_id, fromHistoricalRevision=1)
    assert isinstance(items, list)
    assert [(item["revision"], item["value"]) for item in items] == [
        (4, {"thingId": thing_id, "policyId": f"{thing_id}-bob", "attributes": {"model": "B1"}}), (5, "B2")]
    assert persisted_events(server, "bob", thing_id, fromHistoricalTimestamp=reborn["alice_stamp"],
                            toHistoricalTimestamp=reborn["alice_stamp"]) == []


def test_at_historical_revision_before_the_new_life_is_not_found(reborn: dict[str, Any], thing_id: str) -> None:
    bob: httpx.Client = reborn["bob"]
    for revision in ("1", "2", "3"):
        assert_error(bob.get(f"/things/{thing_id}", headers={"at-historical-revision": revision}), 404,
                     "things:thing.history.notfound")
    assert_error(bob.get(f"/things/{thing_id}/attributes/secret", headers={"at-historical-revision": "2"}), 404,
                 "things:thing.history.notfound")
    assert_error(bob.get(f"/things/{thing_id}", headers={"at-historical-timestamp": reborn["alice_stamp"]}), 404,
                 "things:thing.history.notfound")
    assert bob.get(f"/things/{thing_id}", headers={"at-historical-revision": "4"}).json()["attributes"] == {
        "model": "B1"}


def test_the_previous_owner_sees_nothing_of_either_life(server: Server, reborn: dict[str, Any],
                                                        thing_id: str) -> None:
    alice: httpx.Client = reborn["alice"]
    assert_error(alice.get(f"/things/{thing_id}?from-historical-revision=1", headers=SSE), 404,
                 "things:thing.notfound")
    for revision in ("2", "4"):
        assert_error(alice.get(f"/things/{thing_id}", headers={"at-historical-revision": revision}), 404,
                     "things:thing.history.notfound")
    assert persisted_events(server, "alice", thing_id, fromHistoricalRevision=1) == 404


def test_a_deleted_thing_has_no_history(client: httpx.Client, thing_id: str) -> None:
    client.put(f"/things/{thing_id}", json=SECRET)
    client.delete(f"/things/{thing_id}")
    assert_error(client.get(f"/things/{thing_id}", headers={"at-historical-revision": "1"}), 404,
                 "things:thing.history.notfound")
    assert_error(client.get(f"/things/{thing_id}?from-historical-revision=1", headers=SSE), 404,
                 "things:thing.notfound")


# -- the policy in force at each revision ----------------------------------------------------------------


def test_history_under_a_deleted_and_recreated_policy_is_not_shown(as_user: Users, thing_id: str) -> None:
    """alice's thing outlives her policy; bob takes the policy id over: he reads the thing as it is now (the
    policy id is his), but none of its past."""
    alice, bob = as_user("alice"), as_user("bob")
    policy_id = f"{thing_id}-policy"
    assert alice.put(f"/policies/{policy_id}", json=policy(("owner", owner("alice")))).status_code == 201
    assert alice.put(f"/things/{thing_id}", json={"policyId": policy_id, **SECRET}).status_code == 201
    assert alice.put(f"/things/{thing_id}/attributes/model", json="T2").status_code == 204
    assert alice.delete(f"/policies/{policy_id}").status_code == 204
    assert bob.put(f"/policies/{policy_id}", json=policy(("owner", owner("bob")))).status_code == 201

    assert bob.get(f"/things/{thing_id}").status_code == 200
    assert replay(bob, f"/things/{thing_id}", **{"from-historical-revision": "1"}) == []
    for revision in ("1", "2"):
        assert_error(bob.get(f"/things/{thing_id}", headers={"at-historical-revision": revision}), 404,
                     "things:thing.history.notfound")
    # What happens after bob took the policy over is his.
    assert bob.put(f"/things/{thing_id}/attributes/model", json="B3").status_code == 204
    assert replay(bob, f"/things/{thing_id}", **{"from-historical-revision": "1", "fields": "attributes"}) == [
        {"attributes": {"model": "B3"}}]


def test_each_revision_is_filtered_by_its_own_policy_and_the_current_one(as_user: Users, thing_id: str) -> None:
    """Under its first policy carol may read only the features; then the thing moves to a policy that lets her
    read everything but the secret: each revision shows what both its policy and the current one allow."""
    alice, carol = as_user("alice"), as_user("carol")
    first, second = f"{thing_id}-first", f"{thing_id}-second"
    features_only = entry("nginx:carol", {"thing:/features": {"grant": ["READ"]}})
    all_but_secret = entry("nginx:carol", {"thing:/": {"grant": ["READ"]},
                                           "thing:/attributes/secret": {"revoke": ["READ"]}})
    assert alice.put(f"/policies/{first}", json=policy(("owner", owner("alice")), ("carol", features_only))
                     ).status_code == 201
    assert alice.put(f"/policies/{second}", json=policy(("owner", owner("alice")), ("carol", all_but_secret))
                     ).status_code == 201
    thing = {"policyId": first, **SECRET, "features": {"lamp": {"properties": {"on": True}}}}
    assert alice.put(f"/things/{thing_id}", json=thing).status_code == 201
    assert alice.put(f"/things/{thing_id}/attributes/model", json="T2").status_code == 204  # 2: under first
    assert alice.put(f"/things/{thing_id}/policyId", json=second).status_code == 204  # 3: under second
    assert alice.put(f"/things/{thing_id}/attributes/model", json="T3").status_code == 204  # 4: under second

    shown = replay(carol, f"/things/{thing_id}", **{"from-historical-revision": "1"})
    assert shown == [
        {"thingId": thing_id, "features": {"lamp": {"properties": {"on": True}}}},  # 1; 2 changed attributes only
        {"thingId": thing_id, "policyId": second},
        {"thingId": thing_id, "attributes": {"model": "T3"}}]
    past = carol.get(f"/things/{thing_id}", headers={"at-historical-revision": "2"})
    assert past.json() == {"thingId": thing_id, "features": {"lamp": {"properties": {"on": True}}}}
    now = carol.get(f"/things/{thing_id}", headers={"at-historical-revision": "4"}).json()
    assert now["attributes"] == {"model": "T3"}


def test_a_thing_id_unused_before_has_a_plain_history(client: httpx.Client) -> None:
    thing_id = f"org.twinhub.test:{uuid.uuid4().hex[:12]}"
    client.put(f"/things/{thing_id}", json=SECRET)
    client.put(f"/things/{thing_id}/attributes/model", json="T2")
    assert replay(client, f"/things/{thing_id}", **{"from-historical-revision": "1", "fields": "_revision"}) == [
        {"_revision": 1}, {"_revision": 2}]
