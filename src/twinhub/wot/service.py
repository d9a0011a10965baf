"""`WotService`: what the Web of Things integration offers the rest of twinhub, on a `ThingModelResolver`.

Skeletons on creation (Ditto: `DefaultWotThingSkeletonGenerator.provideThingSkeletonForCreation` /
`provideFeatureSkeletonForCreation`, called by `CreateThingStrategy` and `ModifyFeatureStrategy`): only for a
definition that is an http(s) URL; when the model cannot be fetched or resolved, the thing is created without a
skeleton (Ditto's documented behaviour) unless `strict` asks to refuse the creation with the model's error.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Collection
from dataclasses import dataclass, replace

from twinhub.model.errors import ThingModelInvalid, TwinhubError, WotDefinitionInvalid
from twinhub.model.events import Thing, format_timestamp
from twinhub.model.types import JsonObject, JsonValue
from twinhub.policy import Enforcer
from twinhub.wot.description import MODEL_PLACEHOLDERS, DescriptionOptions, Subject, describe
from twinhub.wot.documents import extends_hrefs, submodels
from twinhub.wot.models import LocalModels
from twinhub.wot.resolver import ThingModelResolver
from twinhub.wot.scope import scope_description
from twinhub.wot.skeleton import initial_properties
from twinhub.wot.validation import is_model_url

__all__ = ["SkeletonOptions", "WotService"]

log = logging.getLogger("twinhub.wot")


@dataclass(frozen=True, slots=True, kw_only=True)
class SkeletonOptions:
    """Ditto's `tm-based-creation` config: `generate-defaults-for-optional-properties` (`with_optional`) and
    `throw-exception-on-wot-errors` (`strict`; off by default, as Ditto documents creation without skeleton)."""

    with_optional: bool = False
    strict: bool = False


class WotService:
    def __init__(self, resolver: ThingModelResolver, models: LocalModels, *,
                 skeletons: SkeletonOptions = SkeletonOptions(),
                 descriptions: DescriptionOptions | None = None) -> None:
        self.resolver = resolver
        self.models = models  # the models kept in twinhub
        self._skeletons = skeletons
        self._descriptions = descriptions or DescriptionOptions()

    async def thing_description(self, thing: Thing, feature_id: str | None, enforcer: Enforcer | None,
                                subjects: Collection[str], *, base_prefix: str | None = None) -> JsonObject:
        """The TD of the thing (or its feature `feature_id`, which must exist) from the model its definition
        names, scoped to what `subjects` may do (no enforcer: unscoped). `base_prefix` (the URL the request came
        to) stands in for a base prefix the configuration leaves empty.

        Raises WotDefinitionInvalid (404) when the definition is missing or no URL, and the resolver's errors."""
        doc = thing.doc
        if feature_id is None:
            definition: JsonValue = doc.get("definition")
            owner: JsonValue = doc.get("attributes")
        else:
            features = doc.get("features")
            feature = features.get(feature_id) if isinstance(features, dict) else None
            owner = feature.get("properties") if isinstance(feature, dict) else None
            identifiers = feature.get("definition") if isinstance(feature, dict) else None
            definition = identifiers[0] if isinstance(identifiers, list) and identifiers else None
        if not is_model_url(definition):
            raise WotDefinitionInvalid(definition if isinstance(definition, str) else None)
        assert isinstance(definition, str)
        model = await self.resolver.resolve(definition)
        placeholders = owner.get(MODEL_PLACEHOLDERS) if isinstance(owner, dict) else None
        subject = Subject(thing.thing_id, feature_id, placeholders if isinstance(placeholders, dict) else None,
                          created=format_timestamp(thing.created), modified=format_timestamp(thing.modified))
        options = self._descriptions if self._descriptions.base_prefix or not base_prefix \
            else replace(self._descriptions, base_prefix=base_prefix)
        td = describe(model, definition, subject, options)
        return td if enforcer is None else scope_description(td, feature_id, enforcer, subjects)

    async def thing_skeleton(self, definition: str) -> JsonObject | None:
        """The attributes and features a new thing of `definition` starts with; None when there is none."""
        return await self._guarded(definition, self._thing_skeleton(definition))

    async def feature_skeleton(self, definition: str) -> JsonObject | None:
        """The definition (the model and the models it extends) and properties a new feature starts with."""
        return await self._guarded(definition, self._feature_skeleton(definition))

    async def _guarded(self, definition: str, work: Awaitable[JsonObject]) -> JsonObject | None:
        try:
            async with self.resolver.deadline(definition):  # a skeleton resolves each of its submodels too
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
