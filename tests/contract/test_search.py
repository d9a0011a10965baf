"""Search through `Store.search` and `Store.count` on every backend: each store compiles the `SearchSpec` for
its dialect and runs it. The cases and their expectations are those of test_search_sql.py (which runs SQLite's
SQL on a raw connection and reads its query plans), plus what a typed database could get wrong: strings compare
by code point whatever the collation, long strings past any index prefix, U+0000, exact numbers.

Semantics are Ditto's search (MongoDB), which differ from the in-memory evaluator where noted.
"""

from __future__ import annotations

import json
import logging
import random
import sqlite3
import string
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, closing
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.contract.helpers import delete, unit
from tests.contract.test_search_sql import (
    CASES,
    CATALOG,
    FUTURE,
    MIXED,
    NOW,
    PAGED,
    PAST,
    SEARCH_DIFFERS,
    SECRETS,
    VECTORS,
    _sort,
    continue_after,
    grant,
    put,
    revoke,
    spec,
)
from twinhub.model.errors import ServiceUnavailable
from twinhub.model.types import JsonObject
from twinhub.rql import (
    DEFAULT_MAX_DEPTH,
    DEFAULT_MAX_TERMS,
    CursorInvalid,
    RqlInvalid,
    encode_cursor,
    position_of,
    query_fingerprint,
)
from twinhub.rql.parser import parse_filter
from twinhub.rql.spec import Position, SearchSpec
from twinhub.service.search import parse_query_filter
from twinhub.store.base import Store
from twinhub.store.search import MAX_PARAMETERS, Hits

pytestmark = pytest.mark.anyio


async def found(store: Store, filter: str | None = None, **options: Any) -> Hits:
    return await store.search(spec(filter, **options))


async def ids(store: Store, filter: str | None = None, **options: Any) -> list[str]:
    """The short ids (without namespace org.twinhub) of the things found, in order."""
    return [thing.thing_id.removeprefix("org.twinhub:") for thing in (await found(store, filter, **options)).things]


async def count(store: Store, filter: str | None = None, *, subjects: Sequence[str] = ("alice",),
                namespaces: Sequence[str] | None = None) -> int:
    return await store.count(spec(filter, subjects=subjects, namespaces=namespaces))


async def walk(store: Store, filter: str | None, sort: str | None, size: int, **kwargs: Any) -> list[list[str]]:
    """Every page, following cursors."""
    pages: list[list[str]] = []
    after: Position | None = None
    while True:
        page = await found(store, filter, sort=sort, size=size, after=after, **kwargs)
        pages.append([thing.thing_id.removeprefix("org.twinhub:") for thing in page.things])
        if page.next is None:
            return pages
        after = continue_after(page.next, filter, sort, kwargs.get("namespaces"))


# -- operators over one catalog ------------------------------------------------------------------

@pytest.mark.parametrize(("filter", "expected"), CASES)
async def test_operator_semantics_follow_ditto_search(store: Store, filter: str, expected: str) -> None:
    await put(store, CATALOG)
    assert await ids(store, filter) == list(expected)
    assert await count(store, filter) == len(expected)


NULL_PARTS: dict[str, JsonObject] = {
    "n": {"definition": None, "features": {"lamp": {"definition": None, "properties": None}, "fan": None}},
    "s": {"definition": "org.twinhub:lamp:1.0.0", "features": {"lamp": {"definition": ["org.twinhub:lamp:1.0.0"]}}},
    "e": {"features": None},
}


@pytest.mark.parametrize(("filter", "expected"), [
    ("eq(definition,null)", "n"), ("ne(definition,null)", "s"), ("exists(definition)", "ns"),
    ("eq(features/lamp/definition,null)", "n"), ("eq(features/*/definition,null)", "n"),
    ("exists(features/fan)", "n"), ("exists(features/lamp/properties)", "n"),
])
async def test_null_parts_of_things_are_found_as_null(store: Store, filter: str, expected: str) -> None:
    """A thing's `definition: null`, a null feature and null feature parts are kept (Ditto's `NullThingDefinition`,
    `NullFeature`, `NullFeatureDefinition`, `NullFeatureProperties`) and indexed as JSON null, so `eq(f,null)`
    finds them and only them (Ditto `CreateBsonPredicateVisitor`: `{f: null, $exists: true}`)."""
    await put(store, NULL_PARTS)
    assert sorted(await ids(store, filter)) == list(expected)


