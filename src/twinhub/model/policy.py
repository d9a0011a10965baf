"""Ditto policy documents: validated and normalized JSON, expiring subjects, lock-out prevention.

A policy stays plain JSON, rendered as Ditto renders it (`ImmutablePolicy.toJson`):

    {"policyId": ..., "imports": {...}, "entries": {<label>: {"subjects", "resources", "namespaces"?,
     "importable", "allowedAdditions"?, "references"?}}}

Unknown fields are dropped at every level, as Ditto's `fromJson` only reads the fields it knows.
Time is an argument (`now`), never read from a clock.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from twinhub.model.errors import (
    JsonFieldMissing,
    JsonInvalid,
    JsonPointerInvalid,
    PolicyEntryInvalid,
    PolicyIdNotSettable,
    PolicyImportInvalid,
    PolicyImportsTooLarge,
    PolicyJsonInvalid,
    PolicyLabelInvalid,
    PolicyModificationInvalid,
    PolicyTooLarge,
    SubjectExpiryInvalid,
    SubjectIdInvalid,
)
from twinhub.model.ids import is_valid_namespace, parse_policy_id
from twinhub.model.types import JsonArray, JsonObject, JsonValue

DEFAULT_MAX_POLICY_SIZE = 100 * 1024  # Ditto `ditto.limits.policies.max-size = 100k`
DEFAULT_MAX_IMPORTS = 10  # Ditto `ditto.limits.policies.imports-limit`
DEFAULT_EXPIRY_GRANULARITY = timedelta(hours=1)  # Ditto `policies.policy.subject-expiry-granularity`
DEFAULT_ENTRY_LABEL = "DEFAULT"
DEFAULT_SUBJECT_TYPE = "generated"  # Ditto `SubjectType.GENERATED`, used for the implicit policy

RESOURCE_TYPES = ("thing", "policy", "message")
PERMISSIONS = ("READ", "WRITE", "EXECUTE")
IMPORTABLE_TYPES = ("implicit", "explicit", "never")
ALLOWED_ADDITIONS = ("subjects", "resources", "namespaces")

# Ditto's RegexPatterns.CONTROL_CHARS (note: the whole 0x7F-0xFF range) and the 256-char limit of its validators.
_CONTROL_CHAR = re.compile(r"[\x00-\x1F\x7F-\xFF]")
_MAX_LENGTH = 256
# Ditto's Placeholders: `{{ ... }}` or legacy `${...}`; a subject id holding one needs no issuer.
_PLACEHOLDER = re.compile(r"\{\{\s*(?:}[^}]|[^}])*\s*}}|\$\{[^}]*}")
# java.time.Instant.parse (ISO_INSTANT, case-insensitive): seconds required, 0-9 fraction digits, `Z` or an offset.
_INSTANT = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2}(?::\d{2})?)",
    re.ASCII,
)
_LOCKOUT_REASON = "It must contain at least one permanent Subject with permission(s) <[WRITE]> on resource <policy:/>!"


# -- small helpers -------------------------------------------------------------------------------------------


def render(value: JsonValue) -> str:
    """Compact JSON, as Ditto prints values inside error messages."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _wrong_type(value: JsonValue, field: str, java_type: str) -> PolicyJsonInvalid:
    return PolicyJsonInvalid(f"Value <{render(value)}> for </{field}> is not of type <{java_type}>!")


def _not_empty(value: str, argument: str) -> str:
    if not value:
        raise JsonInvalid(f"The argument '{argument}' must not be empty!")
    return value


def _object_field(obj: JsonObject, field: str) -> JsonObject | None:
    value = obj.get(field)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _wrong_type(value, field, "JsonObject")
    return value


def _array_field(obj: JsonObject, field: str) -> JsonArray | None:
    value = obj.get(field)
    if value is None:
        return None
    if not isinstance(value, list):
        raise _wrong_type(value, field, "JsonArray")
    return value


def _as_object(value: JsonValue) -> JsonObject:
    if not isinstance(value, dict):
        raise PolicyJsonInvalid(f"<{render(value)}> is not a JSON object!")
    return value


