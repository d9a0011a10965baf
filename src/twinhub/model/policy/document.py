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
    PolicyIdNotSettable,
    PolicyImportReferenceConflict,
    PolicyModificationInvalid,
    PolicyTooLarge,
)
from twinhub.model.ids import parse_policy_id
from twinhub.model.policy._json import as_object, entries_of, imports_of, object_field, render, subjects_of
from twinhub.model.policy.entries import validate_entries
from twinhub.model.policy.imports import DEFAULT_MAX_IMPORTS, validate_imports
from twinhub.model.policy.labels import validate_subject_id
from twinhub.model.policy.permissions import READ, WRITE
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


def check_references(doc: JsonObject, policy_id: str, *, deleting_imports: bool) -> None:
    """Entry references must point at another local entry or at an import of this policy (Ditto's
    `validateReferencesIntegrity`); removing an import something still refers to is a 409."""
    entries = entries_of(doc)
    imports = imports_of(doc)
    for label, entry in entries.items():
        references = entry.get("references")
        for reference in references if isinstance(references, list) else []:
            if not isinstance(reference, dict):
                continue
            imported = reference.get("import")
            if imported is None and (reference.get("entry") == label or reference.get("entry") not in entries):
                raise PolicyEntryInvalid(f"The reference of the Policy Entry '{label}' in the Policy '{policy_id}' "
                                         f"to the entry '{reference.get('entry')}' is invalid.",
                                         "A local reference names another entry of the same policy.")
            if imported is not None and imported not in imports:
                if deleting_imports:
                    raise PolicyImportReferenceConflict(policy_id, str(imported), label)
                raise PolicyEntryInvalid(f"The Policy Entry '{label}' in the Policy '{policy_id}' references the "
                                         f"policy '{imported}', which it does not import.", "Import the policy first.")


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
    whatever the imported entries grant (`PoliciesValidator.isValid`), for the whole policy as for any part.
    Ditto disregards every expiring subject however far its expiry lies, so the time does not change the outcome.
    """
    imports = doc.get("imports")
    if isinstance(imports, dict) and imports:
        return
    entries = entries_of(doc).values()
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