@pytest.mark.parametrize("vector", [v for v in VECTORS if v["kind"] == "like-match"], ids=lambda v: v["note"])
async def test_like_match_vectors(store: Store, vector: dict[str, Any]) -> None:
    await put(store, {"v": {"attributes": {"s": vector["value"]}}})
    op = "ilike" if vector["case_insensitive"] else "like"
    found = await ids(store, f"{op}(attributes/s,{json.dumps(vector['input'])})")
    assert found == (["v"] if vector["expected_match"] else [])


@pytest.mark.parametrize("vector", [v for v in VECTORS if v["kind"] == "eval"], ids=lambda v: v["input"])
async def test_eval_vectors_with_search_semantics(store: Store, vector: dict[str, Any]) -> None:
    thing = dict(vector["thing"])
    thing_id = thing.pop("thingId")
    await put(store, {thing_id: thing})
    expected = SEARCH_DIFFERS.get(vector["input"], vector["expected_match"])
    assert await ids(store, vector["input"]) == ([thing_id] if expected else [])


# -- sorting and paging --------------------------------------------------------------------------

async def test_sort_orders_mixed_types_by_type_then_value(store: Store) -> None:
    await put(store, MIXED)
    # missing < null < numbers < strings < objects < arrays (empty ones only) < booleans; arrays sort by an element
    assert await ids(store, sort="sort(+attributes/k)") == \
        ["missing", "null", "array", "five", "five2", "text", "object", "hollow", "true"]
    # descending: the largest element of an array; missing last; ties still by ascending thing id
    assert await ids(store, sort="sort(-attributes/k)") == \
        ["true", "hollow", "object", "text", "array", "five", "five2", "null", "missing"]


async def test_sort_by_columns_and_several_fields(store: Store) -> None:
    await put(store, {"b": {"attributes": {"g": 1}}, "a": {"attributes": {"g": 2}}, "c": {"attributes": {"g": 1}}})
    assert await ids(store) == ["a", "b", "c"]
    assert await ids(store, sort="sort(-thingId)") == ["c", "b", "a"]
    assert await ids(store, sort="sort(-attributes/g,-thingId)") == ["a", "c", "b"]
    assert await ids(store, sort="sort(+_revision,+attributes/g)") == ["b", "c", "a"]
    assert await ids(store, sort="sort(+policyId,-_modified)") == ["a", "b", "c"]


async def test_sort_by_a_feature_wildcard_takes_any_readable_feature(store: Store) -> None:
    await put(store, {"a": {"features": {"x": {"properties": {"v": 5}}, "y": {"properties": {"v": 1}}}},
                      "b": {"features": {"x": {"properties": {"v": 3}}}}, "c": {}},
              rows=[grant("alice"), revoke("alice", "/features/y")])
    assert await ids(store, sort="sort(+features/*/properties/v)") == ["c", "b", "a"]
    assert await ids(store, sort="sort(-features/*/properties/v)") == ["a", "b", "c"]


@pytest.mark.parametrize("sort", [None, "sort(-thingId)", "sort(+attributes/g)", "sort(-attributes/g)",
                                  "sort(-attributes/g,+_revision)", "sort(+attributes/g,-thingId)"])
@pytest.mark.parametrize("size", [1, 4, 7])
async def test_keyset_pages_join_up_to_the_whole_result(store: Store, sort: str | None,
                                                        size: int) -> None:
    await put(store, PAGED)
    everything = await ids(store, sort=sort, size=100)
    pages = await walk(store, None, sort, size)
    assert [thing for page in pages for thing in page] == everything
    assert all(len(page) == size for page in pages[:-1]) and 0 < len(pages[-1]) <= size
    assert len(everything) == len(PAGED)


