"""Values between the shared row encoding and PostgreSQL's columns (pure, no I/O).

Writes are encoded by `twinhub.store.rows` (backend-neutral: orjson documents, JSON pointer
strings, index rows), so both stores keep byte-identical documents and journals. PostgreSQL then needs:

- the index value split by type: numbers and booleans to `num`, strings to `str` (see 0003_search.sql);
- text without U+0000, which PostgreSQL's text type cannot hold: `encode_text` escapes it (and the escape
  character U+0001) so that equality, prefixes and code point order are kept, and every string bound to
  a search query is escaped alike; `decode_text` undoes it on the way out (index rows, journal paths,
  history point paths and strings);
- numbers out of `numeric` as Python ints and floats (asyncpg reads them as Decimal).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from twinhub.store.index import BOOLEAN, NUMBER, STRING
from twinhub.store.points import PointRow
from twinhub.store.rows import IndexRowValues, JournalRow
from twinhub.store.search import CompiledQuery

__all__ = ["IndexRecord", "JournalRecord", "PolicyIndexRecord", "bound_params", "decode_text", "encode_text",
           "index_record", "journal_record", "lock_key", "plain", "point_record", "policy_index_record",
           "stored_point", "stored_rollup", "unescaped"]

# thing_id, path, wpath, type, num, str, empty
IndexRecord = tuple[str, str, str, int, int | float | None, str | None, int]
# entity id, revision, timestamp, action, path, value, snapshot
JournalRecord = JournalRow
# policy_id, subject, path, depth, effect, expiry
PolicyIndexRecord = tuple[str, str, str, int, int, str | None]

_ESCAPED = re.compile("\x01[\x01\x02]")
_INT64 = range(-(2**63), 2**63)


def encode_text(text: str) -> str:
    """`text` without U+0000: U+0001 becomes U+0001 U+0002 and U+0000 becomes U+0001 U+0001.

    Every character maps to a code sequence that no other one's is a prefix of, and the sequences order
    as their characters do, so two encoded strings compare, and prefix each other, as the originals.
    """
    if "\x00" not in text and "\x01" not in text:
        return text
    return text.replace("\x01", "\x01\x02").replace("\x00", "\x01\x01")


def decode_text(text: str) -> str:
    """The inverse of `encode_text`."""
    if "\x01" not in text:
        return text
    return _ESCAPED.sub(lambda match: "\x00" if match[0] == "\x01\x01" else "\x01", text)


def index_record(row: IndexRowValues) -> IndexRecord:
    """A `thing_index` row of the shared encoding with its value in the column of its type."""
    thing_id, path, wpath, kind, value, empty = row
    number = value if kind in (NUMBER, BOOLEAN) and not isinstance(value, str) else None
    string = encode_text(value) if kind == STRING and isinstance(value, str) else None
    return thing_id, encode_text(path), encode_text(wpath), kind, number, string, empty


def policy_index_record(row: tuple[str, str, str, int, int, str | None]) -> PolicyIndexRecord:
    policy_id, subject, path, depth, effect, expiry = row
    return policy_id, encode_text(subject), encode_text(path), depth, effect, expiry


def journal_record(row: JournalRow) -> JournalRecord:
    entity_id, revision, timestamp, action, path, value, snapshot = row
    return entity_id, revision, timestamp, action, encode_text(path), value, snapshot


def point_record(row: PointRow) -> PointRow:
    """A `history_points` row with its path and string value escaped (the thing id is a valid id: no U+0000)."""
    thing_id, path, micros, revision, kind, number, string = row
    return thing_id, encode_text(path), micros, revision, kind, number, None if string is None else encode_text(string)


def unescaped(row: Sequence[Any], *indexes: int) -> tuple[Any, ...]:
    """`row` with the strings at `indexes` unescaped (None stays None): history rows as the stores share them."""
    values = list(row)
    for index in indexes:
        values[index] = None if values[index] is None else decode_text(values[index])
    return tuple(values)


def stored_rollup(row: Sequence[Any]) -> tuple[Any, ...]:
    """The columns of a read `history_rollups` row from `bucket_us` on, the first and last strings unescaped."""
    return unescaped(row, 17, 22)  # first_str, last_str


def stored_point(row: Sequence[Any]) -> tuple[Any, ...]:
    """The columns (t_us, revision, type, num, str) of a read `history_points` row, the string unescaped."""
    return unescaped(row, 4)


def bound_params(query: CompiledQuery) -> list[object]:
    """A search query's parameters as PostgreSQL gets them: strings escaped as the index stores them."""
    return [encode_text(value) if isinstance(value, str) else value for value in query.params]


def plain(value: Any) -> Any:
    """A value read from a search row as SQLite would give it: Decimal as int (when integral and in
    64 bits) or float, escaped text decoded; anything else as it is."""
    if isinstance(value, Decimal):
        if value == value.to_integral_value() and int(value) in _INT64:
            return int(value)
        return float(value)
    if isinstance(value, str):
        return decode_text(value)
    return value


def lock_key(kind: str, entity_id: str) -> int:
    """The advisory lock of an entity: a stable signed 64-bit hash, the same in every worker."""
    digest = hashlib.blake2b(f"{kind}:{entity_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)
