"""Skeletons merged into what creates a thing or a feature (Ditto's `CreateThingStrategy` and
`ModifyFeatureStrategy` with the WoT integration on): the payload wins over the skeleton on every leaf; a new
feature's definition is the skeleton's identifiers followed by the payload's own, each once.

Only commands whose definition is an http(s) URL ask for a skeleton: every other write pays one dict lookup.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol

from twinhub.model.commands import ThingCommand, exists
from twinhub.model.events import Thing
from twinhub.model.types import JsonObject, JsonValue
from twinhub.wot.documents import merge_over
from twinhub.wot.service import is_model_url

__all__ = ["SkeletonSource", "skeleton_candidate", "with_skeleton"]


class SkeletonSource(Protocol):
    async def thing_skeleton(self, definition: str) -> JsonObject | None: ...

    async def feature_skeleton(self, definition: str) -> JsonObject | None: ...


def skeleton_candidate(command: ThingCommand) -> str | None:
    """The model URL of a command that may create a thing or a feature from it; None for any other command."""
    if command.action != "modify" or not isinstance(command.value, dict):
        return None
    definition: JsonValue = command.value.get("definition")
    if not command.path:
        return definition if isinstance(definition, str) and is_model_url(definition) else None
    if len(command.path) == 2 and command.path[0] == "features" and isinstance(definition, list) and definition:
        first = definition[0]
        return first if isinstance(first, str) and is_model_url(first) else None
    return None


def creates(command: ThingCommand, current: Thing | None) -> bool:
    """Whether `command` (a skeleton candidate) creates what it writes, given the current thing."""
    if not command.path:
        return not exists(current)
    if not exists(current) or current is None:
        return False
    features = current.doc.get("features")
    return not (isinstance(features, dict) and command.path[1] in features)


async def with_skeleton(source: SkeletonSource, command: ThingCommand, url: str) -> ThingCommand | None:
    """`command` with the skeleton of `url` merged under its payload; None when there is no skeleton."""
    assert isinstance(command.value, dict)
    if not command.path:
        skeleton = await source.thing_skeleton(url)
        if skeleton is None:
            return None
        return replace(command, value=merge_over(command.value, skeleton))
    feature = await source.feature_skeleton(url)
    if feature is None:
        return None
    own = command.value.get("definition")
    generated = feature.get("definition")
    identifiers: list[JsonValue] = []
    for identifier in [*(generated if isinstance(generated, list) else []), *(own if isinstance(own, list) else [])]:
        if identifier not in identifiers:
            identifiers.append(identifier)
    merged = merge_over({**command.value, "definition": identifiers}, feature)
    return replace(command, value=merged)