async def test_keyset_paging_with_a_filter_and_namespaces(store: Store) -> None:
    await put(store, PAGED | {"other:x": {"attributes": {"g": 1}}})
    pages = await walk(store, "gt(attributes/g,0)", "sort(-attributes/g)", 3, namespaces=["org.twinhub"])
    found = [thing for page in pages for thing in page]
    assert found == await ids(store, "gt(attributes/g,0)", sort="sort(-attributes/g)", namespaces=["org.twinhub"])
    assert found[:2] == ["arr", "t03"] and "other:x" not in found and len(found) == 15


async def test_deprecated_limit_pages_by_offset(store: Store) -> None:
    await put(store, {name: {} for name in "abcde"})
    page = await found(store, size=2, offset=1)
    assert [thing.thing_id for thing in page.things] == ["org.twinhub:b", "org.twinhub:c"]
    assert page.next == Position(("org.twinhub:c",), "org.twinhub:c")  # a next exists
    assert (await found(store, size=2, offset=3)).next is None


async def test_a_cursor_of_another_query_is_refused(store: Store) -> None:
    await put(store, {name: {"attributes": {"g": 1}} for name in "abc"})
    position = (await found(store, size=1)).next
    assert position is not None
    cursor = encode_cursor(position, query_fingerprint(None, None, None))
    with pytest.raises(CursorInvalid) as caught:
        position_of(cursor, query_fingerprint(parse_filter("exists(attributes/g)"), None, None))
    assert caught.value.code == "thing-search:search.option.invalid" and caught.value.status == 400
    with pytest.raises(CursorInvalid):  # nor does its position fit another sort
        await found(store, "exists(attributes/g)", sort="sort(-attributes/g)", after=position)


async def test_namespaces_restrict_the_search(store: Store) -> None:
    await put(store, {"a": {}, "one:b": {}, "two:c": {}})
    assert await ids(store, namespaces=["one", "two"]) == ["one:b", "two:c"]
    assert await ids(store, namespaces=[]) == []
    assert await count(store, namespaces=["org.twinhub"]) == 1


async def test_deleted_things_are_not_found(store: Store) -> None:
    await put(store, {"a": {"attributes": {"n": 1}}, "b": {"attributes": {"n": 1}}})
    thing = await store.load("org.twinhub:a")
    assert thing is not None
    await store.commit(unit(delete(thing)))
    assert await ids(store, "eq(attributes/n,1)") == ["b"] and await ids(store) == ["b"]


# -- policy visibility ---------------------------------------------------------------------------

async def test_partial_read_finds_the_thing_but_only_readable_fields_match(store: Store) -> None:
    await put(store, SECRETS, rows=[grant("alice"), grant("bob", "/attributes/public")])
    for subject in ("alice", "bob"):
        assert await ids(store, subjects=[subject]) == ["s"]
        assert await ids(store, "eq(thingId,\"org.twinhub:s\")", subjects=[subject]) == ["s"]  # no field check
        assert await ids(store, "eq(attributes/public,1)", subjects=[subject]) == ["s"]
    assert await ids(store, "eq(attributes/secret,2)", subjects=["bob"]) == []
    assert await ids(store, "exists(attributes/secret)", subjects=["bob"]) == []
    assert await ids(store, "ne(attributes/secret,5)", subjects=["bob"]) == []
    assert await ids(store, "eq(policyId,\"org.twinhub:open\")", subjects=["bob"]) == []  # READ on /policyId needed
    assert await ids(store, "exists(definition)", subjects=["bob"]) == []
    # what the caller cannot read counts as absent, also for negations and sorting
    assert await ids(store, "not(exists(attributes/secret))", subjects=["bob"]) == ["s"]
    assert await ids(store, "empty(attributes/secret)", subjects=["bob"]) == ["s"]
    assert await ids(store, "exists(attributes/secret)", subjects=["carol"]) == []
    assert await ids(store, subjects=["carol"]) == []


