"""Skeletons: the initial attributes of a thing, or properties of a feature, that a resolved Thing Model implies.

Ditto's rules (`wot/api/.../generator/DefaultWotThingSkeletonGenerator.java`): each TM property gives a value,
its `const`, else its `default`, else for an object with `required` members an object of those members' initial
values (null where they have none), else the neutral element of its `type` (false, 0, 0.0, "", {}, [], null;
the epoch for `date-time`, `date` and `time` strings); a property without any of these gives nothing. Properties
listed in `tm:optional` (`/properties/<name>`) are left out unless the configuration asks for them. A property
with the Ditto extension's `category` (`"@context": [..., {"ditto": "https://ditto.eclipseprojects.io/wot/ditto-extension#"}]`,
`"ditto:category": "status"`) is nested one level deeper, under its category.
"""

from __future__ import annotations

from twinhub.model.types import MISSING, JsonObject, JsonValue, Missing

__all__ = ["DITTO_EXTENSION", "initial_properties", "initial_value"]

DITTO_EXTENSION = "https://ditto.eclipseprojects.io/wot/ditto-extension#"
_EPOCH = {"date-time": "1970-01-01T00:00:00Z", "date": "1970-01-01", "time": "00:00:00Z"}
_NEUTRAL: dict[str, JsonValue] = {"boolean": False, "integer": 0, "number": 0.0, "string": "", "null": None}


def initial_value(schema: JsonValue) -> JsonValue | Missing:
    """The value a data schema starts with (MISSING: none)."""
    if not isinstance(schema, dict):
        return MISSING
    if "const" in schema:
        return schema["const"]
    if "default" in schema:
        return schema["default"]
    kind = schema.get("type")
    if kind == "object":
        required = schema.get("required")
        members = schema.get("properties")
        if isinstance(required, list) and required:
            members = members if isinstance(members, dict) else {}
            out: JsonObject = {}
            for name, member in members.items():
                if name in required:
                    value = initial_value(member)
                    out[name] = None if isinstance(value, Missing) else value
            return out
        return {}
    if kind == "array":
        return []
    if kind == "string":
        fmt = schema.get("format")
        return _EPOCH.get(fmt, "") if isinstance(fmt, str) else ""
    if isinstance(kind, str) and kind in _NEUTRAL:
        return _NEUTRAL[kind]
    return MISSING


def _extension_prefix(model: JsonObject) -> str | None:
    context = model.get("@context")
    entries = context if isinstance(context, list) else [context]
    for entry in entries:
        if isinstance(entry, dict):
            for prefix, iri in entry.items():
                if iri == DITTO_EXTENSION:
                    return prefix
    return None


def initial_properties(model: JsonObject, *, with_optional: bool) -> JsonObject:
    """The attributes (of a thing) or properties (of a feature) the model's `properties` start with."""
    properties = model.get("properties")
    if not isinstance(properties, dict):
        return {}
    optional = model.get("tm:optional")
    skipped = set() if with_optional or not isinstance(optional, list) else \
        {entry for entry in optional if isinstance(entry, str)}
    category_key = f"{prefix}:category" if (prefix := _extension_prefix(model)) else None
    plain: JsonObject = {}
    categories: dict[str, JsonObject] = {}
    for name, schema in properties.items():
        if f"/properties/{name}" in skipped:
            continue
        value = initial_value(schema)
        if isinstance(value, Missing):
            continue
        category = schema.get(category_key) if category_key and isinstance(schema, dict) else None
        if isinstance(category, str):
            categories.setdefault(category, {})[name] = value
        else:
            plain[name] = value
    return {**categories, **plain}
