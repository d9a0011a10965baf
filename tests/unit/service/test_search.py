"""The search service in process, on a real SQLite store: the request becomes a spec the store answers, cursors
carry the store's positions to the client and back, and every hit is the caller's view of the thing."""

from __future__ import annotations

import base64
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from twinhub.bus.inprocess import InProcessBus
from twinhub.model.commands import ThingCommand
from twinhub.model.errors.search import RqlInvalid
from twinhub.model.policy import PolicyCommand
from twinhub.model.types import JsonObject
from twinhub.rql import CursorInvalid, RqlOptionInvalid
from twinhub.service.policies import PolicyService
from twinhub.service.search import SearchPage, SearchQuery, SearchService
from twinhub.service.things import ThingService
from twinhub.store.sqlite import open_sqlite_store

pytestmark = pytest.mark.anyio

OWNER, READER = ("nginx:owner",), ("nginx:reader",)
POLICY_ID = "org.twinhub.test:policy"
CREATED = datetime(2025, 6, 1, 12, tzinfo=UTC)
POLICY: JsonObject = {"entries": {
    "owner": {"subjects": {"nginx:owner": {"type": "test"}},
              "resources": {"thing:/": {"grant": ["READ", "WRITE"]}, "policy:/": {"grant": ["READ", "WRITE"]}}},
    "reader": {"subjects": {"nginx:reader": {"type": "test"}},
               "resources": {"thing:/": {"grant": ["READ"]}, "thing:/attributes/secret": {"revoke": ["READ"]}}},
}}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class World:
    search: SearchService
    clock: list[datetime]  # what the search service's clock says

    async def page(self, *options: str, filters: tuple[str, ...] = (), subjects: tuple[str, ...] = OWNER,
                   namespaces: tuple[str, ...] | None = None) -> SearchPage:
        return await self.search.search(SearchQuery(filters, options, namespaces), subjects)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    """Things org.twinhub.test:t0 .. t6 with attributes n = 6 .. 0 and a secret, created at CREATED."""
    bus = InProcessBus()
    async with open_sqlite_store(tmp_path / "things.db") as store:
        policies = PolicyService(store, bus)
        things = ThingService(store, bus, policies, clock=lambda: CREATED)
        await policies.execute(PolicyCommand("modify", POLICY_ID, (), POLICY), OWNER)
        for n in range(7):
            doc = {"policyId": POLICY_ID, "attributes": {"n": 6 - n, "secret": "s"}}
            await things.execute(ThingCommand("modify", f"org.twinhub.test:t{n}", (), doc), OWNER)
        clock = [CREATED + timedelta(minutes=30)]
        yield World(SearchService(store, things, clock=lambda: clock[0]), clock)
    await bus.aclose()


def ids(page: SearchPage) -> list[str]:
    return [thing.thing_id.removeprefix("org.twinhub.test:") for thing, _ in page.things]


async def test_cursors_walk_the_pages_of_one_query(world: World) -> None:
    first = await world.page("sort(+attributes/n)", "size(3)", filters=("gt(attributes/n,0)",))
    assert ids(first) == ["t5", "t4", "t3"] and first.cursor is not None
    assert re.fullmatch(r"[A-Za-z0-9_-]+", first.cursor)  # opaque, URL-safe
    assert base64.urlsafe_b64decode(first.cursor + "=" * (-len(first.cursor) % 4)).startswith(b'{"k":[')
    second = await world.page("sort(+attributes/n)", f"size(3),cursor({first.cursor})", filters=("gt(attributes/n,0)",))
    assert ids(second) == ["t2", "t1", "t0"] and second.cursor is None


async def test_a_cursor_continues_only_its_own_query(world: World) -> None:
    first = await world.page("size(2)")
    assert first.cursor is not None
    for options, filters in [(f"size(2),cursor({first.cursor})", ("exists(attributes/n)",)),
                             (f"size(2),cursor({first.cursor}),sort(-attributes/n)", ())]:
        with pytest.raises(CursorInvalid) as caught:
            await world.page(options, filters=filters)
        assert caught.value.status == 400 and caught.value.code == "thing-search:search.option.invalid"
    with pytest.raises(CursorInvalid):
        await world.page("size(2),cursor(e30)")
    assert ids(await world.page(f"size(2),cursor({first.cursor})")) == ["t2", "t3"]


async def test_limit_pages_by_offset_and_says_where_the_next_starts(world: World) -> None:
    page = await world.page("limit(2,3)")
    assert ids(page) == ["t2", "t3", "t4"] and page.next_page_offset == 5 and page.cursor is None
    last = await world.page("limit(5,3)")
    assert ids(last) == ["t5", "t6"] and last.next_page_offset == -1
    with pytest.raises(RqlOptionInvalid):
        await world.page("limit(0,2),size(2)")


async def test_a_negative_limit_offset_is_refused(world: World) -> None:
    # SQLite would read it as 0 but PostgreSQL refuses the query: both must answer 400, not 503.
    with pytest.raises(RqlOptionInvalid) as caught:
        await world.page("limit(-5,3)")
    assert caught.value.status == 400


async def test_hits_are_the_callers_views_and_count_counts_every_page(world: World) -> None:
    page = await world.page("size(1)", subjects=READER)
    (_, view), = page.things
    assert view["attributes"] == {"n": 6}  # the secret is not the reader's
    assert await world.search.count(SearchQuery(("exists(attributes/secret)",)), READER) == 0
    assert await world.search.count(SearchQuery(("exists(attributes/secret)",)), OWNER) == 7
    assert await world.search.count(SearchQuery(namespaces=("org.other",)), OWNER) == 0


async def test_time_placeholders_and_expiry_use_the_services_clock(world: World) -> None:
    query = SearchQuery(("gt(_created,time:now-1h)",))
    assert await world.search.count(query, OWNER) == 7
    world.clock[0] = CREATED + timedelta(hours=2)
    assert await world.search.count(query, OWNER) == 0


async def test_a_filter_is_parsed_once_and_a_bad_one_fails_every_time(world: World) -> None:
    """The time placeholder test above shows a remembered filter still resolves `time:now` per request."""
    query = SearchQuery(("eq(attributes/n,6)",))
    assert await world.search.count(query, OWNER) == 1
    assert world.search._filter(query.filters) is world.search._filter(("eq(attributes/n,6)",))  # private: the point
    assert await world.search.count(SearchQuery(("eq(attributes/n,5)",)), OWNER) == 1
    for _ in range(2):
        with pytest.raises(RqlInvalid):
            await world.search.count(SearchQuery(("eq(attributes/n",)), OWNER)
