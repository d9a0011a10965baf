"""`ThingModelFetcher`: a Thing Model document by URL, from a mapped source or downloaded over http(s), cached.

Downloads are bounded: only http and https (redirects too, at most `MAX_REDIRECTS`), at most `max_bytes` read,
at most `timeout` seconds for the whole download. With `private_hosts` off, a host (of the URL or of a redirect)
that resolves to an address that is not public (loopback, private, link-local such as a cloud's metadata
service, ...) is refused: a definition URL is chosen by whoever may write a thing, and a model's content comes
back to them in skeletons and Thing Descriptions. The addresses are checked when resolved before each request;
a DNS answer that changes between that check and the connection is not caught.
The cache holds parsed documents (hrefs already absolute) for `ttl` seconds, at most `max_entries` of `max_bytes`
estimated bytes in all. Failures are not cached: a model fixed at its server is seen on the next request (Ditto's
cache also keeps successes only). Models of mapped sources (a directory, the local model store) are read each time,
so that a change is seen at once by every worker.

Ditto: `wot/api/.../provider/DefaultWotThingModelFetcher.java`, `wot/integration/.../PekkoHttpJsonDownloader.java`
(`Accept: application/tm+json, application/json`, redirects followed, non-2xx: `wot:tm.notfound`, a body that is
no JSON object: `wot:tm.invalid`).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from urllib.parse import urljoin, urlsplit

import httpx

from twinhub.model.errors import ThingModelInvalid, ThingModelNotAccessible
from twinhub.model.json import loads
from twinhub.model.lru import Lru
from twinhub.model.types import JsonObject
from twinhub.wot.documents import absolutize
from twinhub.wot.sources import ModelSource

__all__ = [
    "DEFAULT_CACHE_BYTES",
    "DEFAULT_CACHE_ENTRIES",
    "DEFAULT_CACHE_TTL",
    "DEFAULT_MAX_MODEL_BYTES",
    "DEFAULT_TIMEOUT",
    "MAX_REDIRECTS",
    "RESOLVE_DOWNLOADS",
    "FetchLimits",
    "ThingModelFetcher",
    "footprint",
]

DEFAULT_MAX_MODEL_BYTES = 1024 * 1024
DEFAULT_TIMEOUT = 10.0
DEFAULT_CACHE_ENTRIES = 1000
DEFAULT_CACHE_BYTES = 32 * 1024 * 1024
DEFAULT_CACHE_TTL = 3600.0
MAX_REDIRECTS = 5
RESOLVE_DOWNLOADS = 3  # the slowest downloads one resolution may wait for in all, in units of `timeout`
_HEADERS = {"accept": "application/tm+json, application/json;q=0.9", "accept-encoding": "gzip"}
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchLimits:
    """Bounds of one download and of the cache."""

    max_bytes: int = DEFAULT_MAX_MODEL_BYTES
    timeout: float = DEFAULT_TIMEOUT
    cache_entries: int = DEFAULT_CACHE_ENTRIES
    cache_bytes: int = DEFAULT_CACHE_BYTES
    cache_ttl: float = DEFAULT_CACHE_TTL
    private_hosts: bool = True  # False: only hosts on public addresses are downloaded from
    # a model with all it references (extends, refs, submodels): each download is bounded, their sum too
    resolve_timeout: float = RESOLVE_DOWNLOADS * DEFAULT_TIMEOUT


def check_url(url: str) -> None:
    """Raise ThingModelNotAccessible unless `url` is an absolute http(s) URL with a host."""
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
    except ValueError:
        hostname = None
        parts = urlsplit("")
    if parts.scheme not in ("http", "https") or not hostname:
        raise ThingModelNotAccessible(url, "Only absolute http and https ThingModel URLs are fetched.")


class ThingModelFetcher:
    """Thing Model documents by URL. Use `async with` (or `aclose()`): a closed fetcher refuses to fetch.

    `sources` maps URL prefixes to a `ModelSource` (checked longest prefix first); the rest is downloaded with
    `client` (one is made and owned when none is given). Documents returned are shared: do not modify them.
    """

    def __init__(self, limits: FetchLimits = FetchLimits(), *, sources: Sequence[tuple[str, ModelSource]] = (),
                 client: httpx.AsyncClient | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self._limits = limits
        self._sources = sorted(sources, key=lambda item: len(item[0]), reverse=True)
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(follow_redirects=False, trust_env=False)
        self._clock = clock
        self._cache: Lru[str, tuple[float, JsonObject]] = Lru(
            max_entries=limits.cache_entries, max_bytes=limits.cache_bytes)
        self._loading: dict[str, asyncio.Task[JsonObject]] = {}
        self._closed = False

    @property
    def limits(self) -> FetchLimits:
        return self._limits

    async def __aenter__(self) -> ThingModelFetcher:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        self._closed = True
        for task in list(self._loading.values()):
            task.cancel()
        if self._owns_client:
            await self._client.aclose()

    async def fetch(self, url: str) -> JsonObject:
        """The document at `url` (its link hrefs and external `tm:ref`s absolute).

        Raises ThingModelNotAccessible (not http(s), unreachable, non-2xx, too slow, too large, not held by its
        mapped source) or ThingModelInvalid (not a JSON object)."""
        if self._closed:
            raise RuntimeError("the ThingModelFetcher is closed")
        url = url.partition("#")[0]
        check_url(url)
        for prefix, source in self._sources:  # local: read each time, so a changed model is seen at once
            if url.startswith(prefix):
                return _parse(url, await self._load(url, source, url[len(prefix):]))
        cached = self._cache.get(url)
        if cached is not None and cached[0] > self._clock():
            return cached[1]
        task = self._loading.get(url)
        if task is None:  # one download per URL, however many ask at once; its own task, so that an asker that
            # gives up (its client went away) does not cancel it for the others
            task = asyncio.get_running_loop().create_task(self._download_and_cache(url))
            self._loading[url] = task
            task.add_done_callback(partial(self._loaded, url))
        return await asyncio.shield(task)

    def _loaded(self, url: str, task: asyncio.Task[JsonObject]) -> None:
        if self._loading.get(url) is task:
            del self._loading[url]
        if not task.cancelled():
            task.exception()  # retrieved: every asker may have gone (failures are not cached, nothing to keep)

    async def _download_and_cache(self, url: str) -> JsonObject:
        data = await self._read(url)
        doc = _parse(url, data)
        self._cache.put(url, (self._clock() + self._limits.cache_ttl, doc), footprint(data))
        return doc

    async def _load(self, url: str, source: ModelSource, name: str) -> bytes:
        data = await source.load(name)
        if data is None:
            raise ThingModelNotAccessible(url, "The local ThingModel source mapped to this URL holds none.")
        if len(data) > self._limits.max_bytes:
            raise ThingModelNotAccessible(url, f"The ThingModel is larger than {self._limits.max_bytes} bytes.")
        return data

    async def _read(self, url: str) -> bytes:
        try:
            async with asyncio.timeout(self._limits.timeout):
                return await self._download(url)
        except TimeoutError as exc:
            raise ThingModelNotAccessible(
                url, f"The ThingModel was not downloaded within {self._limits.timeout:g} seconds.") from exc

    async def _download(self, url: str) -> bytes:
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            if not self._limits.private_hosts:
                await _require_public_host(current)
            try:
                async with self._client.stream("GET", current, headers=_HEADERS) as response:
                    if response.status_code in _REDIRECTS and "location" in response.headers:
                        current = urljoin(current, response.headers["location"])
                        check_url(current)
                        continue
                    if not response.is_success:
                        raise ThingModelNotAccessible(
                            url, f"The ThingModel's server answered with status {response.status_code}.")
                    return await self._body(url, response)
            except httpx.HTTPError as exc:
                raise ThingModelNotAccessible(url) from exc
        raise ThingModelNotAccessible(url, f"The ThingModel's server redirected more than {MAX_REDIRECTS} times.")

    async def _body(self, url: str, response: httpx.Response) -> bytes:
        """The body, at most `max_bytes` once decompressed. A gzip body is inflated here at most up to the limit
        (httpx would inflate each network chunk whole: a small bomb would take hundreds of megabytes)."""
        limit = self._limits.max_bytes
        too_large = ThingModelNotAccessible(url, f"The ThingModel is larger than {limit} bytes.")
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        if encoding not in ("identity", "gzip"):
            raise ThingModelNotAccessible(url, f"The ThingModel came with the content-encoding {encoding!r}.")
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS) if encoding == "gzip" else None
        declared = response.headers.get("content-length", "")
        if inflater is None and declared.isdigit() and int(declared) > limit:
            raise too_large
        chunks: list[bytes] = []
        size = 0
        async for raw in response.aiter_raw():
            try:
                chunk = raw if inflater is None else inflater.decompress(raw, limit - size + 1)
            except zlib.error as exc:
                raise ThingModelNotAccessible(url, "The ThingModel's gzip encoding is broken.") from exc
            size += len(chunk)
            if size > limit:
                raise too_large
            chunks.append(chunk)
        return b"".join(chunks)


async def _require_public_host(url: str) -> None:
    """Raise ThingModelNotAccessible unless every address the URL's host resolves to is a public one."""
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = await asyncio.get_running_loop().getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError) as exc:
        raise ThingModelNotAccessible(url) from exc
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).partition("%")[0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if not address.is_global:
            raise ThingModelNotAccessible(url, "ThingModels are only downloaded from hosts on public addresses.")


def footprint(data: bytes) -> int:
    """The bytes a JSON document takes once parsed, estimated never below the real size: each value, key and container
    costs a Python object and a pointer (~64 bytes), which JSON spells in as little as two or three bytes. An
    estimate of 4 x its length held a model of empty objects at a sixth of its size (measured: 1.0 to 2.2 x the
    real size over typical and hostile shapes with tracemalloc)."""
    return len(data) + 64 * (data.count(b",") + data.count(b":") + data.count(b"{") + data.count(b"["))


def _parse(url: str, data: bytes) -> JsonObject:
    try:
        doc = loads(data)
    except ValueError as exc:
        raise ThingModelInvalid(url, "The ThingModel is no valid JSON.") from exc
    if not isinstance(doc, dict):
        raise ThingModelInvalid(url, "The ThingModel is no JSON object.")
    links = doc.get("links")
    if links is not None and not (isinstance(links, list) and all(
            isinstance(link, dict) and isinstance(link.get("href"), str) for link in links)):
        raise ThingModelInvalid(url, "The ThingModel's 'links' must be an array of objects with an 'href'.")
    return absolutize(doc, url)
