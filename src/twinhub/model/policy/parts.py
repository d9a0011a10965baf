"""Which part of a policy a path names, Ditto's 404/403 for each part, and validation of a part's new value.

Paths are relative to `/api/2/policies/{policyId}`. A subject id or a resource key is ONE key of the pointer
even though it may contain slashes (`("entries", "owner", "resources", "thing:/features/lamp")`);
`parse_policy_path` splits a request path that way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from enum import Enum

from twinhub.model.errors import (
    NotFound,
    NotModifiable,
    PolicyNotAccessible,
    PolicyNotModifiable,
    PolicyResourceNotFound,
    PolicyResourceNotModifiable,
    ResourceNotFound,
)
from twinhub.model.etag import hash_tag
from twinhub.model.ids import parse_policy_id
from twinhub.model.pointer import get_at
from twinhub.model.policy.document import DEFAULT_MAX_POLICY_SIZE, validate_policy
from twinhub.model.policy.entries import (
    validate_allowed_additions,
    validate_entries,
    validate_entry,
    validate_importable,
    validate_namespaces,
    validate_references,
    validate_resource,
    validate_resources,
)
from twinhub.model.policy.imports import (
    DEFAULT_MAX_IMPORTS,
    validate_import,
    validate_import_entries,
    validate_imports,
    validate_transitive_imports,
)
from twinhub.model.policy.labels import validate_label, validate_resource_key, validate_subject_id
from twinhub.model.policy.subjects import DEFAULT_EXPIRY_GRANULARITY, validate_subject, validate_subjects
from twinhub.model.types import MISSING, JsonObject, JsonValue, Missing, Pointer


class PolicyResource(Enum):
    POLICY = "policy"
    ENTRIES = "entries"
    ENTRY = "entry"
    SUBJECTS = "subjects"
    SUBJECT = "subject"
    RESOURCES = "resources"
    RESOURCE = "resource"
    IMPORTABLE = "importable"
    NAMESPACES = "namespaces"
    ALLOWED_ADDITIONS = "allowedAdditions"
    REFERENCES = "references"
    IMPORTS = "imports"
    IMPORT = "import"
    IMPORT_ENTRIES = "import.entries"
    IMPORT_TRANSITIVE_IMPORTS = "import.transitiveImports"


# Parts of one entry, keyed by the path key after `entries/{label}/`; a `*` marks those taking one more key.
_ENTRY_PARTS = {
    "subjects": PolicyResource.SUBJECTS,
    "subjects*": PolicyResource.SUBJECT,
    "resources": PolicyResource.RESOURCES,
    "resources*": PolicyResource.RESOURCE,
    "importable": PolicyResource.IMPORTABLE,
    "namespaces": PolicyResource.NAMESPACES,
    "allowedAdditions": PolicyResource.ALLOWED_ADDITIONS,
    "references": PolicyResource.REFERENCES,
}
_IMPORT_PARTS = {
    "entries": PolicyResource.IMPORT_ENTRIES,
    "transitiveImports": PolicyResource.IMPORT_TRANSITIVE_IMPORTS,
}
# Resources that live inside one entry (their 404/403 names the entry when they have no code of their own).
_OF_ENTRY = frozenset(
    {
        PolicyResource.ENTRY,
        PolicyResource.SUBJECTS,
        PolicyResource.SUBJECT,
        PolicyResource.RESOURCES,
        PolicyResource.RESOURCE,
        PolicyResource.IMPORTABLE,
        PolicyResource.NAMESPACES,
        PolicyResource.ALLOWED_ADDITIONS,
        PolicyResource.REFERENCES,
    }
)
_OF_IMPORT = frozenset({PolicyResource.IMPORT, PolicyResource.IMPORT_ENTRIES, PolicyResource.IMPORT_TRANSITIVE_IMPORTS})


def _path_text(path: Pointer) -> str:
    return "/" + "/".join(path)


def classify_policy_path(path: Pointer) -> PolicyResource:
    """The part of a policy `path` names; raises ResourceNotFound for paths Ditto has no route for."""
    if not path:
        return PolicyResource.POLICY
    head, size = path[0], len(path)
    if head == "entries":
        if size == 1:
            return PolicyResource.ENTRIES
        if size == 2:
            return PolicyResource.ENTRY
        part = _ENTRY_PARTS.get(path[2] + ("*" if size == 4 else "")) if size <= 4 else None
        if part is not None:
            return part
    elif head == "imports":
        if size == 1:
            return PolicyResource.IMPORTS
        if size == 2:
            return PolicyResource.IMPORT
        if size == 3 and path[2] in _IMPORT_PARTS:
            return _IMPORT_PARTS[path[2]]
    raise ResourceNotFound(_path_text(path))


def policy_route_keys(keys: Sequence[str]) -> int:
    """How many of the leading `keys` of a path below `/policies/{policyId}` Ditto's routes match one by one: all
    but the subject id or resource key after `entries/{label}/subjects/` or `.../resources/` (Pekko's
    `remaining()` and `extractUnmatchedPath` in PolicyEntriesRoute), which is one key however many slashes it has."""
    if len(keys) > 3 and keys[0] == "entries" and keys[2] in ("subjects", "resources"):
        return 3
    return len(keys)


def parse_policy_path(text: str) -> Pointer:
    """Split a (decoded) path below `/policies/{policyId}`; after `entries/{label}/subjects/` and
    `.../resources/` the rest is one key, as in Ditto's routes: `/entries/o/resources/thing:/a/b` ->
    `("entries", "o", "resources", "thing:/a/b")`. A single trailing slash is ignored elsewhere."""
    body = text[1:] if text.startswith("/") else text
    keys = body.split("/")
    routed = policy_route_keys(keys)
    if routed < len(keys):
        rest = "/".join(keys[routed:])
        return tuple(keys[:3]) + ((rest,) if rest else ())
    if keys and keys[-1] == "":
        keys.pop()
    return tuple(keys)


def normalize_policy_path(path: Pointer) -> Pointer:
    """`path` with its keys validated and normalized as Ditto parses them (label, subject id, resource key
    `thing:` -> `thing:/`, imported policy id); raises the same errors as the validation of a policy."""
    resource = classify_policy_path(path)
    keys = list(path)
    if resource in _OF_ENTRY:
        keys[1] = validate_label(keys[1])
    if resource is PolicyResource.SUBJECT:
        keys[3] = validate_subject_id(keys[3])
    if resource is PolicyResource.RESOURCE:
        keys[3] = validate_resource_key(keys[3])
    if resource in _OF_IMPORT:
        keys[1] = str(parse_policy_id(keys[1]))
    return tuple(keys)


# -- errors ------------------------------------------------------------------------------------------------------

_NOT_FOUND = " could not be found or requester had insufficient permissions to access it."
_NOT_MODIFIABLE = " could not be modified as the requester had insufficient permissions."


# What Ditto asks the client to check, per part of an entry (its 404 and 403 word them differently).
_NOT_FOUND_CHECK = {
    "subjects": "Check if the ID of the Policy and the Label of the PolicyEntry",
    "subject": "Check if the ID of the Policy, the Label of the PolicyEntry and ID of your requested Subject",
    "resources": "Check if the ID of the Policy and the Label of the PolicyEntry",
    "resource": "Check if the ID of the Policy, the Label of the PolicyEntry and the path of your requested Resource",
    "entry": "Check if the ID of the Policy and the Label of your requested PolicyEntry",
}
_NOT_MODIFIABLE_CHECK = {
    **_NOT_FOUND_CHECK,
    "subjects": "Check if the ID of the Policy and the PolicyEntry's Label of your requested Subjects",
    "resources": "Check if the ID of the Policy and the PolicyEntry's Label of your requested Resources",
}


def _entry_part(resource: PolicyResource, policy_id: str, path: Pointer) -> tuple[str, str]:
    """The part of an entry `path` names (Ditto's `policies:<part>.…` code) and how its messages call it."""
    entry = f"of the PolicyEntry with Label '{path[1]}' on the Policy with ID '{policy_id}'"
    if resource is PolicyResource.SUBJECTS:
        return "subjects", f"The Subjects {entry}"
    if resource is PolicyResource.SUBJECT:
        return "subject", f"The Subject with ID '{path[3]}' {entry}"
    if resource is PolicyResource.RESOURCES:
        return "resources", f"The Resources {entry}"
    if resource is PolicyResource.RESOURCE:
        return "resource", f"The Resource '{path[3]}' {entry}"
    return "entry", f"The PolicyEntry with Label '{path[1]}' on the Policy with ID '{policy_id}'"


def policy_not_found(policy_id: str, path: Pointer) -> NotFound:
    """Ditto's 404 for the part `path` of the policy `policy_id` (`policies:entry.notfound`, ...)."""
    resource = classify_policy_path(path)
    if resource in (PolicyResource.POLICY, PolicyResource.ENTRIES):
        return PolicyNotAccessible(policy_id)
    if resource is PolicyResource.IMPORTS:
        return PolicyResourceNotFound(
            "imports",
            f"The imports of the Policy with ID '{policy_id}'" + _NOT_FOUND,
            "Check if the ID of the Policy was correct and you have sufficient permissions.",
        )
    if resource in _OF_IMPORT:
        return PolicyResourceNotFound(
            "import",
            f"The Policy import '{path[1]}' of Policy '{policy_id}'" + _NOT_FOUND,
            "Check if the ID of the Policy and the imported Policy was correct and you have sufficient permissions.",
        )
    part, message = _entry_part(resource, policy_id, path)
    return PolicyResourceNotFound(part, message + _NOT_FOUND, _NOT_FOUND_CHECK[part] + " was correct and you have "
                                  "sufficient permissions.")


def policy_not_modifiable(policy_id: str, path: Pointer) -> NotModifiable:
    """Ditto's 403 for writing the part `path` without permission (`policies:entry.notmodifiable`, ...)."""
    resource = classify_policy_path(path)
    if resource in (PolicyResource.POLICY, PolicyResource.ENTRIES):
        return PolicyNotModifiable(policy_id)
    if resource is PolicyResource.IMPORTS:
        return PolicyResourceNotModifiable(
            "imports",
            f"The Imports of the Policy with ID '{policy_id}'" + _NOT_MODIFIABLE,
            "Check if the ID of your requested Policy was correct and you have sufficient permissions.",
        )
    if resource in _OF_IMPORT:
        return PolicyResourceNotModifiable(
            "import",
            f"The Import of the Policy with ID '{path[1]}' in Policy with ID '{policy_id}'" + _NOT_MODIFIABLE,
            "Check if the ID of your requested Policy and imported Policy was correct and you have sufficient "
            "permissions.",
        )
    part, message = _entry_part(resource, policy_id, path)
    return PolicyResourceNotModifiable(part, message + _NOT_MODIFIABLE, _NOT_MODIFIABLE_CHECK[part] + " was correct "
                                       "and you have sufficient permissions.")


def missing_policy_part(doc: JsonObject, policy_id: str, path: Pointer) -> NotFound:
    """The 404 for `path` missing in `doc`: below a missing entry or import Ditto names the entry or import
    (also for writes, which need the parent to exist)."""
    resource = classify_policy_path(path)
    if resource in _OF_ENTRY or resource in _OF_IMPORT:
        parts = doc.get(path[0])
        if not isinstance(parts, dict) or path[1] not in parts:
            return policy_not_found(policy_id, path[:2])
    return policy_not_found(policy_id, path)


def retrieve_policy_part(doc: JsonObject, policy_id: str, path: Pointer) -> JsonValue:
    """The value a GET of `path` returns, as Ditto's retrieve strategies answer: `importable`,
    `allowedAdditions`, `references`, an import's `entries` and `transitiveImports` have defaults,
    `namespaces` of an entry without any is a 404 (`policies:entry.notfound`)."""
    path = normalize_policy_path(path)
    resource = classify_policy_path(path)
    if resource is PolicyResource.POLICY:
        return doc
    if resource in (PolicyResource.ENTRIES, PolicyResource.IMPORTS):
        found = doc.get(path[0])
        return found if isinstance(found, dict) else {}
    container = doc.get(path[0])
    part = container.get(path[1]) if isinstance(container, dict) else None
    if not isinstance(part, dict):
        raise missing_policy_part(doc, policy_id, path)
    if len(path) == 2:
        return part
    defaults: dict[PolicyResource, JsonValue] = {
        PolicyResource.IMPORTABLE: "implicit",
        PolicyResource.ALLOWED_ADDITIONS: [],
        PolicyResource.REFERENCES: [],
        PolicyResource.IMPORT_ENTRIES: [],
        PolicyResource.IMPORT_TRANSITIVE_IMPORTS: [],
        PolicyResource.SUBJECTS: {},
        PolicyResource.RESOURCES: {},
    }
    value = part.get(path[2], defaults.get(resource))
    if len(path) == 4:
        value = value.get(path[3]) if isinstance(value, dict) else None
    if value is None:
        raise policy_not_found(policy_id, path)
    return value


def policy_part_tag(doc: JsonObject, path: Pointer, view: JsonValue | Missing) -> str:
    """The ETag of the part at `path` (not the whole policy): the hash of the caller's view of it, but for an entry's
    `allowedAdditions` that is not there, which reads as `[]` yet is tagged apart from an empty one (absent: no
    restriction, `[]`: none allowed; Ditto's AbstractPolicyCommandStrategy.allowedAdditionsEntityTag)."""
    absent = len(path) == 3 and path[0] == "entries" and path[2] == "allowedAdditions" and get_at(doc, path) is MISSING
    return hash_tag({"allowedAdditions": "absent"} if absent and view is not MISSING else view)


def validate_policy_part(
    resource: PolicyResource,
    value: JsonValue,
    policy_id: str,
    path: Pointer,
    *,
    now: datetime,
    expiry_granularity: timedelta = DEFAULT_EXPIRY_GRANULARITY,
    max_size: int = DEFAULT_MAX_POLICY_SIZE,
    max_imports: int = DEFAULT_MAX_IMPORTS,
) -> JsonValue:
    """Validate and normalize the body of a PUT on the part `resource` at `path` (keys of `path` are validated
    too; store the value under `normalize_policy_path(path)`). The whole policy gets `validate_policy`; for a
    part, check the size and lock-out of the resulting policy afterwards (`check_policy_size`, `check_lockout`).
    """
    keys = normalize_policy_path(path)
    if classify_policy_path(keys) is not resource:
        raise ValueError(f"{_path_text(path)} is no {resource.value} resource")
    if resource is PolicyResource.POLICY:
        return validate_policy(
            value, policy_id, now=now, expiry_granularity=expiry_granularity, max_size=max_size, max_imports=max_imports
        )
    if resource is PolicyResource.ENTRIES:
        return validate_entries(value, now=now, expiry_granularity=expiry_granularity)
    if resource is PolicyResource.ENTRY:
        return validate_entry(value, now=now, expiry_granularity=expiry_granularity)
    if resource is PolicyResource.SUBJECTS:
        return validate_subjects(value, now=now, expiry_granularity=expiry_granularity)
    if resource is PolicyResource.SUBJECT:
        return validate_subject(value, now=now, expiry_granularity=expiry_granularity)
    if resource is PolicyResource.RESOURCE:
        return validate_resource(value, keys[3])
    if resource is PolicyResource.IMPORTS:
        return validate_imports(value, policy_id, max_imports=max_imports)
    if resource is PolicyResource.IMPORT:
        return validate_import(value, keys[1], policy_id)
    if resource is PolicyResource.IMPORT_TRANSITIVE_IMPORTS:
        return validate_transitive_imports(value, policy_id)
    return _PART_VALIDATORS[resource](value)


_PART_VALIDATORS: dict[PolicyResource, Callable[[JsonValue], JsonValue]] = {
    PolicyResource.RESOURCES: validate_resources,
    PolicyResource.IMPORTABLE: validate_importable,
    PolicyResource.NAMESPACES: validate_namespaces,
    PolicyResource.ALLOWED_ADDITIONS: validate_allowed_additions,
    PolicyResource.REFERENCES: validate_references,
    PolicyResource.IMPORT_ENTRIES: validate_import_entries,
}
