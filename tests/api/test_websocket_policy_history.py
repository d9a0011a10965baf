"""Policies as they were, over the Ditto Protocol: `at-historical-revision` / `at-historical-timestamp` headers on
a `policies/commands/retrieve`, as on a policy GET (tests/api/test_policy_history.py).

Ditto answers a historical RetrievePolicy from the policy's journal whatever the edge carried it
(PolicyPersistenceActor reads the DittoHeaderDefinition AT_HISTORICAL_REVISION / AT_HISTORICAL_TIMESTAMP headers
of the command), authorized and filtered by the current policy (PolicyCommandEnforcement), and answers a
revision it cannot find with 404 `policies:policy.history.notfound` (PolicyHistoryNotAccessibleException)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import httpx
import pytest

from tests.api.websocket import DittoSocket, open_socket
from twinhub.testing import Server

Users = Callable[[str], httpx.Client]
ALL = {"grant": ["READ", "WRITE"], "revoke": []}


def _entry(subject: str, **resources: dict[str, list[str]]) -> dict[str, object]:
    return {"subjects": {subject: {"type": "t"}}, "resources": resources or {"thing:/": ALL, "policy:/": ALL}}


@pytest.fixture
def history(as_user: Users, thing_id: str) -> tuple[str, list[str]]:
    """A policy of alice at revisions 1 (owner), 2 (bob may READ it), 3 (bob's entry gone), with the time after
    each."""
    alice = as_user("alice")
    policy = f"/policies/{thing_id}"
    moments = []
    assert alice.put(policy, json={"entries": {"owner": _entry("nginx:alice")}}).status_code == 201
    moments.append(datetime.now(UTC).isoformat())
    time.sleep(0.05)
    assert alice.put(f"{policy}/entries/reader",
                     json=_entry("nginx:bob", **{"policy:/": {"grant": ["READ"]}})).status_code == 201
    moments.append(datetime.now(UTC).isoformat())
    time.sleep(0.05)
    assert alice.delete(f"{policy}/entries/reader").status_code == 204
    moments.append(datetime.now(UTC).isoformat())
    return thing_id, moments


@pytest.fixture
def alice(server: Server) -> Iterator[DittoSocket]:
    with open_socket(server.base_url, "alice") as socket:
        yield socket


def _retrieve(socket: DittoSocket, policy_id: str, path: str = "/", **headers: object) -> dict[str, object]:
    namespace, name = policy_id.split(":", 1)
    return socket.request({"topic": f"{namespace}/{name}/policies/commands/retrieve", "path": path,
                           "headers": dict(headers)})


def test_a_policy_at_a_revision_over_the_websocket(alice: DittoSocket, history: tuple[str, list[str]]) -> None:
    """Each revision as it was, the whole policy (tagged with its revision) and its parts; a revision given as a
    JSON number is read as its text, as every Ditto header."""
    policy_id, _moments = history
    one = _retrieve(alice, policy_id, **{"at-historical-revision": "1"})
    assert one["status"] == 200, one
    assert list(one["value"]["entries"]) == ["owner"]  # type: ignore[index]
    assert one["headers"]["etag"] == '"rev:1"'  # type: ignore[index]
    two = _retrieve(alice, policy_id, **{"at-historical-revision": 2})
    assert list(two["value"]["entries"]) == ["owner", "reader"]  # type: ignore[index]
    subjects = _retrieve(alice, policy_id, "/entries/reader/subjects", **{"at-historical-revision": "2"})
    assert (subjects["status"], subjects["value"]) == (200, {"nginx:bob": {"type": "t"}})
    current = _retrieve(alice, policy_id)
    assert list(current["value"]["entries"]) == ["owner"]  # type: ignore[index]


def test_a_policy_at_a_timestamp_over_the_websocket(alice: DittoSocket, history: tuple[str, list[str]]) -> None:
    """`at-historical-timestamp`: the latest revision at or before it."""
    policy_id, moments = history
    then = _retrieve(alice, policy_id, **{"at-historical-timestamp": moments[1]})
    assert list(then["value"]["entries"]) == ["owner", "reader"]  # type: ignore[index]
    first = _retrieve(alice, policy_id, **{"at-historical-timestamp": moments[0]})
    assert first["headers"]["etag"] == '"rev:1"'  # type: ignore[index]


@pytest.mark.parametrize(("headers", "status", "code"), [
    ({"at-historical-revision": "4"}, 404, "policies:policy.history.notfound"),
    ({"at-historical-revision": "0"}, 404, "policies:policy.history.notfound"),
    ({"at-historical-timestamp": "2000-01-01T00:00:00Z"}, 404, "policies:policy.history.notfound"),
    ({"at-historical-revision": "two"}, 400, "header.invalid"),
    ({"at-historical-revision": "-1"}, 400, "header.invalid"),
    ({"at-historical-timestamp": "yesterday"}, 400, "header.invalid"),
])
def test_historical_reads_it_cannot_answer_are_refused(alice: DittoSocket, history: tuple[str, list[str]],
                                                       headers: dict[str, str], status: int, code: str) -> None:
    """PolicyHistoryNotAccessibleException for a revision or time the policy never had; a header that does not
    parse is Ditto's 400 `header.invalid`, on the command's topic, and the session goes on."""
    policy_id, _moments = history
    refused = _retrieve(alice, policy_id, **headers)
    assert refused["status"] == status, refused
    assert refused["value"]["error"] == code  # type: ignore[index]
    assert _retrieve(alice, policy_id)["status"] == 200


def test_the_current_policy_decides_who_reads_the_past(server: Server, history: tuple[str, list[str]]) -> None:
    """PolicyCommandEnforcement authorizes a historical read by the current policy: bob, who could READ the policy
    at revision 2, may not read it now that his entry is gone (404, as for any policy he may not read)."""
    policy_id, _moments = history
    with open_socket(server.base_url, "bob") as bob:
        refused = _retrieve(bob, policy_id, **{"at-historical-revision": "2"})
    assert refused["status"] == 404, refused
    assert refused["value"]["error"] == "policies:policy.notfound"  # type: ignore[index]
