"""The thing service records history points with every write it commits (on the embedded store)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from twinhub.bus.inprocess import InProcessBus, InProcessSubscription
from twinhub.history import HistoryRules, Point, parse_rules
from twinhub.model.commands import ThingCommand
from twinhub.model.errors import PreconditionFailed
from twinhub.model.etag import Preconditions
from twinhub.model.events import ThingEvent
from twinhub.service.policies import PolicyService
from twinhub.service.things import RECORD_EVERY_LEAF, ThingService
from twinhub.store.sqlite import SqliteStore, open_sqlite_store

pytestmark = pytest.mark.anyio

OWNER = ("nginx:owner",)
THING = "org.twinhub.test:sensor"
VALUE = "features/temp/properties/value"
NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
EVER = (NOW - timedelta(days=3650), NOW + timedelta(days=1))


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class World:
    store: SqliteStore
    things: ThingService
    bus: InProcessBus

    async def series(self, path: str) -> list[tuple[datetime, object, int]]:
        page = await self.store.points(THING, [path], start=EVER[0], end=EVER[1], limit=100)
        return [(point.time, point.value, point.revision) for point in page.points]


async def open_world(tmp_path: Path, rules: HistoryRules = RECORD_EVERY_LEAF) -> AsyncIterator[World]:
    bus = InProcessBus()
    async with open_sqlite_store(tmp_path / "things.db") as store:
        policies = PolicyService(store, bus)
        yield World(store, ThingService(store, bus, policies, history_rules=rules, clock=lambda: NOW), bus)
    await bus.aclose()


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async for opened in open_world(tmp_path):
        yield opened


async def test_create_modify_merge_and_delete_record_the_changed_leaves(world: World) -> None:
    doc = {"attributes": {"site": "w1"}, "features": {"temp": {"properties": {"value": 20}}}}
    await world.things.execute(ThingCommand("modify", THING, (), doc), OWNER)
    await world.things.execute(ThingCommand("modify", THING, ("features", "temp", "properties", "value"), 21.5),
                               OWNER)
    await world.things.execute(ThingCommand("merge", THING, ("features",),
                                            {"temp": {"properties": {"value": 22}}}), OWNER)
    await world.things.execute(ThingCommand("modify", THING, ("attributes", "site"), "w1"), OWNER)  # unchanged
    await world.things.execute(ThingCommand("delete", THING, ()), OWNER)
    assert await world.series(VALUE) == [(NOW, 20, 1), (NOW, 21.5, 2), (NOW, 22, 3), (NOW, None, 5)]
    assert await world.series("attributes/site") == [(NOW, "w1", 1), (NOW, None, 5)]


async def test_a_refused_command_records_nothing(world: World) -> None:
    await world.things.execute(ThingCommand("modify", THING, (), {"attributes": {"a": 1}}), OWNER)
    with pytest.raises(PreconditionFailed):
        await world.things.execute(ThingCommand("modify", THING, ("attributes", "a"), 2), OWNER,
                                   preconditions=Preconditions(if_match='"rev:9"'))
    assert await world.series("attributes/a") == [(NOW, 1, 1)]


async def test_a_device_time_dates_the_points_not_the_thing(world: World) -> None:
    measured = NOW - timedelta(hours=2)
    executed = await world.things.execute(ThingCommand("modify", THING, (), {"attributes": {"a": 1}}), OWNER,
                                          history_time=measured)
    assert await world.series("attributes/a") == [(measured, 1, 1)]
    assert executed.applied.thing.modified == NOW


async def test_the_rules_of_the_service_select_the_leaves(tmp_path: Path) -> None:
    rules = HistoryRules(exclude=parse_rules(["org.twinhub.test:attributes/secret*"]))
    async for world in open_world(tmp_path, rules):
        await world.things.execute(ThingCommand("modify", THING, (), {"attributes": {"a": 1, "secret": 2}}), OWNER)
        assert await world.series("attributes/a") == [(NOW, 1, 1)]
        assert await world.series("attributes/secret") == []


async def test_each_published_event_carries_exactly_the_points_committed_with_it(tmp_path: Path) -> None:
    rules = HistoryRules(exclude=parse_rules(["org.twinhub.test:attributes/secret*"]))
    async for world in open_world(tmp_path, rules):
        subscription = world.bus.subscribe()
        measured = NOW - timedelta(minutes=5)
        await world.things.execute(ThingCommand("modify", THING, (), {"attributes": {"a": 1, "secret": 2}}), OWNER)
        await world.things.execute(ThingCommand("modify", THING, ("attributes",), {"b": True}), OWNER,
                                   history_time=measured)
        await world.things.execute(ThingCommand("modify", THING, ("attributes", "b"), True), OWNER)  # unchanged
        events = [event async for event in _take(subscription, 3)]
        subscription.close()

        published = {(point.path, point.revision): (point.time, point.value) for event in events
                     for point in event.points}
        stored = {(path, revision): (time, value) for path in ("attributes/a", "attributes/b", "attributes/secret")
                  for time, value, revision in await world.series(path)}
        assert published == stored == {("attributes/a", 1): (NOW, 1), ("attributes/a", 2): (measured, None),
                                       ("attributes/b", 2): (measured, True)}
        assert all(point.thing_id == THING and point.revision == event.revision
                   for event in events for point in event.points)
        assert [len(event.points) for event in events] == [1, 2, 0]


async def _take(subscription: InProcessSubscription, count: int) -> AsyncIterator[ThingEvent]:
    """The next `count` thing events (the policy created with the thing has its own)."""
    async for event in subscription:
        if isinstance(event, ThingEvent):
            yield event
            count -= 1
            if not count:
                return


async def test_follow_points_hears_each_commit_of_this_service_once_until_stopped(world: World) -> None:
    heard: list[tuple[Point, ...]] = []
    stop = world.things.follow_points(heard.append)
    await world.things.execute(ThingCommand("modify", THING, (), {"attributes": {"a": 1, "b": "x"}}), OWNER)
    await world.things.execute(ThingCommand("modify", THING, ("attributes", "a"), 1), OWNER)  # no change, no point
    await world.things.execute(ThingCommand("modify", THING, ("attributes", "a"), 2), OWNER)
    stop()
    await world.things.execute(ThingCommand("modify", THING, ("attributes", "a"), 3), OWNER)

    assert [[(point.path, point.value, point.revision) for point in points] for points in heard] == [
        [("attributes/a", 1, 1), ("attributes/b", "x", 1)], [("attributes/a", 2, 3)]]


async def test_a_failing_point_listener_neither_fails_the_write_nor_holds_back_its_event(
        world: World, caplog: pytest.LogCaptureFixture) -> None:
    def broken(points: tuple[Point, ...]) -> None:
        raise RuntimeError("a sink bug")

    world.things.follow_points(broken)
    subscription = world.bus.subscribe()
    await world.things.execute(ThingCommand("modify", THING, (), {"attributes": {"a": 1}}), OWNER)
    (event,) = [event async for event in _take(subscription, 1)]
    subscription.close()
    assert [(point.path, point.value) for point in event.points] == [("attributes/a", 1)]
    assert await world.series("attributes/a") == [(NOW, 1, 1)]
    assert "a listener of committed history points failed" in caplog.text
