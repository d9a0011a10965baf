"""The Web of Things integration as built from the settings: the fetcher the platform's `WotService` resolves
models with (`open_fetcher`), and the subsystem (`Wot`) that serves the WoT routes (`twinhub.wot.routes`)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from twinhub.config import Settings
from twinhub.wot.description import DEFAULT_TEMPLATE, DescriptionOptions
from twinhub.wot.fetcher import FetchLimits, ThingModelFetcher
from twinhub.wot.resolver import ThingModelResolver
from twinhub.wot.service import SkeletonOptions, WotService
from twinhub.wot.sources import DirectorySource, ModelSource, json_object_setting, parse_model_map

__all__ = ["open_fetcher", "wot_service"]


def wot_service(settings: Settings, fetcher: ThingModelFetcher) -> WotService:
    """The WoT service of `settings` on `fetcher` (skeleton and Thing Description options)."""
    return WotService(
        ThingModelResolver(fetcher),
        skeletons=SkeletonOptions(with_optional=settings.wot_skeleton_optional, strict=settings.wot_skeleton_strict),
        descriptions=DescriptionOptions(
            base_prefix=settings.wot_base_prefix,
            template=json_object_setting(settings.wot_td_template) or dict(DEFAULT_TEMPLATE),
            placeholders=json_object_setting(settings.wot_td_placeholders) or {}))


@contextlib.asynccontextmanager
async def open_fetcher(settings: Settings, *, store_source: ModelSource | None = None
                       ) -> AsyncIterator[ThingModelFetcher]:
    """The fetcher of `settings` (limits, cache, mapped prefixes); prefixes mapped to `store` read from
    `store_source` (none given: such URLs hold nothing)."""
    limits = FetchLimits(max_bytes=settings.wot_max_model_bytes, timeout=float(settings.wot_fetch_timeout),
                         cache_entries=settings.wot_cache_size, cache_bytes=settings.wot_cache_bytes,
                         cache_ttl=float(settings.wot_cache_ttl))
    sources: list[tuple[str, ModelSource]] = []
    for mapped in parse_model_map(settings.wot_model_map):
        if mapped.is_store:
            sources.append((mapped.prefix, store_source or _Nothing()))
        else:
            sources.append((mapped.prefix, DirectorySource(Path(mapped.target))))
    async with ThingModelFetcher(limits, sources=sources) as fetcher:
        yield fetcher


class _Nothing:
    async def load(self, name: str) -> bytes | None:
        return None
