"""How answers show a thing, whatever the edge: the caller's view, the asked-for `_` fields, the `fields`
selection (a GET, a Ditto Protocol `retrieve`, a search hit)."""

from __future__ import annotations

from twinhub.model.events import Thing, format_timestamp
from twinhub.model.fields import FieldSelector, select
from twinhub.model.thing import SPECIAL_FIELDS
from twinhub.model.types import JsonObject, JsonValue

__all__ = ["project_thing", "project_value", "with_special_fields"]



def with_special_fields(thing: Thing, view: JsonObject, selector: FieldSelector | None) -> JsonObject:
    """The (readable view of the) thing JSON, plus the `_`-prefixed fields the selector asks for."""
    if selector is None:
        return view
    wanted = selector.top_level_keys()
    specials: JsonObject = {
        "_namespace": thing.thing_id.split(":", 1)[0],
        "_revision": thing.revision,
        "_created": format_timestamp(thing.created),
        "_modified": format_timestamp(thing.modified),
    }
    extra = {key: specials[key] for key in SPECIAL_FIELDS if key in wanted}
    return {**view, **extra} if extra else view


def project_thing(thing: Thing, view: JsonObject, selector: FieldSelector | None) -> JsonValue:
    """A thing as answers show it: the caller's view, the asked-for special fields, the `fields` selection."""
    return project_value(with_special_fields(thing, view, selector), selector)


def project_value(value: JsonValue, selector: FieldSelector | None) -> JsonValue:
    if selector is None or not isinstance(value, dict):
        return value
    return select(value, selector)
