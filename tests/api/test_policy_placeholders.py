"""Placeholders in the subject ids of written policies, and who may create a policy (issue 15, part E item 3).

Ditto substitutes placeholders in subject ids only (base/service/.../placeholdersubstitution/
AbstractTypedSubstitutionStrategy.substituteSubjects, used by the ModifyPolicy, CreatePolicy, ModifyPolicyEntries,
ModifyPolicyEntry, ModifySubjects, ModifySubject and CreateThing strategies), in both spellings of
Placeholders.pattern() (`{{ name }}` and the legacy `${name}`); the names it knows are `request:subjectId` and
the legacy `request.subjectId` (SubjectIdReplacementDefinition), anything else is 400
`placeholder:placeholder.notresolvable` (HeaderBasedPlaceholderSubstitutionAlgorithm,
PlaceholderNotResolvableException.newUnknownPlaceholderBuilder).
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.api.helpers import assert_error

Users = Callable[[str], httpx.Client]
ALL = {"grant": ["READ", "WRITE"], "revoke": []}


def entry(subject: str) -> dict[str, object]:
    return {"subjects": {subject: {"type": "me"}}, "resources": {"thing:/": ALL, "policy:/": ALL}}


@pytest.mark.parametrize("placeholder", ["{{ request:subjectId }}", "{{request.subjectId}}", "${request.subjectId}",
                                         "${ request:subjectId }"])
def test_requester_placeholders_resolve_in_every_spelling(as_user: Users, thing_id: str, placeholder: str) -> None:
    """SubjectIdReplacementDefinition: REPLACER_NAME and LEGACY_REPLACER_NAME, in `{{ }}` or `${}`."""
    alice = as_user("alice")
    assert alice.put(f"/policies/{thing_id}", json={"entries": {"me": entry(placeholder)}}).status_code == 201
    assert list(alice.get(f"/policies/{thing_id}/entries/me/subjects").json()) == ["nginx:alice"]


def test_placeholders_resolve_wherever_a_write_names_subjects(as_user: Users, thing_id: str) -> None:
    """ModifyPolicyEntries/ModifyPolicyEntry/ModifySubjects/ModifySubjectSubstitutionStrategy."""
    alice, bob = as_user("alice"), as_user("bob")
    policy = f"/policies/{thing_id}"
    assert alice.put(policy, json={"entries": {"owner": entry("nginx:alice")}}).status_code == 201
    assert alice.put(f"{policy}/entries", json={"owner": entry("${request.subjectId}")}).status_code == 204
    assert alice.put(f"{policy}/entries/two", json=entry("{{ request:subjectId }}")).status_code == 201
    assert alice.put(f"{policy}/entries/two/subjects",
                     json={"${request.subjectId}": {"type": "me"}, "nginx:bob": {"type": "t"}}).status_code == 204
    assert alice.put(f"{policy}/entries/owner/subjects/{{{{ request:subjectId }}}}",
                     json={"type": "again"}).status_code == 204
    entries = alice.get(f"{policy}/entries").json()
    assert list(entries["owner"]["subjects"]) == ["nginx:alice"]
    assert entries["owner"]["subjects"]["nginx:alice"]["type"] == "again"
    assert sorted(entries["two"]["subjects"]) == ["nginx:alice", "nginx:bob"]
    assert bob.get(policy).status_code == 200


def test_placeholders_in_labels_and_resources_are_kept_as_written(as_user: Users, thing_id: str) -> None:
    """Ditto substitutes subject ids only: a label or resource path with `${...}` is no placeholder to it."""
    alice = as_user("alice")
    grants = {"thing:/": ALL, "policy:/": ALL, "thing:/attributes/${request.subjectId}": {"grant": ["READ"]}}
    body = {"entries": {"${request.subjectId}": {"subjects": {"nginx:alice": {"type": "t"}}, "resources": grants}}}
    assert alice.put(f"/policies/{thing_id}", json=body).status_code == 201
    stored = alice.get(f"/policies/{thing_id}").json()["entries"]
    assert list(stored) == ["${request.subjectId}"]
    assert "thing:/attributes/${request.subjectId}" in stored["${request.subjectId}"]["resources"]


def test_a_thing_with_an_inline_policy_resolves_its_subjects(as_user: Users, thing_id: str) -> None:
    """CreateThingSubstitutionStrategy: the inline `_policy` of a new thing has its subject ids substituted."""
    alice = as_user("alice")
    inline = {"entries": {"me": entry("${request.subjectId}")}}
    assert alice.put(f"/things/{thing_id}", json={"_policy": inline}).status_code == 201
    assert list(alice.get(f"/policies/{thing_id}/entries/me/subjects").json()) == ["nginx:alice"]


@pytest.mark.parametrize("placeholder", ["{{ request:subject }}", "${header.x}", "{{ thing:id }}", "{{  }}"])
def test_unknown_placeholders_are_400(as_user: Users, thing_id: str, placeholder: str) -> None:
    """HeaderBasedPlaceholderSubstitutionAlgorithm: an unknown placeholder, named in the message, lists the
    supported ones in the description."""
    alice = as_user("alice")
    body = assert_error(alice.put(f"/policies/{thing_id}", json={"entries": {"me": entry(f"x:{placeholder}")}}),
                        400, "placeholder:placeholder.notresolvable")
    assert "'request:subjectId'" in str(body["description"])
    assert alice.put(f"/things/{thing_id}", json={}).status_code == 201
    assert_error(alice.put(f"/policies/{thing_id}/entries/DEFAULT/subjects/{placeholder}", json={"type": "t"}),
                 400, "placeholder:placeholder.notresolvable")
    assert_error(alice.put(f"/things/{thing_id}-2", json={"_policy": {"entries": {"me": entry(placeholder)}}}),
                 400, "placeholder:placeholder.notresolvable")
    assert alice.get(f"/things/{thing_id}-2").status_code == 404


def test_a_policy_its_creator_could_not_write_is_not_creatable(as_user: Users, thing_id: str) -> None:
    """PolicyCommandEnforcement.authorizeCreatePolicy runs before CreatePolicyStrategy's PoliciesValidator: a new
    policy that grants nobody WRITE on `policy:/` is 403 `policies:policy.notcreatable` for its creator; with
    `allow-policy-lockout` enforcement lets it pass and the validator answers 403
    `policies:policy.modificationinvalid` (PoliciesValidator, AbstractPolicyCommandStrategy.policyInvalid)."""
    alice = as_user("alice")
    readers = {"entries": {"r": {"subjects": {"nginx:alice": {"type": "t"}},
                                 "resources": {"policy:/": {"grant": ["READ"]}}}}}
    assert_error(alice.put(f"/policies/{thing_id}", json=readers), 403, "policies:policy.notcreatable")
    body = assert_error(alice.put(f"/policies/{thing_id}", params={"allow-policy-lockout": "true"}, json=readers),
                        403, "policies:policy.modificationinvalid")
    assert "WRITE" in str(body["description"]) and "policy:/" in str(body["description"])
    assert alice.get(f"/policies/{thing_id}").status_code == 404
    # an existing policy that would lose its last writer: the validator's answer
    assert alice.put(f"/policies/{thing_id}", json={"entries": {"me": entry("nginx:alice")}}).status_code == 201
    assert_error(alice.put(f"/policies/{thing_id}", json=readers), 403, "policies:policy.modificationinvalid")
