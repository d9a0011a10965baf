"""ThingModelResolver against Thing Models served over real HTTP by a local server.

Ditto: `wot/api/.../generator/DefaultWotThingModelExtensionResolver.java` (tm:extends merged under the model,
links concatenated, tm:ref merged under the object that holds it, local circular refs refused with
`wot:tm.ref.invalid`), `wot/api/.../provider/DefaultWotThingModelFetcher.java` and
`wot/integration/.../PekkoHttpJsonDownloader.java` (non-2xx or unreachable: `wot:tm.notfound`, 421; a body that is
no JSON object: `wot:tm.invalid`, 400).
"""

from __future__ import annotations

import asyncio
import gzip
import json
import tracemalloc
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.wot_server import ModelServer
from twinhub.model.errors import ThingModelInvalid, ThingModelNotAccessible, ThingModelRefInvalid, TwinhubError
from twinhub.model.json import loads
from twinhub.wot import DirectorySource, FetchLimits, ThingModelFetcher, ThingModelResolver, submodels
from twinhub.wot.fetcher import footprint

pytestmark = pytest.mark.anyio


@pytest.fixture
async def resolver() -> AsyncIterator[ThingModelResolver]:
    async with ThingModelFetcher(FetchLimits(timeout=0.5, max_bytes=64 * 1024)) as fetcher:
        yield ThingModelResolver(fetcher)


def _tm(**members: object) -> dict[str, object]:
    return {"@context": ["https://www.w3.org/2022/wot/td/v1.1"], "@type": "tm:ThingModel", **members}


async def test_extends_merges_the_extended_model_under_the_extending_one(
        models: ModelServer, resolver: ThingModelResolver) -> None:
    """The extending model wins on each leaf, objects merge key by key; links: the extended model's, then its own
    (DefaultWotThingModelExtensionResolver.mergeThingModelIntoBuilder / mergeLinks)."""
    models.serve("/base.tm.jsonld", _tm(
        title="Base", description="base",
        properties={"temp": {"type": "number", "unit": "cel", "readOnly": True}, "on": {"type": "boolean"}},
        links=[{"rel": "license", "href": "license.html"}]))
    url = models.serve("/models/lamp.tm.jsonld", _tm(
        title="Lamp",
        properties={"temp": {"unit": "K"}, "level": {"type": "integer"}},
        links=[{"rel": "tm:extends", "href": "../base.tm.jsonld", "type": "application/tm+json"}]))

    model = await resolver.resolve(url)

    assert model["title"] == "Lamp" and model["description"] == "base"
    assert model["properties"] == {"temp": {"type": "number", "unit": "K", "readOnly": True},
                                   "on": {"type": "boolean"}, "level": {"type": "integer"}}
    assert model["links"] == [
        {"rel": "license", "href": models.url("/license.html")},
        {"rel": "tm:extends", "href": models.url("/base.tm.jsonld"), "type": "application/tm+json"},
    ]


async def test_extends_chains_resolve_recursively_and_drop_inner_extends_links(
        models: ModelServer, resolver: ThingModelResolver) -> None:
    """The extended model is itself resolved first (`resolveThingModelExtensions` recurses); its own tm:extends
    link is dropped in favour of the extending model's (filterOutTmExtendsLinkFromOldLinks)."""
    models.serve("/a.json", _tm(properties={"a": {"type": "string"}}))
    models.serve("/b.json", _tm(properties={"b": {"type": "string"}}, links=[{"rel": "tm:extends", "href": "/a.json"}]))
    url = models.serve("/c.json", _tm(properties={"c": {"type": "string"}},
                                      links=[{"rel": "tm:extends", "href": "/b.json"}]))

    model = await resolver.resolve(url)

    assert set(model["properties"]) == {"a", "b", "c"}
    assert model["links"] == [{"rel": "tm:extends", "href": models.url("/b.json")}]


async def test_local_and_external_refs_are_merged_under_their_holders(
        models: ModelServer, resolver: ThingModelResolver) -> None:
    """`{"tm:ref": "#/<pointer>"}` is replaced by the value in the model, `"<uri>#/<pointer>"` by the value in the
    model at <uri>; the holder's own members win (resolveLocalRef / resolveRefs)."""
    models.serve("/lib/common.tm.jsonld", _tm(properties={
        "unitless": {"type": "number", "minimum": 0, "description": "common"},
        "chained": {"tm:ref": "#/properties/unitless", "maximum": 10}}))
    url = models.serve("/lib/sensor.tm.jsonld", _tm(
        definitions={"range": {"minimum": -40, "maximum": 125}},
        properties={
            "temperature": {"tm:ref": "#/definitions/range", "type": "number"},
            "humidity": {"tm:ref": "common.tm.jsonld#/properties/unitless", "description": "rel. humidity"},
            "pressure": {"tm:ref": "common.tm.jsonld#/properties/chained"},
        }))

    model = await resolver.resolve(url)

    assert model["properties"] == {
        "temperature": {"type": "number", "minimum": -40, "maximum": 125},
        "humidity": {"type": "number", "minimum": 0, "description": "rel. humidity"},
        "pressure": {"type": "number", "minimum": 0, "maximum": 10, "description": "common"},
    }


