"""The whole policy document: validated and normalized JSON, its size limit, the integrity of its
references, lock-out prevention, and Ditto's implicit default policy.

A policy stays plain JSON, rendered as Ditto renders it (`ImmutablePolicy.toJson`):

    {"policyId": ..., "imports": {...}, "entries": {<label>: {"subjects", "resources", "namespaces"?,
     "importable", "allowedAdditions"?, "references"?}}}

Unknown fields are dropped at every level, as Ditto's `fromJson` only reads the fields it knows.
Time is an argument (`now`), never read from a clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from twinhub.model.errors import (
    PolicyEntryInvalid,
    PolicyEntryReferenceConflict,
    PolicyIdNotSettable,
    PolicyImportReferenceConflict,
    PolicyModificationInvalid,
    PolicyTooLarge,
)
from twinhub.model.ids import parse_policy_id
from twinhub.model.json import render
from twinhub.model.policy._json import as_object, entries_of, imports_of, object_field, strings, subjects_of
from twinhub.model.policy.entries import validate_entries
from twinhub.model.policy.imports import DEFAULT_MAX_IMPORTS, validate_imports
from twinhub.model.policy.labels import validate_subject_id
from twinhub.model.policy.permissions import READ, WRITE
from twinhub.model.policy.references import MAX_INHERITED, copied_size, resolve_references
from twinhub.model.policy.subjects import DEFAULT_EXPIRY_GRANULARITY
from twinhub.model.types import JsonObject, JsonValue

DEFAULT_MAX_POLICY_SIZE = 100 * 1024  # Ditto `ditto.limits.policies.max-size = 100k`
DEFAULT_ENTRY_LABEL = "DEFAULT"
DEFAULT_SUBJECT_TYPE = "generated"  # Ditto `SubjectType.GENERATED`, used for the implicit policy

_LOCKOUT_REASON = "It must contain at least one permanent Subject with permission(s) <[WRITE]> on resource <policy:/>!"


def _kilobytes(size: int) -> str:
    """`MessageFormat` of `size / 1024.0`: grouped, at most three fraction digits (half-even)."""
    number = (Decimal(size) / 1024).quantize(Decimal("0.001"), rounding=ROUND_HALF_EVEN)
    text = f"{number:,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def policy_size(value: JsonValue) -> int:
    """The length Ditto measures: UTF-16 code units of the compact JSON."""
    text = render(value)
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def check_policy_size(value: JsonValue, *, max_size: int = DEFAULT_MAX_POLICY_SIZE) -> None:
    """Raise `policies:policy.toolarge` (413) when `value` as JSON is larger than `max_size`."""
    size = policy_size(value)
    if size > max_size:
        raise PolicyTooLarge(_kilobytes(size), _kilobytes(max_size))


def validate_policy(
    value: JsonValue,
    policy_id: str,
    *,
    now: datetime,
    expiry_granularity: timedelta = DEFAULT_EXPIRY_GRANULARITY,
    max_size: int = DEFAULT_MAX_POLICY_SIZE,
    max_imports: int = DEFAULT_MAX_IMPORTS,
) -> JsonObject:
    """Normalize a whole policy for `policy_id` (the id of the request path).

    Raises `policies:id.invalid`, `policies:id.notsettable` (body names another id), `policies:label.invalid`,
    `policies:entry.invalid`, `policies:subjectid.invalid`, `policies:subjectexpiry.invalid`,
    `policies:import.invalid`, `policies:imports.toolarge` (400), `policies:policy.toolarge` (413) and
    `json.invalid` / `json.field.missing` / `json.format.invalid` for fields of the wrong shape.
    """
    policy_id = str(parse_policy_id(policy_id))
    policy = as_object(value)
    if "policyId" in policy and policy["policyId"] != policy_id:
        raise PolicyIdNotSettable()
    imports = object_field(policy, "imports")
    entries = object_field(policy, "entries")
    result: JsonObject = {
        "policyId": policy_id,
        "imports": validate_imports(imports or {}, policy_id, max_imports=max_imports),
        "entries": validate_entries(entries or {}, now=now, expiry_granularity=expiry_granularity),
    }
    check_policy_size(result, max_size=max_size)
    return result


def _reference_invalid(policy_id: str, label: str, description: str) -> PolicyEntryInvalid:
    return PolicyEntryInvalid(f"The references of PolicyEntry '{label}' on Policy '{policy_id}' are invalid.",
                              description)


def check_references(doc: JsonObject, policy_id: str) -> None:
    """The integrity of every entry's references (Ditto's `validateReferencesIntegrity`, run when a whole policy,
    its entries, an entry or its references are written): no reference twice, none to the entry itself, a local one
    to an existing entry not `importable: never`, an import one to a policy this one imports. Else 400
    `policies:entry.invalid`."""
    entries = entries_of(doc)
    imports = imports_of(doc)
    seen: set[tuple[str, str | None, str]] = set()
    for label, imported, target in references_of(doc):
        if (label, imported, target) in seen:
            raise _reference_invalid(policy_id, label, f"Duplicate reference to entry '{target}'.")
        seen.add((label, imported, target))
        if imported is None:
            if target == label:
                raise _reference_invalid(policy_id, label, "Entry must not reference itself.")
            if target not in entries:
                raise _reference_invalid(policy_id, label, f"Local reference targets entry '{target}' which "
                                         "does not exist in the policy.")
            if entries[target].get("importable") == "never":
                raise _reference_invalid(policy_id, label, f"Local reference targets entry '{target}' which is "
                                         "marked importable=never and cannot be referenced.")
        elif imported not in imports:
            raise _reference_invalid(policy_id, label, f"Import reference targets policy '{imported}' which is "
                                     "not declared in imports.")


def check_inherited_size(doc: JsonObject, policy_id: str, *, limit: int = MAX_INHERITED) -> None:
    """Every local reference copies the referenced entry's subjects and resources into the referencing entry, so a
    policy within its byte size could resolve to hundreds of thousands of rules and index rows (one template of a
    thousand resources referenced by a few hundred entries): the copies, summed, must stay within `limit`, else 400
    `policies:entry.invalid`. Ditto sets no such bound; no policy of a sensible shape comes near it."""
    entries = entries_of(doc)
    copied = 0
    for label, imported, target in references_of(doc):
        referenced = entries.get(target) if imported is None else None
        if referenced is None:
            continue
        copied += copied_size(referenced)
        if copied > limit:
            raise _reference_invalid(policy_id, label, f"The local references of the policy copy more than {limit} "
                                     "subjects and resources of the entries they reference.")


def references_of(doc: JsonObject) -> list[tuple[str, str | None, str]]:
    """Every reference of `doc`'s entries as (referencing label, imported policy id or None, referenced label)."""
    found: list[tuple[str, str | None, str]] = []
    for label, entry in entries_of(doc).items():
        references = entry.get("references")
        for reference in references if isinstance(references, list) else []:
            if isinstance(reference, dict) and isinstance(reference.get("entry"), str):
                imported = reference.get("import")
                found.append((label, imported if isinstance(imported, str) else None, str(reference["entry"])))
    return found


