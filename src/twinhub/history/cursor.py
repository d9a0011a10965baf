"""Cursors of raw-point pages: the opaque text a page ends with, to continue the same query after its last point.

A cursor is unpadded base64url JSON (the position after which the next page starts, the range the first page
resolved, and a fingerprint of the thing and paths) followed by `.` and a keyed BLAKE2b tag of that JSON. The
tag makes an altered cursor fail as one this service did not issue; the key is the caller's (a deployment's
secret; an empty key still catches accidental damage). Continuing uses the cursor's range, so a relative
`from=-1h` does not move under a client paging through it.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from twinhub.history.series import from_micros, micros
from twinhub.history.timespec import TimeRange
from twinhub.model.errors import HistoryCursorInvalid
from twinhub.model.json import dumps, loads
from twinhub.model.opaque import decode_token, digest, encode_token

__all__ = ["MAX_CURSOR_LENGTH", "PageCursor", "Position", "decode_cursor", "encode_cursor", "fingerprint"]

MAX_CURSOR_LENGTH = 2048
_TAG_BYTES = 16
_NOT_OURS = "The cursor is not one this service issued for this query; start again without it."


@dataclass(frozen=True, slots=True, order=True)
class Position:
    """The last point of a page, in the order raw points are paged: time, revision, path."""

    time: datetime
    revision: int
    path: str


@dataclass(frozen=True, slots=True)
class PageCursor:
    """What a cursor holds: where the next page starts (after `after`), within which range, for which query."""

    after: Position
    range: TimeRange
    fingerprint: str


def fingerprint(thing_id: str, paths: Sequence[str]) -> str:
    """A digest of what a cursor continues: one thing's paths (their order does not matter)."""
    return digest((thing_id, sorted(set(paths))))


def _tag(payload: bytes, key: bytes) -> bytes:
    return hashlib.blake2b(payload, key=key[:64], digest_size=_TAG_BYTES).digest()


def encode_cursor(cursor: PageCursor, key: bytes = b"") -> str:
    """The opaque text of `cursor`, tagged with `key` (at most 64 bytes count)."""
    payload = dumps({"t": micros(cursor.after.time), "r": cursor.after.revision, "p": cursor.after.path,
                     "s": micros(cursor.range.start), "e": micros(cursor.range.end), "f": cursor.fingerprint})
    return f"{encode_token(payload)}.{encode_token(_tag(payload, key))}"


def decode_cursor(text: str, expected_fingerprint: str, key: bytes = b"") -> PageCursor:
    """The cursor `encode_cursor` made with `key` for the query of `expected_fingerprint`; raises
    HistoryCursorInvalid for anything else (malformed, altered, too long, another query's)."""
    if len(text) > MAX_CURSOR_LENGTH or text.count(".") != 1:
        raise HistoryCursorInvalid(_NOT_OURS)
    body, tag = text.split(".")
    try:
        payload, given_tag = decode_token(body), decode_token(tag)
    except (binascii.Error, ValueError) as exc:
        raise HistoryCursorInvalid(_NOT_OURS) from exc
    if not hmac.compare_digest(given_tag, _tag(payload, key)):
        raise HistoryCursorInvalid(_NOT_OURS)
    content = loads(payload)  # ours, since the tag matched
    if not isinstance(content, dict) or content.get("f") != expected_fingerprint:
        raise HistoryCursorInvalid(_NOT_OURS)
    fields = (content.get("t"), content.get("r"), content.get("s"), content.get("e"))
    path = content.get("p")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in fields) or not isinstance(path, str):
        raise HistoryCursorInvalid(_NOT_OURS)
    time, revision, start, end = (v for v in fields if isinstance(v, int))
    try:
        time_range = TimeRange(from_micros(start), from_micros(end))
        return PageCursor(Position(from_micros(time), revision, path), time_range, expected_fingerprint)
    except (OverflowError, ValueError) as exc:
        raise HistoryCursorInvalid(_NOT_OURS) from exc
