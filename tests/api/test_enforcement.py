"""Ditto's policies enforced on every thing read and write, for several users at once."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.api.helpers import MERGE, assert_error

Users = Callable[[str], httpx.Client]
ALL = ["READ", "WRITE"]


def entry(subject: str, resources: dict[str, dict[str, list[str]]], **subject_fields: str) -> dict[str, object]:
    return {"subjects": {subject: {"type": "test", **subject_fields}}, "resources": resources}


def owner(name: str) -> dict[str, object]:
    return entry(f"nginx:{name}", {"thing:/": {"grant": ALL}, "policy:/": {"grant": ALL},
                                   "message:/": {"grant": ALL}})


THING = {"attributes": {"model": "T1", "secret": "s3cr3t", "location": {"room": "hall"}},
         "features": {"lamp": {"properties": {"on": True}}, "lock": {"properties": {"open": False}}}}


@pytest.fixture
def shared(as_user: Users, thing_id: str) -> str:
    """A thing of alice, whose policy lets bob read all but the secret and carol read only the lamp."""
    alice = as_user("alice")
    assert alice.put(f"/things/{thing_id}", json=THING).status_code == 201
    policy = {"entries": {
        "owner": owner("alice"),
        "reader": entry("nginx:bob", {"thing:/": {"grant": ["READ"]},
                                      "thing:/attributes/secret": {"revoke": ["READ"]}}),
        "lamp": entry("nginx:carol", {"thing:/features/lamp": {"grant": ["READ"]}}),
    }}
    assert alice.put(f"/policies/{thing_id}", json=policy).status_code == 204
    return thing_id


def test_creator_gets_the_default_policy(as_user: Users, thing_id: str) -> None:
    alice = as_user("alice")
    alice.put(f"/things/{thing_id}", json={})
    policy = alice.get(f"/policies/{thing_id}").json()
    assert policy["policyId"] == thing_id
    default = policy["entries"]["DEFAULT"]
    assert list(default["subjects"]) == ["nginx:alice"]
    assert default["resources"] == {key: {"grant": ALL, "revoke": []}
                                    for key in ("thing:/", "policy:/", "message:/")}


def test_others_cannot_see_a_thing_they_have_no_entry_for(as_user: Users, thing_id: str) -> None:
    as_user("alice").put(f"/things/{thing_id}", json=THING)
    mallory = as_user("mallory")
    assert_error(mallory.get(f"/things/{thing_id}"), 404, "things:thing.notfound")
    assert_error(mallory.get(f"/things/{thing_id}/attributes/model"), 404, "things:thing.notfound")
    # a write is refused as such, readable or not (ThingCommandEnforcement.authorizeByPolicyOrThrow;
    # ThingCommandEnforcementTest.rejectByPolicy: an empty policy, a read 404, a modify 403)
    assert_error(mallory.put(f"/things/{thing_id}/attributes/model", json="x"), 403, "things:attribute.notmodifiable")
    assert_error(mallory.delete(f"/things/{thing_id}"), 403, "things:thing.notdeletable")
    assert_error(mallory.get(f"/policies/{thing_id}"), 404, "policies:policy.notfound")
    assert mallory.get("/things", params={"ids": thing_id}).json() == []
    assert as_user("alice").get(f"/things/{thing_id}/attributes/model").json() == "T1"


def test_two_users_see_different_fields_of_the_same_thing(as_user: Users, shared: str) -> None:
    bob = as_user("bob").get(f"/things/{shared}").json()
    assert bob == {"thingId": shared, "policyId": shared,
                   "attributes": {"model": "T1", "location": {"room": "hall"}},
                   "features": THING["features"]}
    carol = as_user("carol").get(f"/things/{shared}").json()
    assert carol == {"thingId": shared, "features": {"lamp": {"properties": {"on": True}}}}


def test_revoked_field_is_not_found_for_the_reader(as_user: Users, shared: str) -> None:
    bob = as_user("bob")
    assert_error(bob.get(f"/things/{shared}/attributes/secret"), 404, "things:attribute.notfound")
    assert bob.get(f"/things/{shared}/attributes").json() == {"model": "T1", "location": {"room": "hall"}}
    assert bob.get(f"/things/{shared}", params={"fields": "attributes/secret,_revision"}).json() == {
        "_revision": 1}


def test_reader_cannot_write_and_gets_403(as_user: Users, shared: str) -> None:
    bob = as_user("bob")
    assert_error(bob.put(f"/things/{shared}/attributes/model", json="T2"), 403, "things:attribute.notmodifiable")
    assert_error(bob.delete(f"/things/{shared}"), 403, "things:thing.notdeletable")
    assert_error(bob.patch(f"/things/{shared}", json={"attributes": {"model": None}}, headers=MERGE), 403,
                 "things:thing.notmodifiable")
    assert as_user("alice").get(f"/things/{shared}/attributes/model").json() == "T1"


@pytest.fixture
def frank(as_user: Users, shared: str) -> httpx.Client:
    """frank may read and write the thing, except write its secret and the lock's `open`."""
    as_user("alice").put(f"/policies/{shared}/entries/writer", json=entry("nginx:frank", {
        "thing:/": {"grant": ALL}, "thing:/attributes/secret": {"revoke": ["WRITE"]},
        "thing:/features/lock/properties/open": {"revoke": ["WRITE"]}}))
    return as_user("frank")