def _invalid_chars_reason(text: str, *, slashes: bool) -> str | None:
    """Ditto's NoControlCharacters(NoSlashes)Validator: the reason `text` is invalid, or None."""
    if len(text) > _MAX_LENGTH:
        return f"Not allowed to exceed length of {_MAX_LENGTH}."
    if slashes and ("/" in text or _CONTROL_CHAR.search(text)):
        return "Neither slashes nor any control characters are allowed."
    if _CONTROL_CHAR.search(text):
        return "No control characters are allowed."
    return None


def _unique(items: list[str]) -> list[JsonValue]:
    return list(dict.fromkeys(items))


# -- expiry --------------------------------------------------------------------------------------------------


def as_utc(moment: datetime) -> datetime:
    """`moment` in UTC; a naive datetime is taken to be UTC already."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_expiry(text: str) -> datetime:
    """Parse an ISO-8601 instant as `java.time.Instant.parse` does; sub-microsecond digits round up."""
    match = _INSTANT.fullmatch(text)
    if match is None:
        raise SubjectExpiryInvalid(text)
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    digits = (fraction or "").ljust(9, "0")
    micros, nanos = int(digits[:6]), int(digits[6:])
    try:
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micros, UTC)
        if offset not in ("Z", "z"):
            sign = -1 if offset[0] == "-" else 1
            parts = [int(part) for part in offset[1:].split(":")] + [0]
            moment -= sign * timedelta(hours=parts[0], minutes=parts[1], seconds=parts[2])
        return moment + timedelta(microseconds=1) if nanos else moment
    except (ValueError, OverflowError):
        raise SubjectExpiryInvalid(text) from None


def format_expiry(moment: datetime) -> str:
    """`Instant.toString()`: UTC with `Z`, seconds always, fraction only when non-zero (3 or 6 digits)."""
    moment = as_utc(moment)
    text = f"{moment.year:04d}-{moment:%m-%dT%H:%M:%S}"
    if moment.microsecond:
        fraction = f"{moment.microsecond:06d}"
        text += "." + (fraction[:3] if fraction.endswith("000") else fraction)
    return text + "Z"


# (unit, its name, the parent unit it is counted in), largest first, as Ditto's `calculateTemporalUnitAndAmount`.
_UNITS: tuple[tuple[timedelta, str, str], ...] = (
    (timedelta(days=1), "day", "month"),
    (timedelta(hours=1), "hour", "day"),
    (timedelta(minutes=1), "minute", "hour"),
    (timedelta(seconds=1), "second", "minute"),
    (timedelta(milliseconds=1), "millisecond", "second"),
    (timedelta(microseconds=1), "microsecond", "millisecond"),
)


def _truncate(moment: datetime, unit: str) -> datetime:
    if unit == "month":
        return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if unit == "day":
        return moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit == "hour":
        return moment.replace(minute=0, second=0, microsecond=0)
    if unit == "minute":
        return moment.replace(second=0, microsecond=0)
    if unit == "second":
        return moment.replace(microsecond=0)
    if unit == "millisecond":
        return moment.replace(microsecond=moment.microsecond - moment.microsecond % 1000)
    return moment


def round_expiry(moment: datetime, granularity: timedelta) -> datetime:
    """Round `moment` up as Ditto's `AbstractPolicyCommandStrategy.roundPolicySubjectExpiry` does.

    The largest whole unit of `granularity` (days, hours, minutes, seconds, ms, µs) counts from the start of
    its parent unit (month, day, hour, ...): 1h rounds 10:20 up to 11:00, 2h rounds 11:00 up to 12:00, 15min
    rounds 10:20 up to 10:30; a moment already on the grid stays. A zero granularity leaves it as it is.
    """
    moment = as_utc(moment)
    for unit, name, parent in _UNITS:  # noqa: B007 - the loop picks the unit to round to
        amount = granularity // unit
        if amount > 0:
            break
    else:
        return moment
    truncated = _truncate(moment, name)
    delta = ((truncated - _truncate(moment, parent)) // unit) % amount
    if truncated == moment and delta == 0:
        return moment
    return truncated + (amount - delta) * unit


def subject_expired(subject: JsonValue, now: datetime) -> bool:
    """Whether a (stored) subject has an expiry at or before `now`; an unreadable expiry never expires."""
    expiry = subject.get("expiry") if isinstance(subject, dict) else None
    if not isinstance(expiry, str):
        return False
    try:
        return parse_expiry(expiry) <= as_utc(now)
    except SubjectExpiryInvalid:
        return False


# -- the parts of an entry ------------------------------------------------------------------------------------


def validate_label(label: str) -> str:
    """A policy entry label (Ditto `ImmutableLabel.of`)."""
    _not_empty(label, "label value")
    if label.startswith(("imported", "nsimported")):
        raise PolicyLabelInvalid(label)
    reason = _invalid_chars_reason(label, slashes=True)
    if reason:
        raise PolicyEntryInvalid(f"The Policy Label {label} is invalid", reason)
    return label


def validate_subject_id(subject_id: str) -> str:
    """A subject id `<issuer>:<subject>`, normalized as Ditto's `ImmutableSubjectId` renders it.

    The issuer ends at the first `:`, or at the first `:` after a `://` (`https://idp.example:sub`); ids with
    a `{{ placeholder }}` need no issuer; an empty issuer (`:sub`) renders as the bare subject.
    """
    _not_empty(subject_id, "subjectIssuerWithId")
    if _PLACEHOLDER.search(subject_id):
        issuer, subject = "", subject_id
    else:
        scheme = subject_id.find("://")
        delimiter = subject_id.find(":", scheme + 3) if scheme >= 0 else subject_id.find(":")
        if delimiter < 0:
            raise SubjectIdInvalid(subject_id)
        issuer, subject = subject_id[:delimiter], subject_id[delimiter + 1 :]
    _not_empty(subject, "subject")
    reason = _invalid_chars_reason(f"{issuer}:{subject}", slashes=False)
    if reason:
        raise SubjectIdInvalid(f"{issuer}:{subject}", reason)
    return f"{issuer}:{subject}" if issuer else subject


def validate_subject(value: JsonValue, *, now: datetime, expiry_granularity: timedelta) -> JsonObject:
    """`{"type", "expiry"?, "announcement"?}`; the expiry is rounded up and must lie after `now`."""
    subject = _as_object(value)
    subject_type = subject.get("type")
    if subject_type is None:
        raise JsonFieldMissing("The 'type' for the 'subject' is missing.")
    if not isinstance(subject_type, str):
        raise _wrong_type(subject_type, "type", "String")
    result: JsonObject = {"type": _not_empty(subject_type, "subjectTypeValue")}
    expiry = subject.get("expiry")
    if expiry is not None:
        if not isinstance(expiry, str):
            raise _wrong_type(expiry, "expiry", "String")
        rounded = format_expiry(round_expiry(parse_expiry(expiry), expiry_granularity))
        if parse_expiry(rounded) <= as_utc(now):
            raise SubjectExpiryInvalid(rounded, in_past=True)
        result["expiry"] = rounded
    announcement = _object_field(subject, "announcement")
    if announcement is not None:
        result["announcement"] = announcement
    return result


def validate_subjects(value: JsonValue, *, now: datetime, expiry_granularity: timedelta) -> JsonObject:
    if not isinstance(value, dict):
        raise _wrong_type(value, "subjects", "JsonObject")
    subjects: JsonObject = {}
    for subject_id, subject in value.items():
        key = validate_subject_id(subject_id)
        subjects[key] = validate_subject(subject, now=now, expiry_granularity=expiry_granularity)
    return subjects


def split_resource_key(key: str) -> tuple[str, tuple[str, ...]]:
    """`thing:/features/lamp` -> ("thing", ("features", "lamp")); `thing:/` -> ("thing", ())."""
    resource_type, _, path = key.partition(":")
    return resource_type, tuple(part.replace("~0", "~") for part in path.strip("/").split("/") if part)


def validate_resource_key(key: str) -> str:
    """A resource key `<type>:<path>` (Ditto `PoliciesModelFactory.newResourceKey`), normalized to `type:/path`."""
    _not_empty(key, "typeWithPath")
    reason = _invalid_chars_reason(key, slashes=False)
    if reason:
        raise PolicyEntryInvalid(f"The Policy Resource {key} is invalid", reason)
    if ":" not in key:
        raise PolicyJsonInvalid("The provided string was not in the expected format 'type:path'")
    resource_type, _, path = key.partition(":")
    _not_empty(resource_type, "type")
    if resource_type not in RESOURCE_TYPES:
        raise PolicyEntryInvalid(
            f"The Policy Resource {key} is invalid",
            "The resource type must be one of 'thing', 'policy' or 'message'.",
        )
    if "//" in path:
        raise JsonPointerInvalid(path, "Consecutive slashes in JSON pointers are not supported.")
    return f"{resource_type}:/{path.strip('/')}"


def validate_resource(value: JsonValue, key: str) -> JsonObject:
    """`{"grant": [...], "revoke": [...]}` for the resource `key`; null or missing lists are empty."""
    if not isinstance(value, dict):
        raise PolicyJsonInvalid(
            f"The JSON object for the 'permissions' (grant/revoke) of the 'resource' '{key}' is missing or not an "
            "object."
        )
    resource: JsonObject = {}
    for effect in ("grant", "revoke"):
        items = _array_field(value, effect) or []
        permissions = [item for item in items if isinstance(item, str)]  # Ditto skips non-strings
        for permission in permissions:
            if permission not in PERMISSIONS:
                raise PolicyEntryInvalid(
                    f"The Policy Resource {key} is invalid",
                    f"The permission '{permission}' is unknown. Valid permissions are: [READ, WRITE, EXECUTE].",
                )
        resource[effect] = _unique(permissions)
    return resource


def validate_resources(value: JsonValue) -> JsonObject:
    if not isinstance(value, dict):
        raise _wrong_type(value, "resources", "JsonObject")
    resources: JsonObject = {}
    for key, resource in value.items():
        normalized = validate_resource_key(key)
        resources[normalized] = validate_resource(resource, normalized)
    return resources


def validate_importable(value: JsonValue) -> str:
    if not isinstance(value, str):
        raise _wrong_type(value, "importable", "String")
    if value not in IMPORTABLE_TYPES:
        raise PolicyEntryInvalid(
            description=f"The value '{value}' of field '/importable' is not valid. Valid values are: "
            "[implicit, explicit, never]"
        )
    return value


def validate_namespaces(value: JsonValue) -> list[JsonValue]:
    """Namespace patterns: `com.acme` (exactly) or `com.acme.*` (strictly below); duplicates dropped."""
    if not isinstance(value, list):
        raise _wrong_type(value, "namespaces", "JsonArray")
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
    return _unique(patterns)


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
        raise _wrong_type(value, "allowedAdditions", "JsonArray")
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
    return _unique(additions)


def _validate_reference(value: JsonObject) -> JsonObject:
    label = value.get("entry")
    if label is None:
        raise JsonFieldMissing("JSON did not include required </entry> field!")
    if not isinstance(label, str):
        raise _wrong_type(label, "entry", "String")
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
    """References `{"import"?: policyId, "entry": label}`, kept (Ditto resolves them at enforcement time)."""
    if not isinstance(value, list):
        raise _wrong_type(value, "references", "JsonArray")
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
    entry = _as_object(value)
    subjects = _object_field(entry, "subjects")
    resources = _object_field(entry, "resources")
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
        raise _wrong_type(value, "entries", "JsonObject")
    return {
        validate_label(label): validate_entry(entry, now=now, expiry_granularity=expiry_granularity)
        for label, entry in value.items()
    }


# -- imports ---------------------------------------------------------------------------------------------------


def validate_import_entries(value: JsonValue) -> list[JsonValue]:
    """The labels an import selects; non-string items are skipped as Ditto does."""
    if not isinstance(value, list):
        raise _wrong_type(value, "entries", "JsonArray")
    return _unique([validate_label(item) for item in value if isinstance(item, str)])


def validate_transitive_imports(value: JsonValue, policy_id: str) -> list[JsonValue]:
    """Policy ids of the imported policy's own imports to resolve too; never the importing policy itself."""
    if not isinstance(value, list):
        raise _wrong_type(value, "transitiveImports", "JsonArray")
    ids: list[JsonValue] = []
    for item in value:
        if not isinstance(item, str):
            raise PolicyImportInvalid(
                f"The 'transitiveImports' array contains a non-string element: {render(item)}",
                "Every element in 'transitiveImports' must be a string representing a valid policy ID.",
            )
        ids.append(str(parse_policy_id(item)))
    if policy_id in ids:
        raise PolicyImportInvalid(
            "The policy import contains a transitive resolution of the policy itself.",
            f"The 'transitiveImports' array must not contain the importing policy's own ID '{policy_id}'.",
        )
    return ids


