"""Every page of a search, following its cursor, fetched only as it is consumed: what streams of search
results page through (a Ditto Protocol search subscription; server-sent events of `/search/things`,
which may resume after the last hit a client got).

    query = PagedQuery.parse(filters, ["sort(+thingId)"], namespaces, default_size=MAX_PAGE_SIZE)
    async for page in search_pages(search, query.resume_after(last_id), subjects): ...
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace

from twinhub.rql import (
    Comparison,
    CursorOption,
    LimitOption,
    Option,
    SizeOption,
    SortOption,
    parse_options,
    render,
    render_options,
)
from twinhub.service.search import SearchPage, SearchQuery, SearchService

__all__ = ["PagedQuery", "search_pages"]


@dataclass(frozen=True, slots=True)
class PagedQuery:
    """A search to page through: its filters (RQL, AND-ed), its options without a cursor, the cursor of
    its first page, and a thing whose hits up to and including it are skipped (a resumed stream)."""

    filters: tuple[str, ...] = ()
    options: tuple[Option, ...] = ()
    namespaces: tuple[str, ...] | None = None
    cursor: str | None = None
    skip_through: str | None = None

    @classmethod
    def parse(cls, filters: Sequence[str], options: Sequence[str], namespaces: Sequence[str] | None, *,
              default_size: int) -> PagedQuery:
        """The query of `filter` and `option` texts as the search API takes them; pages hold `default_size`
        hits unless the options say otherwise. Raises Ditto's 400 for invalid options (filters are checked
        by the search)."""
        given = [text for text in options if text.strip()]
        parsed = list(parse_options(",".join(given))) if given else []
        cursor = next((option.cursor for option in parsed if isinstance(option, CursorOption)), None)
        kept = [option for option in parsed if not isinstance(option, CursorOption)]
        if not any(isinstance(option, SizeOption | LimitOption) for option in kept):
            kept.append(SizeOption(default_size))
        return cls(tuple(filters), tuple(kept), None if namespaces is None else tuple(namespaces), cursor)

    def resume_after(self, thing_id: str) -> PagedQuery:
        """The query for the hits after `thing_id`: narrowed by a filter when the sort starts with the thing
        id (the default sort does), else skipping the hits up to it."""
        sort = next((option for option in self.options if isinstance(option, SortOption)), None)
        if sort is None:
            direction = "+"
        elif sort.fields[0][1] in ("thingId", "/thingId"):
            direction = sort.fields[0][0]
        else:
            return replace(self, skip_through=thing_id)
        after = render(Comparison("gt" if direction == "+" else "lt", "thingId", thing_id))
        return replace(self, filters=(*self.filters, after))

    def page(self, cursor: str | None) -> SearchQuery:
        options = (*self.options, CursorOption(cursor)) if cursor is not None else self.options
        return SearchQuery(filters=self.filters, options=[render_options(options)], namespaces=self.namespaces)


async def search_pages(search: SearchService, query: PagedQuery,
                       subjects: tuple[str, ...]) -> AsyncIterator[SearchPage]:
    """Each page of `query` as `subjects` see it, the next one fetched when it is asked for; raises Ditto's
    400s for an invalid filter or options when the first page is."""
    cursor, skipping = query.cursor, query.skip_through
    while True:
        page = await search.search(query.page(cursor), subjects)
        if skipping is not None:
            ids = [thing.thing_id for thing, _view in page.things]
            if skipping in ids:
                page = replace(page, things=page.things[ids.index(skipping) + 1:])
                skipping = None
            else:
                page = replace(page, things=[])
        yield page
        if page.cursor is None:
            return
        cursor = page.cursor