@pytest.mark.parametrize(("path", "patch"), [
    ("", {"attributes": {"secret": "x", "model": "T2"}}),
    ("/attributes", {"secret": None}),
    ("/attributes", None),  # deleting the attributes deletes the secret
    ("/attributes", {"{{ ~s.*~ }}": None}),  # a regex delete needs WRITE on all of the object it deletes in
    ("/attributes/secret", "x"),
    ("/features", {"lock": {"properties": {"open": True}}}),
    ("/features/lock", {"properties": {"open": None, "other": 1}}),
    ("/features/lock/properties/open", True),
])
def test_a_merge_touching_a_revoked_path_is_thing_notmodifiable(as_user: Users, shared: str, frank: httpx.Client,
                                                                path: str, patch: object) -> None:
    """Ditto's `ThingCommandEnforcement.enforceMergeThingCommand` needs unrestricted WRITE on every leaf of the
    patch (`calculateLeaves`; a regex key counts as its object's path), and answers a refused merge with the
    fallback of `ThingCommandToModifyExceptionRegistry`, which has no entry for MergeThing:
    `things:thing.notmodifiable` 403, whatever the path."""
    response = frank.patch(f"/things/{shared}{path}", content=json.dumps(patch), headers=MERGE)
    assert_error(response, 403, "things:thing.notmodifiable")
    assert as_user("alice").get(f"/things/{shared}").headers["ETag"] == '"rev:1"'


def test_a_merge_beside_a_revoked_path_is_applied(as_user: Users, shared: str, frank: httpx.Client) -> None:
    """Only the leaves decide (Ditto `enforceMergeThingCommand`): a patch that leaves the revoked paths alone
    merges, even into the objects that hold them."""
    patch = {"attributes": {"model": "T2"}, "features": {"lock": {"properties": {"battery": 80}}}}
    assert frank.patch(f"/things/{shared}", json=patch, headers=MERGE).status_code == 204
    assert as_user("alice").get(f"/things/{shared}/features/lock/properties").json() == {"open": False, "battery": 80}


def test_a_modify_keeps_the_error_of_its_resource(shared: str, frank: httpx.Client) -> None:
    """Unlike a merge, a modify command is refused with its resource's error (Ditto
    `ThingCommandToModifyExceptionRegistry`: ModifyAttribute -> AttributeNotModifiableException)."""
    assert_error(frank.put(f"/things/{shared}/attributes/secret", json="x"), 403, "things:attribute.notmodifiable")
    assert_error(frank.put(f"/things/{shared}/attributes", json={}), 403, "things:attributes.notmodifiable")