def validate_import(value: JsonValue, imported_id: str, policy_id: str) -> JsonObject:
    """One import; `{}` stays `{}`, otherwise `entries` is always rendered, `transitiveImports` when non-empty."""
    imported = str(parse_policy_id(imported_id))
    if imported == policy_id:
        raise PolicyImportInvalid()
    if not isinstance(value, dict):
        raise PolicyJsonInvalid(
            f"The value of the policy import of the 'imported policy' with ID '{imported}' is missing or not an object."
        )
    if not value:
        return {}
    result: JsonObject = {"entries": validate_import_entries(value.get("entries") or [])}
    transitive = validate_transitive_imports(value.get("transitiveImports") or [], policy_id)
    if transitive:
        result["transitiveImports"] = transitive
    return result


def validate_imports(value: JsonValue, policy_id: str, *, max_imports: int = DEFAULT_MAX_IMPORTS) -> JsonObject:
    if not isinstance(value, dict):
        raise _wrong_type(value, "imports", "JsonObject")
    if len(value) > max_imports:
        raise PolicyImportsTooLarge(policy_id, max_imports)
    imports: JsonObject = {}
    for imported_id, policy_import in value.items():
        imports[str(parse_policy_id(imported_id))] = validate_import(policy_import, imported_id, policy_id)
    return imports


