"""The `condition` of a request: an RQL filter the current thing must match (Ditto's conditional requests).

Evaluated in memory on what the caller may READ of the thing (plus its `_revision`, `_created` and
`_modified`), so a condition cannot probe fields the caller cannot see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from twinhub.model.errors import ThingConditionFailed, ThingConditionInvalid
from twinhub.model.events import Thing, format_timestamp
from twinhub.model.types import JsonObject, JsonValue
from twinhub.rql import Node, RqlInvalid, matches, parse_filter, resolve_placeholders, validate_filter_fields


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
    if condition is None:
        return
    readable: JsonObject = dict(view) if isinstance(view, dict) else {"thingId": thing.thing_id}
    readable.update({"_revision": thing.revision, "_created": format_timestamp(thing.created),
                     "_modified": format_timestamp(thing.modified)})
    if not matches(resolve_placeholders(condition.node, now), readable):
        raise ThingConditionFailed(thing.thing_id, condition.text)
