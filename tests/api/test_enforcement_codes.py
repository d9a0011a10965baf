"""The error codes of enforcement Ditto answers where the caller cannot see the thing, where a thing's policy is
gone, and where a deleted thing is created again under a policy that still exists
(things/service ThingCommandEnforcement, ThingEnforcerActor)."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tests.api.helpers import MERGE, assert_error

Users = Callable[[str], httpx.Client]
ALL = {"grant": ["READ", "WRITE"], "revoke": []}


def test_a_write_to_a_thing_the_caller_cannot_see_is_403(as_user: Users, thing_id: str) -> None:
    """ThingCommandEnforcement.authorizeByPolicyOrThrow checks a modify command's unrestricted WRITE only, and
    refuses it with the error of its resource (ThingCommandToModifyExceptionRegistry), whether the caller may read
    the thing or not (ThingCommandEnforcementTest.rejectByPolicy: with an empty policy a read is 404
    ThingNotAccessibleException, a modify 403 FeatureNotModifiableException). Nothing is written."""
    alice, mallory = as_user("alice"), as_user("mallory")
    thing = {"attributes": {"a": 1}, "features": {"f": {"properties": {"p": 1}}}}
    assert alice.put(f"/things/{thing_id}", json=thing).status_code == 201
    assert_error(mallory.get(f"/things/{thing_id}"), 404, "things:thing.notfound")
    assert_error(mallory.put(f"/things/{thing_id}/attributes/a", json=2), 403, "things:attribute.notmodifiable")
    assert_error(mallory.put(f"/things/{thing_id}/features/f/properties/p", json=2), 403,
                 "things:feature.property.notmodifiable")
    assert_error(mallory.put(f"/things/{thing_id}", json={}), 403, "things:thing.notmodifiable")
    assert_error(mallory.patch(f"/things/{thing_id}", json={"attributes": {"a": 3}}, headers=MERGE), 403,
                 "things:thing.notmodifiable")
    assert_error(mallory.delete(f"/things/{thing_id}/attributes"), 403, "things:attributes.notmodifiable")
    assert_error(mallory.delete(f"/things/{thing_id}"), 403, "things:thing.notdeletable")
    assert alice.get(f"/things/{thing_id}").json()["attributes"] == {"a": 1}


def test_a_thing_whose_policy_was_deleted_is_not_modifiable_and_not_found(as_user: Users, thing_id: str) -> None:
    """ThingEnforcerActor.loadPolicyEnforcer: an existing thing without policy enforcer answers
    errorForExistingThingWithDeletedPolicy to everybody: 403 `things:thing.notmodifiable` for a modify command,
    404 `things:thing.notfound` for a query, both "could not be accessed as its Policy with ID '<id>' is not or no
    longer existing" and "Recreate/create the Policy ..."; creating the policy again gives the thing back."""
    alice = as_user("alice")
    assert alice.put(f"/things/{thing_id}", json={"attributes": {"a": 1}}).status_code == 201
    policy = alice.get(f"/policies/{thing_id}").json()
    assert alice.delete(f"/policies/{thing_id}").status_code == 204
    message = (f"The Thing with ID '{thing_id}' could not be accessed as its Policy with ID '{thing_id}' is not or "
               "no longer existing.")
    description = f"Recreate/create the Policy with ID '{thing_id}' in order to get access to the Thing again."
    for who in (alice, as_user("mallory")):
        for response in (who.put(f"/things/{thing_id}", json={"attributes": {"b": 2}}),
                         who.put(f"/things/{thing_id}/attributes/a", json=2),
                         who.patch(f"/things/{thing_id}", json={"attributes": {"a": 3}}, headers=MERGE),
                         who.delete(f"/things/{thing_id}")):
            body = assert_error(response, 403, "things:thing.notmodifiable")
            assert (body["message"], body["description"]) == (message, description)
        for response in (who.get(f"/things/{thing_id}"), who.get(f"/things/{thing_id}/attributes/a")):
            body = assert_error(response, 404, "things:thing.notfound")
            assert (body["message"], body["description"]) == (message, description)
    assert alice.put(f"/policies/{thing_id}", json=policy).status_code == 201
    assert alice.get(f"/things/{thing_id}/attributes").json() == {"a": 1}


def test_a_deleted_thing_created_again_under_its_old_policy_must_name_it(as_user: Users, thing_id: str) -> None:
    """Deleting a thing keeps its policy; creating the thing again creates its default policy, which exists
    (PolicyConflictException): 400 `things:thing.notcreatable` (ThingNotCreatableException
    .newBuilderForPolicyExisting, ThingEnforcerActor.reportInitialPolicyCreationFailure), until it names it."""
    alice = as_user("alice")
    assert alice.put(f"/things/{thing_id}", json={}).status_code == 201
    assert alice.delete(f"/things/{thing_id}").status_code == 204
    body = assert_error(alice.put(f"/things/{thing_id}", json={"attributes": {"a": 1}}), 400,
                        "things:thing.notcreatable")
    assert body["message"] == (f"The Thing with ID '{thing_id}' could not be created because creation of its "
                               f"implicit Policy ID '{thing_id}' failed.")
    assert body["description"] == ("If you want to use an existing Policy, specify it as 'policyId' in the Thing "
                                   "JSON you create.")
    assert alice.get(f"/things/{thing_id}").status_code == 404
    assert alice.put(f"/things/{thing_id}", json={"policyId": thing_id}).status_code == 201


def test_a_live_command_to_a_thing_whose_policy_was_deleted_answers_the_same(as_user: Users, thing_id: str) -> None:
    """ThingEnforcerActor loads the enforcer of live thing commands the same way (only a twin CreateThing goes
    its own way), so they meet errorForExistingThingWithDeletedPolicy too: 403 for a live modify, 404 for a live
    retrieve, before anything is sent to a device."""
    alice = as_user("alice")
    assert alice.put(f"/things/{thing_id}", json={"attributes": {"a": 1}}).status_code == 201
    assert alice.delete(f"/policies/{thing_id}").status_code == 204
    live = {"channel": "live", "timeout": "1"}
    body = assert_error(alice.put(f"/things/{thing_id}/attributes/a", json=2, params=live), 403,
                        "things:thing.notmodifiable")
    assert f"its Policy with ID '{thing_id}' is not or no longer existing" in str(body["message"])
    body = assert_error(alice.get(f"/things/{thing_id}/attributes/a", params=live), 404, "things:thing.notfound")
    assert f"its Policy with ID '{thing_id}' is not or no longer existing" in str(body["message"])
    assert_error(alice.get(f"/things/{thing_id}-none", params=live), 404, "things:thing.notfound")