async def test_deeper_grants_override_revokes_and_revokes_win_at_the_same_path(store: Store) -> None:
    await put(store, SECRETS, rows=[grant("bob"), revoke("bob", "/attributes"), grant("bob", "/attributes/deep/a"),
                                    revoke("bob", "/features/hidden"), grant("bob", "/features/hidden"),
                                    grant("bob", "/attributes/deep/a/b/x")])
    assert await ids(store, "eq(attributes/deep/a/b,3)", subjects=["bob"]) == ["s"]
    assert await ids(store, "exists(attributes/deep/a)", subjects=["bob"]) == ["s"]
    assert await ids(store, "eq(attributes/deep/c,4)", subjects=["bob"]) == []
    # bob sees attributes/deep as {"a": {"b": 3}}: it exists in his view (GET shows it)
    assert await ids(store, "exists(attributes/deep)", subjects=["bob"]) == ["s"]
    assert await ids(store, "eq(attributes/public,1)", subjects=["bob"]) == []
    assert await ids(store, "eq(features/open/properties/v,1)", subjects=["bob"]) == ["s"]
    assert await ids(store, "exists(features/hidden)", subjects=["bob"]) == []
    assert await ids(store, "eq(features/*/properties/v,1)", subjects=["bob"]) == ["s"]  # through the open feature
    assert await ids(store, "ne(features/*/properties/v,2)", subjects=["bob"]) == ["s"]


async def test_wildcards_only_see_readable_features(store: Store) -> None:
    await put(store, {"s": {"features": {"open": {"properties": {"v": 1}}, "hidden": {"properties": {"v": 2}}}}},
              rows=[grant("bob"), revoke("bob", "/features/hidden/properties")])
    assert await ids(store, "eq(features/*/properties/v,2)", subjects=["bob"]) == []
    assert await ids(store, "eq(features/*/properties/v,1)", subjects=["bob"]) == ["s"]
    assert await ids(store, "exists(features/*/properties/v)", subjects=["bob"]) == ["s"]
    assert await ids(store, "ne(features/*/properties/v,1)", subjects=["bob"]) == []
    assert await ids(store, "eq(features/*/properties/v,2)", subjects=["alice"]) == []  # alice has no grant here


async def test_a_revoke_for_another_subject_of_the_caller_applies(store: Store) -> None:
    await put(store, SECRETS, rows=[grant("user:bob"), revoke("group:ops", "/attributes/secret"),
                                    revoke("group:other", "/attributes/public")])
    assert await ids(store, "eq(attributes/secret,2)", subjects=["user:bob"]) == ["s"]
    assert await ids(store, "eq(attributes/secret,2)", subjects=["user:bob", "group:ops"]) == []
    assert await ids(store, "eq(attributes/public,1)", subjects=["user:bob", "group:ops"]) == ["s"]
    # a root revoke of any of the caller's subjects hides the thing unless a deeper grant remains
    await put(store, {"t": {"attributes": {"x": 1}}}, policy="org.twinhub:p2",
              rows=[grant("user:bob"), revoke("group:ops")])
    assert await ids(store, "exists(attributes/x)", subjects=["user:bob", "group:ops"]) == []
    assert await ids(store, subjects=["user:bob", "group:ops"]) == ["s"]


async def test_expired_subjects_do_not_count(store: Store) -> None:
    await put(store, {"a": {"attributes": {"x": 1}}}, policy="org.twinhub:pa",
              rows=[grant("bob", expiry=PAST), grant("carol", expiry=FUTURE)])
    await put(store, {"b": {"attributes": {"x": 1}}}, policy="org.twinhub:pb",
              rows=[grant("bob"), revoke("bob", "/attributes", expiry=PAST)])
    await put(store, {"c": {"attributes": {"x": 1}}}, policy="org.twinhub:pc",
              rows=[grant("bob"), revoke("bob", "/attributes", expiry=FUTURE)])
    assert await ids(store, "eq(attributes/x,1)", subjects=["bob"]) == ["b"]
    assert await ids(store, subjects=["bob"]) == ["b", "c"]
    assert await ids(store, "eq(attributes/x,1)", subjects=["carol"]) == ["a"]


