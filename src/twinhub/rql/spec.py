"""A search specification: what a search finds, as one value that a store answers (`Store.search`, `Store.count`).

It holds RQL's part of a search (filter, sort, page) and whom and when it runs for: a thing counts only when the
caller's subjects may READ it at `now`, which also resolves `time:now` placeholders. It names no table or column:
each store compiles it for its own database (`twinhub.store.search`). Here, not in `twinhub.model`, because it is
built from RQL's values (`Node`, `SortOption`) and the model imports nothing of RQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final, TypeAlias

from twinhub.rql.ast import Node, SortOption

__all__ = ["DEFAULT_PAGE_SIZE", "MAX_PAGE_SIZE", "Position", "SearchSpec", "SortValue"]

DEFAULT_PAGE_SIZE: Final = 25
MAX_PAGE_SIZE: Final = 200

SortValue: TypeAlias = int | float | str | None


@dataclass(frozen=True, slots=True)
class Position:
    """A thing's place in a search's order: the values the store sorted it by, then its thing id.

    Only a store knows what its sort values are (how many per sort field, and their meaning), so outside it a
    position is opaque: the store gives one with a page (`Hits.next`), a cursor carries it to the client and back
    (`twinhub.rql.cursor`), and the store continues after it (`SearchSpec.after`).
    """

    values: tuple[SortValue, ...]
    thing_id: str


@dataclass(frozen=True, slots=True)
class SearchSpec:
    """The things matching `filter` (None: every thing) in `namespaces` (None: any) that `subjects` may see at
    `now` (timezone-aware), ordered by `sort` (None: by thing id; ties by thing id), `size` at a time: those after
    `after` (keyset paging), or those after skipping `offset` (the deprecated `limit(offset,count)`).

    `filter` is kept as parsed: placeholders are resolved against `now` when the store compiles it. A count reads
    only filter, subjects, now and namespaces.
    """

    filter: Node | None
    subjects: tuple[str, ...]
    now: datetime
    namespaces: tuple[str, ...] | None = None
    sort: SortOption | None = None
    size: int = DEFAULT_PAGE_SIZE
    after: Position | None = None
    offset: int | None = None

    def __post_init__(self) -> None:
        if self.size < 1:
            raise ValueError(f"a search page holds at least one thing, not {self.size}")
        if self.offset is not None and self.after is not None:
            raise ValueError("a search page starts after a position or at an offset, not both")
