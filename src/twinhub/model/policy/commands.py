"""Policy commands and the pure function that applies one to the current policy (Ditto's policy command
strategies, as `twinhub.model.commands` is for things).

`apply_policy_command(current, command, now=...)` returns the new policy and its event; it never mutates
its inputs and does no I/O. What needs the caller or other policies stays with the service: authorization,
preconditions, that the creator keeps WRITE, that imported policies exist and may be read.

Handlers are registered per action and per part of the policy the path names, one per Ditto command family:
`("modify", PolicyResource.POLICY)` is CreatePolicy / ModifyPolicy, `("modify", PolicyResource.ENTRY)`
ModifyPolicyEntry, `("delete", PolicyResource.SUBJECT)` DeleteSubject, and so on. Reads are not commands:
`retrieve_policy_part` answers them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from twinhub.model.errors import (
    MethodNotAllowed,
    PlaceholderNotResolvable,
    PolicyEntryModificationInvalid,
    PolicyImportInvalid,
    PolicyModificationInvalid,
    PolicyNotAccessible,
)
from twinhub.model.events import Policy, PolicyAction, PolicyEvent
from twinhub.model.pointer import delete_at, get_at, set_at
from twinhub.model.policy.document import (
    check_import_reference_conflicts,
    check_inherited_size,
    check_local_reference_conflict,
    check_lockout,
    check_references,
    references_of,
    validate_policy,
)
from twinhub.model.policy.parts import (
    PolicyResource,
    classify_policy_path,
    missing_policy_part,
    validate_policy_part,
)
from twinhub.model.policy.subjects import DEFAULT_EXPIRY_GRANULARITY, drop_expired_subjects
from twinhub.model.types import MISSING, JsonObject, JsonValue, Pointer

__all__ = ["PolicyApplied", "PolicyCommand", "PolicyCommandAction", "apply_policy_command",
           "policy_command_resource", "replay_policy", "unchanged_by", "with_requester",
           "written_import_references"]

PolicyCommandAction = Literal["modify", "delete"]

# Ditto's placeholders, `{{ name }}` and the legacy `${name}` (base/model Placeholders.pattern()); in the subject
# ids of a written policy each must name the requester, in either spelling (SubjectIdReplacementDefinition).
_PLACEHOLDER = re.compile(r"\{\{((?:}[^}]|[^}])*)}}|\$\{([^}]*)}")
_REQUESTER_NAMES = ("request:subjectId", "request.subjectId")


@dataclass(frozen=True, slots=True)
class PolicyCommand:
    """Modify (PUT) or delete the part of a policy at `path` (`()` is the whole policy). `allow_lockout`
    (Ditto's `allow-policy-lockout`) lets a creator make a policy it cannot write itself."""

    action: PolicyCommandAction
    policy_id: str
    path: Pointer
    value: JsonValue = None
    allow_lockout: bool = False


@dataclass(frozen=True, slots=True)
class PolicyApplied:
    """The result of a policy command: the new policy (a tombstone when deleted) and its event, whose
    value is the written part as stored (None for a deletion)."""

    policy: Policy
    event: PolicyEvent

    @property
    def created(self) -> bool:
        return self.event.action == "created"


@dataclass(frozen=True, slots=True)
class _Context:
    resource: PolicyResource
    now: datetime
    expiry_granularity: timedelta


# What a handler makes of a command: the new document, the event's value and action.
_Change = tuple[JsonObject, JsonValue, PolicyAction]
_Handler = Callable[[Policy | None, PolicyCommand, _Context], _Change]


def with_requester(command: PolicyCommand, subject: str) -> PolicyCommand:
    """The placeholders in the subject ids `command` writes replaced by `subject` (the requester's), as Ditto's
    policy substitution strategies do (ModifyPolicy..., ModifySubject(s)SubstitutionStrategy, CreateThing...):
    only subject ids, wherever the path puts them; an unknown placeholder is 400
    `placeholder:placeholder.notresolvable`."""
    path, value = command.path, command.value
    if len(path) == 4 and path[0] == "entries" and path[2] == "subjects":
        path = (*path[:3], _resolve_subject_id(path[3], subject))
    elif not path or (path[0] == "entries" and (len(path) <= 2 or path[2:] == ("subjects",))):
        value = _with_subjects(value, 3 - len(path), subject)
    return replace(command, path=path, value=value)


def _resolve_subject_id(subject_id: str, requester: str) -> str:
    """`subject_id` with each placeholder replaced by `requester`; 400 for a placeholder other than the requester's."""
    def resolve(match: re.Match[str]) -> str:
        name = (match[1] if match[1] is not None else match[2]).strip()
        if name not in _REQUESTER_NAMES:
            raise PlaceholderNotResolvable(name, _REQUESTER_NAMES)
        return requester

    return _PLACEHOLDER.sub(resolve, subject_id) if ("{{" in subject_id or "${" in subject_id) else subject_id


def _with_subjects(value: JsonValue, depth: int, requester: str) -> JsonValue:
    """`value` (a policy: depth 3, its entries: 2, an entry: 1, its subjects: 0) with its subject ids resolved;
    what is not shaped so is left to validation."""
    if not isinstance(value, dict):
        return value
    if depth == 0:
        return {_resolve_subject_id(key, requester): item for key, item in value.items()}
    key = {3: "entries", 1: "subjects"}.get(depth)
    if key is not None:
        return {**value, key: _with_subjects(value[key], depth - 1, requester)} if key in value else value
    return {label: _with_subjects(entry, 1, requester) for label, entry in value.items()}


def policy_command_resource(command: PolicyCommand) -> PolicyResource:
    """The part of the policy `command` changes; raises ResourceNotFound (404) for a path Ditto has no route
    for, MethodNotAllowed (405) for a DELETE of a part that cannot be deleted."""
    resource = classify_policy_path(command.path)
    if resource not in _HANDLERS[command.action]:
        raise MethodNotAllowed("DELETE", ["GET", "PUT"])
    return resource


def apply_policy_command(current: Policy | None, command: PolicyCommand, *, now: datetime,
                         expiry_granularity: timedelta = DEFAULT_EXPIRY_GRANULARITY) -> PolicyApplied:
    """Apply `command` to `current` (None or a tombstone when the policy does not exist) at `now`.

    The command sees the current policy as Ditto has it at `now`: subjects whose expiry has passed are gone
    (Ditto deletes them when they expire), from the policy the command changes as from the one it yields.

    Raises what `policy_command_resource` raises; PolicyNotAccessible (404) for a part of a policy that does
    not exist, Ditto's 404 for a part below a missing entry or import, or a deletion of a missing part; the
    validation errors of the new value and of the whole resulting policy (`validate_policy`), its references
    (`check_references`) and `policies:policy.modificationinvalid` / `policies:entry.modificationinvalid`
    (403) when nobody could write it any more (`check_lockout`; as in Ditto, only for writes to the whole
    policy, its entries, subjects and resources).
    """
    resource = policy_command_resource(command)
    alive = current if current is not None and not current.deleted else None
    if alive is not None:
        alive = replace(alive, doc=drop_expired_subjects(alive.doc, now))
    if alive is None and (command.path or command.action == "delete"):
        raise PolicyNotAccessible(command.policy_id)
    handler = _HANDLERS[command.action][resource]
    doc, value, action = handler(alive, command, _Context(resource, now, expiry_granularity))
    revision = (current.revision if current is not None else 0) + 1
    created = alive.created if alive is not None else now
    policy = Policy(command.policy_id, doc, revision, created, now, deleted=action == "deleted" and not command.path)
    return PolicyApplied(policy, PolicyEvent(command.policy_id, action, command.path, value, revision, now))


# The parts whose writes Ditto checks for lock-out (its strategies that run `PoliciesValidator`); writes to the
# imports and to an entry's importable, namespaces, allowedAdditions and references are not checked.
_LOCKOUT_CHECKED = frozenset({
    PolicyResource.POLICY, PolicyResource.ENTRIES, PolicyResource.ENTRY, PolicyResource.SUBJECTS,
    PolicyResource.SUBJECT, PolicyResource.RESOURCES, PolicyResource.RESOURCE,
})


# The writes of entries, after which Ditto checks the integrity of their references (`validateReferencesIntegrity`)
# and, before, the entries import references name (PolicyImportsPreEnforcer).
_REFERENCES_CHECKED = frozenset({
    PolicyResource.POLICY, PolicyResource.ENTRIES, PolicyResource.ENTRY, PolicyResource.REFERENCES,
})
_OF_IMPORTS = frozenset({PolicyResource.IMPORTS, PolicyResource.IMPORT, PolicyResource.IMPORT_ENTRIES})


def _validated(value: JsonValue, command: PolicyCommand, context: _Context, before: JsonObject | None) -> JsonObject:
    """The whole resulting policy, valid, its references intact, and writable by someone where Ditto checks it."""
    doc = validate_policy(value, command.policy_id, now=context.now, expiry_granularity=context.expiry_granularity)
    path, resource = command.path, context.resource
    if before is not None:
        _check_reference_conflicts(before, doc, command, resource)
    if resource in _REFERENCES_CHECKED:
        check_references(doc, command.policy_id)
    check_inherited_size(doc, command.policy_id)  # also when a referenced entry grows
    if resource not in _LOCKOUT_CHECKED:
        return doc
    try:
        check_lockout(doc)
    except PolicyModificationInvalid as error:
        if len(path) > 1 and path[0] == "entries":  # Ditto names the entry-level change
            raise PolicyEntryModificationInvalid(error) from None
        raise
    return doc


def _check_reference_conflicts(before: JsonObject, doc: JsonObject, command: PolicyCommand,
                               resource: PolicyResource) -> None:
    """The 409s of writes that would leave a reference pointing nowhere: deleting a locally referenced entry or
    making it `importable: never`, removing or narrowing a referenced import."""
    path = command.path
    if resource is PolicyResource.ENTRY and command.action == "delete":
        check_local_reference_conflict(before, command.policy_id, path[1])
    elif resource is PolicyResource.IMPORTABLE and command.value == "never":
        check_local_reference_conflict(before, command.policy_id, path[1], importable=True)
    elif resource in _OF_IMPORTS:
        all_imports = resource is PolicyResource.IMPORTS and command.action == "delete"
        check_import_reference_conflicts(before, doc, command.policy_id, all_imports=all_imports)


def _mentions_references(value: JsonValue, resource: PolicyResource) -> bool:
    """Cheaply, whether the written value may hold references (writes without any skip the checks)."""
    if resource is PolicyResource.REFERENCES:
        return True
    if not isinstance(value, dict):
        return False
    if resource is PolicyResource.ENTRY:
        return "references" in value
    entries = value.get("entries") if resource is PolicyResource.POLICY else value
    return isinstance(entries, dict) and any(isinstance(entry, dict) and "references" in entry
                                             for entry in entries.values())


def written_import_references(command: PolicyCommand, *, now: datetime,
                              expiry_granularity: timedelta = DEFAULT_EXPIRY_GRANULARITY) -> list[tuple[str, str]]:
    """The import references `command` writes, as (imported policy id, entry label), for the caller to check against
    the referenced policies (Ditto's PolicyImportsPreEnforcer: on ModifyPolicy, ModifyPolicyEntries,
    ModifyPolicyEntry and ModifyPolicyEntryReferences). For a whole policy, a reference to a policy it does not
    import is 400 `policies:import.invalid` here; validation errors of the value are raised as the write would."""
    resource = classify_policy_path(command.path)
    if command.action != "modify" or resource not in _REFERENCES_CHECKED \
            or not _mentions_references(command.value, resource):
        return []
    value = validate_policy_part(resource, command.value, command.policy_id, command.path, now=now,
                                 expiry_granularity=expiry_granularity)
    entries: JsonValue = value
    if resource is PolicyResource.POLICY:
        entries = value.get("entries") if isinstance(value, dict) else {}
    elif resource is PolicyResource.ENTRY:
        entries = {command.path[1]: value}
    elif resource is PolicyResource.REFERENCES:
        entries = {command.path[1]: {"references": value}}
    references = [(imported, target) for _label, imported, target in references_of({"entries": entries})
                  if imported is not None]
    if resource is PolicyResource.POLICY and isinstance(value, dict):
        imports = value.get("imports")
        for imported, _target in references:
            if not isinstance(imports, dict) or imported not in imports:
                raise PolicyImportInvalid(f"A reference points to policy '{imported}' which is not in this policy's "
                                          "imports.", f"Add an import for policy '{imported}' before referencing its "
                                          "entries.")
    return references


def unchanged_by(current: Policy, command: PolicyCommand) -> bool:
    """Whether Ditto answers `command` on `current` (a live policy) as done without an event: a DELETE of an entry's
    `allowedAdditions` that it does not have (DeletePolicyEntryAllowedAdditionsStrategy is idempotent)."""
    path = command.path
    if command.action != "delete" or classify_policy_path(path) is not PolicyResource.ALLOWED_ADDITIONS:
        return False
    entry = get_at(current.doc, path[:2])
    return isinstance(entry, dict) and "allowedAdditions" not in entry


def _modify_policy(current: Policy | None, command: PolicyCommand, context: _Context) -> _Change:
    doc = _validated(command.value, command, context, current.doc if current is not None else None)
    return doc, doc, "created" if current is None else "modified"


def _delete_policy(current: Policy | None, command: PolicyCommand, context: _Context) -> _Change:
    return {}, None, "deleted"


def _write_part(current: Policy, command: PolicyCommand, context: _Context) -> tuple[JsonObject, JsonValue]:
    """The policy with the part at the command's path replaced, and the part as stored."""
    path = command.path
    if len(path) > 2 and get_at(current.doc, path[:2]) is MISSING:
        raise missing_policy_part(current.doc, command.policy_id, path)  # the entry or import
    value = validate_policy_part(context.resource, command.value, command.policy_id, path, now=context.now,
                                 expiry_granularity=context.expiry_granularity)
    doc = _validated(set_at(current.doc, path, value), command, context, current.doc)
    kept = get_at(doc, path)
    return doc, value if kept is MISSING else kept


def _put_part(current: Policy | None, command: PolicyCommand, context: _Context) -> _Change:
    """A part that a PUT creates when it is missing (201) and replaces otherwise (204)."""
    assert current is not None
    before = get_at(current.doc, command.path)
    doc, value = _write_part(current, command, context)
    return doc, value, "created" if before is MISSING else "modified"


def _replace_part(current: Policy | None, command: PolicyCommand, context: _Context) -> _Change:
    """A part that a PUT always replaces (204), whether it was there or not."""
    assert current is not None
    doc, value = _write_part(current, command, context)
    return doc, value, "modified"


def _delete_part(current: Policy | None, command: PolicyCommand, context: _Context) -> _Change:
    assert current is not None
    if get_at(current.doc, command.path) is MISSING:
        raise missing_policy_part(current.doc, command.policy_id, command.path)
    return _validated(delete_at(current.doc, command.path), command, context, current.doc), None, "deleted"


def _put_references(current: Policy | None, command: PolicyCommand, context: _Context) -> _Change:
    """Created (201) when the entry had no references and gets some, else modified (204), as Ditto's
    ModifyPolicyEntryReferencesStrategy answers; `[]` removes them."""
    assert current is not None
    before = get_at(current.doc, command.path)
    doc, value = _write_part(current, command, context)
    created = (before is MISSING or not before) and bool(value)
    return doc, value, "created" if created else "modified"


def _delete_references(current: Policy | None, command: PolicyCommand, context: _Context) -> _Change:
    """Ditto's DeletePolicyEntryReferencesStrategy: done (with an event) whenever the entry exists."""
    assert current is not None
    if get_at(current.doc, command.path[:2]) is MISSING:
        raise missing_policy_part(current.doc, command.policy_id, command.path)
    if get_at(current.doc, command.path) is MISSING:
        return current.doc, None, "deleted"
    return _delete_part(current, command, context)


_HANDLERS: dict[PolicyCommandAction, dict[PolicyResource, _Handler]] = {
    "modify": {
        PolicyResource.POLICY: _modify_policy,
        PolicyResource.ENTRIES: _replace_part,
        PolicyResource.ENTRY: _put_part,
        PolicyResource.SUBJECTS: _replace_part,
        PolicyResource.SUBJECT: _put_part,
        PolicyResource.RESOURCES: _replace_part,
        PolicyResource.RESOURCE: _put_part,
        PolicyResource.IMPORTABLE: _replace_part,
        PolicyResource.NAMESPACES: _replace_part,
        PolicyResource.ALLOWED_ADDITIONS: _replace_part,
        PolicyResource.REFERENCES: _put_references,
        PolicyResource.IMPORTS: _replace_part,
        PolicyResource.IMPORT: _put_part,
        PolicyResource.IMPORT_ENTRIES: _replace_part,
        PolicyResource.IMPORT_TRANSITIVE_IMPORTS: _replace_part,
    },
    "delete": {
        PolicyResource.POLICY: _delete_policy,
        PolicyResource.ENTRY: _delete_part,
        PolicyResource.SUBJECT: _delete_part,
        PolicyResource.RESOURCE: _delete_part,
        PolicyResource.IMPORTS: _delete_part,
        PolicyResource.IMPORT: _delete_part,
        PolicyResource.REFERENCES: _delete_references,
        PolicyResource.ALLOWED_ADDITIONS: _delete_part,
    },
}


def replay_policy(snapshot: Policy | None, events: list[PolicyEvent]) -> Policy | None:
    """The policy after `events`, applied in order on top of `snapshot` (journal replay for historical reads):
    each event's value is its part as stored, so it is set (or removed) where the event names it."""
    policy = snapshot
    for event in events:
        alive = policy if policy is not None and not policy.deleted else None
        base = alive.doc if alive is not None else {}
        doc = delete_at(base, event.path) if event.action == "deleted" else set_at(base, event.path, event.value)
        policy = Policy(event.policy_id, doc, event.revision, alive.created if alive is not None else event.timestamp,
                        event.timestamp, deleted=event.action == "deleted" and not event.path)
    return policy
