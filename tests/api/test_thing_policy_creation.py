"""Which policy a new thing gets when its id names an existing policy (issue 15, part E item 5).

Ditto creates the policy of a new thing (its default, inline `_policy` or `_copyPolicyFrom` copy) with a
CreatePolicy under the thing's id unless the thing names a `policyId` (ThingEnforcerActor
.loadPolicyEnforcerForCreateThing); when that policy exists already the creation fails with 400
`things:thing.notcreatable` (reportInitialPolicyCreationFailure, ThingNotCreatableException
.newBuilderForPolicyExisting): a thing never silently reuses another's policy.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tests.api.helpers import assert_error

Users = Callable[[str], httpx.Client]
ALL = {"grant": ["READ", "WRITE"], "revoke": []}


def owned_by(name: str) -> dict[str, object]:
    return {"entries": {"owner": {"subjects": {f"nginx:{name}": {"type": "t"}},
                                  "resources": {"thing:/": ALL, "policy:/": ALL}}}}


def test_a_thing_is_not_created_under_an_existing_policy_of_its_id(as_user: Users, thing_id: str) -> None:
    """Without `policyId`: 400 `things:thing.notcreatable`, whoever owns the policy; nothing is created."""
    alice, bob = as_user("alice"), as_user("bob")
    assert alice.put(f"/policies/{thing_id}", json=owned_by("alice")).status_code == 201
    for who in (bob, alice):
        body = assert_error(who.put(f"/things/{thing_id}", json={"attributes": {"a": 1}}), 400,
                            "things:thing.notcreatable")
        assert "'policyId'" in str(body["description"])
        assert_error(who.put(f"/things/{thing_id}", json={"_policy": owned_by("bob")}), 400,
                     "things:thing.notcreatable")
    # a copy of a policy bob may not read fails on the source first (ThingEnforcerActor.getCopiedPolicy)
    assert_error(alice.put(f"/things/{thing_id}", json={"_copyPolicyFrom": thing_id}), 400,
                 "things:thing.notcreatable")
    assert alice.get(f"/things/{thing_id}").status_code == 404
    assert list(alice.get(f"/policies/{thing_id}/entries/owner/subjects").json()) == ["nginx:alice"]


def test_a_thing_recreated_after_its_deletion_names_its_policy(as_user: Users, thing_id: str) -> None:
    """Deleting a thing keeps its policy (Ditto): created again, it must name it, or it is refused."""
    alice = as_user("alice")
    assert alice.put(f"/things/{thing_id}", json={}).status_code == 201
    assert alice.delete(f"/things/{thing_id}").status_code == 204
    assert_error(alice.put(f"/things/{thing_id}", json={}), 400, "things:thing.notcreatable")
    assert alice.put(f"/things/{thing_id}", json={"policyId": thing_id}).status_code == 201


def test_naming_the_existing_policy_uses_it(as_user: Users, thing_id: str) -> None:
    """`policyId` given: the existing policy is used as it is (and must let the creator write the thing)."""
    alice, bob = as_user("alice"), as_user("bob")
    assert alice.put(f"/policies/{thing_id}", json=owned_by("alice")).status_code == 201
    assert bob.put(f"/things/{thing_id}", json={"policyId": thing_id}).status_code in (403, 404)
    assert alice.put(f"/things/{thing_id}", json={"policyId": thing_id}).status_code == 201
    assert alice.get(f"/things/{thing_id}/policyId").json() == thing_id
