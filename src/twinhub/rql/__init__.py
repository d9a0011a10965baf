"""RQL, pure: Ditto's filter and option grammars, field whitelist, placeholders and in-memory evaluation, and the
search specification a store answers (no table or column: the SQL lives in `twinhub.store.search`).

    node = parse_filter('and(eq(attributes/room,"kitchen"),gt(_modified,time:now-1h))')   # RqlInvalid on error
    validate_filter_fields(node)                                  # RqlInvalid: "Unknown property name: …"
    node = resolve_placeholders(node, now)                         # time:now… -> ISO-8601 text / epoch millis
    matches(node, thing_json)                                      # conditions and event filters
    options = parse_options("sort(+thingId),size(10)")             # RqlOptionInvalid on error
    validate_sort_fields(options)

`render(node)` / `render_options(options)` print canonical RQL that parses back to the same values. The errors
(`RqlInvalid`, `RqlOptionInvalid`, `CursorInvalid`) are defined with every other in `twinhub.model.errors`.

    spec = SearchSpec(node, subjects, now, sort=sort, size=10, after=position_of(cursor_text, fingerprint))
    hits = await store.search(spec)                                # then encode_cursor(hits.next, fingerprint)
"""

from __future__ import annotations

from twinhub.model.errors import CursorInvalid, RqlInvalid, RqlOptionInvalid
from twinhub.rql.ast import (
    And,
    Comparison,
    ComparisonOp,
    CursorOption,
    Empty,
    Exists,
    In,
    LimitOption,
    Node,
    Not,
    Option,
    Or,
    Placeholder,
    SizeOption,
    SortDirection,
    SortOption,
    Value,
)
from twinhub.rql.cursor import Cursor, continued_sort, decode_cursor, encode_cursor, position_of, query_fingerprint
from twinhub.rql.fields import (
    FieldKind,
    FieldPath,
    resolve_field,
    resolve_sort_field,
    validate_filter_fields,
    validate_sort_fields,
)
from twinhub.rql.like import like_matches, like_to_regex
from twinhub.rql.memory import matches
from twinhub.rql.parser import (
    DEFAULT_MAX_DEPTH,
    DEFAULT_MAX_LENGTH,
    DEFAULT_MAX_TERMS,
    check_terms,
    parse_filter,
    parse_options,
)
from twinhub.rql.placeholders import resolve_placeholder, resolve_placeholders
from twinhub.rql.render import render, render_options
from twinhub.rql.spec import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Position, SearchSpec, SortValue

__all__ = [
    "DEFAULT_MAX_DEPTH",
    "DEFAULT_MAX_LENGTH",
    "DEFAULT_MAX_TERMS",
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "And",
    "Comparison",
    "ComparisonOp",
    "Cursor",
    "CursorInvalid",
    "CursorOption",
    "Empty",
    "Exists",
    "FieldKind",
    "FieldPath",
    "In",
    "LimitOption",
    "Node",
    "Not",
    "Option",
    "Or",
    "Placeholder",
    "Position",
    "RqlInvalid",
    "RqlOptionInvalid",
    "SearchSpec",
    "SizeOption",
    "SortDirection",
    "SortOption",
    "SortValue",
    "Value",
    "check_terms",
    "continued_sort",
    "decode_cursor",
    "encode_cursor",
    "like_matches",
    "like_to_regex",
    "matches",
    "parse_filter",
    "parse_options",
    "position_of",
    "query_fingerprint",
    "render",
    "render_options",
    "resolve_field",
    "resolve_placeholder",
    "resolve_placeholders",
    "resolve_sort_field",
    "validate_filter_fields",
    "validate_sort_fields",
]
