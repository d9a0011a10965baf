"""`_copyPolicyFrom` on thing creation (issue 15, part E item 7).

Ditto copies the policy a new thing names in `_copyPolicyFrom` by a RetrievePolicy with the caller's headers
(ThingEnforcerActor.getCopiedPolicy, retrievePolicyWithEnforcement), so only what the caller may READ of it is
copied, and an unreadable policy is 404 `policies:policy.notfound`. A reference `{{ ref:things/<id>/<field> }}`
(ReferencePlaceholder) is resolved by reading that thing's field as the caller (PolicyIdReferencePlaceholderResolver):
an unreadable thing is 404 `things:thing.notfound`, a field it does not show 400
`placeholder:placeholder.reference.unknownfield`, another entity type 400
`placeholder:placeholder.reference.notsupported`. The copy is created as any new policy, `allow-policy-lockout`
included (PolicyCommandEnforcement.authorizeCreatePolicy).
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.api.helpers import assert_error

Users = Callable[[str], httpx.Client]
ALL = {"grant": ["READ", "WRITE"], "revoke": []}


@pytest.fixture
def source(as_user: Users, thing_id: str) -> str:
    """A thing of alice whose policy lets bob READ and WRITE the thing and the policy, but not read the entry
    `owner`."""
    alice = as_user("alice")
    policy = {"entries": {
        "owner": {"subjects": {"nginx:alice": {"type": "t"}}, "resources": {"thing:/": ALL, "policy:/": ALL}},
        "bob": {"subjects": {"nginx:bob": {"type": "t"}},
                "resources": {"thing:/": ALL, "policy:/": ALL,
                              "policy:/entries/owner": {"grant": [], "revoke": ["READ"]}}}}}
    assert alice.put(f"/things/{thing_id}", json={"_policy": policy}).status_code == 201
    return thing_id


def test_a_copy_holds_only_what_the_caller_may_read(as_user: Users, source: str) -> None:
    """retrievePolicyWithEnforcement: the copy is the caller's READ view of the source policy."""
    bob = as_user("bob")
    for copy_from, suffix in ((source, "direct"), (f"{{{{ ref:things/{source}/policyId }}}}", "ref")):
        new = f"{source}-{suffix}"
        assert bob.put(f"/things/{new}", json={"_copyPolicyFrom": copy_from}).status_code == 201
        copied = bob.get(f"/policies/{new}").json()
        assert copied["policyId"] == new and list(copied["entries"]) == ["bob"]
        assert as_user("alice").get(f"/things/{new}").status_code == 404


def test_references_fail_with_dittos_codes(as_user: Users, source: str) -> None:
    """PolicyIdReferencePlaceholderResolver and ReferencePlaceholder.ReferencedEntityType."""
    bob, mallory = as_user("bob"), as_user("mallory")
    new = f"/things/{source}-new"
    assert_error(mallory.put(new, json={"_copyPolicyFrom": f"{{{{ ref:things/{source}/policyId }}}}"}), 404,
                 "things:thing.notfound")
    body = assert_error(bob.put(new, json={"_copyPolicyFrom": f"{{{{ ref:things/{source}/attributes/none }}}}"}),
                        400, "placeholder:placeholder.reference.unknownfield")
    assert "'/attributes/none'" in str(body["message"])
    assert_error(bob.put(new, json={"_copyPolicyFrom": f"{{{{ ref:policies/{source}/policyId }}}}"}), 400,
                 "placeholder:placeholder.reference.notsupported")
    assert_error(bob.put(new, json={"_copyPolicyFrom": "{{ ref:things/no-namespace/policyId }}"}), 400,
                 "things:id.invalid")
    assert_error(mallory.put(new, json={"_copyPolicyFrom": source}), 404, "policies:policy.notfound")
    assert_error(bob.put(new, json={"_copyPolicyFrom": "not a policy id"}), 400, "policies:id.invalid")
    assert bob.get(new).status_code == 404


def test_a_copy_the_caller_could_not_write_needs_allow_policy_lockout(as_user: Users, thing_id: str) -> None:
    """authorizeCreatePolicy: a copy granting bob READ only on `policy:/` is refused for him, and so is the thing:
    403 `things:thing.notcreatable` (ThingEnforcerActor.reportInitialPolicyCreationFailure); with
    `allow-policy-lockout` it is created (alice keeps WRITE), and bob writes the thing it governs."""
    alice, bob = as_user("alice"), as_user("bob")
    policy = {"entries": {
        "owner": {"subjects": {"nginx:alice": {"type": "t"}}, "resources": {"thing:/": ALL, "policy:/": ALL}},
        "bob": {"subjects": {"nginx:bob": {"type": "t"}},
                "resources": {"thing:/": ALL, "policy:/": {"grant": ["READ"], "revoke": []}}}}}
    assert alice.put(f"/things/{thing_id}", json={"_policy": policy}).status_code == 201
    new = f"/things/{thing_id}-locked"
    assert_error(bob.put(new, json={"_copyPolicyFrom": thing_id}), 403, "things:thing.notcreatable")
    response = bob.put(new, params={"allow-policy-lockout": "true"}, json={"_copyPolicyFrom": thing_id})
    assert response.status_code == 201, response.text
    assert bob.put(f"{new}/attributes/a", json=1).status_code == 201
    assert alice.get(f"/policies/{thing_id}-locked/entries/owner").status_code == 200