async def test_submodel_links_stay_with_absolute_hrefs(models: ModelServer, resolver: ThingModelResolver) -> None:
    """`tm:submodel` links stay in the model for the caller (DefaultWotThingModelResolver
    .resolveThingModelSubmodels reads `href` and `instanceName` from the links)."""
    url = models.serve("/dir/thing.tm.jsonld", _tm(links=[
        {"rel": "tm:submodel", "href": "sub/lamp.tm.jsonld", "type": "application/tm+json", "instanceName": "lamp"}]))

    model = await resolver.resolve(url)

    assert [(sub.instance_name, sub.href) for sub in submodels(model)] == [
        ("lamp", models.url("/dir/sub/lamp.tm.jsonld"))]


async def test_models_are_downloaded_once_and_then_cached(models: ModelServer, resolver: ThingModelResolver) -> None:
    """Ditto caches fetched models (`ditto_wot_thing_model_cache`); the Accept header asks for tm+json."""
    models.serve("/base.json", _tm(title="base"))
    url = models.serve("/lamp.json", _tm(links=[{"rel": "tm:extends", "href": "/base.json"}]))

    await resolver.resolve(url)
    await resolver.resolve(url)

    assert models.requests["/lamp.json"] == 1 and models.requests["/base.json"] == 1
    assert all(accept.startswith("application/tm+json") for accept in models.accepts)


async def test_a_cached_model_is_downloaded_again_after_its_ttl(models: ModelServer) -> None:
    """Cached entries expire (Ditto: `ditto.wot.cache.expire-after-write`)."""
    now = [0.0]
    url = models.serve("/m.json", _tm(title="one"))
    async with ThingModelFetcher(FetchLimits(cache_ttl=60), clock=lambda: now[0]) as fetcher:
        assert (await fetcher.fetch(url))["title"] == "one"
        models.serve("/m.json", _tm(title="two"))
        now[0] = 59.0
        assert (await fetcher.fetch(url))["title"] == "one"
        now[0] = 61.0
        assert (await fetcher.fetch(url))["title"] == "two"


async def test_cycles_of_tm_extends_are_refused(models: ModelServer, resolver: ThingModelResolver) -> None:
    """A model that extends itself (over others) is no valid model: `wot:tm.invalid`, not endless recursion."""
    models.serve("/a.json", _tm(links=[{"rel": "tm:extends", "href": "/b.json"}]))
    url = models.serve("/b.json", _tm(links=[{"rel": "tm:extends", "href": "/a.json"}]))

    with pytest.raises(ThingModelInvalid) as caught:
        await resolver.resolve(url)

    assert caught.value.code == "wot:tm.invalid" and "extends itself" in (caught.value.description or "")


@pytest.mark.parametrize("properties", [
    {"a": {"tm:ref": "#/properties/b"}, "b": {"tm:ref": "#/properties/a"}},
    {"a": {"tm:ref": "#/properties/a/x"}},
])
async def test_local_ref_cycles_are_refused(
        models: ModelServer, resolver: ThingModelResolver, properties: dict[str, object]) -> None:
    """Ditto: "Circular reference detected in local tm:ref." (`wot:tm.ref.invalid`, 400)."""
    url = models.serve("/cyclic.json", _tm(properties=properties))

    with pytest.raises(ThingModelRefInvalid) as caught:
        await resolver.resolve(url)

    assert caught.value.status == 400


async def test_external_ref_cycles_are_refused(models: ModelServer, resolver: ThingModelResolver) -> None:
    """Two models whose refs point at each other are refused as well (`wot:tm.ref.invalid`)."""
    models.serve("/x.json", _tm(properties={"p": {"tm:ref": "y.json#/properties/q"}}))
    url = models.serve("/y.json", _tm(properties={"q": {"tm:ref": "x.json#/properties/p"}}))

    with pytest.raises(ThingModelRefInvalid):
        await resolver.resolve(url)


@pytest.mark.parametrize("ref", ["no-fragment.json", "#/definitions/absent", "other.json#nopointer", "#"])
async def test_malformed_or_dangling_refs_are_refused(
        models: ModelServer, resolver: ThingModelResolver, ref: str) -> None:
    """A ref must be `#/<pointer>` or `<uri>#/<pointer>` and point at a value (WotThingModelRefInvalidException)."""
    models.serve("/other.json", _tm())
    url = models.serve("/refs.json", _tm(properties={"p": {"tm:ref": ref}}))

    with pytest.raises(ThingModelRefInvalid) as caught:
        await resolver.resolve(url)

    assert caught.value.code == "wot:tm.ref.invalid"


