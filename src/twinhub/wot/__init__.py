"""Web of Things integration: Thing Models fetched (from the web or local sources) and cached, resolved
(`tm:extends`, `tm:ref`), and used for skeletons and Thing Descriptions (Ditto's `wot/` modules); things and
messages validated against them (`twinhub.wot.validation`) and migrated to others (`twinhub.wot.migration`)."""

from __future__ import annotations

from twinhub.wot.documents import Submodel, submodels
from twinhub.wot.fetcher import FetchLimits, ThingModelFetcher
from twinhub.wot.resolver import ThingModelResolver
from twinhub.wot.sources import DirectorySource, MappedPrefix, ModelSource, parse_model_map

__all__ = [
    "DirectorySource",
    "FetchLimits",
    "MappedPrefix",
    "ModelSource",
    "Submodel",
    "ThingModelFetcher",
    "ThingModelResolver",
    "parse_model_map",
    "submodels",
]
