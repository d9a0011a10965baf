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
    assert_error(bob.put(f"/things/{thing_id}", json={"_policy": owned_by("bob")}), 400, "things:thing.notcreatable")
    # PolicyEnforcerActor enforces a CreatePolicy on the new policy before its persistence finds the old one: a new
    # policy alice could not write is refused for that first, with its 403
    body = assert_error(alice.put(f"/things/{thing_id}", json={"_policy": owned_by("bob")}), 403,
                        "things:thing.notcreatable")
    assert "could not be created due to" in str(body["message"])
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


def test_an_inline_policy_of_imports_only_is_creatable(as_user: Users, thing_id: str) -> None:
    """ThingEnforcerActor.getInitialPolicy: PoliciesValidator passes a policy with imports; the CreatePolicy is
    enforced with the new policy's imports resolved (PolicyEnforcerActor: withResolvedImportsAndNamespacePolicies),
    so an imported (importable) entry may give the creator its WRITE."""
    alice, bob = as_user("alice"), as_user("bob")
    template = f"{thing_id}-template"
    assert alice.put(f"/policies/{template}", json=owned_by("alice")).status_code == 201
    inline = {"imports": {template: {}}, "entries": {}}
    response = alice.put(f"/things/{thing_id}", json={"_policy": inline, "attributes": {"a": 1}})
    assert response.status_code == 201, response.text
    assert alice.get(f"/policies/{thing_id}").json()["imports"] == {template: {}}
    assert alice.get(f"/things/{thing_id}/attributes/a").json() == 1
    assert bob.get(f"/things/{thing_id}").status_code == 404
    # an import the creator may not read (PolicyImportsPreEnforcer: 404) or that gives it nothing
    # (PolicyCommandEnforcement.authorizeCreatePolicy: 403) refuses the policy, and so the thing, with that status
    # (ThingEnforcerActor.reportInitialPolicyCreationFailure)
    assert_error(bob.put(f"/things/{thing_id}-2", json={"_policy": inline}), 404, "things:thing.notcreatable")
    never = {"entries": {"owner": {**owned_by("alice")["entries"]["owner"], "importable": "never"}}}  # type: ignore[index]
    assert alice.put(f"/policies/{template}", json=never).status_code == 204
    assert_error(alice.put(f"/things/{thing_id}-3", json={"_policy": inline}), 403, "things:thing.notcreatable")


def test_an_inline_policy_with_its_own_id_is_stored_under_it(as_user: Users, thing_id: str) -> None:
    """ThingEnforcerActor.getInitialPolicy: without the thing's `policyId`, the inline policy's own `policyId` is
    kept, and the thing refers to it; the thing's `policyId` wins when both are given."""
    alice = as_user("alice")
    own = f"{thing_id}-own"
    assert alice.put(f"/things/{thing_id}", json={"_policy": {**owned_by("alice"), "policyId": own}}).status_code == 201
    assert alice.get(f"/things/{thing_id}/policyId").json() == own
    assert alice.get(f"/policies/{own}").status_code == 200
    assert alice.get(f"/policies/{thing_id}").status_code == 404
    named = f"{thing_id}-named"
    body = {"policyId": named, "_policy": {**owned_by("alice"), "policyId": f"{thing_id}-ignored"}}
    assert alice.put(f"/things/{thing_id}-2", json=body).status_code == 201
    assert alice.get(f"/policies/{named}").status_code == 200
    assert alice.get(f"/policies/{thing_id}-ignored").status_code == 404