def check_local_reference_conflict(doc: JsonObject, policy_id: str, label: str, *, importable: bool = False) -> None:
    """409 `policies:entry.referenceconflict` when another entry of `doc` still references the entry `label` locally
    (Ditto's DeletePolicyEntryStrategy; with `importable`, ModifyPolicyEntryImportableStrategy making it `never`)."""
    for referencing, imported, target in references_of(doc):
        if imported is None and target == label and referencing != label:
            raise PolicyEntryReferenceConflict(policy_id, label, referencing, importable=importable)


def check_import_reference_conflicts(before: JsonObject, after: JsonObject, policy_id: str, *,
                                     all_imports: bool = False) -> None:
    """409 `policies:import.referenceconflict` when a write of the imports removes an import that an entry still
    references, or drops from an import's `entries` a label a reference targets (Ditto's Modify/DeletePolicyImport(s)
    and ModifyPolicyImportEntries strategies; `all_imports` for DELETE of all imports)."""
    references = [(imported, target, label) for label, imported, target in references_of(before) if imported]
    if all_imports and references:
        raise PolicyImportReferenceConflict(policy_id, None)
    new_imports = imports_of(after)
    for imported_id, config in imports_of(before).items():
        targets = [(target, label) for imported, target, label in references if imported == imported_id]
        if not targets:
            continue
        if imported_id not in new_imports:
            raise PolicyImportReferenceConflict(policy_id, imported_id)
        removed = set(strings(config.get("entries"))) - set(strings(new_imports[imported_id].get("entries")))
        for target, label in targets:
            if target in removed:
                raise PolicyImportReferenceConflict(policy_id, imported_id, f"Removing label '{target}' from this "
                                                    f"import's filter would orphan the reference from entry '{label}'.")


def default_policy(policy_id: str, subject: str) -> JsonObject:
    """Ditto's implicit policy for a thing created without one: entry `DEFAULT` granting `subject`
    READ and WRITE on `thing:/`, `policy:/` and `message:/` (`ThingEnforcerActor.getDefaultPolicy`)."""
    grant: JsonObject = {"grant": [READ, WRITE], "revoke": []}
    return {
        "policyId": str(parse_policy_id(policy_id)),
        "imports": {},
        "entries": {
            DEFAULT_ENTRY_LABEL: {
                "subjects": {validate_subject_id(subject): {"type": DEFAULT_SUBJECT_TYPE}},
                "resources": {key: dict(grant) for key in ("thing:/", "policy:/", "message:/")},
                "importable": "implicit",
            }
        },
    }


def _policy_root_write(entry: JsonObject, effect: str) -> bool:
    resources = entry.get("resources")
    root = resources.get("policy:/") if isinstance(resources, dict) else None
    permissions = root.get(effect) if isinstance(root, dict) else None
    return isinstance(permissions, list) and WRITE in permissions


def check_lockout(doc: JsonObject) -> None:
    """Ditto's `PoliciesValidator`: raise `policies:policy.modificationinvalid` (403) unless some subject
    without expiry is granted WRITE on exactly `policy:/` and no entry revokes WRITE there from the same subject.

    A policy with imports is not checked at all: Ditto's validator loads no imported policy and answers valid,
    whatever the imported entries grant (`PoliciesValidator.isValid`). Which writes are checked is the caller's
    business (`apply_policy_command`, as Ditto: those of the whole policy, its entries, subjects and resources).
    Ditto disregards every expiring subject however far its expiry lies, so the time does not change the outcome.
    """
    imports = doc.get("imports")
    if isinstance(imports, dict) and imports:
        return
    # Ditto validates the entries with their local references resolved (PoliciesValidator.newInstance).
    entries = [entry for _label, entry in resolve_references(doc, list(entries_of(doc).items()))]
    # Ditto compares whole subjects (id, type, expiry, announcement), across all entries.
    granted = {
        (subject_id, render(subject))
        for entry in entries
        if _policy_root_write(entry, "grant")
        for subject_id, subject in subjects_of(entry).items()
        if isinstance(subject, dict) and "expiry" not in subject
    }
    revoked = {
        (subject_id, render(subject))
        for entry in entries
        if _policy_root_write(entry, "revoke")
        for subject_id, subject in subjects_of(entry).items()
    }
    if not granted - revoked:
        raise PolicyModificationInvalid(str(doc.get("policyId", "")), _LOCKOUT_REASON)
