"""The policy command table: each Ditto policy command family as a pure function of the current policy."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest

from twinhub.model.errors import TwinhubError
from twinhub.model.events import Policy
from twinhub.model.policy import (
    PolicyApplied,
    PolicyCommand,
    PolicyResource,
    apply_policy_command,
    policy_command_resource,
    validate_policy,
    with_requester,
)
from twinhub.model.types import JsonObject, JsonValue, Pointer

PID = "org.eclipse.ditto:policy"
T0 = datetime(2030, 1, 1, 10, 0, tzinfo=UTC)
NOW = datetime(2030, 1, 1, 10, 30, tzinfo=UTC)
GRANT_ALL = {"grant": ["READ", "WRITE"], "revoke": []}
OWNER: JsonObject = {"subjects": {"nginx:owner": {"type": "t"}}, "resources": {"policy:/": GRANT_ALL}}
READER: JsonObject = {"subjects": {"nginx:reader": {"type": "t"}},
                      "resources": {"thing:/": {"grant": ["READ"], "revoke": []}}}


def policy(entries: JsonObject | None = None, imports: JsonObject | None = None, *, revision: int = 3) -> Policy:
    body: JsonObject = {"entries": {"owner": OWNER, "reader": READER} if entries is None else entries}
    if imports is not None:
        body["imports"] = imports
    return Policy(PID, validate_policy(body, PID, now=T0), revision, T0, T0)


def modify(path: Pointer, value: JsonValue, *, allow_lockout: bool = False) -> PolicyCommand:
    return PolicyCommand("modify", PID, path, value, allow_lockout)


def delete(path: Pointer) -> PolicyCommand:
    return PolicyCommand("delete", PID, path)


def run(current: Policy | None, command: PolicyCommand) -> PolicyApplied:
    before = copy.deepcopy(current)
    applied = apply_policy_command(current, command, now=NOW, expiry_granularity=timedelta(hours=1))
    assert current == before, "a command must not change the current policy"
    return applied


def error_of(current: Policy | None, command: PolicyCommand) -> TwinhubError:
    with pytest.raises(TwinhubError) as caught:
        run(current, command)
    return caught.value


# -- the whole policy ------------------------------------------------------------------------------------------


def test_creating_a_policy_normalizes_it_and_starts_its_revisions() -> None:
    applied = run(None, modify((), {"entries": {"owner": OWNER}}))
    assert applied.created
    assert applied.policy == Policy(PID, applied.policy.doc, 1, NOW, NOW)
    assert applied.policy.doc["entries"] == {"owner": {**OWNER, "importable": "implicit"}}
    assert applied.policy.doc["policyId"] == PID
    event = applied.event
    assert (event.action, event.path, event.value, event.revision, event.timestamp) == (
        "created", (), applied.policy.doc, 1, NOW)


def test_creating_a_policy_again_after_its_deletion_continues_its_revisions() -> None:
    tombstone = run(policy(revision=4), delete(())).policy
    applied = run(tombstone, modify((), {"entries": {"owner": OWNER}}))
    assert applied.created
    assert (applied.policy.revision, applied.policy.created, applied.policy.deleted) == (6, NOW, False)


def test_replacing_a_policy_keeps_its_creation_time() -> None:
    applied = run(policy(), modify((), {"entries": {"owner": OWNER}}))
    assert not applied.created
    assert applied.event.action == "modified"
    assert (applied.policy.revision, applied.policy.created, applied.policy.modified) == (4, T0, NOW)
    assert list(applied.policy.doc["entries"]) == ["owner"]  # type: ignore[arg-type]


def test_deleting_a_policy_leaves_a_tombstone() -> None:
    applied = run(policy(), delete(()))
    assert applied.policy == Policy(PID, {}, 4, T0, NOW, deleted=True)
    assert (applied.event.action, applied.event.value) == ("deleted", None)


@pytest.mark.parametrize("command", [modify(("entries", "owner"), OWNER), delete(()), delete(("entries", "owner"))])
def test_commands_on_a_missing_policy_are_404(command: PolicyCommand) -> None:
    error = error_of(None, command)
    assert (error.code, error.status) == ("policies:policy.notfound", 404)


def test_a_policy_nobody_could_write_any_more_is_refused() -> None:
    error = error_of(policy(), modify((), {"entries": {"reader": READER}}))
    assert (error.code, error.status) == ("policies:policy.modificationinvalid", 403)


# -- parts ------------------------------------------------------------------------------------------------------


def test_putting_a_missing_entry_creates_it_and_an_existing_one_is_replaced() -> None:
    created = run(policy(), modify(("entries", "extra"), READER))
    assert created.created and created.event.action == "created"
    assert created.event.value == {**READER, "importable": "implicit"}  # as stored
    replaced = run(created.policy, modify(("entries", "extra"), OWNER))
    assert not replaced.created and replaced.event.action == "modified"
    assert replaced.policy.doc["entries"]["extra"]["resources"] == OWNER["resources"]  # type: ignore[index,call-overload]


@pytest.mark.parametrize(("path", "value"), [
    (("entries", "reader", "importable"), "never"),
    (("entries", "reader", "namespaces"), ["com.acme"]),
    (("entries", "reader", "subjects"), {"nginx:other": {"type": "t"}}),
    (("imports",), {}),
])
def test_parts_that_are_replaced_as_a_whole_are_never_created(path: Pointer, value: JsonValue) -> None:
    applied = run(policy(), modify(path, value))
    assert not applied.created and applied.event.action == "modified"


def test_a_subject_is_created_with_its_expiry_rounded_up() -> None:
    path = ("entries", "reader", "subjects", "nginx:temp")
    applied = run(policy(), modify(path, {"type": "t", "expiry": "2030-01-01T11:20:00Z"}))
    assert applied.created
    assert applied.event.value == {"type": "t", "expiry": "2030-01-01T12:00:00Z"}


def with_expired_subject() -> Policy:
    """The usual policy plus a subject of `reader` written at 9:00 to expire at 10:00, before NOW, still stored."""
    temp: JsonObject = {"type": "t", "expiry": "2030-01-01T10:00:00Z"}
    body: JsonObject = {"entries": {"owner": OWNER, "reader": {
        **READER, "subjects": {"nginx:reader": {"type": "t"}, "nginx:temp": temp}}}}
    return Policy(PID, validate_policy(body, PID, now=T0 - timedelta(hours=1)), 3, T0, T0)


def test_a_write_beside_a_subject_that_expired_meanwhile_applies_to_the_policy_without_it() -> None:
    """Ditto deletes a subject when it expires: a later write sees the policy without it, and the validation
    of the resulting policy does not refuse the stored expiry as lying in the past."""
    applied = run(with_expired_subject(), modify(("entries", "extra"), READER))
    assert applied.created
    assert applied.policy.doc["entries"]["reader"]["subjects"] == {"nginx:reader": {"type": "t"}}  # type: ignore[index,call-overload]
    gone = ("entries", "reader", "subjects", "nginx:temp")
    assert error_of(with_expired_subject(), delete(gone)).code == "policies:subject.notfound"
    assert run(with_expired_subject(), modify(gone, {"type": "t"})).created


def test_a_part_below_a_missing_entry_names_the_entry() -> None:
    error = error_of(policy(), modify(("entries", "nobody", "subjects", "nginx:x"), {"type": "t"}))
    assert (error.code, error.status) == ("policies:entry.notfound", 404)


def test_deleting_a_part_removes_it_and_a_missing_part_is_404() -> None:
    path = ("entries", "reader", "subjects", "nginx:reader")
    applied = run(policy(), delete(path))
    assert (applied.event.action, applied.event.path, applied.event.value) == ("deleted", path, None)
    assert applied.policy.doc["entries"]["reader"]["subjects"] == {}  # type: ignore[index,call-overload]
    assert not applied.policy.deleted
    assert error_of(applied.policy, delete(path)).code == "policies:subject.notfound"


def test_deleting_the_last_writer_is_an_entry_modification_ditto_refuses() -> None:
    error = error_of(policy(), delete(("entries", "owner")))
    assert (error.code, error.status) == ("policies:entry.modificationinvalid", 403)


def test_revoking_the_owners_write_on_the_policy_root_is_refused_without_imports() -> None:
    granted_and_revoked = {"grant": ["READ", "WRITE"], "revoke": ["WRITE"]}
    error = error_of(policy(), modify(("entries", "owner", "resources", "policy:/"), granted_and_revoked))
    assert (error.code, error.status) == ("policies:entry.modificationinvalid", 403)


def test_a_policy_with_imports_is_not_checked_for_lockout_whatever_it_imports() -> None:
    """Ditto's `ModifyResourceStrategy` validates the whole resulting policy with `PoliciesValidator`, which
    answers valid for any policy with imports before looking at an entry (it loads no imported policy): the
    owner may revoke its own WRITE on `policy:/` there, whether or not an imported entry grants it back."""
    granted_and_revoked = {"grant": ["READ", "WRITE"], "revoke": ["WRITE"]}
    current = policy({"owner": OWNER, "reader": READER}, {"ns:template": {}})
    applied = run(current, modify(("entries", "owner", "resources", "policy:/"), granted_and_revoked))
    assert applied.event.action == "modified"
    assert applied.policy.doc["entries"]["owner"]["resources"]["policy:/"] == granted_and_revoked  # type: ignore[index,call-overload]


@pytest.mark.parametrize("command", [
    delete(("imports", "ns:template")),
    delete(("imports",)),
    modify(("imports",), {}),
    modify(("entries", "reader", "namespaces"), ["com.acme"]),
], ids=["delete-import", "delete-imports", "empty-imports", "namespaces"])
def test_ditto_checks_no_lockout_on_writes_to_imports_and_entry_settings(command: PolicyCommand) -> None:
    """Ditto runs `PoliciesValidator` only in the strategies of the whole policy, its entries, subjects and
    resources; `Modify/DeletePolicyImport(s)Strategy` and those of an entry's importable, namespaces,
    allowedAdditions and references do not, so they are accepted even when no own entry would let anyone write."""
    current = policy({"reader": READER}, {"ns:template": {}})
    applied = run(current, command)
    assert applied.event.path == command.path
    if command.path[0] == "entries":  # the policy without imports left by the first writes: still no check
        without_imports = run(current, delete(("imports",))).policy
        assert run(without_imports, command).event.action == "modified"


def test_an_import_still_referenced_cannot_be_deleted() -> None:
    imports: JsonObject = {"ns:template": {}}
    referring: JsonObject = {**READER, "references": [{"import": "ns:template", "entry": "e"}]}
    current = policy({"owner": OWNER, "reader": referring}, imports)
    error = error_of(current, delete(("imports", "ns:template")))
    assert (error.code, error.status) == ("policies:import.referenceconflict", 409)
    error = error_of(current, modify(("entries", "reader", "references"), [{"entry": "missing"}]))
    assert (error.code, error.status) == ("policies:entry.invalid", 400)


# -- the table --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [("entries",), ("entries", "reader", "importable"), ("imports", "ns:a", "entries")])
def test_deleting_a_part_without_a_delete_route_is_405_even_on_a_missing_policy(path: Pointer) -> None:
    for current in (policy(), None):
        error = error_of(current, delete(path))
        assert (error.code, error.status) == ("gateway:method.notallowed", 405)


def test_a_path_without_a_route_is_404() -> None:
    assert error_of(policy(), modify(("entries", "reader", "unknown"), 1)).code == "gateway:resource.notfound"


def test_every_part_can_be_put_and_ditto_s_parts_can_be_deleted() -> None:
    deletable = {PolicyResource.POLICY, PolicyResource.ENTRY, PolicyResource.SUBJECT, PolicyResource.RESOURCE,
                 PolicyResource.IMPORTS, PolicyResource.IMPORT, PolicyResource.REFERENCES,
                 PolicyResource.ALLOWED_ADDITIONS}
    paths: dict[PolicyResource, Pointer] = {
        PolicyResource.POLICY: (), PolicyResource.ENTRIES: ("entries",), PolicyResource.ENTRY: ("entries", "e"),
        PolicyResource.SUBJECTS: ("entries", "e", "subjects"),
        PolicyResource.SUBJECT: ("entries", "e", "subjects", "s"),
        PolicyResource.RESOURCES: ("entries", "e", "resources"),
        PolicyResource.RESOURCE: ("entries", "e", "resources", "thing:/"),
        PolicyResource.IMPORTABLE: ("entries", "e", "importable"),
        PolicyResource.NAMESPACES: ("entries", "e", "namespaces"),
        PolicyResource.ALLOWED_ADDITIONS: ("entries", "e", "allowedAdditions"),
        PolicyResource.REFERENCES: ("entries", "e", "references"), PolicyResource.IMPORTS: ("imports",),
        PolicyResource.IMPORT: ("imports", "ns:a"), PolicyResource.IMPORT_ENTRIES: ("imports", "ns:a", "entries"),
        PolicyResource.IMPORT_TRANSITIVE_IMPORTS: ("imports", "ns:a", "transitiveImports"),
    }
    assert set(paths) == set(PolicyResource)
    for resource, path in paths.items():
        assert policy_command_resource(modify(path, None)) is resource
        if resource in deletable:
            assert policy_command_resource(delete(path)) is resource
        else:
            with pytest.raises(TwinhubError, match="not allowed"):
                policy_command_resource(delete(path))


def test_the_requester_placeholder_is_replaced_in_subject_ids_only() -> None:
    """Ditto's AbstractTypedSubstitutionStrategy substitutes subject ids, not labels."""
    command = modify(("entries", "{{ request:subjectId }}"),
                     {"subjects": {"{{request:subjectId}}": {"type": "t"}, "${request.subjectId}x": {}},
                      "resources": {}})
    resolved = with_requester(command, "nginx:me")
    assert resolved.path == ("entries", "{{ request:subjectId }}")
    assert resolved.value == {"subjects": {"nginx:me": {"type": "t"}, "nginx:mex": {}}, "resources": {}}
    subject = modify(("entries", "e", "subjects", "${ request:subjectId }"), {"type": "t"})
    assert with_requester(subject, "nginx:me").path == ("entries", "e", "subjects", "nginx:me")
    malformed = modify((), {"entries": {"e": {"subjects": ["{{ x }}"]}, "f": 1}})
    assert with_requester(malformed, "nginx:me") == malformed
    with pytest.raises(TwinhubError, match="'request:x' is unknown"):
        with_requester(modify(("entries",), {"e": {"subjects": {"{{ request:x }}": {}}}}), "nginx:me")
