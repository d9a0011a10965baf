"""The Web of Things integration as built from the settings: the fetcher the platform's `WotService` resolves
models with (`open_fetcher`), the service itself (`wot_service`), and the subsystem (`Wot`) that serves the WoT
routes (`twinhub.wot.routes`)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path

from starlette.routing import BaseRoute

from twinhub.config import Settings, json_object_setting
from twinhub.service.platform import Platform
from twinhub.store.wot_models import ThingModelStore
from twinhub.wot import routes
from twinhub.wot.description import DEFAULT_TEMPLATE, DescriptionOptions
from twinhub.wot.fetcher import RESOLVE_DOWNLOADS, FetchLimits, ThingModelFetcher
from twinhub.wot.models import LocalModels
from twinhub.wot.resolver import ThingModelResolver
from twinhub.wot.service import SkeletonOptions, WotService
from twinhub.wot.sources import DirectorySource, ModelSource, parse_model_map

__all__ = ["Wot", "open_wot"]


class Wot:
    """The WoT routes on the platform's `WotService`."""

    routes: Sequence[BaseRoute] = tuple(routes.routes)

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @contextlib.asynccontextmanager
    async def lifespan(self, platform: Platform) -> AsyncIterator[Mapping[str, object]]:
        template = json_object_setting(self.settings.wot_td_template) or dict(DEFAULT_TEMPLATE)
        yield {routes.STATE_KEY: routes.WotContext(self.settings, platform.authenticator, platform.wot.models,
                                                   template)}


@contextlib.asynccontextmanager
async def open_wot(settings: Settings, store: ThingModelStore) -> AsyncIterator[WotService]:
    """The WoT service of `settings`: models kept in `store`, a fetcher with the settings' limits and mapped
    prefixes (closed when the context ends), skeleton and Thing Description options."""
    models = LocalModels(store, max_bytes=settings.wot_max_model_bytes)
    async with open_fetcher(settings, store_source=models) as fetcher:
        yield _service(settings, fetcher, models)


def _service(settings: Settings, fetcher: ThingModelFetcher, models: LocalModels) -> WotService:
    return WotService(
        ThingModelResolver(fetcher), models,
        skeletons=SkeletonOptions(with_optional=settings.wot_skeleton_optional, strict=settings.wot_skeleton_strict),
        descriptions=DescriptionOptions(
            base_prefix=settings.wot_base_prefix,
            template=json_object_setting(settings.wot_td_template) or dict(DEFAULT_TEMPLATE),
            placeholders=json_object_setting(settings.wot_td_placeholders) or {}))


@contextlib.asynccontextmanager
async def open_fetcher(settings: Settings, *, store_source: ModelSource) -> AsyncIterator[ThingModelFetcher]:
    """The fetcher of `settings` (limits, cache, mapped prefixes); prefixes mapped to `store` read from
    `store_source`."""
    limits = FetchLimits(max_bytes=settings.wot_max_model_bytes, timeout=float(settings.wot_fetch_timeout),
                         cache_entries=settings.wot_cache_size, cache_bytes=settings.wot_cache_bytes,
                         cache_ttl=float(settings.wot_cache_ttl), private_hosts=settings.wot_fetch_private_hosts,
                         resolve_timeout=RESOLVE_DOWNLOADS * float(settings.wot_fetch_timeout))
    sources: list[tuple[str, ModelSource]] = []
    for mapped in parse_model_map(settings.wot_model_map):
        if mapped.is_store:
            sources.append((mapped.prefix, store_source))
        else:
            sources.append((mapped.prefix, DirectorySource(Path(mapped.target))))
    async with ThingModelFetcher(limits, sources=sources) as fetcher:
        yield fetcher

