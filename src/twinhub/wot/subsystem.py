"""The Web of Things integration as built from the settings: the fetcher the platform's `WotService` resolves
models with (`open_fetcher`), and the subsystem (`Wot`) that serves the WoT routes (`twinhub.wot.routes`)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from twinhub.config import Settings
from twinhub.wot.fetcher import FetchLimits, ThingModelFetcher
from twinhub.wot.sources import DirectorySource, ModelSource, parse_model_map

__all__ = ["open_fetcher"]


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