# -- the whole policy ------------------------------------------------------------------------------------------


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
    policy = _as_object(value)
    if "policyId" in policy and policy["policyId"] != policy_id:
        raise PolicyIdNotSettable()
    imports = _object_field(policy, "imports")
    entries = _object_field(policy, "entries")
    result: JsonObject = {
        "policyId": policy_id,
        "imports": validate_imports(imports or {}, policy_id, max_imports=max_imports),
        "entries": validate_entries(entries or {}, now=now, expiry_granularity=expiry_granularity),
    }
    check_policy_size(result, max_size=max_size)
    return result


def entries_of(doc: JsonObject) -> dict[str, JsonObject]:
    """The entries of a (normalized) policy; anything that is not an entry object is skipped."""
    entries = doc.get("entries")
    if not isinstance(entries, dict):
        return {}
    return {label: entry for label, entry in entries.items() if isinstance(entry, dict)}


def subjects_of(entry: JsonObject) -> JsonObject:
    """The subjects object of an entry (empty when missing or malformed)."""
    subjects = entry.get("subjects")
    return subjects if isinstance(subjects, dict) else {}


def drop_expired_subjects(doc: JsonObject, now: datetime) -> JsonObject:
    """The policy without subjects whose expiry is at or before `now` (Ditto deletes them); entries stay.

    Returns `doc` itself when nothing expired.
    """
    now = as_utc(now)
    entries = entries_of(doc)
    changed: JsonObject = {}
    for label, entry in entries.items():
        subjects = subjects_of(entry)
        if any(subject_expired(subject, now) for subject in subjects.values()):
            kept: JsonObject = {key: s for key, s in subjects.items() if not subject_expired(s, now)}
            changed[label] = {**entry, "subjects": kept}
    if not changed:
        return doc
    return {**doc, "entries": {label: changed.get(label, entry) for label, entry in entries.items()}}


