"""What Ditto refuses of a merge patch at the edge that received it, before the patch becomes a command.

Ditto builds its `MergeThing` in the gateway (`ThingsRoute`, `FeaturesRoute`) and in the protocol adapter
(`ThingMergeCommandMappingStrategies`). Both refuse a patch of the whole thing that is `null` or names none of
a thing's fields (`{}`, or only keys a thing does not have): `things:merge.invalid`, whether the thing exists
or not (`MergeThing.withThing` -> `ensureThingIsNotNullOrEmpty`). The gateway first parses the body of an
object resource as a JSON object (a feature definition as an array), so over HTTP a patch of another type is
`json.invalid`; the protocol adapter fails on it with `json.format.invalid`, which the command's own
validation (`twinhub.model.thing.validate_part`) answers already.

Journal replay does not pass through here: events committed before these checks still replay.
"""

from __future__ import annotations

from twinhub.model.errors import JsonParseInvalid, ThingMergeInvalid
from twinhub.model.json import dumps
from twinhub.model.resources import Resource
from twinhub.model.thing import THING_FIELDS
from twinhub.model.types import JsonValue

__all__ = ["check_http_patch", "check_thing_patch"]

# The resources whose HTTP body Ditto's gateway parses as a JSON object; `null` (a delete) passes too.
_OBJECT_RESOURCES = frozenset({Resource.THING, Resource.ATTRIBUTES, Resource.FEATURES, Resource.FEATURE,
                               Resource.FEATURE_PROPERTIES, Resource.FEATURE_DESIRED_PROPERTIES})


def check_thing_patch(patch: JsonValue) -> None:
    """Raise `things:merge.invalid` for a patch of the whole thing that is `null` or names none of its fields."""
    if patch is None:
        raise ThingMergeInvalid()
    if isinstance(patch, dict) and not any(key in THING_FIELDS for key in patch):
        raise ThingMergeInvalid()


def check_http_patch(resource: Resource, patch: JsonValue) -> None:
    """Refuse what Ditto's gateway refuses of a PATCH body at `resource`: for the whole thing, `null` or an object
    naming none of its fields (`things:merge.invalid`) and any non-object (`json.invalid`); for the other object
    resources a value that is neither an object nor `null`, for a feature definition one that is neither an
    array nor `null` (`json.invalid`)."""
    if resource in _OBJECT_RESOURCES and patch is not None and not isinstance(patch, dict):
        raise JsonParseInvalid(f"<{_shown(patch)}> is not a valid JSON object!")
    if resource is Resource.FEATURE_DEFINITION and patch is not None and not isinstance(patch, list):
        raise JsonParseInvalid(f"<{_shown(patch)}> is not a valid JSON array!")
    if resource is Resource.THING:
        check_thing_patch(patch)


_SHOWN = 100  # characters of the client's value an error message repeats


def _shown(value: JsonValue) -> str:
    text = dumps(value).decode()
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "..."
