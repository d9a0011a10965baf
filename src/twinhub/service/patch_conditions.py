"""Ditto 3.8's `merge-thing-patch-conditions`: a merge applies only the parts of its patch whose conditions hold.

The header is a JSON object of JSON pointers (relative to the merge's path, a leading `/` optional) to RQL
conditions (on the thing's root). Before the merge, each pointer that names a value in the patch (`null`
included) has its condition evaluated on the current thing, and the value is cut out of the patch when it does
not hold; objects left empty stay (Ditto's default, `remove-empty-objects-after-patch-condition-filtering =
false`), so such a merge still makes a new revision. A pointer the patch lacks is not evaluated; the empty
pointer is evaluated but cuts nothing (Ditto's `JsonObjectBuilder.remove`); a patch that is no object is merged
as sent (`PatchConditionsEvaluator`).

As for `condition`, the caller needs unrestricted READ on every field of every condition, evaluated or not
(`ThingCommandEnforcement.enforceReadPermissionOnPatchConditions`: 412). A value that is no JSON object of
strings is `header.invalid`, an invalid condition `things:condition.invalid` (400). A merge that creates its
thing has no current thing to ask: its conditions are parsed but cut nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from twinhub.model.errors import HeaderInvalid, TwinhubError
from twinhub.model.events import Thing
from twinhub.model.json import loads
from twinhub.model.pointer import delete_at, get_at, parse_pointer
from twinhub.model.types import MISSING, JsonObject, JsonValue, Pointer
from twinhub.service.conditions import Condition, condition_holds, parse_condition

__all__ = ["PATCH_CONDITIONS_HEADER", "PatchCondition", "filter_patch", "parse_patch_conditions"]

PATCH_CONDITIONS_HEADER = "merge-thing-patch-conditions"


@dataclass(frozen=True, slots=True)
class PatchCondition:
    """The condition under which the part of a patch at `pointer` is merged."""

    pointer: Pointer
    condition: Condition


def parse_patch_conditions(text: str) -> tuple[PatchCondition, ...]:
    """The header's conditions in their order; raises `header.invalid` unless `text` is a JSON object of
    strings with valid pointers as keys, and `things:condition.invalid` for a condition that is no RQL filter."""
    try:
        content = loads(text.encode())
        if not isinstance(content, dict) or not all(isinstance(value, str) for value in content.values()):
            raise ValueError("not a JSON object of strings")
        pairs = [(parse_pointer(key), str(value)) for key, value in content.items()]
    except (ValueError, TwinhubError):
        raise HeaderInvalid(PATCH_CONDITIONS_HEADER, text, "JSON object of JSON pointers to RQL conditions") from None
    return tuple(PatchCondition(pointer, parse_condition(value)) for pointer, value in pairs)


def filter_patch(patch: JsonValue, conditions: Sequence[PatchCondition], thing: Thing, now: datetime) -> JsonValue:
    """`patch` without the values whose conditions do not hold on `thing` (as Ditto, the whole current thing: the
    caller may READ every field they name). Neither input is mutated."""
    if not isinstance(patch, dict):
        return patch
    result: JsonObject = patch
    for patch_condition in conditions:
        pointer = patch_condition.pointer  # the empty one cuts nothing in Ditto (JsonObjectBuilder.remove)
        if pointer and get_at(result, pointer) is not MISSING \
                and not condition_holds(patch_condition.condition, thing, thing.doc, now):
            result = delete_at(result, pointer)
    return result
