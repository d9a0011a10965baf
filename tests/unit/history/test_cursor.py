from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twinhub.history.cursor import (
    MAX_CURSOR_LENGTH,
    PageCursor,
    Position,
    decode_cursor,
    encode_cursor,
    fingerprint,
)
from twinhub.history.timespec import TimeRange
from twinhub.model.errors import HistoryCursorInvalid

T0 = datetime(2026, 1, 1, tzinfo=UTC)
RANGE = TimeRange(T0, T0 + timedelta(hours=1))
PRINT = fingerprint("ns:t", ["/attributes/a", "/attributes/b"])
CURSOR = PageCursor(Position(T0 + timedelta(microseconds=1), 7, "/attributes/a"), RANGE, PRINT)


@given(st.datetimes(timezones=st.just(UTC)), st.integers(0, 2**62), st.text(max_size=30), st.binary(max_size=64))
def test_a_cursor_comes_back_as_it_was_issued(time: datetime, revision: int, path: str, key: bytes) -> None:
    cursor = PageCursor(Position(time, revision, path), RANGE, PRINT)
    assert decode_cursor(encode_cursor(cursor, key), PRINT, key) == cursor


def test_a_cursor_is_url_safe() -> None:
    text = encode_cursor(CURSOR, b"k")
    assert set(text) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")


def test_the_fingerprint_ignores_the_order_of_paths_but_not_the_thing() -> None:
    assert fingerprint("ns:t", ["/b", "/a"]) == fingerprint("ns:t", ["/a", "/b", "/a"])
    assert fingerprint("ns:u", ["/a"]) != fingerprint("ns:t", ["/a"])


def test_a_cursor_of_another_query_is_refused() -> None:
    with pytest.raises(HistoryCursorInvalid):
        decode_cursor(encode_cursor(CURSOR), fingerprint("ns:other", ["/attributes/a"]))


def test_a_cursor_tagged_with_another_key_is_refused() -> None:
    with pytest.raises(HistoryCursorInvalid):
        decode_cursor(encode_cursor(CURSOR, b"one"), PRINT, b"two")


def test_an_altered_cursor_is_refused() -> None:
    body, tag = encode_cursor(CURSOR, b"k").split(".")
    payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).replace(b'"r":7', b'"r":8')
    forged = base64.urlsafe_b64encode(payload).decode().rstrip("=") + "." + tag
    with pytest.raises(HistoryCursorInvalid) as raised:
        decode_cursor(forged, PRINT, b"k")
    assert raised.value.status == 400 and raised.value.code == "history:cursor.invalid"


@pytest.mark.parametrize("text", ["", ".", "abc", "a.b.c", "!!!.???", "e30.AAAA", "x" * (MAX_CURSOR_LENGTH + 1)])
def test_malformed_cursors_are_refused(text: str) -> None:
    with pytest.raises(HistoryCursorInvalid):
        decode_cursor(text, PRINT)


def test_positions_order_by_time_then_revision_then_path() -> None:
    assert Position(T0, 2, "/a") < Position(T0, 2, "/b") < Position(T0, 3, "/a") < Position(T0 + timedelta(1), 0, "/a")
