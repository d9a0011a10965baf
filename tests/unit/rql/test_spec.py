"""The search specification, pure: a value that refuses an impossible page."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from twinhub.rql.spec import DEFAULT_PAGE_SIZE, Position, SearchSpec

NOW = datetime(2025, 6, 1, 12, tzinfo=UTC)


def test_a_spec_finds_everything_visible_by_thing_id_one_default_page_at_a_time() -> None:
    spec = SearchSpec(None, ("alice",), NOW)
    assert (spec.namespaces, spec.sort, spec.size, spec.after, spec.offset) == (None, None, DEFAULT_PAGE_SIZE,
                                                                                None, None)


def test_a_page_holds_something_and_starts_after_a_position_or_at_an_offset() -> None:
    with pytest.raises(ValueError, match="at least one"):
        SearchSpec(None, ("alice",), NOW, size=0)
    with pytest.raises(ValueError, match="not both"):
        SearchSpec(None, ("alice",), NOW, after=Position((), "a:b"), offset=0)
