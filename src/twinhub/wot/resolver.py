"""`ThingModelResolver`: a Thing Model with its `tm:extends` and `tm:ref` resolved (Ditto's rules).

Ditto: `wot/api/.../resolver/DefaultWotThingModelResolver.java` (fetch, then extensions, then refs) and
`wot/api/.../generator/DefaultWotThingModelExtensionResolver.java` (the merge rules, in `documents`).
`links` stay in the result, so the caller resolves `tm:submodel` links (`documents.submodels`) itself.
Resolution is bounded: `tm:extends` chains at most `MAX_EXTENDS_DEPTH` deep, at most `MAX_REFS` `tm:ref`s
replaced per model; a cycle of either is refused rather than followed (Ditto detects local `tm:ref` cycles); all
its downloads together within the fetcher's `resolve_timeout` (each within its `timeout`, but a model may name
hundreds of others).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from twinhub.model.errors import ThingModelInvalid, ThingModelNotAccessible, ThingModelRefInvalid
from twinhub.model.types import MISSING, JsonObject, JsonValue, Missing
from twinhub.wot.documents import TM_REF, extends_hrefs, merge_extended, merge_over
from twinhub.wot.fetcher import ThingModelFetcher

__all__ = ["MAX_EXTENDS_DEPTH", "MAX_REFS", "ThingModelResolver"]

MAX_EXTENDS_DEPTH = 16
MAX_REFS = 256


class ThingModelResolver:
    """Resolves Thing Models fetched by a `ThingModelFetcher` (which it does not own)."""

    def __init__(self, fetcher: ThingModelFetcher) -> None:
        self._fetcher = fetcher

    @property
    def fetcher(self) -> ThingModelFetcher:
        return self._fetcher

    async def fetch(self, url: str) -> JsonObject:
        """The model at `url` as fetched (hrefs absolute), nothing resolved."""
        return await self._fetcher.fetch(url)

    async def resolve(self, url: str) -> JsonObject:
        """The model at `url` with `tm:extends` merged in and every `tm:ref` replaced; `links` kept, hrefs
        absolute. The result is a new object at the top level but shares nested values with the cache: treat
        it as read-only.

        Raises ThingModelNotAccessible (`wot:tm.notfound`, 421) when a model cannot be fetched,
        ThingModelInvalid (`wot:tm.invalid`) when one is no Thing Model or extends itself,
        ThingModelRefInvalid (`wot:tm.ref.invalid`) for a malformed, dangling or circular `tm:ref`."""
        async with self.deadline(url):
            model = await self._extended(url, ())
            return await _Refs(self._fetcher).resolve(model)

    @contextlib.asynccontextmanager
    async def deadline(self, url: str) -> AsyncIterator[None]:
        """Bounds what it holds (a resolution, or the several of a skeleton) by the fetcher's `resolve_timeout`:
        ThingModelNotAccessible (`wot:tm.notfound`) for the model at `url` past it."""
        seconds = self._fetcher.limits.resolve_timeout
        try:
            async with asyncio.timeout(seconds):
                yield
        except TimeoutError as exc:
            raise ThingModelNotAccessible(
                url, f"The ThingModel and those it names were not downloaded within {seconds:g} seconds.") from exc

    async def _extended(self, url: str, chain: tuple[str, ...]) -> JsonObject:
        url = url.partition("#")[0]
        if url in chain:
            raise ThingModelInvalid(url, "The ThingModel extends itself: " + " -> ".join((*chain, url)))
        if len(chain) >= MAX_EXTENDS_DEPTH:
            raise ThingModelInvalid(url, f"The tm:extends chain is deeper than {MAX_EXTENDS_DEPTH}.")
        model = await self._fetcher.fetch(url)
        result = model
        for href in extends_hrefs(model):
            result = merge_extended(result, await self._extended(href, (*chain, url)))
        return result


class _Refs:
    """One model's `tm:ref` resolution: counts what it replaces, tracks the refs being resolved (cycles)."""

    def __init__(self, fetcher: ThingModelFetcher) -> None:
        self._fetcher = fetcher
        self._replaced = 0

    async def resolve(self, model: JsonObject) -> JsonObject:
        return await self._within(model, model, frozenset())

    async def _within(self, obj: JsonObject, root: JsonObject, active: frozenset[str]) -> JsonObject:
        """`obj` with the refs of its object members (at any depth, not in arrays, as Ditto) replaced."""
        out: JsonObject = {}
        for key, value in obj.items():
            if isinstance(value, dict):
                value = await (self._ref(value, root, active) if TM_REF in value else self._within(value, root, active))
            out[key] = value
        return out

    async def _ref(self, holder: JsonObject, root: JsonObject, active: frozenset[str]) -> JsonValue:
        ref = holder[TM_REF]
        if not isinstance(ref, str):
            raise ThingModelRefInvalid(str(ref))
        self._replaced += 1
        if self._replaced > MAX_REFS:
            raise ThingModelRefInvalid(ref, f"The ThingModel holds more than {MAX_REFS} tm:ref references.")
        if ref in active:
            raise ThingModelRefInvalid(ref, "Circular reference detected in tm:ref.")
        if ref.startswith("#/"):
            source, fragment = root, ref[1:]
        else:
            url, sep, fragment = ref.partition("#")
            if not sep or not fragment.startswith("/") or not url:
                raise ThingModelRefInvalid(ref)
            source = await self._fetcher.fetch(url)
        target = _at(source, fragment)
        if isinstance(target, Missing):
            raise ThingModelRefInvalid(ref, "The JSON pointer of the tm:ref did not resolve to a value.")
        rest = await self._within({key: value for key, value in holder.items() if key != TM_REF}, root, active)
        if isinstance(target, dict):
            inner = active | {ref}
            target = await (self._ref(target, source, inner) if TM_REF in target
                            else self._within(target, source, inner))
        return merge_over(rest, target)


def _at(doc: JsonObject, pointer: str) -> JsonValue | Missing:
    """The value at an RFC 6901 JSON pointer (`/a/b`, `~1` for `/`, `~0` for `~`) in `doc`, MISSING if none."""
    value: JsonValue = doc
    for key in (part.replace("~1", "/").replace("~0", "~") for part in pointer.split("/")[1:]):
        if isinstance(value, dict) and key in value:
            value = value[key]
        elif isinstance(value, list) and key.isdigit() and int(key) < len(value):
            value = value[int(key)]
        else:
            return MISSING
    return value
