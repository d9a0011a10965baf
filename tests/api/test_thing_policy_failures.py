"""Every way the policy of a new thing can fail, answered as Ditto answers it.

Ditto builds the policy of a CreateThing in ThingEnforcerActor.loadPolicyEnforcerForCreateThing, in two steps:
- `getInitialPolicy` parses an inline `_policy`: JSON of the wrong shape (JsonRuntimeException, DittoJsonException)
  and a policy no permanent subject may WRITE (PoliciesValidator) are 400 `things:policy.invalid`
  (things PolicyInvalidException); the policy model's own errors (ids, labels, subjects, expiries, imports) and
  CreatePolicy's (PolicyImportsValidator, PolicyCommandSizeValidator) stay as they are.
- the CreatePolicy it then sends is refused by the policies service (its pre-enforcers, PolicyCommandEnforcement,
  persistence); `reportInitialPolicyCreationFailure` turns every refusal into `things:thing.notcreatable`:
  400 "creation of its implicit Policy ID failed" for an existing policy (PolicyConflictException), else with the
  refusal's status and message (ThingNotCreatableException.newBuilderForOtherReason).
A `_copyPolicyFrom` source is read first (getCopiedPolicy): its errors stay as they are (test_copy_policy_from.py).
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.api.helpers import assert_error

Users = Callable[[str], httpx.Client]
ALL = {"grant": ["READ", "WRITE"], "revoke": []}
MIN = "'[WRITE]'!"  # Ditto's Permission.MIN_REQUIRED_POLICY_PERMISSIONS, as its messages print it
WRITER = {"subjects": {"nginx:ditto": {"type": "t"}}, "resources": {"thing:/": ALL, "policy:/": ALL}}


def _nothing_created(client: httpx.Client, thing_id: str) -> None:
    assert client.get(f"/things/{thing_id}").status_code == 404
    assert client.get(f"/policies/{thing_id}").status_code == 404


@pytest.mark.parametrize(("inline", "description"), [
    ({"entries": 5}, "Value <5> for </entries> is not of type <JsonObject>!"),
    ({"entries": {"owner": 5}}, None),
    ({"entries": {"owner": {**WRITER, "subjects": {"nginx:ditto": 5}}}}, None),
    ({"entries": {"owner": {**WRITER, "resources": {"thing:/": {"grant": "READ", "revoke": []}}}}}, None),
    ({"entries": {"owner": {**WRITER, "resources": {"no-type": ALL, "policy:/": ALL}}}},
     "The provided string was not in the expected format 'type:path'"),
    ({"imports": 5, "entries": {"owner": WRITER}}, None),
])
def test_an_inline_policy_of_the_wrong_shape_is_policy_invalid(client: httpx.Client, thing_id: str,
                                                                inline: dict[str, object],
                                                                description: str | None) -> None:
    """getInitialPolicy: a JsonRuntimeException or DittoJsonException while building the policy is 400
    `things:policy.invalid` (PolicyInvalidException.newBuilderForCause: the cause's message as description)."""
    body = assert_error(client.put(f"/things/{thing_id}", json={"_policy": inline}), 400, "things:policy.invalid")
    assert body["message"] == f"The Policy specified for the Thing with ID '{thing_id}' is invalid."
    if description is not None:
        assert body["description"] == description
    _nothing_created(client, thing_id)


@pytest.mark.parametrize("params", [{}, {"allow-policy-lockout": "true"}])
def test_an_inline_policy_nobody_may_write_is_policy_invalid(client: httpx.Client, thing_id: str,
                                                              params: dict[str, str]) -> None:
    """getInitialPolicy runs PoliciesValidator whatever `allow-policy-lockout` says: without a permanent subject
    granted WRITE on `policy:/` the inline policy is 400 `things:policy.invalid`, "It must contain at least one
    Subject with the following permission(s): '[WRITE]'!" (Permission.MIN_REQUIRED_POLICY_PERMISSIONS)."""
    readers = {"entries": {"r": {"subjects": {"nginx:ditto": {"type": "t"}},
                                 "resources": {"thing:/": ALL, "policy:/": {"grant": ["READ"], "revoke": []}}}}}
    for inline in (readers, {"entries": {}}):
        body = assert_error(client.put(f"/things/{thing_id}", params=params, json={"_policy": inline}), 400,
                            "things:policy.invalid")
        assert body["description"] == f"It must contain at least one Subject with the following permission(s): {MIN}"
    _nothing_created(client, thing_id)


@pytest.mark.parametrize(("entries", "code"), [
    ({"a b/c": WRITER}, "policies:entry.invalid"),
    ({"owner": {**WRITER, "subjects": {"no-issuer": {"type": "t"}}}}, "policies:subjectid.invalid"),
    ({"owner": {**WRITER, "subjects": {"nginx:ditto": {"type": "t", "expiry": "soon"}}}},
     "policies:subjectexpiry.invalid"),
])
def test_the_policy_models_own_errors_stay_as_they_are(client: httpx.Client, thing_id: str,
                                                       entries: dict[str, object], code: str) -> None:
    """getInitialPolicy rethrows every other DittoRuntimeException of the policy model unchanged (its label,
    subject id and expiry errors are 400 `policies:...`)."""
    assert_error(client.put(f"/things/{thing_id}", json={"_policy": {"entries": entries}}), 400, code)
    _nothing_created(client, thing_id)


def test_import_and_size_errors_of_createpolicy_stay_as_they_are(client: httpx.Client, thing_id: str) -> None:
    """CreatePolicy validates its imports (PolicyImportsValidator: a policy importing itself is 400
    `policies:import.invalid`) and its size (PolicyCommandSizeValidator: 413 `policies:policy.toolarge`) when it is
    built, inside ThingEnforcerActor.createPolicy: before anything is asked, so nothing wraps them."""
    itself = {"imports": {thing_id: {}}, "entries": {"owner": WRITER}}
    assert_error(client.put(f"/things/{thing_id}", json={"_policy": itself}), 400, "policies:import.invalid")
    many = {f"nginx:user-{index}-{'x' * 200}": {"type": "t"} for index in range(500)}
    large = {"entries": {"owner": {**WRITER, "subjects": {**WRITER["subjects"], **many}}}}  # type: ignore[dict-item]
    assert_error(client.put(f"/things/{thing_id}", json={"_policy": large}), 413, "policies:policy.toolarge")
    _nothing_created(client, thing_id)


def test_a_policy_the_creator_could_not_write_refuses_the_thing_with_its_status(client: httpx.Client,
                                                                                thing_id: str) -> None:
    """PolicyCommandEnforcement.authorizeCreatePolicy refuses a policy that would not let its creator WRITE it
    (403); reportInitialPolicyCreationFailure makes that 403 `things:thing.notcreatable`, naming the refusal."""
    others = {"entries": {"bob": {**WRITER, "subjects": {"nginx:bob": {"type": "t"}}}}}
    body = assert_error(client.put(f"/things/{thing_id}", json={"_policy": others}), 403, "things:thing.notcreatable")
    assert str(body["message"]).startswith(
        f"The Thing with ID '{thing_id}' could not be created as the Policy with ID '{thing_id}' could not be "
        "created due to: 'The Policy with ID")
    _nothing_created(client, thing_id)


def test_an_import_the_creator_may_not_read_refuses_the_thing_with_404(client: httpx.Client, as_user: Users,
                                                                       thing_id: str) -> None:
    """PolicyImportsPreEnforcer answers an import of a policy the creator may not read (or that does not exist) with
    404 `policies:policy.notfound`; the thing is refused with that status: 404 `things:thing.notcreatable`."""
    hidden = f"{thing_id}-hidden"
    alice_only = {"entries": {"owner": {**WRITER, "subjects": {"nginx:alice": {"type": "t"}}}}}
    assert as_user("alice").put(f"/policies/{hidden}", json=alice_only).status_code == 201
    for imported in (hidden, f"{thing_id}-missing"):
        inline = {"imports": {imported: {}}, "entries": {"owner": WRITER}}
        body = assert_error(client.put(f"/things/{thing_id}", json={"_policy": inline}), 404,
                            "things:thing.notcreatable")
        assert f"'{imported}'" in str(body["message"])
    _nothing_created(client, thing_id)


def test_a_copy_the_creator_could_not_write_refuses_the_thing(client: httpx.Client, as_user: Users,
                                                              thing_id: str) -> None:
    """The copy of `_copyPolicyFrom` goes through the same CreatePolicy (getCopiedPolicy, then createPolicy): a copy
    the creator may read but not write is 403 `things:thing.notcreatable`."""
    source = f"{thing_id}-source"
    reader = {"subjects": {"nginx:ditto": {"type": "t"}},
              "resources": {"thing:/": ALL, "policy:/": {"grant": ["READ"], "revoke": []}}}
    alice = {"subjects": {"nginx:alice": {"type": "t"}}, "resources": {"policy:/": ALL}}
    assert as_user("alice").put(f"/policies/{source}", json={"entries": {"alice": alice, "reader": reader}}
                                ).status_code == 201
    assert_error(client.put(f"/things/{thing_id}", json={"_copyPolicyFrom": source}), 403, "things:thing.notcreatable")
    _nothing_created(client, thing_id)


def test_inline_and_copied_policy_together_are_policies_conflicting(client: httpx.Client, thing_id: str) -> None:
    """CreateThing.of: an inline policy and a policy to copy in one thing are 400 `things:policy.conflicting`."""
    body = {"_policy": {"entries": {"owner": WRITER}}, "_copyPolicyFrom": "ns:any"}
    error = assert_error(client.put(f"/things/{thing_id}", json=body), 400, "things:policy.conflicting")
    assert error["description"] == "Please either define an inline Policy or define a policy to copy, but not both."
    _nothing_created(client, thing_id)


@pytest.mark.parametrize(("body", "message"), [
    ({"_policy": 5}, "Value <5> for </_policy> is not of type <JsonObject>!"),
    ({"_policy": "x"}, 'Value <"x"> for </_policy> is not of type <JsonObject>!'),
    ({"_copyPolicyFrom": 5}, "Value <5> for </_copyPolicyFrom> is not of type <String>!"),
])
def test_special_fields_of_the_wrong_type_are_json_invalid(client: httpx.Client, thing_id: str,
                                                           body: dict[str, object], message: str) -> None:
    """The gateway reads `_policy` as a JSON object and `_copyPolicyFrom` as a string (ThingsRoute
    createInlinePolicyJson / getCopyPolicyFrom, CreateThing's field definitions): anything else is 400
    `json.invalid` (a JsonParseException), before any policy is built."""
    error = assert_error(client.put(f"/things/{thing_id}", json=body), 400, "json.invalid")
    assert error["message"] == message
    _nothing_created(client, thing_id)
