"""Search cursors, pure: the opaque text round-trips a position, foreign or misplaced cursors are refused."""

from __future__ import annotations

import base64
import json
import re

import pytest

from twinhub.rql import (
    Cursor,
    CursorInvalid,
    continued_sort,
    decode_cursor,
    encode_cursor,
    position_of,
    query_fingerprint,
)
from twinhub.rql.ast import Comparison, Empty, Exists, Or, Placeholder, SortOption
from twinhub.rql.parser import parse_filter, parse_options
from twinhub.rql.spec import Position


def test_cursor_round_trips_as_unpadded_base64url_json() -> None:
    text = encode_cursor(Position((2, "x ü", 1.5, -7), "ns:thing"), "fp")
    assert re.fullmatch(r"[A-Za-z0-9_-]+", text)
    assert decode_cursor(text) == Cursor(Position((2, "x ü", 1.5, -7), "ns:thing"), "fp")
    assert json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))) == {
        "k": [2, "x ü", 1.5, -7],
        "id": "ns:thing",
        "f": "fp",
    }


@pytest.mark.parametrize(
    "text",
    [
        "",
        "!!!",
        "e30",
        base64.urlsafe_b64encode(b"[1]").decode(),
        base64.urlsafe_b64encode(b"\xff").decode(),
        base64.urlsafe_b64encode(b'{"k":[[1]],"id":"a","f":"b"}').decode(),
        base64.urlsafe_b64encode(b'{"k":[true],"id":"a","f":"b"}').decode(),
        base64.urlsafe_b64encode(b'{"k":[],"id":1,"f":"b"}').decode(),
        # nested past every parser limit (ours, orjson's 1024): refused as foreign, no RecursionError escapes
        base64.urlsafe_b64encode(b'{"k":' + b"[" * 100_000 + b"]" * 100_000 + b',"id":"a","f":"b"}').decode(),
    ],
    ids=["empty", "not-base64", "empty-object", "array", "not-utf8", "nested-value", "bool-value", "id-not-string",
         "too-deep"],
)
def test_foreign_cursors_are_invalid(text: str) -> None:
    with pytest.raises(CursorInvalid) as caught:
        decode_cursor(text)
    assert caught.value.code == "thing-search:search.option.invalid" and caught.value.status == 400


def test_a_cursor_is_refused_by_another_query() -> None:
    fingerprint = query_fingerprint(None, None, None)
    other = query_fingerprint(parse_filter("exists(attributes/a)"), None, None)
    cursor = encode_cursor(Position(("a:b",), "a:b"), fingerprint)
    assert position_of(cursor, fingerprint) == Position(("a:b",), "a:b")
    with pytest.raises(CursorInvalid, match="cursor"):
        position_of(cursor, other)
    with pytest.raises(CursorInvalid):
        position_of("e30", fingerprint)


def test_fingerprint_covers_filter_sort_and_namespaces_but_not_their_order() -> None:
    base = query_fingerprint(Exists("attributes/a"), None, ["a", "b"])
    assert base == query_fingerprint(Exists("attributes/a"), None, ["b", "a", "a"])
    assert base == query_fingerprint(Exists("attributes/a"), None, ("b", "a"))
    others = {
        query_fingerprint(Exists("attributes/b"), None, ["a", "b"]),
        query_fingerprint(Exists("attributes/a"), SortOption((("+", "thingId"),)), ["a", "b"]),
        query_fingerprint(Exists("attributes/a"), None, ["a"]),
        query_fingerprint(Exists("attributes/a"), None, None),
        query_fingerprint(Exists("attributes/a"), None, []),
        query_fingerprint(Or((Exists("attributes/a"), Empty("x"))), None, ["a", "b"]),
    }
    assert base not in others and len(others) == 6
    placeholder = Comparison("gt", "_modified", Placeholder("time:now"))
    assert query_fingerprint(placeholder, None, None) == query_fingerprint(placeholder, None, None)


def test_a_cursor_carries_its_sort() -> None:
    """Ditto's `ThingsSearchCursor` holds its query's sort (field `S`); a cursor of the default sort holds none."""
    sort = SortOption((("-", "attributes/n"), ("+", "thingId")))
    text = encode_cursor(Position((1, "a:b"), "a:b"), "fp", sort)
    assert decode_cursor(text) == Cursor(Position((1, "a:b"), "a:b"), "fp", sort)
    assert decode_cursor(encode_cursor(Position(("a:b",), "a:b"), "fp")).sort is None


@pytest.mark.parametrize("sort", ["sort(+nope)", "size(3)", "sort(+thingId),size(3)", "sort(", "", 5, ["x"]])
def test_a_cursor_with_a_sort_that_is_no_sort_option_is_foreign(sort: object) -> None:
    text = base64.urlsafe_b64encode(json.dumps({"k": [], "id": "a:b", "f": "fp", "s": sort}).encode()).decode()
    with pytest.raises(CursorInvalid, match="cursor"):
        decode_cursor(text)


@pytest.mark.parametrize(("cursor_sort", "request_sort"), [
    (None, None), (None, "sort(+thingId)"), (None, "sort(+/thingId,-attributes/a)"),
    ("sort(-attributes/a)", None), ("sort(-attributes/a)", "sort(-/attributes/a)"),
    ("sort(-attributes/a)", "sort(-attributes/a,+thingId)"), ("sort(-attributes/a,+thingId)", "sort(-attributes/a)"),
    ("sort(-thingId)", "sort(-thingId,+attributes/a)"),
])
def test_a_cursor_goes_on_in_its_own_sort_which_a_request_may_repeat(cursor_sort: str | None,
                                                                     request_sort: str | None) -> None:
    """`ThingsSearchCursor.areCompatible`: equal entries up to the first `thingId`, or the cursor's with the default
    `+thingId` appended."""
    own = None if cursor_sort is None else _sort(cursor_sort)
    cursor = decode_cursor(encode_cursor(Position((), "a:b"), "fp", own))
    assert continued_sort(cursor, None if request_sort is None else _sort(request_sort)) == own


@pytest.mark.parametrize(("cursor_sort", "request_sort"), [
    (None, "sort(-thingId)"), (None, "sort(+attributes/a)"), ("sort(-attributes/a)", "sort(+attributes/a)"),
    ("sort(-attributes/a)", "sort(-attributes/a,-thingId)"), ("sort(-attributes/a)", "sort(+thingId)"),
    ("sort(-attributes/a,+attributes/b)", "sort(-attributes/a)"),
])
def test_another_sort_with_a_cursor_is_refused(cursor_sort: str | None, request_sort: str) -> None:
    own = None if cursor_sort is None else _sort(cursor_sort)
    cursor = decode_cursor(encode_cursor(Position((), "a:b"), "fp", own))
    with pytest.raises(CursorInvalid) as refused:
        continued_sort(cursor, _sort(request_sort))
    assert refused.value.description == "The option 'sort' must not differ from the original query of the cursor."


def _sort(text: str) -> SortOption:
    (option,) = parse_options(text)
    assert isinstance(option, SortOption)
    return option
