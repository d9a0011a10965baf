"""The event hub on both stores and the in-process bus: who gets which part of each committed event."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from tests.contract.helpers import at
from twinhub.bus.cutoff import Budget
from twinhub.bus.inprocess import InProcessBus
from twinhub.model.commands import ThingCommand
from twinhub.model.errors import ThingNotAccessible
from twinhub.model.events import ThingEvent
from twinhub.model.fields import parse_fields
from twinhub.model.policy import PolicyCommand
from twinhub.model.types import MISSING
from twinhub.policy import Enforcer
from twinhub.rql import RqlInvalid
from twinhub.service import streaming
from twinhub.service.policies import PolicyService
from twinhub.service.streaming import (
    EVENT_PLACEHOLDERS,
    Delivery,
    EventFilter,
    EventHub,
    Watch,
    event_placeholders,
    parse_event_filter,
)
from twinhub.service.things import ThingService
from twinhub.store.base import Store

pytestmark = pytest.mark.anyio

ALICE, BOB, CAROL, MALLORY = ("nginx:alice",), ("nginx:bob",), ("nginx:carol",), ("nginx:mallory",)
THING_ID = "org.twinhub.test:lamp-1"
ALL = ["READ", "WRITE"]
THING = {"attributes": {"model": "T1", "secret": "s3cr3t", "counter": 1},
         "features": {"lamp": {"properties": {"on": True}}, "lock": {"properties": {"open": False}}}}


def entry(subject: str, resources: dict[str, dict[str, list[str]]]) -> dict[str, object]:
    return {"subjects": {subject: {"type": "test"}}, "resources": resources}


POLICY = {"entries": {
    "owner": entry("nginx:alice", {"thing:/": {"grant": ALL}, "policy:/": {"grant": ALL}}),
    "reader": entry("nginx:bob", {"thing:/": {"grant": ["READ"]}, "thing:/attributes/secret": {"revoke": ["READ"]}}),
    "lamp": entry("nginx:carol", {"thing:/features/lamp": {"grant": ["READ"]}}),
}}


@dataclass
class Services:
    bus: InProcessBus
    policies: PolicyService
    things: ThingService
    hub: EventHub

    async def create(self, thing_id: str = THING_ID, doc: dict[str, object] | None = None) -> None:
        """Create the thing (with POLICY) and wait until the hub has passed its creation on."""
        await self.policies.execute(PolicyCommand("modify", thing_id, (), POLICY), ALICE)
        probe = self.hub.watch(ALICE, EventFilter(thing_ids=frozenset({thing_id})))
        await self.write("modify", (), {**(doc or THING), "policyId": thing_id}, thing_id)
        assert (await next_delivery(probe)).event.action == "created"
        probe.close()

    async def write(self, action: str, path: tuple[str, ...], value: object = None, thing_id: str = THING_ID,
                    headers: dict[str, str] | None = None) -> None:
        command = ThingCommand(action, thing_id, path, value)  # type: ignore[arg-type]
        await self.things.execute(command, ALICE, headers=headers or {})


@pytest.fixture
async def services(store: Store) -> AsyncIterator[Services]:
    bus = InProcessBus()
    policies = PolicyService(store, bus)
    things = ThingService(store, bus, policies)
    hub = EventHub(bus, things, policies=policies)
    task = asyncio.create_task(hub.run())
    await asyncio.sleep(0)  # the hub subscribes
    try:
        yield Services(bus, policies, things, hub)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await bus.aclose()


async def next_delivery(watch: Watch) -> Delivery:
    return await asyncio.wait_for(anext(watch), 5.0)


async def nothing_for(watch: Watch) -> bool:
    """True when the watch holds no delivery (call after another watch got the same event)."""
    try:
        await asyncio.wait_for(anext(watch), 0.05)
    except TimeoutError:
        return True
    except StopAsyncIteration:
        return True
    return False


# -- memory --------------------------------------------------------------------------------------------


async def test_watchers_with_the_same_view_share_one_rendering_of_an_event(services: Services) -> None:
    await services.create()
    first, second, partial = (services.hub.watch(subjects, EventFilter()) for subjects in (ALICE, ALICE, BOB))
    await services.write("modify", ("attributes",), {"model": "T3", "secret": "x"})
    deliveries = [await next_delivery(watch) for watch in (first, second, partial)]
    rendered: list[object] = []

    def render(delivery: Delivery) -> str:
        return delivery.rendered("frame", lambda: rendered.append(delivery.value) or f"{delivery.value}")

    frames = [render(delivery) for delivery in deliveries]
    assert frames[0] is frames[1]  # encoded once for both sessions that see all of it
    assert rendered == [{"model": "T3", "secret": "x"}, {"model": "T3"}]  # and once for the partial view


async def test_a_watch_more_bytes_behind_than_it_may_be_is_cut_off(services: Services) -> None:
    await services.create()
    budget = Budget(10_000_000)
    slow = services.hub.watch(ALICE, EventFilter(), max_bytes=2_000, budget=budget)
    fast = services.hub.watch(ALICE, EventFilter())
    for n in range(5):
        await services.write("modify", ("attributes", "blob"), f"{n}" * 900)
    assert [(await next_delivery(fast)).value for _ in range(5)] == [f"{n}" * 900 for n in range(5)]
    assert [delivery.value async for delivery in slow] == []  # cut off: what it held is dropped
    assert slow.overflowed and budget.total == 0


# -- READ views --------------------------------------------------------------------------------------


async def test_owner_gets_the_event_with_its_value_and_headers(services: Services) -> None:
    await services.create()
    watch = services.hub.watch(ALICE, EventFilter())
    await services.write("modify", ("features", "lamp", "properties", "on"), False,
                         headers={"correlation-id": "c-1", "ditto-originator": "nginx:alice"})
    delivery = await next_delivery(watch)
    assert delivery.event.action == "modified"
    assert delivery.event.path == ("features", "lamp", "properties", "on")
    assert delivery.value is False
    assert delivery.extra is None
    assert delivery.event.headers["correlation-id"] == "c-1"
    assert delivery.thing is not None and delivery.thing.revision == delivery.event.revision


async def test_partial_reader_gets_only_the_readable_part_of_a_whole_thing_change(services: Services) -> None:
    await services.create()
    bob, carol = services.hub.watch(BOB, EventFilter()), services.hub.watch(CAROL, EventFilter())
    changed = {**THING, "attributes": {"model": "T2", "secret": "new"}, "policyId": THING_ID}
    await services.write("modify", (), changed)
    bob_sees = (await next_delivery(bob)).value
    assert isinstance(bob_sees, dict)
    assert bob_sees["attributes"] == {"model": "T2"}  # the revoked secret is cut out
    assert (await next_delivery(carol)).value == {"thingId": THING_ID, "features": {"lamp": THING["features"]["lamp"]}}


async def test_nothing_is_delivered_when_nothing_of_the_change_is_readable(services: Services) -> None:
    await services.create()
    alice, carol, mallory = (services.hub.watch(subjects, EventFilter()) for subjects in (ALICE, CAROL, MALLORY))
    bob = services.hub.watch(BOB, EventFilter())
    await services.write("modify", ("attributes", "secret"), "other")
    await next_delivery(alice)
    assert await nothing_for(carol)  # reads only the lamp
    assert await nothing_for(mallory)  # no entry at all
    assert await nothing_for(bob)  # the secret is revoked for bob


async def test_merge_patch_is_cut_down_to_the_readable_leaves(services: Services) -> None:
    await services.create()
    carol, bob = services.hub.watch(CAROL, EventFilter()), services.hub.watch(BOB, EventFilter())
    patch = {"attributes": {"secret": "x", "model": None}, "features": {"lamp": {"properties": {"on": False}}}}
    await services.write("merge", (), patch)
    carol_gets = await next_delivery(carol)
    assert carol_gets.event.action == "merged"
    assert carol_gets.value == {"features": {"lamp": {"properties": {"on": False}}}}
    assert (await next_delivery(bob)).value == {"attributes": {"model": None},
                                                "features": {"lamp": {"properties": {"on": False}}}}


async def test_later_events_follow_a_changed_policy(services: Services) -> None:
    await services.create()
    carol = services.hub.watch(CAROL, EventFilter())
    await services.write("modify", ("features", "lamp", "properties", "on"), False)
    assert (await next_delivery(carol)).value is False
    await services.policies.execute(PolicyCommand("delete", THING_ID, ("entries", "lamp")), ALICE)
    alice = services.hub.watch(ALICE, EventFilter())
    await services.write("modify", ("features", "lamp", "properties", "on"), True)
    await next_delivery(alice)
    assert await nothing_for(carol)


async def test_views_are_computed_once_per_distinct_subjects(services: Services,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    await services.create()
    calls: list[tuple[str, ...]] = []
    original = Enforcer.view

    def counting_view(self: Enforcer, subjects: tuple[str, ...], *args: object, **kwargs: object) -> object:
        calls.append(tuple(subjects))
        return original(self, subjects, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Enforcer, "view", counting_view)
    watches = [services.hub.watch(BOB, EventFilter()) for _ in range(50)]
    watches += [services.hub.watch(CAROL, EventFilter()) for _ in range(50)]
    await services.write("modify", ("features", "lamp", "properties", "on"), False)
    for watch in watches:
        assert (await next_delivery(watch)).value is False
    # the writer's own views (the ETag of what it wrote) are not the hub's
    assert sorted(subjects for subjects in calls if subjects != ALICE) == [BOB, CAROL]


# -- narrowing ---------------------------------------------------------------------------------------


async def test_namespaces_thing_ids_and_path_narrow(services: Services) -> None:
    other = "org.other:lamp-2"
    await services.create()
    await services.create(other)
    by_namespace = services.hub.watch(ALICE, EventFilter(namespaces=frozenset({"org.other"})))
    by_id = services.hub.watch(ALICE, EventFilter(thing_ids=frozenset({THING_ID})))
    by_path = services.hub.watch(ALICE, EventFilter(thing_ids=frozenset({THING_ID}), path=("features", "lamp")))
    await services.write("modify", ("attributes", "model"), "T3")
    assert (await next_delivery(by_id)).value == "T3"
    assert await nothing_for(by_namespace)
    assert await nothing_for(by_path)  # a sibling of the watched path
    await services.write("modify", ("features", "lamp", "properties", "on"), False)  # below the path
    assert (await next_delivery(by_path)).value is False
    await services.write("modify", ("features",), {"lamp": {}})  # above the path
    assert (await next_delivery(by_path)).value == {"lamp": {}}
    assert [(await next_delivery(by_id)).event.path for _ in range(2)] == [
        ("features", "lamp", "properties", "on"), ("features",)]
    await services.write("modify", ("attributes", "model"), "T4", thing_id=other)
    assert (await next_delivery(by_namespace)).event.thing_id == other
    assert await nothing_for(by_id)
    assert await nothing_for(by_path)


async def test_filter_is_evaluated_on_the_changed_part(services: Services) -> None:
    await services.create()
    watch = services.hub.watch(ALICE, EventFilter(filter=parse_event_filter("gt(attributes/counter,5)")))
    alice = services.hub.watch(ALICE, EventFilter())
    await services.write("modify", ("attributes", "counter"), 3)
    await next_delivery(alice)
    assert await nothing_for(watch)
    await services.write("modify", ("attributes", "model"), "T9")  # the counter is not part of this change
    await next_delivery(alice)
    assert await nothing_for(watch)
    await services.write("modify", ("attributes", "counter"), 7)
    assert (await next_delivery(watch)).value == 7


async def test_filter_sees_extra_fields_merged_below_the_change(services: Services) -> None:
    await services.create()
    node = parse_event_filter('and(eq(attributes/model,"T1"),eq(features/lamp/properties/on,false))')
    event_filter = EventFilter(filter=node, extra_fields=parse_fields("attributes/model,_revision"))
    watch = services.hub.watch(ALICE, event_filter)
    await services.write("modify", ("features", "lamp", "properties", "on"), False)
    delivery = await next_delivery(watch)
    assert delivery.value is False
    assert delivery.extra == {"attributes": {"model": "T1"}, "_revision": delivery.event.revision}


async def test_extra_fields_are_read_filtered(services: Services) -> None:
    await services.create()
    watch = services.hub.watch(BOB, EventFilter(extra_fields=parse_fields("thingId,attributes")))
    await services.write("modify", ("attributes", "counter"), 2)
    assert (await next_delivery(watch)).extra == {"thingId": THING_ID, "attributes": {"model": "T1", "counter": 2}}


async def test_filter_cannot_see_what_the_watcher_may_not_read(services: Services) -> None:
    await services.create()
    same = EventFilter(filter=parse_event_filter('eq(attributes/secret,"x")'), extra_fields=parse_fields("attributes"))
    alice, bob = services.hub.watch(ALICE, same), services.hub.watch(BOB, same)
    await services.write("modify", ("attributes", "secret"), "x")
    assert (await next_delivery(alice)).value == "x"
    await services.write("modify", ("attributes", "model"), "T2")  # the secret comes in as an extra field
    delivery = await next_delivery(alice)
    assert (delivery.value, delivery.extra) == ("T2", {"attributes": {"model": "T2", "secret": "x", "counter": 1}})
    assert await nothing_for(bob)


async def test_filter_on_topic_and_resource_placeholders(services: Services) -> None:
    await services.create()
    watch = services.hub.watch(ALICE, EventFilter(filter=parse_event_filter(
        'and(eq(topic:action,"modified"),like(resource:path,"/features/*"),eq(thing:id,"' + THING_ID + '"))')))
    await services.write("modify", ("attributes", "model"), "T2")
    await services.write("merge", ("features", "lamp"), {"properties": {"on": False}})
    await services.write("modify", ("features", "lamp", "properties", "on"), True)
    delivery = await next_delivery(watch)
    assert (delivery.event.action, delivery.value) == ("modified", True)


async def test_filter_with_time_placeholders(services: Services) -> None:
    await services.create()
    watch = services.hub.watch(ALICE, EventFilter(filter=parse_event_filter("gt(_modified,time:now-1h)")))
    await services.write("modify", ("attributes", "model"), "T2")
    assert (await next_delivery(watch)).value == "T2"


def test_event_filter_rejects_unknown_properties() -> None:
    with pytest.raises(RqlInvalid):
        parse_event_filter("eq(topic:nonsense,1)")
    with pytest.raises(RqlInvalid):
        parse_event_filter("eq(attributes,1)")


async def test_readers_of_everything_share_one_filter_verdict(services: Services) -> None:
    await services.create()
    node = parse_event_filter("gt(attributes/counter,1)")
    watches = [services.hub.watch(("nginx:alice", f"extra:{n}"), EventFilter(filter=node)) for n in range(20)]
    watches.append(services.hub.watch(BOB, EventFilter(filter=node)))
    await services.write("modify", ("attributes", "counter"), 2)
    for watch in watches:
        assert (await next_delivery(watch)).value == 2


# -- deletions -----------------------------------------------------------------------------------------


async def test_thing_deletion_reaches_who_could_read_it_before(services: Services) -> None:
    await services.create()
    watches = {subjects: services.hub.watch(subjects, EventFilter()) for subjects in (ALICE, BOB, CAROL, MALLORY)}
    await services.write("delete", ())
    for subjects in (ALICE, BOB, CAROL):
        delivery = await next_delivery(watches[subjects])
        assert (delivery.event.action, delivery.event.path, delivery.value, delivery.thing) == \
            ("deleted", (), MISSING, None)
    assert await nothing_for(watches[MALLORY])


async def test_deletion_of_a_part_reaches_its_readers_only(services: Services) -> None:
    await services.create()
    alice, carol = services.hub.watch(ALICE, EventFilter()), services.hub.watch(CAROL, EventFilter())
    await services.write("delete", ("attributes", "model"))
    assert (await next_delivery(alice)).value is MISSING
    assert await nothing_for(carol)
    await services.write("delete", ("features", "lamp"))
    assert (await next_delivery(carol)).value is MISSING


async def test_deletion_filter_sees_the_thing_id_and_action(services: Services) -> None:
    await services.create()
    watch = services.hub.watch(BOB, EventFilter(filter=parse_event_filter('eq(topic:action,"deleted")')))
    await services.write("modify", ("attributes", "model"), "T2")
    await services.write("delete", ())
    assert (await next_delivery(watch)).event.action == "deleted"


# -- back-pressure and lifecycle ---------------------------------------------------------------------------


async def test_a_slow_watcher_is_cut_off_without_slowing_others(services: Services) -> None:
    await services.create()
    slow = services.hub.watch(ALICE, EventFilter(), capacity=2)
    fast = services.hub.watch(ALICE, EventFilter())
    for counter in range(5):
        await services.write("modify", ("attributes", "counter"), counter)
        assert (await next_delivery(fast)).value == counter
    assert slow.overflowed
    assert [delivery async for delivery in slow] == []  # iteration ends at once
    assert services.hub.watch_count == 1


async def test_an_overflowing_hub_cuts_off_every_watcher(store: Store) -> None:
    bus = InProcessBus()
    policies = PolicyService(store, bus)
    things = ThingService(store, bus, policies)
    hub = EventHub(bus, things, subscription_capacity=2)
    task = asyncio.create_task(hub.run())
    await asyncio.sleep(0)
    watches = [hub.watch(ALICE, EventFilter()), hub.watch(BOB, EventFilter(thing_ids=frozenset({THING_ID})))]
    for revision in range(1, 6):  # published faster than the hub reads: its subscription overflows
        await bus.publish(ThingEvent(THING_ID, "modified", ("attributes", "n"), revision, revision, at(revision)))
    for watch in watches:
        assert [delivery async for delivery in watch] == []
        assert watch.overflowed
    assert hub.watch_count == 0
    later = hub.watch(ALICE, EventFilter())  # the hub subscribed again
    assert not later.overflowed
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert [delivery async for delivery in later] == [] and not later.overflowed  # ended by the shutdown
    await bus.aclose()


async def test_closing_a_watch_ends_it_and_unregisters_it(services: Services) -> None:
    first = services.hub.watch(ALICE, EventFilter(thing_ids=frozenset({THING_ID, "org.x:y"})))
    second = services.hub.watch(ALICE, EventFilter())
    assert services.hub.watch_count == 2
    first.close()
    second.close()
    first.close()
    assert services.hub.watch_count == 0
    assert [delivery async for delivery in first] == []
    assert not first.overflowed


# -- history ---------------------------------------------------------------------------------------------


async def history(services: Services, subjects: tuple[str, ...], event_filter: EventFilter | None = None,
                  **bounds: object) -> list[Delivery]:
    replay = await services.hub.history(THING_ID, subjects, event_filter or EventFilter(), **bounds)  # type: ignore[arg-type]
    return [delivery async for delivery in replay]


async def counted_thing(services: Services, revisions: int) -> None:
    """A thing at `revisions`: its creation, then counter = 2, 3, ... (the counter equals the revision)."""
    await services.create(doc={**THING, "attributes": {**THING["attributes"], "counter": 1}})  # type: ignore[dict-item]
    for revision in range(2, revisions + 1):
        await services.write("modify", ("attributes", "counter"), revision)


async def test_history_streams_a_revision_range(services: Services) -> None:
    await counted_thing(services, 6)
    revisions = [delivery.event.revision for delivery in await history(services, ALICE, from_revision=2,
                                                                        to_revision=4)]
    assert revisions == [2, 3, 4]
    assert [d.event.revision for d in await history(services, ALICE, from_revision=0)] == [1, 2, 3, 4, 5, 6]
    assert [d.event.revision for d in await history(services, ALICE, from_revision=-2)] == [4, 5, 6]
    assert [d.event.revision for d in await history(services, ALICE, from_revision=1, to_revision=-4)] == [1, 2]


async def test_history_by_timestamps(services: Services) -> None:
    await counted_thing(services, 5)
    all_events = await history(services, ALICE, from_revision=1)
    stamps = [delivery.event.timestamp for delivery in all_events]
    found = await history(services, ALICE, from_timestamp=stamps[1], to_timestamp=stamps[3])
    assert [delivery.event.revision for delivery in found] == [2, 3, 4]
    assert [d.event.revision for d in await history(services, ALICE, from_timestamp=stamps[4])] == [5]


async def test_history_crosses_snapshots_and_windows(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(streaming, "HISTORY_WINDOW", 7)
    await counted_thing(services, 230)  # snapshots at 1, 100, 200
    found = await history(services, ALICE, from_revision=95, to_revision=215)
    assert [delivery.event.revision for delivery in found] == list(range(95, 216))
    assert [delivery.value for delivery in found] == list(range(95, 216))


async def test_history_is_read_filtered_with_the_current_policy_and_filtered(services: Services) -> None:
    await counted_thing(services, 3)
    await services.write("modify", ("features", "lamp", "properties", "on"), False)
    carol_sees = await history(services, CAROL, from_revision=1)
    assert [(d.event.revision, d.value) for d in carol_sees] == [
        (1, {"thingId": THING_ID, "features": {"lamp": THING["features"]["lamp"]}}), (4, False)]
    filtered = await history(services, ALICE, EventFilter(filter=parse_event_filter("ge(attributes/counter,3)")),
                             from_revision=1)
    assert [delivery.event.revision for delivery in filtered] == [3]


async def test_history_of_an_unreadable_thing_is_not_found(services: Services) -> None:
    await counted_thing(services, 2)
    with pytest.raises(ThingNotAccessible):
        await history(services, MALLORY, from_revision=1)


def test_every_event_placeholder_has_a_value() -> None:
    """All but `topic:subject`: a twin event's topic has no subject (Ditto's TopicPathPlaceholder resolves it to
    nothing; it names the subject of a live message)."""
    event = ThingEvent(THING_ID, "merged", ("features", "lamp"), {}, 3, at(3))
    values = event_placeholders(event)
    assert set(values) == EVENT_PLACEHOLDERS - {"topic:subject"}
    assert values["topic:action-subject"] == "merged"
    assert (values["topic:full"], values["resource:path"]) == (
        "org.twinhub.test/lamp-1/things/twin/events/merged", "/features/lamp")


async def test_a_watch_whose_sink_fails_is_cut_off_and_the_others_go_on(services: Services) -> None:
    await services.create()
    handed: list[Delivery] = []

    def failing(delivery: Delivery) -> None:
        raise ValueError("a rendering bug")

    broken = services.hub.watch(ALICE, EventFilter(), sink=failing)
    sunk = services.hub.watch(ALICE, EventFilter(), sink=handed.append)
    queued = services.hub.watch(ALICE, EventFilter())
    await services.write("modify", ("attributes", "model"), "T4")
    assert (await next_delivery(queued)).value == "T4"
    assert [delivery.value for delivery in handed] == ["T4"]  # handed over at once, never queued
    assert broken.closed and broken.overflowed
    assert not sunk.closed
    await services.write("modify", ("attributes", "model"), "T5")
    assert (await next_delivery(queued)).value == "T5"
    assert [delivery.value for delivery in handed] == ["T4", "T5"]
