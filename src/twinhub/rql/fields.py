"""What an RQL property names in a thing: Ditto's field whitelist (`ThingsFieldExpressionFactoryImpl`).

After one leading `/` is stripped:

    thingId  _namespace | namespace  policyId  _revision  _created  _modified  definition     simple fields
    _metadata  _metadata/<ptr>  attributes/<ptr>                                            JSON pointers
    features/<id>/properties/<ptr>  features/<id>/desiredProperties/<ptr>  features/<id>/definition
    exists/empty also: features/<id>  features/<id>/properties  features/<id>/desiredProperties
    sort: the simple fields, _metadata…, attributes/<ptr>, feature (desired) properties (not definitions)

`<id>` is one key (`*` stays, meaning every feature); a trailing `/` after `properties`, `desiredProperties` or
`definition` is allowed. Bare `attributes` is unknown, `attributes/` names the attributes object. `_namespace` is
Ditto's name in conditions, `namespace` the one in search; both are accepted. Pointers are read as Ditto's
`JsonPointer.of`: empty keys skipped, `~0` is `~`, `//` is an error.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Literal, TypeAlias

from twinhub.model.errors import RqlInvalid, RqlOptionInvalid
from twinhub.rql.ast import And, Comparison, Empty, Exists, In, Node, Not, Option, Or, Placeholder, SortOption, Value
from twinhub.rql.placeholders import check_placeholder

__all__ = [
    "FieldKind",
    "FieldPath",
    "resolve_field",
    "resolve_sort_field",
    "validate_filter_fields",
    "validate_sort_fields",
]

FieldKind: TypeAlias = Literal[
    "thingId", "namespace", "policyId", "revision", "created", "modified", "definition", "json"
]


@dataclass(frozen=True, slots=True)
class FieldPath:
    """A resolved property: a simple field of the thing, or (`kind == "json"`) a pointer into the thing's JSON.

    `pointer` is empty for simple fields; for JSON fields it starts at the thing root, e.g.
    `("attributes", "location", "room")` or `("features", "*", "properties", "on")`.
    """

    kind: FieldKind
    pointer: tuple[str, ...] = ()


_SIMPLE: dict[str, FieldKind] = {
    "thingId": "thingId",
    "_namespace": "namespace",
    "namespace": "namespace",
    "policyId": "policyId",
    "_revision": "revision",
    "_created": "created",
    "_modified": "modified",
    "definition": "definition",
}
# Java's `.` in FieldExpressionUtil's patterns matches anything but a line terminator; `[^/]++` anything but '/'.
_ANY = "[^\n\r\x85\u2028\u2029]"
_FEATURE_PROPERTY = re.compile(f"features/([^/]+)/(properties|desiredProperties)/({_ANY}+)")
_FEATURE_PROPERTIES = re.compile("features/([^/]+)/(properties|desiredProperties)/?")
_FEATURE_DEFINITION = re.compile("features/([^/]+)/definition/?")
_FEATURE = re.compile("features/([^/]+)")

_Mode: TypeAlias = Literal["filter", "exists", "sort"]


def resolve_field(text: str, *, for_exists: bool = False) -> FieldPath:
    """The field a filter property names; `for_exists` also admits whole features and property objects.

    Raises `RqlInvalid` ("Unknown property name: …") for anything else, and for pointers with `//`.
    """
    path = _resolve(text, "exists" if for_exists else "filter", RqlInvalid)
    if path is None:
        raise RqlInvalid(f"Unknown property name: {text}")
    return path


def resolve_sort_field(text: str) -> FieldPath:
    """The field a sort option names; raises `RqlOptionInvalid` for an unknown one."""
    path = _resolve(text, "sort", RqlOptionInvalid)
    if path is None:
        raise RqlOptionInvalid(f"Unknown property name: {text}")
    return path


def validate_filter_fields(node: Node, *, placeholders: Collection[str] = ()) -> None:
    """Check what Ditto checks when it turns a parsed filter into criteria, raising `RqlInvalid`.

    Every property must resolve (`resolve_field`), unless it is one of `placeholders` (names such as
    `topic:action` that event filters accept); like/ilike take string values only. Beyond Ditto (which
    silently reads an unsupported placeholder value as null), `time:` values must have a supported form.
    """
    stack: list[Node] = [node]
    while stack:
        match stack.pop():
            case Comparison(op, field, value):
                if op in ("like", "ilike") and not isinstance(value, str):
                    raise RqlInvalid(f"In the {op} predicate only string values are allowed.")
                if field not in placeholders:
                    resolve_field(field)
                _check_value(value)
            case In(field, values):
                if field not in placeholders:
                    resolve_field(field)
                for value in values:
                    _check_value(value)
            case Exists(field) | Empty(field):
                if field not in placeholders:
                    resolve_field(field, for_exists=True)
            case And(children) | Or(children):
                stack.extend(reversed(children))
            case Not(child):
                stack.append(child)


def _check_value(value: Value) -> None:
    if isinstance(value, Placeholder):
        check_placeholder(value)


def validate_sort_fields(options: Iterable[Option]) -> None:
    """Check that every sort option names a sortable field, raising `RqlOptionInvalid`."""
    for option in options:
        if isinstance(option, SortOption):
            for _, field in option.fields:
                resolve_sort_field(field)


def _resolve(text: str, mode: _Mode, error: type[RqlInvalid] | type[RqlOptionInvalid]) -> FieldPath | None:
    name = text[1:] if text.startswith("/") else text
    feature = _feature_field(name, mode)
    if feature is not None:
        return FieldPath("json", _pointer(feature, error))
    if name.startswith("attributes/") or name.startswith("_metadata/"):
        return FieldPath("json", _pointer("/" + name, error))
    if name == "_metadata":
        return FieldPath("json", ("_metadata",))
    kind = _SIMPLE.get(name)
    return FieldPath(kind) if kind is not None else None


def _feature_field(name: str, mode: _Mode) -> str | None:
    """The Ditto pointer text of a feature field `mode` admits, or None (then the common fields are tried)."""
    match = _FEATURE_PROPERTY.fullmatch(name)
    if match:
        return f"/features/{match[1]}/{match[2]}/{match[3]}"
    if mode == "sort":
        return None
    match = _FEATURE_DEFINITION.fullmatch(name)
    if match:
        return f"/features/{match[1]}/definition"
    if mode == "filter":
        return None
    match = _FEATURE_PROPERTIES.fullmatch(name)
    if match:
        return f"/features/{match[1]}/{match[2]}"
    match = _FEATURE.fullmatch(name)
    return f"/features/{match[1]}" if match else None


def _pointer(text: str, error: type[RqlInvalid] | type[RqlOptionInvalid]) -> tuple[str, ...]:
    if "//" in text:
        raise error(f"JSON pointer <{text}> is invalid: Consecutive slashes in JSON pointers are not supported.")
    return tuple(key.replace("~0", "~") for key in text.split("/") if key)