def test_write_does_not_imply_read(as_user: Users, shared: str) -> None:
    alice = as_user("alice")
    alice.put(f"/policies/{shared}/entries/inbox",
              json=entry("nginx:dave", {"thing:/attributes/inbox": {"grant": ["WRITE"]}}))
    dave = as_user("dave")
    assert dave.put(f"/things/{shared}/attributes/inbox", json="hello").status_code == 201
    assert_error(dave.get(f"/things/{shared}/attributes/inbox"), 404, "things:thing.notfound")
    assert alice.get(f"/things/{shared}/attributes/inbox").json() == "hello"


def test_merge_needs_write_on_every_leaf(as_user: Users, shared: str) -> None:
    alice = as_user("alice")
    alice.put(f"/policies/{shared}/entries/editor", json=entry(
        "nginx:erin", {"thing:/": {"grant": ["READ"]}, "thing:/attributes/location": {"grant": ["WRITE"]}}))
    erin = as_user("erin")
    both = {"attributes": {"location": {"room": "attic"}, "model": "T9"}}
    assert_error(erin.patch(f"/things/{shared}", json=both, headers=MERGE), 403, "things:thing.notmodifiable")
    assert alice.get(f"/things/{shared}/attributes/location/room").json() == "hall"
    allowed = {"attributes": {"location": {"room": "attic"}}}
    assert erin.patch(f"/things/{shared}", json=allowed, headers=MERGE).status_code == 204
    assert alice.get(f"/things/{shared}/attributes/location/room").json() == "attic"


def test_deeper_grant_overrides_an_inherited_revoke(as_user: Users, shared: str) -> None:
    as_user("alice").put(f"/policies/{shared}/entries/partial", json=entry("nginx:frank", {
        "thing:/": {"grant": ["READ"]}, "thing:/features": {"revoke": ["READ"]},
        "thing:/features/lamp/properties": {"grant": ["READ"]}}))
    frank = as_user("frank").get(f"/things/{shared}").json()
    assert frank["features"] == {"lamp": {"properties": {"on": True}}}
    assert "attributes" in frank


def test_revoke_in_another_entry_beats_grant_at_the_same_node(as_user: Users, shared: str) -> None:
    alice = as_user("alice")
    alice.put(f"/policies/{shared}/entries/deny-lamp",
              json=entry("nginx:carol", {"thing:/features/lamp": {"revoke": ["READ"]}}))
    assert_error(as_user("carol").get(f"/things/{shared}"), 404, "things:thing.notfound")


def test_policy_change_takes_effect_on_the_next_request(as_user: Users, shared: str) -> None:
    bob = as_user("bob")
    assert bob.get(f"/things/{shared}").status_code == 200
    assert as_user("alice").delete(f"/policies/{shared}/entries/reader").status_code == 204
    assert_error(bob.get(f"/things/{shared}"), 404, "things:thing.notfound")
    response = as_user("alice").put(f"/policies/{shared}/entries/reader/subjects/nginx:bob", json={"type": "x"})
    assert_error(response, 404, "policies:entry.notfound")
    as_user("alice").put(f"/policies/{shared}/entries/reader", json=entry("nginx:bob", {
        "thing:/attributes/model": {"grant": ["READ"]}}))
    assert bob.get(f"/things/{shared}").json() == {"thingId": shared, "attributes": {"model": "T1"}}


