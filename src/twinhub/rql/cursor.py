"""Search cursors: the opaque text of the `cursor(...)` option, carrying a `Position` to the client and back.

A cursor is unpadded base64url JSON of the position's sort values, its thing id, the fingerprint of the query
it belongs to (filter, sort and namespaces), so that it continues only that query, and the query's sort when it
has one. What the sort values mean is the store's business (see `Position`): a cursor of a valid form whose
values do not fit the query's sort is refused by the store, with the same error.

As Ditto's `ThingsSearchCursor`, a cursor carries its sort: a request with a cursor and no `sort` continues with
the cursor's, and one with a `sort` must name the same order (`continued_sort`).
"""

from __future__ import annotations

import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeGuard

from twinhub.model.errors import CursorInvalid, RqlOptionInvalid
from twinhub.model.json import loads
from twinhub.model.opaque import decode_token, digest, encode_token
from twinhub.rql.ast import Node, SortOption
from twinhub.rql.fields import FieldPath, resolve_sort_field, validate_sort_fields
from twinhub.rql.parser import parse_options
from twinhub.rql.render import render_options
from twinhub.rql.spec import Position, SortValue

__all__ = ["Cursor", "continued_sort", "decode_cursor", "encode_cursor", "position_of", "query_fingerprint"]

_FOREIGN = "The cursor is not one this service issued."


@dataclass(frozen=True, slots=True)
class Cursor:
    """What a cursor holds: the position of the last thing of a page, its query's fingerprint and sort (None: the
    default, `+thingId`)."""

    position: Position
    fingerprint: str
    sort: SortOption | None = None


def query_fingerprint(filter: Node | None, sort: SortOption | None, namespaces: Sequence[str] | None) -> str:
    """A digest of what a cursor is bound to. Pass the filter as parsed, before placeholders such as
    `time:now` are resolved, so that repeating the request gives the same fingerprint."""
    spaces = None if namespaces is None else sorted(set(namespaces))
    return digest((filter, sort, spaces))


def encode_cursor(position: Position, fingerprint: str, sort: SortOption | None = None) -> str:
    """The opaque cursor after `position` of the query with `fingerprint` and `sort`: unpadded base64url JSON."""
    content: dict[str, object] = {"k": list(position.values), "id": position.thing_id, "f": fingerprint}
    if sort is not None:
        content["s"] = render_options((sort,))
    return encode_token(json.dumps(content, separators=(",", ":")).encode())


def decode_cursor(text: str) -> Cursor:
    """The cursor's content; raises CursorInvalid for anything `encode_cursor` did not make."""
    try:
        # The client's text: parsed within the nesting limit (the stdlib parser would recurse out of stack).
        content = loads(decode_token(text))
    except (binascii.Error, ValueError) as exc:
        raise CursorInvalid(_FOREIGN) from exc
    if not isinstance(content, dict):
        raise CursorInvalid(_FOREIGN)
    values, thing_id, fingerprint = content.get("k"), content.get("id"), content.get("f")
    if not (isinstance(thing_id, str) and isinstance(fingerprint, str) and isinstance(values, list)
            and all(_is_sort_value(v) for v in values)):
        raise CursorInvalid(_FOREIGN)
    position = Position(tuple(v for v in values if _is_sort_value(v)), thing_id)
    return Cursor(position, fingerprint, _sort_of(content.get("s")))


def _sort_of(text: object) -> SortOption | None:
    """The sort a cursor names (the client's text: checked as a sort option), None when it names none."""
    if text is None:
        return None
    try:
        options = parse_options(text) if isinstance(text, str) else ()
        validate_sort_fields(options)
    except RqlOptionInvalid:
        options = ()
    if len(options) != 1 or not isinstance(options[0], SortOption):
        raise CursorInvalid(_FOREIGN)
    return options[0]


def continued_sort(cursor: Cursor, sort: SortOption | None) -> SortOption | None:
    """The sort the page after `cursor` is read in: the cursor's own. A request's `sort` may repeat it (also with
    Ditto's `+thingId` tie-break spelled out, or more fields after `thingId`); another one raises CursorInvalid
    (Ditto `ThingsSearchCursor.areCompatible`)."""
    if sort is not None and _order(sort) != _order(cursor.sort):
        raise CursorInvalid("The option 'sort' must not differ from the original query of the cursor.")
    return cursor.sort


def _order(sort: SortOption | None) -> list[tuple[str, FieldPath]]:
    """Ditto's full order of a sort: its fields up to the first `thingId`, else with `+thingId` appended."""
    order: list[tuple[str, FieldPath]] = []
    for direction, field in sort.fields if sort is not None else ():
        order.append((direction, resolve_sort_field(field)))
        if order[-1][1].kind == "thingId":
            return order
    return [*order, ("+", FieldPath("thingId"))]


def position_of(cursor: str | Cursor, fingerprint: str) -> Position:
    """Where the page that `cursor` (its text, or as decoded) asks for starts; raises CursorInvalid unless the
    cursor is ours and was made for a query with this `fingerprint`."""
    decoded = decode_cursor(cursor) if isinstance(cursor, str) else cursor
    if decoded.fingerprint != fingerprint:
        raise CursorInvalid("Repeat the filter and namespaces of the search that gave the cursor.")
    return decoded.position


def _is_sort_value(value: object) -> TypeGuard[SortValue]:
    return value is None or (isinstance(value, int | float | str) and not isinstance(value, bool))
