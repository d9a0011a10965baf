"""The `condition` of a request: an RQL filter the current thing must match (Ditto's conditional requests).

As Ditto's enforcement (`ThingCommandEnforcement.enforceReadPermissionOnCondition`), the caller needs
unrestricted READ on every field the condition names, else it fails (412) without being evaluated: so
`not(exists(attributes/secret))` cannot confirm that a revoked field is there. It is then evaluated in memory
on what the caller may READ of the thing (plus its `_revision`, `_created` and `_modified`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from twinhub.model.errors import ThingConditionFailed, ThingConditionInvalid
from twinhub.model.events import Thing, format_timestamp
from twinhub.model.policy import READ
from twinhub.model.types import JsonObject, JsonValue, Pointer
from twinhub.policy import Enforcer
from twinhub.rql import (
    And,
    Comparison,
    Empty,
    Exists,
    In,
    Node,
    Not,
    Or,
    RqlInvalid,
    matches,
    parse_filter,
    resolve_field,
    resolve_placeholders,
    validate_filter_fields,
)


@dataclass(frozen=True, slots=True)
class Condition:
    text: str
    node: Node


def parse_condition(text: str) -> Condition:
    """The `condition` of a request as a checked RQL filter; 400 `things:condition.invalid` otherwise."""
    try:
        node = parse_filter(text)
        validate_filter_fields(node)
    except RqlInvalid as error:
        raise ThingConditionInvalid(error.message) from None
    return Condition(text, node)


def check_condition(condition: Condition | None, thing: Thing, view: JsonValue, now: datetime) -> None:
    """Raise 412 `things:condition.failed` unless the readable view of `thing` matches `condition`."""
    if condition is not None and not condition_holds(condition, thing, view, now):
        raise ThingConditionFailed(thing.thing_id, condition.text)


def condition_holds(condition: Condition, thing: Thing, view: JsonValue, now: datetime) -> bool:
    """Whether `view` (of `thing`, with its `_revision`, `_created` and `_modified`) matches `condition`."""
    readable: JsonObject = dict(view) if isinstance(view, dict) else {"thingId": thing.thing_id}
    readable.update({"_revision": thing.revision, "_created": format_timestamp(thing.created),
                     "_modified": format_timestamp(thing.modified)})
    return matches(resolve_placeholders(condition.node, now), readable)


def condition_resources(node: Node) -> list[Pointer]:
    """The thing resource each field of a checked condition names (Ditto `PoliciesResourceType.thingResource` of
    the field name): a JSON field's pointer, a simple field's own name (`_revision` is `thing:/_revision`)."""
    resources: list[Pointer] = []
    for field, for_exists in _fields(node):
        path = resolve_field(field, for_exists=for_exists)
        resources.append(path.pointer if path.kind == "json" else (field.removeprefix("/"),))
    return resources


def _fields(node: Node) -> Iterator[tuple[str, bool]]:
    match node:
        case Comparison(_, field, _) | In(field, _):
            yield field, False
        case Exists(field) | Empty(field):
            yield field, True
        case And(children) | Or(children):
            for child in children:
                yield from _fields(child)
        case Not(child):
            yield from _fields(child)


def require_readable_condition(conditions: Iterable[Condition], enforcer: Enforcer, subjects: tuple[str, ...],
                               thing_id: str) -> None:
    """Raise 412 `things:condition.failed` unless the subjects may READ, unrestricted, every field the
    conditions name (Ditto's `ThingConditionFailedException.newBuilderForInsufficientPermission`)."""
    for condition in conditions:
        for resource in condition_resources(condition.node):
            if not enforcer.has_unrestricted(subjects, "thing", resource, [READ]):
                raise ThingConditionFailed(thing_id, condition.text, readable=False)
