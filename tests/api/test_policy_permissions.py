"""Permission names in policies beyond READ / WRITE / EXECUTE (issue 15, part E item 2).

Ditto keeps every string of `grant` / `revoke` (policies/model/.../ImmutableEffectedPermissions.fromJson filters
non-strings only; ImmutablePermissions is a plain set of strings), and its enforcers only ever ask for READ, WRITE
and EXECUTE (policies/api/.../Permission.java, things/api/.../Permission.java): another name is stored and shown,
and grants or revokes nothing.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

Users = Callable[[str], httpx.Client]
OWNER = {"subjects": {"nginx:alice": {"type": "t"}},
         "resources": {"thing:/": {"grant": ["READ", "WRITE"]}, "policy:/": {"grant": ["READ", "WRITE"]}}}


def test_other_permission_names_are_stored_and_shown(as_user: Users, thing_id: str) -> None:
    """ImmutableEffectedPermissions.fromJson: any string, kept as given (no case folding)."""
    alice = as_user("alice")
    assert alice.put(f"/things/{thing_id}", json={}).status_code == 201
    resource = {"grant": ["READ", "ADMINISTRATE", "read"], "revoke": ["ADMINISTRATE", ""]}
    response = alice.put(f"/policies/{thing_id}/entries/DEFAULT/resources/thing:/", json=resource)
    assert response.status_code == 204, response.text
    assert alice.get(f"/policies/{thing_id}/entries/DEFAULT/resources/thing:/").json() == resource
    assert alice.get(f"/things/{thing_id}").status_code == 200  # the revoke of ADMINISTRATE leaves READ alone


def test_other_permission_names_grant_nothing(as_user: Users, thing_id: str) -> None:
    """Permission.java (things, policies): only READ, WRITE and EXECUTE are ever checked; `read` is not READ."""
    alice, bob = as_user("alice"), as_user("bob")
    assert alice.put(f"/things/{thing_id}", json={"attributes": {"a": 1}}).status_code == 201
    others = {"grant": ["ADMINISTRATE", "read", "write", "ALL"], "revoke": []}
    policy = {"entries": {"owner": OWNER, "bob": {
        "subjects": {"nginx:bob": {"type": "t"}},
        "resources": {"thing:/": others, "policy:/": others, "message:/": others}}}}
    assert alice.put(f"/policies/{thing_id}", json=policy).status_code == 204
    assert bob.get(f"/things/{thing_id}").status_code == 404
    assert bob.put(f"/things/{thing_id}/attributes/a", json=2).status_code == 403  # no WRITE, readable or not
    assert bob.get(f"/policies/{thing_id}").status_code == 404
    assert bob.get("/search/things", params={"filter": f'eq(thingId,"{thing_id}")'}).json()["items"] == []
    assert alice.get(f"/things/{thing_id}/attributes/a").json() == 1


def test_other_permissions_do_not_let_a_creator_write(as_user: Users, thing_id: str) -> None:
    """PolicyCommandEnforcement.authorizeCreatePolicy: the creator needs unrestricted WRITE on `policy:/`;
    ADMINISTRATE is no WRITE (403 `policies:policy.notcreatable`)."""
    admin = {"grant": ["ADMINISTRATE", "READ"], "revoke": []}
    policy = {"entries": {
        "admin": {"subjects": {"nginx:alice": {"type": "t"}}, "resources": {"policy:/": admin}},
        "writer": {"subjects": {"nginx:carol": {"type": "t"}}, "resources": {"policy:/": {"grant": ["WRITE"]}}}}}
    response = as_user("alice").put(f"/policies/{thing_id}", json=policy)
    assert response.status_code == 403 and response.json()["error"] == "policies:policy.notcreatable"
