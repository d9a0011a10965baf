"""Policy entries: their resources and permissions, namespaces, importability, allowed additions and
references, validated and rendered in Ditto's field order (`ImmutablePolicyEntry.toJson`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from twinhub.model.errors import JsonFieldMissing, PolicyEntryInvalid, PolicyJsonInvalid
from twinhub.model.ids import is_valid_namespace, parse_policy_id
from twinhub.model.json import render
from twinhub.model.policy._json import array_field, as_object, object_field, unique, wrong_type
from twinhub.model.policy.labels import validate_label, validate_resource_key
from twinhub.model.policy.subjects import validate_subjects
from twinhub.model.types import JsonObject, JsonValue

IMPORTABLE_TYPES = ("implicit", "explicit", "never")
ALLOWED_ADDITIONS = ("subjects", "resources", "namespaces")


def validate_resource(value: JsonValue, key: str) -> JsonObject:
    """`{"grant": [...], "revoke": [...]}` for the resource `key`; null or missing lists are empty.

    Any string is a permission, as in Ditto (ImmutableEffectedPermissions.fromJson keeps every string): one that
    no check asks for (`ADMINISTRATE`, `read`) is stored and shown, and grants or revokes nothing."""
    if not isinstance(value, dict):
        raise PolicyJsonInvalid(
            f"The JSON object for the 'permissions' (grant/revoke) of the 'resource' '{key}' is missing or not an "
            "object."
        )
    resource: JsonObject = {}
    for effect in ("grant", "revoke"):
        items = array_field(value, effect) or []
        resource[effect] = unique([item for item in items if isinstance(item, str)])  # Ditto skips non-strings
    return resource


def validate_resources(value: JsonValue) -> JsonObject:
    if not isinstance(value, dict):
        raise wrong_type(value, "resources", "JsonObject")
    resources: JsonObject = {}
    for key, resource in value.items():
        normalized = validate_resource_key(key)
        resources[normalized] = validate_resource(resource, normalized)
    return resources


def validate_importable(value: JsonValue) -> str:
    if not isinstance(value, str):
        raise wrong_type(value, "importable", "String")
    if value not in IMPORTABLE_TYPES:
        raise PolicyEntryInvalid(
            description=f"The value '{value}' of field '/importable' is not valid. Valid values are: "
            "[implicit, explicit, never]"
        )
    return value


def validate_namespaces(value: JsonValue) -> list[JsonValue]:
    """Namespace patterns: `com.acme` (exactly) or `com.acme.*` (strictly below); duplicates dropped."""
    if not isinstance(value, list):
        raise wrong_type(value, "namespaces", "JsonArray")
    patterns: list[str] = []
    for item in value:
        if not isinstance(item, str):
            raise PolicyEntryInvalid(
                description=f"The 'namespaces' array must only contain string values, but contained: {render(item)}."
            )
        prefix = item[:-2] if item.endswith(".*") else item
        if not prefix or not is_valid_namespace(prefix):
            raise PolicyEntryInvalid(
                description=f"The value '{item}' is not a valid namespace pattern. Valid patterns are namespaces "
                "like 'com.acme' or wildcard patterns like 'com.acme.*'."
            )
        patterns.append(item)
    return unique(patterns)


def namespace_matches(patterns: JsonValue, namespace: str) -> bool:
    """Ditto `PolicyEntryNamespaces.matches`: no patterns match everything."""
    if not isinstance(patterns, list) or not patterns:
        return True
    for pattern in patterns:
        if isinstance(pattern, str):
            if pattern.endswith(".*") and namespace.startswith(pattern[:-1]):
                return True
            if namespace == pattern:
                return True
    return False


def validate_allowed_additions(value: JsonValue) -> list[JsonValue]:
    if not isinstance(value, list):
        raise wrong_type(value, "allowedAdditions", "JsonArray")
    additions: list[str] = []
    for index, item in enumerate(value):
        if not isinstance(item, str):
            raise PolicyEntryInvalid(
                description=f"The 'allowedAdditions' array contains a non-string element at index {index}: "
                f"{render(item)}. Every element must be a string from [subjects, resources, namespaces]."
            )
        if item not in ALLOWED_ADDITIONS:
            raise PolicyEntryInvalid(
                description=f"The value '{item}' is not a valid allowedAddition. Valid values are: "
                "[subjects, resources, namespaces]."
            )
        additions.append(item)
    return unique(additions)


def _validate_reference(value: JsonObject) -> JsonObject:
    label = value.get("entry")
    if label is None:
        raise JsonFieldMissing("JSON did not include required </entry> field!")
    if not isinstance(label, str):
        raise wrong_type(label, "entry", "String")
    reference: JsonObject = {}
    if "import" in value:
        imported = value["import"]
        if not isinstance(imported, str) or not imported:
            if imported is None:
                received, detail = "null", "Null is not accepted."
            elif imported == "":
                received, detail = '""', "Empty string is not accepted."
            else:
                received = render(imported)
                detail = 'Only non-empty string values are accepted (e.g. "policy:identifier").'
            raise PolicyJsonInvalid(
                f"The 'import' field of an entry reference must be a non-empty string. Received: {received}.",
                f"To create a local reference, omit the 'import' field entirely. {detail}",
            )
        reference["import"] = str(parse_policy_id(imported))
    reference["entry"] = validate_label(label)
    return reference


def validate_references(value: JsonValue) -> list[JsonValue]:
    """References `{"import"?: policyId, "entry": label}`, kept as written; the referenced entries' subjects,
    resources and namespaces are merged into the referencing entry where the policy is resolved (see
    `twinhub.model.policy.references`), their integrity is checked with the whole policy (`check_references`)."""
    if not isinstance(value, list):
        raise wrong_type(value, "references", "JsonArray")
    references: list[JsonValue] = []
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            raise PolicyEntryInvalid(
                description=f"The 'references' array contains a non-object element at index {index}: "
                f"{render(item)}. Every element must be a JSON object with at least an 'entry' field."
            )
        references.append(_validate_reference(item))
    return references


def validate_entry(value: JsonValue, *, now: datetime, expiry_granularity: timedelta) -> JsonObject:
    """One entry in Ditto's field order; `importable` defaults to `implicit` and is always rendered."""
    entry = as_object(value)
    subjects = object_field(entry, "subjects")
    resources = object_field(entry, "resources")
    result: JsonObject = {
        "subjects": validate_subjects(subjects or {}, now=now, expiry_granularity=expiry_granularity),
        "resources": validate_resources(resources or {}),
    }
    if entry.get("namespaces") is not None:
        result["namespaces"] = validate_namespaces(entry["namespaces"])
    result["importable"] = "implicit" if entry.get("importable") is None else validate_importable(entry["importable"])
    if entry.get("allowedAdditions") is not None:
        result["allowedAdditions"] = validate_allowed_additions(entry["allowedAdditions"])
    if entry.get("references") is not None:
        references = validate_references(entry["references"])
        if references:
            result["references"] = references
    return result


def validate_entries(value: JsonValue, *, now: datetime, expiry_granularity: timedelta) -> JsonObject:
    if not isinstance(value, dict):
        raise wrong_type(value, "entries", "JsonObject")
    return {
        validate_label(label): validate_entry(entry, now=now, expiry_granularity=expiry_granularity)
        for label, entry in value.items()
    }
