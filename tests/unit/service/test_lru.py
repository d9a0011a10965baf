"""The caches' least-recently-used map: bounded in entries and in estimated bytes, and telling what leaves."""

from __future__ import annotations

from twinhub.model.lru import Lru
from twinhub.service.sizes import ENTRY_BYTES, document_bytes


def test_the_least_recently_used_entry_leaves_first_past_the_byte_bound() -> None:
    left: list[tuple[str, int]] = []
    cache: Lru[str, int] = Lru(max_entries=10, max_bytes=300, on_evict=lambda key, value: left.append((key, value)))
    cache.put("a", 1, 100)
    cache.put("b", 2, 100)
    cache.put("c", 3, 100)
    assert cache.get("a") == 1  # now the most recently used: b is the oldest
    cache.put("d", 4, 150)
    assert left == [("b", 2), ("c", 3)]
    assert (len(cache), cache.bytes) == (2, 250)
    assert cache.peek("a") == 1 and cache.peek("d") == 4


def test_the_entry_bound_holds_too() -> None:
    cache: Lru[str, int] = Lru(max_entries=2, max_bytes=10**9)
    for number, key in enumerate("abc"):
        cache.put(key, number, 1)
    assert "a" not in cache and len(cache) == 2


def test_peek_does_not_count_as_use() -> None:
    cache: Lru[str, int] = Lru(max_entries=2, max_bytes=10**9)
    cache.put("a", 1, 1)
    cache.put("b", 2, 1)
    assert cache.peek("a") == 1
    cache.put("c", 3, 1)
    assert "a" not in cache and "b" in cache


def test_replacing_an_entry_counts_its_new_size_only() -> None:
    left: list[str] = []
    cache: Lru[str, int] = Lru(max_entries=10, max_bytes=100, on_evict=lambda key, value: left.append(key))
    cache.put("a", 1, 60)
    cache.put("a", 2, 80)
    assert (cache.peek("a"), cache.bytes, left) == (2, 80, [])


def test_an_entry_larger_than_the_bound_is_not_kept_and_drops_what_it_replaces() -> None:
    left: list[str] = []
    cache: Lru[str, int] = Lru(max_entries=10, max_bytes=100, on_evict=lambda key, value: left.append(key))
    cache.put("small", 1, 10)
    cache.put("big", 1, 10)
    cache.put("big", 2, 101)
    assert "big" not in cache and "small" in cache
    assert (left, cache.bytes) == (["big"], 10)


def test_pop_and_clear_hand_what_leaves_to_on_evict() -> None:
    left: list[str] = []
    cache: Lru[str, int] = Lru(max_entries=10, max_bytes=100, on_evict=lambda key, value: left.append(key))
    for key in "abc":
        cache.put(key, 0, 10)
    assert cache.pop("b") == 0 and cache.pop("b") is None
    cache.clear()
    assert (left, len(cache), cache.bytes) == (["b", "a", "c"], 0, 0)


def test_a_bound_of_zero_keeps_nothing() -> None:
    cache: Lru[str, int] = Lru(max_entries=0, max_bytes=100)
    cache.put("a", 1, 1)
    assert len(cache) == 0 and cache.get("a") is None


def test_a_document_is_estimated_by_its_encoded_length() -> None:
    small, large = document_bytes({"a": 1}), document_bytes({"a": "x" * 10_000})
    assert ENTRY_BYTES < small < large
    assert large - small > 10_000
