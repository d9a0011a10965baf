"""Search cursors: the opaque text of the `cursor(...)` option, carrying a `Position` to the client and back.

A cursor is unpadded base64url JSON of the position's sort values, its thing id, and the fingerprint of the query
it belongs to (filter, sort and namespaces), so that it continues only that query. What the sort values mean is
the store's business (see `Position`): a cursor of a valid form whose values do not fit the query's sort is
refused by the store, with the same error.
"""

from __future__ import annotations

import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeGuard

from twinhub.model.errors import CursorInvalid
from twinhub.model.json import loads
from twinhub.model.opaque import decode_token, digest, encode_token
from twinhub.rql.ast import Node, SortOption
from twinhub.rql.spec import Position, SortValue

__all__ = ["Cursor", "decode_cursor", "encode_cursor", "position_of", "query_fingerprint"]


@dataclass(frozen=True, slots=True)
class Cursor:
    """What a cursor holds: the position of the last thing of a page, and its query's fingerprint."""

    position: Position
    fingerprint: str


def query_fingerprint(filter: Node | None, sort: SortOption | None, namespaces: Sequence[str] | None) -> str:
    """A digest of what a cursor is bound to. Pass the filter as parsed, before placeholders such as
    `time:now` are resolved, so that repeating the request gives the same fingerprint."""
    spaces = None if namespaces is None else sorted(set(namespaces))
    return digest((filter, sort, spaces))


def encode_cursor(position: Position, fingerprint: str) -> str:
    """The opaque cursor after `position`: unpadded base64url JSON of its sort values, id and fingerprint."""
    content = {"k": list(position.values), "id": position.thing_id, "f": fingerprint}
    return encode_token(json.dumps(content, separators=(",", ":")).encode())


def decode_cursor(text: str) -> Cursor:
    """The cursor's content; raises CursorInvalid for anything `encode_cursor` did not make."""
    try:
        # The client's text: parsed within the nesting limit (the stdlib parser would recurse out of stack).
        content = loads(decode_token(text))
    except (binascii.Error, ValueError) as exc:
        raise CursorInvalid("The cursor is not one this service issued.") from exc
    if not isinstance(content, dict):
        raise CursorInvalid("The cursor is not one this service issued.")
    values, thing_id, fingerprint = content.get("k"), content.get("id"), content.get("f")
    if not (isinstance(thing_id, str) and isinstance(fingerprint, str) and isinstance(values, list)
            and all(_is_sort_value(v) for v in values)):
        raise CursorInvalid("The cursor is not one this service issued.")
    return Cursor(Position(tuple(v for v in values if _is_sort_value(v)), thing_id), fingerprint)


def position_of(text: str, fingerprint: str) -> Position:
    """Where the page that cursor `text` asks for starts; raises CursorInvalid unless the cursor is ours and was
    made for a query with this `fingerprint`."""
    cursor = decode_cursor(text)
    if cursor.fingerprint != fingerprint:
        raise CursorInvalid("Repeat the filter, sort and namespaces of the search that gave the cursor.")
    return cursor.position


def _is_sort_value(value: object) -> TypeGuard[SortValue]:
    return value is None or (isinstance(value, int | float | str) and not isinstance(value, bool))