async def test_unreadable_things_are_never_found(store: Store) -> None:
    await put(store, {"a": {"attributes": {"x": 1}}}, policy="org.twinhub:pa", rows=[grant("bob"), revoke("bob")])
    await put(store, {"b": {"attributes": {"x": 1}}}, policy="org.twinhub:pb", rows=[revoke("bob", "/attributes")])
    await put(store, {"c": {"attributes": {"x": 1}}}, policy="org.twinhub:pc", rows=[grant("alice")])
    for filter in (None, "eq(attributes/x,1)", "not(exists(attributes/x))", "like(thingId,\"*\")"):
        assert await ids(store, filter, subjects=["bob"]) == []
        assert await count(store, filter, subjects=["bob"]) == 0
    assert await ids(store, subjects=[]) == []


async def test_sorting_treats_unreadable_values_as_missing(store: Store) -> None:
    await put(store, {"a": {"attributes": {"k": 1}}, "b": {"attributes": {"k": 2}}}, policy="org.twinhub:pa",
              rows=[grant("bob")])
    await put(store, {"c": {"attributes": {"k": 0}}}, policy="org.twinhub:pc",
              rows=[grant("bob"), revoke("bob", "/attributes/k"), revoke("bob", "/policyId")])
    assert await ids(store, sort="sort(+attributes/k)", subjects=["bob"]) == ["c", "a", "b"]
    assert await ids(store, sort="sort(-policyId)", subjects=["bob"]) == ["a", "b", "c"]




# -- what a typed database could get wrong ---------------------------------------------------------

async def test_strings_compare_and_sort_by_code_point(store: Store) -> None:
    words = {"upper": "Zebra", "lower": "apple", "accent": "éclair", "emoji": "😀", "empty": "", "digit": "9"}
    await put(store, {name: {"attributes": {"w": word}} for name, word in words.items()})
    by_code_point = sorted(words, key=lambda name: words[name])
    assert await ids(store, sort="sort(+attributes/w)") == by_code_point
    assert await ids(store, sort="sort(-attributes/w)") == by_code_point[::-1]
    assert await ids(store, 'gt(attributes/w,"Z")', sort="sort(+attributes/w)") == ["upper", "lower", "accent",
                                                                                   "emoji"]
    assert await ids(store, 'lt(attributes/w,"a")', sort="sort(+attributes/w)") == ["empty", "digit", "upper"]


LONG = "".join(random.Random(7).choices(string.ascii_letters + string.digits, k=6_000))


async def test_long_strings_compare_exactly_past_any_index_prefix(store: Store) -> None:
    values = {"base": LONG, "more": LONG + "a", "late": LONG[:5_000] + "~" + LONG[5_001:], "short": LONG[:300]}
    await put(store, {name: {"attributes": {"s": value}} for name, value in values.items()})
    assert await ids(store, f"eq(attributes/s,{json.dumps(LONG)})") == ["base"]
    assert await ids(store, f"gt(attributes/s,{json.dumps(LONG)})") == ["late", "more"]
    assert await ids(store, f"ge(attributes/s,{json.dumps(LONG)})") == ["base", "late", "more"]
    assert await ids(store, f"lt(attributes/s,{json.dumps(LONG)})") == ["short"]
    assert await ids(store, f"le(attributes/s,{json.dumps(LONG[:300])})") == ["short"]
    assert await ids(store, f"in(attributes/s,{json.dumps(LONG + 'a')},\"x\")") == ["more"]
    assert await ids(store, f"like(attributes/s,{json.dumps(LONG[:5_000] + '*')})") == ["base", "late", "more"]
    assert await ids(store, sort="sort(-attributes/s)") == ["late", "more", "base", "short"]
    pages = await walk(store, None, "sort(+attributes/s)", 1)
    assert [thing for page in pages for thing in page] == ["short", "base", "more", "late"]


