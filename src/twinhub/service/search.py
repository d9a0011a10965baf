"""Search: RQL filters and options as a `SearchSpec` with the caller's subjects, answered by the store.

The index is written in the same transaction as the thing, so a search right after a write sees it.
Every hit is then shown as the caller's READ view of the thing, exactly as a GET would show it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from twinhub.model.errors import NamespacesInvalid, TwinhubError
from twinhub.model.events import Thing
from twinhub.model.ids import is_valid_namespace
from twinhub.model.lru import Lru
from twinhub.model.types import JsonObject
from twinhub.rql import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    And,
    CursorOption,
    LimitOption,
    Node,
    RqlOptionInvalid,
    SearchSpec,
    SizeOption,
    SortOption,
    check_terms,
    continued_sort,
    decode_cursor,
    encode_cursor,
    parse_filter,
    parse_options,
    position_of,
    query_fingerprint,
    validate_filter_fields,
    validate_sort_fields,
)
from twinhub.service.things import ThingService
from twinhub.store.base import Store


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """A search as the HTTP API receives it: every `filter` (AND-ed) and `option` parameter, as text."""

    filters: Sequence[str] = ()
    options: Sequence[str] = ()
    namespaces: Sequence[str] | None = None


@dataclass(frozen=True, slots=True)
class SearchPage:
    """The hits (the caller's views of the things) and how to go on: a cursor, or with the deprecated
    `limit` option the next offset (-1 on the last page)."""

    things: list[tuple[Thing, JsonObject]] = field(default_factory=list)
    cursor: str | None = None
    next_page_offset: int | None = None


def parse_query_filter(filters: Sequence[str]) -> Node | None:
    """Every `filter` parameter parsed and checked; several are AND-ed as Ditto does, within the term limit
    of one filter together."""
    nodes = [parse_filter(text) for text in filters]
    for node in nodes:
        validate_filter_fields(node)
    if not nodes:
        return None
    combined = nodes[0] if len(nodes) == 1 else And(tuple(nodes))
    check_terms(combined)
    return combined


@dataclass(frozen=True, slots=True)
class _Options:
    sort: SortOption | None
    size: int
    cursor: str | None
    limit: LimitOption | None


def _options(texts: Sequence[str]) -> _Options:
    """The `option` parameters (concatenated, as Ditto does), each kind at most once."""
    found: dict[type, object] = {}
    texts = [text for text in texts if text.strip()]  # an empty `option=` is no option
    for option in parse_options(",".join(texts)) if texts else ():
        if type(option) in found:
            raise RqlOptionInvalid(f"The option '{type(option).__name__}' was given more than once.")
        found[type(option)] = option
    sort, size, cursor, limit = (found.get(kind) for kind in (SortOption, SizeOption, CursorOption, LimitOption))
    assert sort is None or isinstance(sort, SortOption)
    assert size is None or isinstance(size, SizeOption)
    assert cursor is None or isinstance(cursor, CursorOption)
    assert limit is None or isinstance(limit, LimitOption)
    if sort is not None:
        validate_sort_fields((sort,))
    if limit is not None and (size is not None or cursor is not None):
        raise RqlOptionInvalid("The option 'limit' cannot be combined with 'size' or 'cursor'.")
    if limit is not None and limit.offset < 0:
        raise RqlOptionInvalid(f"The offset of the option 'limit' must not be negative, not {limit.offset}.")
    page_size = size.size if size is not None else (limit.count if limit is not None else DEFAULT_PAGE_SIZE)
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise RqlOptionInvalid(f"The page size must be between 1 and {MAX_PAGE_SIZE}, not {page_size}.")
    return _Options(sort, page_size, cursor.cursor if cursor else None, limit)


def check_namespaces(namespaces: Sequence[str] | None) -> tuple[str, ...] | None:
    if namespaces is None:
        return None
    for namespace in namespaces:
        if not is_valid_namespace(namespace):
            raise NamespacesInvalid(namespace)
    return tuple(namespaces)


# The filters of recent searches, parsed (their syntax trees are frozen: one serves every request with the same
# texts). Parsing cost a point lookup ~10% of its CPU (py-spy); a bound in entries and in their texts' size.
PARSED_FILTERS = 1024
PARSED_FILTER_BYTES = 16 * 1024 * 1024
_PARSED_BYTES_PER_CHARACTER = 16  # a node per few characters, each some dozens of bytes


class SearchService:
    def __init__(self, store: Store, things: ThingService, *,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._store = store
        self._things = things
        self._clock = clock
        self._parsed: Lru[tuple[str, ...], Node | None] = Lru(max_entries=PARSED_FILTERS,
                                                               max_bytes=PARSED_FILTER_BYTES)

    def _filter(self, filters: Sequence[str]) -> Node | None:
        """`parse_query_filter(filters)`, remembered; a filter that fails is parsed (and fails) every time."""
        key = tuple(filters)
        if key in self._parsed:
            return self._parsed.get(key)
        node = parse_query_filter(key)
        self._parsed.put(key, node, _PARSED_BYTES_PER_CHARACTER * sum(map(len, key)))
        return node

    async def search(self, query: SearchQuery, subjects: tuple[str, ...]) -> SearchPage:
        """One page of the things the caller may read that match; raises Ditto's 400s for bad RQL/options."""
        node = self._filter(query.filters)
        options = _options(query.options)
        namespaces = check_namespaces(query.namespaces)
        # The fingerprint only when a cursor is read or written: most searches fit one page.
        sort, after = options.sort, None
        if options.cursor is not None:  # it goes on in its own sort (Ditto ThingsSearchCursor.adjustQueryThings)
            cursor = decode_cursor(options.cursor)
            sort = continued_sort(cursor, options.sort)
            after = position_of(cursor, query_fingerprint(node, sort, namespaces))
        spec = SearchSpec(node, subjects, self._clock(), namespaces=namespaces, sort=sort, size=options.size,
                          after=after, offset=options.limit.offset if options.limit else None)
        hits = await self._store.search(spec)
        things = [thing for hit in hits.things if (thing := await self._view(hit, subjects)) is not None]
        if options.limit is not None:
            return SearchPage(things, None, options.limit.offset + spec.size if hits.next is not None else -1)
        if hits.next is None:
            return SearchPage(things)
        return SearchPage(things, encode_cursor(hits.next, query_fingerprint(node, sort, namespaces), sort))

    async def count(self, query: SearchQuery, subjects: tuple[str, ...]) -> int:
        node = self._filter(query.filters)
        namespaces = check_namespaces(query.namespaces)
        return await self._store.count(SearchSpec(node, subjects, self._clock(), namespaces=namespaces))

    async def _view(self, thing: Thing, subjects: tuple[str, ...]) -> tuple[Thing, JsonObject] | None:
        try:
            retrieved = await self._things.view(thing, subjects)
        except TwinhubError:
            return None  # changed under the search (e.g. its policy), and no longer readable
        return thing, retrieved

