"""Skeletons merged into what creates a thing or features (Ditto's `CreateThingStrategy`, `ModifyFeatureStrategy`
and `ModifyFeaturesStrategy` with the WoT integration on): the payload wins over the skeleton on every leaf; a new
feature's definition is the skeleton's identifiers followed by the payload's own, each once.

Only commands whose definition is an http(s) URL ask for a skeleton: every other write pays a dict lookup or two.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol

from twinhub.model.commands import ThingCommand, exists
from twinhub.model.events import Thing
from twinhub.model.types import JsonObject, JsonValue
from twinhub.wot.documents import merge_over
from twinhub.wot.validation import feature_model, is_model_url

__all__ = ["SkeletonSource", "creates", "skeleton_candidate", "with_skeleton"]


class SkeletonSource(Protocol):
    async def thing_skeleton(self, definition: str) -> JsonObject | None: ...

    async def feature_skeleton(self, definition: str) -> JsonObject | None: ...


def skeleton_candidate(command: ThingCommand) -> bool:
    """Whether `command` may create a thing, a feature or the features with a Thing Model URL as definition."""
    if command.action != "modify" or not isinstance(command.value, dict):
        return False
    if not command.path:
        return is_model_url(command.value.get("definition"))
    if command.path == ("features",):
        return any(feature_model(feature) is not None for feature in command.value.values())
    return len(command.path) == 2 and command.path[0] == "features" and feature_model(command.value) is not None


def creates(command: ThingCommand, current: Thing | None) -> bool:
    """Whether `command` (a skeleton candidate) creates what it writes, given the current thing."""
    if not command.path:
        return not exists(current)
    if not exists(current) or current is None:
        return False
    features = current.doc.get("features")
    if command.path == ("features",):
        return features is None
    return not (isinstance(features, dict) and command.path[1] in features)


async def with_skeleton(source: SkeletonSource, command: ThingCommand) -> ThingCommand | None:
    """`command` with the skeletons of its models merged under its payload; None when there is none."""
    value = command.value
    assert isinstance(value, dict)
    if not command.path:
        definition = value.get("definition")
        assert isinstance(definition, str)
        skeleton = await source.thing_skeleton(definition)
        return None if skeleton is None else replace(command, value=merge_over(value, skeleton))
    if command.path == ("features",):
        features: JsonObject = {}
        for feature_id, feature in value.items():
            features[feature_id] = await _feature(source, feature)
        return replace(command, value=features)
    merged = await _feature(source, value)
    return None if merged is value else replace(command, value=merged)


async def _feature(source: SkeletonSource, feature: JsonValue) -> JsonValue:
    url = feature_model(feature)
    if url is None:
        return feature
    assert isinstance(feature, dict)
    skeleton = await source.feature_skeleton(url)
    if skeleton is None:
        return feature
    generated, own = skeleton.get("definition"), feature.get("definition")
    identifiers: list[JsonValue] = []
    for identifier in [*(generated if isinstance(generated, list) else []), *(own if isinstance(own, list) else [])]:
        if identifier not in identifiers:
            identifiers.append(identifier)
    return merge_over({**feature, "definition": identifiers}, skeleton)
