"""Policies as they were: `at-historical-revision` / `at-historical-timestamp` on policy GETs (issue 15, part E
item 4).

Ditto answers a historical RetrievePolicy from the policy's journal (PolicyPersistenceActor, historical
headers `at-historical-revision` / `at-historical-timestamp`, DittoHeaderDefinition), authorized and filtered by
the current policy (PolicyCommandEnforcement), and answers a revision it cannot find with 404
`policies:policy.history.notfound` (PolicyHistoryNotAccessibleException).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest

from tests.api.helpers import assert_error

Users = Callable[[str], httpx.Client]
ALL = {"grant": ["READ", "WRITE"], "revoke": []}


def entry(subject: str, **resources: dict[str, list[str]]) -> dict[str, object]:
    return {"subjects": {subject: {"type": "t"}}, "resources": resources or {"thing:/": ALL, "policy:/": ALL}}


@pytest.fixture
def history(as_user: Users, thing_id: str) -> tuple[str, list[str]]:
    """A policy of alice at revisions 1 (owner), 2 (bob added), 3 (bob's entry gone), with the time after each."""
    alice = as_user("alice")
    policy = f"/policies/{thing_id}"
    moments = []
    assert alice.put(policy, json={"entries": {"owner": entry("nginx:alice")}}).status_code == 201
    moments.append(datetime.now(UTC).isoformat())
    time.sleep(0.05)
    reader = entry("nginx:bob", **{"policy:/": {"grant": ["READ"]}})
    assert alice.put(f"{policy}/entries/reader", json=reader).status_code == 201
    moments.append(datetime.now(UTC).isoformat())
    time.sleep(0.05)
    assert alice.delete(f"{policy}/entries/reader").status_code == 204
    moments.append(datetime.now(UTC).isoformat())
    return policy, moments


def test_a_policy_at_a_revision(as_user: Users, history: tuple[str, list[str]]) -> None:
    """Each revision as it was: the whole policy (tagged with its revision) and its parts."""
    alice = as_user("alice")
    policy, _moments = history
    one = alice.get(policy, headers={"at-historical-revision": "1"})
    assert one.status_code == 200 and list(one.json()["entries"]) == ["owner"]
    assert one.headers["ETag"] == '"rev:1"' and one.json()["policyId"] == policy.rsplit("/", 1)[1]
    two = alice.get(policy, params={"at-historical-revision": "2"})
    assert list(two.json()["entries"]) == ["owner", "reader"] and two.headers["ETag"] == '"rev:2"'
    subjects = alice.get(f"{policy}/entries/reader/subjects", headers={"at-historical-revision": "2"})
    assert subjects.json() == {"nginx:bob": {"type": "t"}}
    assert list(alice.get(policy).json()["entries"]) == ["owner"]
    assert_error(alice.get(f"{policy}/entries/reader", headers={"at-historical-revision": "3"}), 404,
                 "policies:entry.notfound")


def test_a_policy_at_a_timestamp(as_user: Users, history: tuple[str, list[str]]) -> None:
    """`at-historical-timestamp`: the latest revision at or before it."""
    alice = as_user("alice")
    policy, moments = history
    assert list(alice.get(policy, headers={"at-historical-timestamp": moments[1]}).json()["entries"]) == [
        "owner", "reader"]
    assert alice.get(policy, headers={"at-historical-timestamp": moments[0]}).headers["ETag"] == '"rev:1"'
    assert_error(alice.get(policy, headers={"at-historical-timestamp": "2000-01-01T00:00:00Z"}), 404,
                 "policies:policy.history.notfound")


def test_revisions_it_never_had_are_404(as_user: Users, history: tuple[str, list[str]]) -> None:
    """PolicyHistoryNotAccessibleException for a revision past the current one or before the first."""
    alice = as_user("alice")
    policy, _moments = history
    for revision in ("0", "4", "99999999999"):
        assert_error(alice.get(policy, headers={"at-historical-revision": revision}), 404,
                     "policies:policy.history.notfound")
    assert_error(alice.get(policy, headers={"at-historical-revision": "-1"}), 400, "header.invalid")


def test_history_is_read_through_the_current_policy(as_user: Users, history: tuple[str, list[str]]) -> None:
    """PolicyCommandEnforcement authorizes and filters with the current enforcer: bob, who could read revision 2,
    may not any more; mallory never could."""
    policy, _moments = history
    for name in ("bob", "mallory"):
        assert_error(as_user(name).get(policy, headers={"at-historical-revision": "2"}), 404,
                     "policies:policy.notfound")


def test_an_earlier_life_of_the_policy_id_is_not_shown(as_user: Users, thing_id: str) -> None:
    """A policy deleted and created again by someone else: its new owner does not read the old one's revisions."""
    alice, mallory = as_user("alice"), as_user("mallory")
    policy = f"/policies/{thing_id}"
    assert alice.put(policy, json={"entries": {"owner": entry("nginx:alice")}}).status_code == 201
    assert alice.delete(policy).status_code == 204
    assert mallory.put(policy, json={"entries": {"owner": entry("nginx:mallory")}}).status_code == 201
    assert_error(mallory.get(policy, headers={"at-historical-revision": "1"}), 404,
                 "policies:policy.history.notfound")
    assert list(mallory.get(policy, headers={"at-historical-revision": "3"}).json()["entries"]["owner"]["subjects"]) \
        == ["nginx:mallory"]
