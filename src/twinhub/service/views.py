"""How answers show a thing, whatever the edge: the caller's view, the asked-for `_` fields, the `fields`
selection (a GET, a Ditto Protocol `retrieve`, a search hit), and the thing's policy inlined as `_policy`."""

from __future__ import annotations

from collections.abc import Sequence

from twinhub.model.events import Thing, format_timestamp
from twinhub.model.fields import FieldSelector, select
from twinhub.model.metadata import METADATA_FIELD
from twinhub.model.thing import INLINE_POLICY, SPECIAL_FIELDS
from twinhub.model.types import JsonObject, JsonValue
from twinhub.service.policies import PolicyService

__all__ = ["LIFECYCLE", "inline_policies", "project_thing", "project_things", "project_value", "wants_field",
           "wants_policy", "with_special_fields"]

# Ditto's hidden special field `Thing.JsonFields.LIFECYCLE`, selected only by name. A thing an answer shows is
# always `ACTIVE`: a deleted one (Ditto's `DELETED`) is answered 404.
LIFECYCLE = "__lifecycle"


def with_special_fields(thing: Thing, view: JsonObject, selector: FieldSelector | None) -> JsonObject:
    """The (readable view of the) thing JSON, plus the `_`-prefixed fields the selector asks for. A view may carry
    the thing's readable `_metadata` (`ThingService.view`): it stays only where the selector asks for it, as Ditto
    shows metadata only when selected."""
    if selector is None:
        return view if METADATA_FIELD not in view else _without_metadata(view)
    wanted = selector.top_level_keys()
    if METADATA_FIELD in view and METADATA_FIELD not in wanted:
        view = _without_metadata(view)
    specials: JsonObject = {
        "_namespace": thing.thing_id.split(":", 1)[0],
        "_revision": thing.revision,
        "_created": format_timestamp(thing.created),
        "_modified": format_timestamp(thing.modified),
    }
    extra = {key: specials[key] for key in SPECIAL_FIELDS if key in wanted}
    if LIFECYCLE in wanted:
        extra[LIFECYCLE] = "ACTIVE"
    return {**view, **extra} if extra else view


def _without_metadata(view: JsonObject) -> JsonObject:
    return {key: value for key, value in view.items() if key != METADATA_FIELD}


def project_thing(thing: Thing, view: JsonObject, selector: FieldSelector | None) -> JsonValue:
    """A thing as answers show it: the caller's view, the asked-for special fields, the `fields` selection."""
    return project_value(with_special_fields(thing, view, selector), selector)


def project_value(value: JsonValue, selector: FieldSelector | None) -> JsonValue:
    if selector is None or not isinstance(value, dict):
        return value
    return select(value, selector)


async def project_things(policies: PolicyService, found: Sequence[tuple[Thing, JsonObject]],
                         selector: FieldSelector | None, subjects: tuple[str, ...]) -> list[JsonValue]:
    """Things as a list or search answers them: each projected, with its policy inlined where `selector` asks."""
    projected = [project_thing(thing, view, selector) for thing, view in found]
    if not wants_policy(selector):
        return projected
    return await inline_policies(policies, [thing for thing, _ in found], projected, subjects)


def wants_field(selector: FieldSelector | None, name: str) -> bool:
    """Whether the selector asks for the top-level field `name` (or something below it)."""
    return selector is not None and name in selector.top_level_keys()


def wants_policy(selector: FieldSelector | None) -> bool:
    """Whether the selector asks for the thing's policy (a pointer below `_policy` asks for all of it, as in
    Ditto's SupervisorInlinePolicyEnrichment.shouldRetrievePolicyWithThing)."""
    return selector is not None and INLINE_POLICY in selector.top_level_keys()


async def inline_policies(policies: PolicyService, things: Sequence[Thing], projected: list[JsonValue],
                          subjects: tuple[str, ...]) -> list[JsonValue]:
    """`projected` (the answers showing `things`, in order) with each thing's policy as `_policy`, where the
    subjects may READ it; the others as they are. Each policy is looked up once."""
    found: dict[str, JsonObject | None] = {}
    inlined: list[JsonValue] = []
    for thing, value in zip(things, projected, strict=True):
        policy_id = thing.doc.get("policyId")
        if isinstance(value, dict) and isinstance(policy_id, str):
            if policy_id not in found:
                found[policy_id] = await policies.inlined(policy_id, subjects)
            if (policy := found[policy_id]) is not None:
                value = {**value, INLINE_POLICY: policy}
        inlined.append(value)
    return inlined
