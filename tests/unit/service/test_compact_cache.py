"""The compact cache of things and policies: what goes in comes out equal, as a copy of its own, newest revision
first, bounded in the bytes it holds."""

from __future__ import annotations

import gc
import sys
from datetime import UTC, datetime

import orjson
from hypothesis import given
from hypothesis import strategies as st

from twinhub.model.events import Policy, Thing
from twinhub.model.policy.document import default_policy
from twinhub.service.compact_cache import COMPACT_ENTRY_BYTES, CompactCache

NOW = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
_SCALAR = (st.none() | st.booleans() | st.integers(-2**63, 2**64 - 1) | st.floats(allow_nan=False, allow_infinity=False)
           | st.text())
_DOCS = st.dictionaries(st.text(), st.recursive(_SCALAR, lambda inner: st.lists(inner) | st.dictionaries(
    st.text(), inner), max_leaves=20))


def thing(revision: int = 1, doc: dict[str, object] | None = None, *, deleted: bool = False) -> Thing:
    return Thing("ns:lamp", {"thingId": "ns:lamp", "attributes": {"on": True}} if doc is None else doc,  # type: ignore[arg-type]
                 revision, NOW, NOW, deleted)


def big_cache() -> CompactCache[Thing]:
    return CompactCache(Thing, max_entries=100, max_bytes=10**6)


@given(_DOCS)
def test_a_cached_thing_comes_back_equal(doc: dict[str, object]) -> None:
    cache = big_cache()
    cache.remember("ns:lamp", thing(3, doc))
    assert cache.get("ns:lamp") == thing(3, doc)


def test_a_policy_comes_back_a_policy() -> None:
    cache: CompactCache[Policy] = CompactCache(Policy, max_entries=1, max_bytes=10**6)
    policy = Policy("ns:lamp", default_policy("ns:lamp", "nginx:owner"), 2, NOW, NOW)
    cache.remember("ns:lamp", policy)
    assert cache.get("ns:lamp") == policy


def test_a_tombstone_comes_back_a_tombstone() -> None:
    cache = big_cache()
    cache.remember("ns:lamp", thing(4, {}, deleted=True))
    assert cache.get("ns:lamp") == thing(4, {}, deleted=True)


def test_every_read_is_a_copy_of_its_own() -> None:
    cache = big_cache()
    cache.remember("ns:lamp", thing())
    first = cache.get("ns:lamp")
    assert first is not None
    first.doc["attributes"]["on"] = False  # type: ignore[index]
    assert cache.get("ns:lamp") == thing()


def test_the_encoding_the_write_path_made_is_kept_at_its_exact_size() -> None:
    encoded = orjson.dumps(thing().doc)
    cache = big_cache()
    cache.remember("ns:lamp", thing(), encoded)
    kept = cache._lru.peek("ns:lamp")  # private: the copy's size is the point
    assert kept is not None and kept[0] == encoded
    assert sys.getsizeof(kept[0]) == sys.getsizeof(b"") + len(encoded)
    assert cache.bytes == COMPACT_ENTRY_BYTES + len(encoded)
    gc.collect()
    assert not gc.is_tracked(kept)  # later collections skip it


def test_an_older_revision_does_not_replace_a_newer_one() -> None:
    cache = big_cache()
    cache.remember("ns:lamp", thing(5))
    cache.remember("ns:lamp", thing(4, {"thingId": "ns:lamp"}))
    assert cache.revision("ns:lamp") == 5
    assert not cache.forget_older("ns:lamp", 5)
    assert cache.revision("ns:lamp") == 5
    assert cache.forget_older("ns:lamp", 6)
    assert cache.get("ns:lamp") is None


def test_the_byte_bound_holds_and_the_least_recently_used_leave_first() -> None:
    one = COMPACT_ENTRY_BYTES + len(orjson.dumps(thing().doc))
    cache = CompactCache(Thing, max_entries=100, max_bytes=2 * one)
    for name in ("a", "b"):
        cache.remember(f"ns:{name}", Thing(f"ns:{name}", thing().doc, 1, NOW, NOW))
    assert cache.get("ns:a") is not None
    cache.remember("ns:c", Thing("ns:c", thing().doc, 1, NOW, NOW))
    assert (cache.revision("ns:a"), cache.revision("ns:b"), cache.revision("ns:c")) == (1, None, 1)
    assert len(cache) == 2 and cache.bytes == 2 * one