async def test_unreachable_or_failing_servers_give_tm_notfound(
        models: ModelServer, resolver: ThingModelResolver) -> None:
    """A non-2xx answer or a refused connection is `wot:tm.notfound` with Ditto's status 421."""
    models.serve("/broken.json", {"error": "boom"}, status=500)
    for url in (models.url("/missing.json"), models.url("/broken.json"), "http://127.0.0.1:9/refused.json"):
        with pytest.raises(ThingModelNotAccessible) as caught:
            await resolver.resolve(url)
        assert (caught.value.code, caught.value.status) == ("wot:tm.notfound", 421)


async def test_a_missing_extended_model_fails_the_resolution(
        models: ModelServer, resolver: ThingModelResolver) -> None:
    url = models.serve("/lamp.json", _tm(links=[{"rel": "tm:extends", "href": "/gone.json"}]))

    with pytest.raises(ThingModelNotAccessible):
        await resolver.resolve(url)


async def test_slow_and_oversized_models_are_refused(models: ModelServer, resolver: ThingModelResolver) -> None:
    """A download is bounded in time and bytes; either bound gives `wot:tm.notfound` instead of a hang."""
    models.serve_bytes("/declared-huge.json", b"{" + b" " * (70 * 1024) + b"}")
    for url in (models.stall("/slow.json"), models.flood("/endless.json"), models.url("/declared-huge.json")):
        with pytest.raises(ThingModelNotAccessible):
            await resolver.resolve(url)


async def test_gzip_models_are_read_and_bounded_once_inflated(models: ModelServer,
                                                              resolver: ThingModelResolver) -> None:
    """A gzip-encoded model is read; the byte bound counts the inflated body, and a small gzip bomb (64 KiB that
    inflates to 64 MiB) is refused without ever being inflated whole; an encoding not asked for is refused."""
    small = models.serve_bytes("/small.json", gzip.compress(json.dumps(_tm(title="zipped")).encode()),
                               encoding="gzip")
    assert (await resolver.resolve(small))["title"] == "zipped"
    bomb = models.serve_bytes("/bomb.json", gzip.compress(b'{"a": "' + b" " * (64 * 1024 * 1024) + b'"}', 9),
                              encoding="gzip")
    tracemalloc.start()
    try:
        with pytest.raises(ThingModelNotAccessible):
            await resolver.resolve(bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 1024 * 1024
    for url in (models.serve_bytes("/broken.json", b"not gzip", encoding="gzip"),
                models.serve_bytes("/brotli.json", b"{}", encoding="br")):
        with pytest.raises(ThingModelNotAccessible):
            await resolver.resolve(url)


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'"text"', b'{"links": "nope"}', b'{"links": [{"rel": 1}]}'])
async def test_documents_that_are_no_model_give_tm_invalid(
        models: ModelServer, resolver: ThingModelResolver, body: bytes) -> None:
    """Ditto: a body that does not parse as a ThingModel object is `wot:tm.invalid` (400)."""
    url = models.serve_bytes("/bad.json", body)

    with pytest.raises(ThingModelInvalid) as caught:
        await resolver.resolve(url)

    assert caught.value.status == 400


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/tm.json", "gopher://x/", "/relative.json",
                                 "http:///nohost", "javascript:alert(1)"])
async def test_hostile_urls_are_never_fetched(resolver: ThingModelResolver, url: str) -> None:
    """Only absolute http(s) URLs are fetched; anything else is `wot:tm.notfound`, never read."""
    with pytest.raises(ThingModelNotAccessible):
        await resolver.resolve(url)


async def test_hostile_hrefs_inside_a_model_are_refused(models: ModelServer, resolver: ThingModelResolver) -> None:
    url = models.serve("/evil.json", _tm(links=[{"rel": "tm:extends", "href": "file:///etc/passwd"}]))

    with pytest.raises(ThingModelNotAccessible):
        await resolver.resolve(url)


async def test_redirects_are_followed_within_http_only(models: ModelServer, resolver: ThingModelResolver) -> None:
    """Ditto follows redirects (PekkoHttpJsonDownloader); twinhub only to http(s) URLs and at most 5 times."""
    models.serve("/real.json", _tm(title="real"))
    assert (await resolver.resolve(models.redirect("/moved.json", "/real.json")))["title"] == "real"

    for url in (models.redirect("/to-file.json", "file:///etc/passwd"), models.redirect("/loop.json", "/loop.json")):
        with pytest.raises(ThingModelNotAccessible):
            await resolver.resolve(url)