def test_expired_subject_loses_access(as_user: Users, shared: str) -> None:
    # A whole second (the server's granularity), at least one second away: no rounding adds to the wait.
    # tests/unit/service/test_policy_expiry.py checks the moment of expiry itself, on an injected clock.
    expiry = (datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    as_user("alice").put(f"/policies/{shared}/entries/temporary",
                         json=entry("nginx:gina", {"thing:/": {"grant": ["READ"]}}, expiry=expiry))
    gina = as_user("gina")
    assert gina.get(f"/things/{shared}").status_code == 200
    deadline = time.monotonic() + 10
    while gina.get(f"/things/{shared}").status_code == 200:
        assert time.monotonic() < deadline, "the subject did not expire"
        time.sleep(0.05)
    assert_error(gina.get(f"/things/{shared}"), 404, "things:thing.notfound")
    subjects = as_user("alice").get(f"/policies/{shared}/entries/temporary/subjects").json()
    assert "nginx:gina" not in subjects


def test_past_expiry_is_refused(as_user: Users, shared: str) -> None:
    response = as_user("alice").put(f"/policies/{shared}/entries/old", json=entry(
        "nginx:hank", {"thing:/": {"grant": ["READ"]}}, expiry="2000-01-01T00:00:00Z"))
    assert_error(response, 400, "policies:subjectexpiry.invalid")


def test_imported_entries_grant_access(as_user: Users, shared: str, thing_id: str) -> None:
    alice = as_user("alice")
    template = f"{thing_id}-template"
    assert alice.put(f"/policies/{template}", json={"entries": {
        "owner": owner("alice"),
        "auditor": {**entry("nginx:ivan", {"thing:/attributes/model": {"grant": ["READ"]}}),
                    "importable": "implicit"},
        "operator": {**entry("nginx:judy", {"thing:/features": {"grant": ["READ"]}}), "importable": "explicit"},
        "private": {**entry("nginx:kim", {"thing:/": {"grant": ["READ"]}}), "importable": "never"},
    }}).status_code == 201
    assert alice.put(f"/policies/{shared}/imports/{template}", json={"entries": []}).status_code == 201
    assert as_user("ivan").get(f"/things/{shared}").json() == {"thingId": shared, "attributes": {"model": "T1"}}
    assert as_user("judy").get(f"/things/{shared}").status_code == 404  # explicit, not listed
    assert as_user("kim").get(f"/things/{shared}").status_code == 404  # never
    alice.put(f"/policies/{shared}/imports/{template}", json={"entries": ["operator", "private"]})
    assert as_user("judy").get(f"/things/{shared}").json()["features"] == THING["features"]
    assert as_user("kim").get(f"/things/{shared}").status_code == 404
    # A change of the imported policy reaches the importing one at once.
    alice.delete(f"/policies/{template}/entries/auditor")
    assert as_user("ivan").get(f"/things/{shared}").status_code == 404


def test_policy_lockout_is_prevented(as_user: Users, shared: str) -> None:
    alice = as_user("alice")
    # Removing the only entry that may write the policy would lock everybody out (Ditto's validator).
    assert_error(alice.delete(f"/policies/{shared}/entries/owner"), 403, "policies:entry.modificationinvalid")
    nobody = {"entries": {"reader": entry("nginx:bob", {"thing:/": {"grant": ["READ"]}})}}
    assert_error(alice.put(f"/policies/{shared}", json=nobody), 403, "policies:policy.modificationinvalid")
    # Handing the policy over to bob is fine: somebody can still write it.
    only_bob = {"entries": {"reader": entry("nginx:bob", {"thing:/": {"grant": ["READ"]}, "policy:/": {
        "grant": ["READ", "WRITE"]}})}}
    response = alice.put(f"/policies/{shared}", json=only_bob)
    assert response.status_code == 204
    assert_error(alice.get(f"/things/{shared}"), 404, "things:thing.notfound")
    assert as_user("bob").get(f"/policies/{shared}/entries/reader").status_code == 200


def test_a_policy_needs_a_permanent_writer(as_user: Users, thing_id: str) -> None:
    expiring = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    body = {"entries": {"tmp": entry("nginx:alice", {"policy:/": {"grant": ALL}}, expiry=expiring)}}
    assert_error(as_user("alice").put(f"/policies/{thing_id}-p", json=body, params={"allow-policy-lockout": "true"}),
                 403, "policies:policy.modificationinvalid")


def test_inline_policy_on_create(as_user: Users, thing_id: str) -> None:
    alice = as_user("alice")
    body = {"attributes": {"a": 1}, "_policy": {"entries": {
        "owner": owner("alice"), "reader": entry("nginx:bob", {"thing:/": {"grant": ["READ"]}})}}}
    response = alice.put(f"/things/{thing_id}", json=body)
    assert response.status_code == 201
    assert "_policy" not in response.json()
    assert as_user("bob").get(f"/things/{thing_id}/attributes/a").json() == 1
    assert_error(alice.put(f"/things/{thing_id}", json=body), 400, "things:policy.notallowed")


def test_inline_policy_that_locks_out_the_creator_needs_allow_policy_lockout(as_user: Users, thing_id: str) -> None:
    body = {"_policy": {"entries": {"bob": owner("bob")}}}
    alice = as_user("alice")
    # the policy's refusal (PolicyCommandEnforcement.authorizeCreatePolicy) refuses the thing, with its status
    # (ThingEnforcerActor.reportInitialPolicyCreationFailure)
    assert_error(alice.put(f"/things/{thing_id}", json=body), 403, "things:thing.notcreatable")
    assert_error(alice.put(f"/things/{thing_id}", json=body, params={"allow-policy-lockout": "true"}), 403,
                 "things:thing.notcreatable")  # the new policy does not let alice write the thing
    assert_error(as_user("bob").get(f"/things/{thing_id}"), 404, "things:thing.notfound")


def test_copy_policy_from_another_thing(as_user: Users, shared: str, thing_id: str) -> None:
    alice = as_user("alice")
    copy = f"{thing_id}-copy"
    body = {"_copyPolicyFrom": f"{{{{ ref:things/{shared}/policyId }}}}"}
    assert alice.put(f"/things/{copy}", json=body).status_code == 201
    assert alice.get(f"/things/{copy}/policyId").json() == copy
    assert as_user("carol").get(f"/things/{copy}").status_code == 200
    other = f"{thing_id}-copy2"
    assert alice.put(f"/things/{other}", json={"_copyPolicyFrom": shared}).status_code == 201
    assert_error(as_user("mallory").put(f"/things/{thing_id}-copy3", json={"_copyPolicyFrom": shared}), 404,
                 "policies:policy.notfound")


def test_thing_with_existing_policy_needs_write_on_it(as_user: Users, shared: str, thing_id: str) -> None:
    assert_error(as_user("bob").put(f"/things/{thing_id}-bob", json={"policyId": shared}), 403,
                 "things:thing.notcreatable")
    assert as_user("alice").put(f"/things/{thing_id}-alice", json={"policyId": shared}).status_code == 201


def test_changing_policy_id_needs_write_on_it(as_user: Users, shared: str) -> None:
    as_user("alice").put(f"/policies/{shared}/entries/mover", json=entry(
        "nginx:lena", {"thing:/": {"grant": ALL}, "thing:/policyId": {"revoke": ["WRITE"]}}))
    lena = as_user("lena")
    assert_error(lena.put(f"/things/{shared}/policyId", json="x:y"), 403, "things:policyId.notmodifiable")
    assert lena.put(f"/things/{shared}/attributes/model", json="T3").status_code == 204


def test_check_permissions(as_user: Users, shared: str) -> None:
    checks = {
        "read_thing": {"resource": "thing:/", "entityId": shared, "hasPermissions": ["READ"]},
        "read_model": {"resource": "thing:/attributes/model", "entityId": shared, "hasPermissions": ["READ"]},
        "write_model": {"resource": "thing:/attributes/model", "entityId": shared, "hasPermissions": ["WRITE"]},
        "policy": {"resource": "policy:/", "entityId": shared, "hasPermissions": ["READ", "WRITE"]},
        "missing": {"resource": "thing:/", "entityId": "org.twinhub.test:nope", "hasPermissions": ["READ"]},
    }
    bob = as_user("bob").post("/checkPermissions", json=checks)
    assert bob.status_code == 200
    assert bob.json() == {"read_thing": False, "read_model": True, "write_model": False, "policy": False,
                          "missing": False}
    alice = as_user("alice").post("/checkPermissions", json=checks).json()
    assert alice == {"read_thing": True, "read_model": True, "write_model": True, "policy": True, "missing": False}
    bad = {"x": {"resource": "nothing", "entityId": shared, "hasPermissions": ["READ"]}}
    assert as_user("bob").post("/checkPermissions", json=bad).status_code == 400


def test_condition_cannot_probe_unreadable_fields(as_user: Users, shared: str) -> None:
    bob = as_user("bob")
    response = bob.get(f"/things/{shared}", params={"condition": 'eq(attributes/secret,"s3cr3t")'})
    assert_error(response, 412, "things:condition.failed")
    alice = as_user("alice")
    assert alice.get(f"/things/{shared}", params={"condition": 'eq(attributes/secret,"s3cr3t")'}).status_code == 200


def test_request_subject_placeholder_means_the_caller(as_user: Users, shared: str) -> None:
    alice = as_user("alice")
    body = {"subjects": {"{{ request:subjectId }}": {"type": "me"}}, "resources": {"thing:/": {"grant": ["READ"]}}}
    assert alice.put(f"/policies/{shared}/entries/me", json=body).status_code == 201
    assert list(alice.get(f"/policies/{shared}/entries/me/subjects").json()) == ["nginx:alice"]


def test_importing_a_missing_or_unreadable_policy_is_refused(as_user: Users, shared: str, thing_id: str) -> None:
    alice = as_user("alice")
    assert_error(alice.put(f"/policies/{shared}/imports/{thing_id}-none", json={}), 404, "policies:policy.notfound")
    as_user("mallory").put(f"/things/{thing_id}-mallory", json={})
    assert_error(alice.put(f"/policies/{shared}/imports/{thing_id}-mallory", json={}), 404,
                 "policies:policy.notfound")


def test_creating_a_policy_that_imports_a_missing_or_unreadable_policy_is_refused(as_user: Users,
                                                                                 thing_id: str) -> None:
    """Ditto's PolicyImportsPreEnforcer checks a CreatePolicy's imports as a ModifyPolicyImport's: a policy created
    whole with an import of a policy that is missing or the creator may not read is 404 `policies:policy.notfound`,
    and nothing is created."""
    as_user("mallory").put(f"/things/{thing_id}-mallory", json={})
    alice = as_user("alice")
    for imported in (f"{thing_id}-none", f"{thing_id}-mallory"):
        created = f"{thing_id}-importer"
        body = {"imports": {imported: {}}, "entries": {"owner": owner("alice")}}
        assert_error(alice.put(f"/policies/{created}", json=body), 404, "policies:policy.notfound")
        assert_error(alice.get(f"/policies/{created}"), 404, "policies:policy.notfound")


def test_importing_entries_the_caller_may_not_read_is_refused(as_user: Users, shared: str, thing_id: str) -> None:
    """Ditto's PolicyImportsPreEnforcer.authorize: the caller must READ, unrestricted, every entry an import brings
    along (the implicit ones and those it lists), not just some entry of the policy; 404 `policies:policy.notfound`
    else. Changing what an existing import lists is checked as well (ModifyPolicyImport)."""
    template = f"{thing_id}-partly-readable"
    assert as_user("mallory").put(f"/policies/{template}", json={"entries": {
        "owner": owner("mallory"),
        "public": {**entry("nginx:ivan", {"thing:/": {"grant": ["READ"]}}), "importable": "implicit"},
        "operator": {**entry("nginx:judy", {"thing:/": {"grant": ["READ"]}}), "importable": "explicit"},
        "reader": entry("nginx:alice", {"policy:/entries/public": {"grant": ["READ"]},
                                        "policy:/entries/reader": {"grant": ["READ"]}}),
    }}).status_code == 201
    alice = as_user("alice")
    assert alice.get(f"/policies/{template}/entries/public").status_code == 200
    assert_error(alice.put(f"/policies/{shared}/imports/{template}", json={}), 404, "policies:policy.notfound")
    assert as_user("mallory").put(f"/policies/{template}/entries/owner/importable", json="never").status_code == 204
    assert alice.put(f"/policies/{shared}/imports/{template}", json={}).status_code == 201  # all it imports readable
    assert_error(alice.put(f"/policies/{shared}/imports/{template}", json={"entries": ["operator"]}), 404,
                 "policies:policy.notfound")
    assert as_user("judy").get(f"/things/{shared}").status_code == 404


def test_parts_without_a_delete_route_answer_405(as_user: Users, shared: str) -> None:
    alice = as_user("alice")
    for part in ("entries", "entries/owner/subjects", "entries/owner/resources", "entries/owner/importable"):
        assert_error(alice.delete(f"/policies/{shared}/{part}"), 405, "gateway:method.notallowed")