def next_expiry(doc: JsonObject) -> datetime | None:
    """The earliest subject expiry in the policy (when `drop_expired_subjects` next changes it), if any."""
    moments = [
        parse_expiry(expiry)
        for entry in entries_of(doc).values()
        for subject in subjects_of(entry).values()
        if isinstance(subject, dict) and isinstance(expiry := subject.get("expiry"), str)
    ]
    return min(moments, default=None)


def default_policy(policy_id: str, subject: str) -> JsonObject:
    """Ditto's implicit policy for a thing created without one: entry `DEFAULT` granting `subject`
    READ and WRITE on `thing:/`, `policy:/` and `message:/` (`ThingEnforcerActor.getDefaultPolicy`)."""
    grant: JsonObject = {"grant": ["READ", "WRITE"], "revoke": []}
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
    return isinstance(permissions, list) and "WRITE" in permissions


def check_lockout(doc: JsonObject, *, now: datetime) -> None:
    """Ditto's `PoliciesValidator`: raise `policies:policy.modificationinvalid` (403) unless some subject
    without expiry is granted WRITE on exactly `policy:/` and no entry revokes WRITE there from the same subject.

    Policies with imports are not checked (the imported entries may grant it). Ditto disregards every
    expiring subject however far its expiry lies, so `now` does not change the outcome.
    """
    del now  # part of the interface; see the docstring
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