async def test_mapped_prefixes_read_models_from_a_directory_offline(tmp_path: Path) -> None:
    """A URL prefix mapped to a directory is read from there, never fetched; names cannot leave the directory."""
    (tmp_path / "sub").mkdir()
    (tmp_path / "base.tm.jsonld").write_text('{"title": "base", "properties": {"a": {"type": "string"}}}')
    (tmp_path / "sub" / "lamp.tm.jsonld").write_text(
        '{"title": "lamp", "links": [{"rel": "tm:extends", "href": "../base.tm.jsonld"}]}')
    prefix = "https://models.example.invalid/tm/"
    async with ThingModelFetcher(sources=[(prefix, DirectorySource(tmp_path))]) as fetcher:
        model = await ThingModelResolver(fetcher).resolve(prefix + "sub/lamp.tm.jsonld")
        assert model["title"] == "lamp" and model["properties"] == {"a": {"type": "string"}}
        for name in ("absent.json", "../../etc/passwd", "%2e%2e/%2e%2e/etc/passwd"):
            with pytest.raises(ThingModelNotAccessible):
                await fetcher.fetch(prefix + name)


async def test_errors_render_as_ditto_error_bodies(resolver: ThingModelResolver) -> None:
    with pytest.raises(TwinhubError) as caught:
        await resolver.resolve("ftp://x/y")
    body = caught.value.to_json()
    assert body["status"] == 421 and body["error"] == "wot:tm.notfound" and "ftp://x/y" in body["message"]


async def test_an_asker_giving_up_does_not_fail_the_others_waiting_for_the_same_model(models: ModelServer) -> None:
    """Concurrent fetches of one URL share one download; the first asker being cancelled (its client went away)
    must neither cancel the download nor hand the others its cancellation."""
    url = models.hold("/shared.json", _tm(title="shared"))
    async with ThingModelFetcher(FetchLimits(timeout=30)) as fetcher:
        first = asyncio.create_task(fetcher.fetch(url))
        second = asyncio.create_task(fetcher.fetch(url))
        assert await asyncio.to_thread(models.wait_asked, "/shared.json")
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
        models.release("/shared.json")
        assert (await second)["title"] == "shared"
    assert models.requests["/shared.json"] == 1


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]", "[::ffff:127.0.0.1]", "169.254.169.254",
                                  "10.1.2.3", "192.168.0.1", "user@127.0.0.1"])
async def test_hosts_off_the_public_network_are_refused_when_asked(models: ModelServer, host: str) -> None:
    """With `private_hosts` off, a host resolving to a loopback, private or link-local address (a cloud's metadata
    service) is not downloaded from: `wot:tm.notfound`. Ditto fetches any URL (this is twinhub's opt-in guard):
    by default the same local server is downloaded from."""
    url = models.serve("/private.json", _tm(title="private"))
    port = models.base.rpartition(":")[2]
    async with ThingModelFetcher(FetchLimits(timeout=2, private_hosts=False)) as fetcher:
        with pytest.raises(ThingModelNotAccessible):
            await fetcher.fetch(f"http://{host}:{port}/private.json")
        assert models.requests["/private.json"] == 0
    async with ThingModelFetcher(FetchLimits(timeout=2)) as fetcher:
        assert (await fetcher.fetch(url))["title"] == "private"


@pytest.mark.parametrize("shape", [[{}] * 20_000, [[]] * 20_000, ["a"] * 20_000,
                                   {str(key): 0 for key in range(20_000)}])
def test_the_cache_counts_a_model_at_no_less_than_the_memory_it_takes(shape: object) -> None:
    """The model cache is bounded in bytes (Ditto bounds its cache by entries only): the bytes counted for a
    document must not be fewer than Python takes for it, or a model of empty objects (JSON's two bytes for a
    64-byte dict) would fill the memory many times over the bound."""
    data = json.dumps({"a": shape}, separators=(",", ":")).encode()
    tracemalloc.start()
    try:
        parsed = loads(data)
        taken = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert parsed and footprint(data) >= taken


async def test_a_resolution_is_bounded_in_all_not_only_per_download(models: ModelServer) -> None:
    """Each download has its bound, and so have all of one resolution's together (`resolve_timeout`): a model
    naming many slow ones is `wot:tm.notfound` once that is spent, however generous the per-download bound."""
    url = models.serve("/many.json", _tm(properties={"p": {"tm:ref": "/held.json#/properties/p"}}))
    models.hold("/held.json", _tm(properties={"p": {"type": "string"}}))
    try:
        async with ThingModelFetcher(FetchLimits(timeout=30, resolve_timeout=0.2)) as fetcher:
            with pytest.raises(ThingModelNotAccessible) as caught:
                await ThingModelResolver(fetcher).resolve(url)
    finally:
        models.release("/held.json")
    assert "0.2 seconds" in str(caught.value.description)
