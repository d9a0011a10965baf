"""`WotService`: what the Web of Things integration offers the rest of twinhub, on a `ThingModelResolver`.

Skeletons on creation (Ditto: `DefaultWotThingSkeletonGenerator.provideThingSkeletonForCreation` /
`provideFeatureSkeletonForCreation`, called by `CreateThingStrategy` and `ModifyFeatureStrategy`): only for a
definition that is an http(s) URL; when the model cannot be fetched or resolved, the thing is created without a
skeleton (Ditto's documented behaviour) unless `strict` asks to refuse the creation with the model's error.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from dataclasses import dataclass

from twinhub.model.errors import ThingModelInvalid, TwinhubError
from twinhub.model.types import JsonObject, JsonValue
from twinhub.wot.documents import extends_hrefs, submodels
from twinhub.wot.resolver import ThingModelResolver
from twinhub.wot.skeleton import initial_properties

__all__ = ["SkeletonOptions", "WotService", "is_model_url"]

log = logging.getLogger("twinhub.wot")


def is_model_url(definition: JsonValue) -> bool:
    """Whether a definition names a Thing Model by URL (the only case the WoT integration acts on)."""
    return isinstance(definition, str) and definition.startswith(("http://", "https://"))


@dataclass(frozen=True, slots=True, kw_only=True)
class SkeletonOptions:
    """Ditto's `tm-based-creation` config: `generate-defaults-for-optional-properties` (`with_optional`) and
    `throw-exception-on-wot-errors` (`strict`; off by default, as Ditto documents creation without skeleton)."""

    with_optional: bool = False
    strict: bool = False


class WotService:
    def __init__(self, resolver: ThingModelResolver, *, skeletons: SkeletonOptions = SkeletonOptions()) -> None:
        self.resolver = resolver
        self._skeletons = skeletons

    async def thing_skeleton(self, definition: str) -> JsonObject | None:
        """The attributes and features a new thing of `definition` starts with; None when there is none."""
        return await self._guarded(definition, self._thing_skeleton(definition))

    async def feature_skeleton(self, definition: str) -> JsonObject | None:
        """The definition (the model and the models it extends) and properties a new feature starts with."""
        return await self._guarded(definition, self._feature_skeleton(definition))

    async def _guarded(self, definition: str, work: Awaitable[JsonObject]) -> JsonObject | None:
        try:
            return await work
        except TwinhubError as exc:
            if self._skeletons.strict:
                raise
            log.warning("no skeleton for definition %s: %s %s", definition, exc.code, exc.description or "")
            return None

    async def _thing_skeleton(self, url: str) -> JsonObject:
        model = await self.resolver.resolve(url)
        skeleton: JsonObject = {}
        if isinstance(model.get("properties"), dict):
            skeleton["attributes"] = initial_properties(model, with_optional=self._skeletons.with_optional)
        try:
            parts = submodels(model)
        except ValueError as exc:
            raise ThingModelInvalid(url, str(exc)) from exc
        features: JsonObject = {}
        for part in parts:
            if part.instance_name in features:
                raise ThingModelInvalid(url, f"Thing submodels: duplicate instanceName '{part.instance_name}'.")
            features[part.instance_name] = await self._feature_skeleton(part.href)
        if features:
            skeleton["features"] = features
        return skeleton

    async def _feature_skeleton(self, url: str) -> JsonObject:
        model = await self.resolver.resolve(url)
        feature: JsonObject = {"definition": await self._definition_chain(url)}
        if isinstance(model.get("properties"), dict):
            feature["properties"] = initial_properties(model, with_optional=self._skeletons.with_optional)
        return feature

    async def _definition_chain(self, url: str) -> list[JsonValue]:
        """`url`, then the model it extends (its first `tm:extends`), and so on (Ditto:
        `determineFurtherFeatureDefinitionIdentifiers`); the resolver has refused cycles already."""
        chain: list[JsonValue] = [url]
        current = url
        while hrefs := extends_hrefs(await self.resolver.fetch(current)):
            current = hrefs[0]
            if current in chain:
                break
            chain.append(current)
        return chain
