"""The history service on the embedded store: fleets are bounded in things, cursors are bound to their key, a
point feed gives the stored points then only newer ones live (no transport involved)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from twinhub.bus.inprocess import InProcessBus
from twinhub.history import HistoryRules, parse_query, parse_rules
from twinhub.history.fleet import MAX_FLEET_THINGS
from twinhub.history.fleet_query import parse_fleet_query
from twinhub.history.service import HistoryService, PointFeeds, cursor_key_of
from twinhub.history.timespec import TimeRange
from twinhub.model.commands import ThingCommand
from twinhub.model.errors import HistoryCursorInvalid, HistoryFleetTooLarge
from twinhub.rql import MAX_PAGE_SIZE
from twinhub.service.buffers import Budget
from twinhub.service.policies import PolicyService
from twinhub.service.search import SearchService
from twinhub.service.streaming import EventHub
from twinhub.service.things import ThingService
from twinhub.store.sqlite import SqliteStore, open_sqlite_store

pytestmark = pytest.mark.anyio

OWNER = ("nginx:owner",)
NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)  # every write's time
LATER = NOW + timedelta(seconds=30)  # the queries'


@dataclass
class World:
    store: SqliteStore
    things: ThingService
    search: SearchService
    bus: InProcessBus | None = None

    def service(self, key: bytes, *, max_fleet_things: int = MAX_FLEET_THINGS) -> HistoryService:
        return HistoryService(self.store, self.things, self.search, cursor_key=key,
                              max_fleet_things=max_fleet_things, clock=lambda: LATER)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    bus = InProcessBus()
    async with open_sqlite_store(tmp_path / "things.db") as store:
        things = ThingService(store, bus, PolicyService(store, bus), clock=lambda: NOW)
        for n in range(4):
            await things.execute(ThingCommand("modify", f"ns.fleet:t{n}", (), {"attributes": {"v": n}}), OWNER)
        yield World(store, things, SearchService(store, things, clock=lambda: NOW), bus)
    await bus.aclose()


async def test_a_fleet_of_more_things_than_the_limit_is_refused(world: World) -> None:
    query = parse_fleet_query({"path": "/attributes/v", "step": "1m", "namespaces": "ns.fleet"}, LATER)
    ((series,),) = [await world.service(b"k", max_fleet_things=4).fleet(query, OWNER)]
    assert (series.things, series.points) == (4, [["2026-01-01T12:00:00Z", 1.5]])
    with pytest.raises(HistoryFleetTooLarge):
        await world.service(b"k", max_fleet_things=3).fleet(query, OWNER)



async def test_a_fleet_takes_the_things_of_every_search_page(world: World) -> None:
    count = MAX_PAGE_SIZE + 5  # the search answers in pages of at most MAX_PAGE_SIZE things
    for n in range(4, count):
        await world.things.execute(ThingCommand("modify", f"ns.fleet:t{n}", (), {"attributes": {"v": n}}), OWNER)
    query = parse_fleet_query({"path": "/attributes/v", "step": "1m", "agg": "sum", "namespaces": "ns.fleet"}, LATER)
    (series,) = await world.service(b"k").fleet(query, OWNER)
    assert (series.things, series.points) == (count, [["2026-01-01T12:00:00Z", sum(range(count))]])

async def test_a_cursor_works_only_under_the_key_it_was_made_with(world: World) -> None:
    await world.things.execute(ThingCommand("modify", "ns.fleet:t0", ("attributes", "v"), 5), OWNER)
    query = parse_query({"paths": "/attributes/v", "limit": "1"}, LATER)
    first = await world.service(cursor_key_of("", "epoch-1")).raw("ns.fleet:t0", query, OWNER)
    assert first.cursor is not None
    again = parse_query({"paths": "/attributes/v", "cursor": first.cursor}, LATER + timedelta(days=1))
    assert len((await world.service(cursor_key_of("", "epoch-1")).raw("ns.fleet:t0", again, OWNER)).points) == 1
    for other in (cursor_key_of("", "epoch-2"), cursor_key_of("secret", "epoch-1")):
        with pytest.raises(HistoryCursorInvalid):
            await world.service(other).raw("ns.fleet:t0", again, OWNER)


def test_every_character_of_a_long_configured_key_counts() -> None:
    long_key = "k" * 100
    assert cursor_key_of(long_key, "e") != cursor_key_of(long_key[:-1] + "x", "e")
    assert cursor_key_of(long_key, "e") == cursor_key_of(long_key, "other epoch")  # a configured key is the key
    assert cursor_key_of("", "e") != cursor_key_of("e", "e")


async def test_grafana_metrics_offer_only_the_leaves_history_records(tmp_path: Path) -> None:
    bus = InProcessBus()
    async with open_sqlite_store(tmp_path / "rules.db") as store:
        rules = HistoryRules(exclude=parse_rules(["attributes/secret*"]))
        things = ThingService(store, bus, PolicyService(store, bus), clock=lambda: NOW, history_rules=rules)
        await things.execute(ThingCommand("modify", "ns.rules:t", (), {"attributes": {"v": 1, "secretKey": "x"}}),
                             OWNER)
        world = World(store, things, SearchService(store, things, clock=lambda: NOW))
        assert await world.service(b"k").metrics(OWNER, "ns.rules:t") == ["ns.rules:t/attributes/v"]
    await bus.aclose()


async def test_a_point_feed_replays_what_was_stored_when_it_opened_then_only_newer_points_live(world: World) -> None:
    assert world.bus is not None
    events = EventHub(world.bus, world.things)
    running = asyncio.create_task(events.run())
    try:
        feeds = PointFeeds(world.service(b"k"), events, 1 << 20, Budget(1 << 20))
        feed = await feeds.open("ns.fleet:t0", ["/attributes/v"], OWNER, stored=TimeRange(NOW, LATER), live=True,
                                capacity=10)
        # committed after the feed opened, before its replay is read: live only, not also replayed
        await world.things.execute(ThingCommand("modify", "ns.fleet:t0", ("attributes", "v"), 42), OWNER)
        assert feed.stored is not None and feed.watch is not None
        assert [(point.value, point.revision) async for point in feed.stored] == [(0, 1)]
        delivery = await asyncio.wait_for(anext(feed.watch), 5)
        assert not feed.replayed(delivery)
        assert [(point.value, point.revision) for point in delivery.points] == [(42, 2)]
        feed.watch.close()
        assert events.watch_count == 0
    finally:
        running.cancel()