async def test_string_equality_is_exact_at_and_past_the_index_prefix_length(store: Store) -> None:
    # PostgreSQL indexes a string's first 256 characters (its text escapes U+0000 and U+0001 to two): a literal
    # shorter than that is matched on the prefix alone, a longer one also on the whole string. One plan of the
    # shape serves every length, so the searches below run one after the other through it.
    values = {"p255": LONG[:255], "p256": LONG[:256], "p257": LONG[:256] + "a", "p257b": LONG[:256] + "b",
              "p300": LONG[:300], "nul255": LONG[:254] + "\x00", "nul256": LONG[:254] + "\x00a",
              "one256": LONG[:254] + "\x01" + LONG[255], "one257": LONG[:254] + "\x01" + LONG[255:257]}
    await put(store, {name: {"attributes": {"s": value}} for name, value in values.items()})
    for name, value in values.items():
        assert await ids(store, f"eq(attributes/s,{json.dumps(value)})") == [name]
        assert await ids(store, f"ne(attributes/s,{json.dumps(value)})") == sorted(set(values) - {name})
    for missing in (LONG[:254], LONG[:256] + "c", LONG[:254] + "\x00b", LONG[:254] + "\x01", LONG[:1_000]):
        assert await ids(store, f"eq(attributes/s,{json.dumps(missing)})") == []
    assert await ids(store, f"in(attributes/s,{json.dumps(LONG[:255])},{json.dumps(LONG[:256])})") == ["p255", "p256"]
    assert await ids(store, f"in(attributes/s,{json.dumps(LONG[:255])},{json.dumps(LONG[:256] + 'b')})") == \
        ["p255", "p257b"]
    assert await ids(store, f"in(attributes/s,{json.dumps(LONG[:254] + chr(0))},\"x\")") == ["nul255"]


async def test_strings_with_nul_and_control_characters_round_trip_and_match(store: Store) -> None:
    values = {"nul": "a\x00b", "one": "a\x01", "two": "a\x02", "plain": "a", "tail": "a\x00"}
    await put(store, {name: {"attributes": {"s": value}} for name, value in values.items()})
    for name, value in values.items():
        assert await ids(store, f"eq(attributes/s,{json.dumps(value)})") == [name]
        thing = await store.load(f"org.twinhub:{name}")
        assert thing is not None and thing.doc["attributes"] == {"s": value}
    by_code_point = sorted(values, key=lambda name: values[name])
    assert await ids(store, sort="sort(+attributes/s)") == by_code_point
    assert await ids(store, 'gt(attributes/s,"a\\u0000")', sort="sort(+attributes/s)") == ["nul", "one", "two"]
    pages = await walk(store, None, "sort(-attributes/s)", 2)
    assert [thing for page in pages for thing in page] == by_code_point[::-1]
    assert await ids(store, 'like(attributes/s,"a*")') == sorted(values)


NUMBERS: dict[str, JsonObject] = {
    "big": {"attributes": {"n": 2**62 + 1}}, "big0": {"attributes": {"n": 2**62}}, "tenth": {"attributes": {"n": 0.1}},
    "huge": {"attributes": {"n": 1e300}}, "neg": {"attributes": {"n": -2.5}}, "one": {"attributes": {"n": 1}},
    "onef": {"attributes": {"n": 1.0}}, "yes": {"attributes": {"n": True}},
}


