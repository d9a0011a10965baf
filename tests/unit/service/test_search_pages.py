"""Paging through a search, and resuming after the last hit a client got."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.service.live_world import OWNER, THING_ID
from tests.unit.service.session.world import services, write
from twinhub.rql import LimitOption, RqlOptionInvalid, SizeOption, SortOption
from twinhub.service.search_pages import PagedQuery, search_pages

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_a_query_keeps_its_cursor_apart_and_pages_of_the_default_size_unless_told() -> None:
    query = PagedQuery.parse(["eq(attributes/n,1)"], ["sort(-thingId)", "cursor(abc)", " "], ["org.a"], default_size=7)
    assert query == PagedQuery(("eq(attributes/n,1)",), (SortOption((("-", "thingId"),)), SizeOption(7)), ("org.a",),
                               "abc")
    assert PagedQuery.parse([], ["limit(0,5)"], None, default_size=7).options == (LimitOption(0, 5),)
    assert query.page("next").options == ['sort(-thingId),size(7),cursor(next)']
    with pytest.raises(RqlOptionInvalid):
        PagedQuery.parse([], ["sort(thingId"], None, default_size=7)


def test_resuming_narrows_by_thing_id_in_the_sorts_direction_or_else_skips() -> None:
    plain = PagedQuery.parse([], [], None, default_size=7)
    assert plain.resume_after("org.a:t1").filters == ('gt(thingId,"org.a:t1")',)
    descending = PagedQuery.parse([], ["sort(-thingId)"], None, default_size=7)
    assert descending.resume_after("org.a:t1").filters == ('lt(thingId,"org.a:t1")',)
    other = PagedQuery.parse([], ["sort(+attributes/n)"], None, default_size=7).resume_after("org.a:t1")
    assert (other.filters, other.skip_through) == ((), "org.a:t1")


async def test_every_page_follows_its_cursor_and_a_resumed_stream_skips_what_was_sent(tmp_path: Path) -> None:
    async with services(tmp_path / "twinhub.db") as world:
        for n in range(5):
            await write(world, (), {"policyId": THING_ID, "attributes": {"n": 4 - n}}, thing_id=f"org.twinhub.p:t{n}")
        by_n = PagedQuery.parse([], ["sort(+attributes/n)"], ["org.twinhub.p"], default_size=2)
        pages = [[thing.thing_id for thing, _view in page.things]
                 async for page in search_pages(world.search, by_n, OWNER)]
        resumed = [thing.thing_id for page in [page async for page in search_pages(
            world.search, by_n.resume_after("org.twinhub.p:t2"), OWNER)] for thing, _view in page.things]
    assert pages == [["org.twinhub.p:t4", "org.twinhub.p:t3"], ["org.twinhub.p:t2", "org.twinhub.p:t1"],
                     ["org.twinhub.p:t0"]]
    assert resumed == ["org.twinhub.p:t1", "org.twinhub.p:t0"]