async def test_numbers_compare_exactly_and_booleans_stay_apart(store: Store) -> None:
    await put(store, NUMBERS)
    assert await ids(store, f"eq(attributes/n,{2**62 + 1})") == ["big"]
    assert await ids(store, f"gt(attributes/n,{2**62})") == ["big", "huge"]
    assert await ids(store, "eq(attributes/n,0.1)") == ["tenth"]
    assert await ids(store, "eq(attributes/n,1)") == ["one", "onef"]
    assert await ids(store, "lt(attributes/n,0.5)") == ["neg", "tenth"]
    assert await ids(store, "eq(attributes/n,true)") == ["yes"]
    assert await ids(store, "gt(_revision,0.5)") == sorted(NUMBERS)  # a float against an integer column
    assert await ids(store, "eq(_revision,1.5)") == []
    expected = ["neg", "tenth", "one", "onef", "big0", "big", "huge", "yes"]
    assert await ids(store, sort="sort(+attributes/n)") == expected
    for size in (1, 3):
        pages = await walk(store, None, "sort(+attributes/n)", size)
        assert [thing for page in pages for thing in page] == expected


# -- the limits of RQL: the largest query accepted runs on every engine ----------------------------

# The terms that compile into the most deeply nested SQL (measured on SQLite's parser stack) and into the
# most work for PostgreSQL's planner: all on `features/*`, where a term is a join of index rows and things.
HEAVIEST_TERMS = [
    "ne(features/*/properties/p,1)", 'in(features/*/properties/p,1,"x",true,null)', "exists(features/*/properties/p)",
    "empty(features/*/properties/p)", 'like(features/*/properties/p,"a*")', "eq(features/*/properties/p,1)",
    "and(ge(attributes/r,1),lt(attributes/r,3))", 'ne(policyId,"a:b")',
]
NOT, AND, OR = "not(", 'and(eq(thingId,"org.twinhub:x"),', 'or(eq(thingId,"org.twinhub:x"),'
CHAINS = {"not": [NOT], "and": [AND], "or": [OR], "mixed": [NOT, AND, OR]}


def _deepest(term: str, chain: list[str]) -> str:
    """`term` at the bottom of `DEFAULT_MAX_DEPTH` levels of `chain` (a range pair is one level more)."""
    levels = DEFAULT_MAX_DEPTH - (2 if term.startswith("and(") else 1)
    return "".join(chain[level % len(chain)] for level in range(levels)) + term + ")" * levels


async def _search(store: Store, filters: Sequence[str], sort: str | None = None) -> list[str]:
    node = parse_query_filter(filters)  # what the search service runs: every filter, AND-ed and checked
    hits = await store.search(SearchSpec(node, ("alice", "bob"), NOW, namespaces=("org.twinhub", "org.other"),
                                         sort=_sort(sort)))
    return [thing.thing_id for thing in hits.things]


@pytest.mark.parametrize("term", HEAVIEST_TERMS)
async def test_the_deepest_filters_accepted_run(store: Store, term: str) -> None:
    await put(store, {"t": {"attributes": {"r": 2}, "features": {"f": {"properties": {"p": 1}}}}},
              rows=(grant("alice"), revoke("alice", "/features/g")))
    for chain in CHAINS.values():
        filters = [_deepest(term, chain), _deepest(term, chain[::-1])]  # AND-ed: one level more
        await _search(store, filters, sort="sort(-features/*/properties/p,+attributes/r)")
        with pytest.raises(RqlInvalid, match="nested deeper"):
            await _search(store, ["not(" + filters[0] + ")"])


async def test_the_most_terms_accepted_run(store: Store) -> None:
    await put(store, {"t": {"features": {"f": {"properties": {"p": 1}}}}})
    terms = [HEAVIEST_TERMS[n % 6].replace("/properties/p", f"/properties/p{n}") for n in range(DEFAULT_MAX_TERMS)]
    half = DEFAULT_MAX_TERMS // 2
    assert await _search(store, ["and(" + ",".join(terms) + ")"]) == []
    assert await _search(store, ["and(" + ",".join(terms[:half]) + ")", "and(" + ",".join(terms[half:]) + ")"]) == []
    with pytest.raises(RqlInvalid, match="terms"):
        await _search(store, ["and(" + ",".join(terms) + ")", "exists(attributes/x)"])


async def test_the_most_values_accepted_run(store: Store) -> None:
    await put(store, {"t": {"attributes": {"n": 7}}})
    values = ",".join(map(str, range(MAX_PARAMETERS - 20)))
    assert await _search(store, [f"in(attributes/n,{values})"]) == ["org.twinhub:t"]
    with pytest.raises(RqlInvalid, match="values"):
        await _search(store, [f"in(attributes/n,{values},{','.join(map(str, range(-1, -30, -1)))})"])


@asynccontextmanager
async def _renamed(backend: str, request: pytest.FixtureRequest, table: str, name: str) -> AsyncIterator[None]:
    """The store's `table` under another name meanwhile (a database that no longer fits the store)."""
    rename = "ALTER TABLE {} RENAME TO {}"
    if backend == "postgres":
        connection = await asyncpg.connect(request.getfixturevalue("postgres_dsn"))
        try:
            await connection.execute(rename.format(table, name))
            yield
            await connection.execute(rename.format(name, table))
        finally:
            await connection.close()
    else:
        path: Path = request.getfixturevalue("db_path")
        with closing(sqlite3.connect(path, isolation_level=None)) as connection:
            connection.execute(rename.format(table, name))
            yield
            connection.execute(rename.format(name, table))


async def test_a_failing_query_is_logged_with_its_traceback_and_is_503(store: Store, backend: str,
                                                                       request: pytest.FixtureRequest,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    async with _renamed(backend, request, "policy_index", "policy_index_away"):
        with pytest.raises(ServiceUnavailable):
            await store.search(spec("exists(attributes/a)"))
    (record,) = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert record.exc_info is not None


# -- plans kept by shape -------------------------------------------------------------------------------


async def test_searches_of_one_shape_find_each_their_own_values_and_callers_things(store: Store) -> None:
    # One store answers them all, so each search after the first of its shape is bound from a kept plan.
    await put(store, {"a1": {"attributes": {"room": "r1", "n": 1}}, "a2": {"attributes": {"room": "r2", "n": 2}}},
              policy="org.twinhub:pa", rows=[grant("alice")])
    await put(store, {"b1": {"attributes": {"room": "r1", "n": 1}}, "b2": {"attributes": {"room": "r2", "n": 2}}},
              policy="org.twinhub:pb", rows=[grant("bob"), revoke("bob", "/attributes/n")])
    for _ in range(2):
        assert await ids(store, 'eq(attributes/room,"r1")', subjects=["alice"]) == ["a1"]
        assert await ids(store, 'eq(attributes/room,"r2")', subjects=["alice"]) == ["a2"]
        assert await ids(store, 'eq(attributes/room,"r1")', subjects=["bob"]) == ["b1"]
        assert await ids(store, 'eq(attributes/room,"r3")', subjects=["bob"]) == []
        assert await ids(store, 'eq(attributes/room,"r2")', subjects=["carol"]) == []
        assert await ids(store, "eq(attributes/n,1)", subjects=["alice"]) == ["a1"]
        assert await ids(store, "eq(attributes/n,2)", subjects=["bob"]) == []  # not readable by bob
        assert await ids(store, 'eq(thingId,"org.twinhub:a2")', subjects=["alice"]) == ["a2"]
        assert await ids(store, 'eq(thingId,"org.twinhub:a2")', subjects=["bob"]) == []
        assert await ids(store, 'eq(thingId,"org.twinhub:b2")', subjects=["bob"]) == ["b2"]
        assert await count(store, 'in(attributes/room,"r1","r2")', subjects=["alice"]) == 2
        assert await count(store, 'in(attributes/room,"r1","r1")', subjects=["bob"]) == 1
        assert await count(store, 'in(attributes/room,"r2","r9")', subjects=["alice", "bob"]) == 2
        assert await ids(store, sort="sort(-thingId)", size=1, subjects=["bob"]) == ["b2"]
        assert await ids(store, sort="sort(-thingId)", size=1, offset=1, subjects=["alice"]) == ["a1"]
