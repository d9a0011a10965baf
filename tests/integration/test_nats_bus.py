"""The NATS JetStream event bus against a real NATS server: two buses on one stream stand for two workers."""

from __future__ import annotations

import asyncio
import socket
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import anyio
import nats
import pytest

from tests.integration.conftest import StreamNames, TcpProxy
from twinhub.bus.base import Event
from twinhub.bus.codec import encode_event
from twinhub.bus.nats import EPOCH_HEADER, NatsBus, NatsSubscription, event_subject, open_nats_bus
from twinhub.model.errors import ServiceUnavailable
from twinhub.model.events import ConnectionEvent, PolicyEvent, ThingEvent
from twinhub.model.points import Point
from twinhub.model.types import JsonValue

pytestmark = pytest.mark.anyio

TIMESTAMP = datetime(2024, 5, 1, 12, tzinfo=UTC)
EPOCH = "0123456789abcdef"  # the store every bus here belongs to, unless a test says otherwise


def thing_event(name: str = "lamp", revision: int = 1, value: JsonValue = True) -> ThingEvent:
    return ThingEvent(f"org.twinhub.test:{name}", "modified", ("attributes", "on"), value, revision, TIMESTAMP)


async def take(subscription: NatsSubscription, count: int, *, within: float = 10.0) -> list[Event]:
    """The next `count` events, fewer if the subscription ends first."""
    events: list[Event] = []
    if count:
        with anyio.fail_after(within):
            async for event in subscription:
                events.append(event)
                if len(events) == count:
                    break
    return events


async def take_until(subscription: NatsSubscription, last: Event, *, within: float = 10.0) -> list[Event]:
    events: list[Event] = []
    with anyio.fail_after(within):
        async for event in subscription:
            events.append(event)
            if event == last:
                break
    return events


async def stream_messages(url: str, stream: str) -> int:
    client = await nats.connect(url)
    try:
        info = await client.jetstream().stream_info(stream)
        return info.state.messages
    finally:
        await client.close()


@pytest.fixture
async def workers(nats_url: str, stream_names: StreamNames) -> AsyncIterator[tuple[NatsBus, NatsBus]]:
    """Two buses on one stream, as two workers would open them."""
    stream, prefix = stream_names()
    async with (
        open_nats_bus(nats_url, epoch=EPOCH, stream=stream, subject_prefix=prefix) as first,
        open_nats_bus(nats_url, epoch=EPOCH, stream=stream, subject_prefix=prefix) as second,
    ):
        yield first, second


async def test_an_event_published_on_one_worker_reaches_subscribers_on_both(
    workers: tuple[NatsBus, NatsBus],
) -> None:
    first, second = workers
    on_first, also_on_first, on_second = first.subscribe(), first.subscribe(), second.subscribe()
    thing = ThingEvent("org.twinhub.test:lämp ~0", "modified", ("a~1", "ü", "€/x"), None, 3, TIMESTAMP)
    policy = PolicyEvent(":policy", "created", (), {"entries": {"owner": None}}, 1, TIMESTAMP)
    connection = ConnectionEvent("my-conn", "created", {"id": "my-conn", "uri": "tcp://u:p@h:1883"}, 1, TIMESTAMP)

    await first.publish(thing)
    await second.publish(policy)
    await second.publish(connection)

    for subscription in (on_first, also_on_first, on_second):
        assert await take(subscription, 3) == [thing, policy, connection]


async def test_the_points_of_a_thing_event_reach_the_other_worker(workers: tuple[NatsBus, NatsBus]) -> None:
    first, second = workers
    on_second = second.subscribe()
    thing_id = "org.twinhub.test:sensor"
    points = (Point(thing_id, "features/t/properties/value", TIMESTAMP, 21.25, 4),
              Point(thing_id, "attributes/a~1b", TIMESTAMP.replace(year=2023), "ü", 4),
              Point(thing_id, "attributes/gone", TIMESTAMP, None, 4))
    event = ThingEvent(thing_id, "modified", (), {"attributes": {"a/b": "ü"}}, 4, TIMESTAMP, points=points)

    await first.publish(event)

    [received] = await take(on_second, 1)
    assert isinstance(received, ThingEvent)
    assert received.points == points
    assert [type(point.value) for point in received.points] == [float, str, type(None)]


async def test_events_of_one_thing_arrive_in_revision_order(workers: tuple[NatsBus, NatsBus]) -> None:
    first, second = workers
    subscriptions = [first.subscribe(), second.subscribe()]
    events = [thing_event(name, revision) for revision in range(1, 51) for name in ("a", "b", "c")]

    for event in events:
        await first.publish(event)

    for subscription in subscriptions:
        assert await take(subscription, len(events)) == events


async def test_a_subscription_gets_what_is_published_after_it_and_nothing_before(
    workers: tuple[NatsBus, NatsBus],
) -> None:
    first, _ = workers
    before, after = thing_event(revision=1), thing_event(revision=2)

    await first.publish(before)
    subscription = first.subscribe()
    await first.publish(after)

    assert await take(subscription, 1) == [after]


async def test_a_republished_event_is_stored_and_delivered_once(
    nats_url: str, workers: tuple[NatsBus, NatsBus]
) -> None:
    first, second = workers
    subscription = second.subscribe()
    event, marker = thing_event(revision=1), thing_event(revision=2)

    await first.publish(event)
    await second.publish(event)  # the same Nats-Msg-Id: JetStream acknowledges it as a duplicate
    await first.publish(marker)

    assert await take(subscription, 2) == [event, marker]
    assert await stream_messages(nats_url, first.stream) == 2


async def test_an_event_stored_twice_is_delivered_once(nats_url: str, workers: tuple[NatsBus, NatsBus]) -> None:
    first, second = workers
    subscriptions = [first.subscribe(), second.subscribe()]
    event, marker = thing_event(revision=1), thing_event(revision=2)
    client = await nats.connect(nats_url)
    try:
        js = client.jetstream()
        for message_id in ("first-copy", "second-copy"):  # what a re-publish after the duplicate window does
            subject = event_subject(first.subject_prefix, event)
            await js.publish(subject, encode_event(event), headers={"Nats-Msg-Id": message_id, EPOCH_HEADER: EPOCH})
    finally:
        await client.close()
    await first.publish(marker)

    assert await stream_messages(nats_url, first.stream) == 3
    for subscription in subscriptions:
        assert await take(subscription, 2) == [event, marker]


async def test_a_slow_subscriber_overflows_without_holding_up_anyone_else(
    workers: tuple[NatsBus, NatsBus],
) -> None:
    first, second = workers
    slow, fast, remote = first.subscribe(capacity=5), first.subscribe(capacity=100), second.subscribe(capacity=100)
    events = [thing_event(revision=revision) for revision in range(1, 21)]

    for event in events:
        await first.publish(event)

    assert await take(fast, 20) == events
    assert await take(remote, 20) == events
    assert [event async for event in slow] == events[:5]
    assert slow.overflowed
    assert not fast.overflowed and not remote.overflowed
    later, fresh = thing_event(revision=21), first.subscribe()
    await second.publish(later)
    assert await take(fast, 1) == await take(fresh, 1) == [later]


async def test_closing_a_subscription_ends_it_without_overflow(workers: tuple[NatsBus, NatsBus]) -> None:
    first, _ = workers
    subscription = first.subscribe()
    await first.publish(event := thing_event())
    assert await take(subscription, 1) == [event]

    subscription.close()

    assert [event async for event in subscription] == []
    assert not subscription.overflowed


async def test_a_closed_bus_refuses_use_and_ends_its_subscriptions(nats_url: str, stream_names: StreamNames) -> None:
    stream, prefix = stream_names()
    bus = open_nats_bus(nats_url, epoch=EPOCH, stream=stream, subject_prefix=prefix)
    with pytest.raises(RuntimeError, match="async with"):
        bus.subscribe()
    async with bus:
        subscription = bus.subscribe()
        await bus.publish(event := thing_event())
        assert await take(subscription, 1) == [event]

    assert [event async for event in subscription] == []
    assert not subscription.overflowed
    with pytest.raises(RuntimeError, match="closed"):
        await bus.publish(thing_event(revision=2))
    with pytest.raises(RuntimeError, match="closed"):
        bus.subscribe()
    with pytest.raises(RuntimeError, match="twice"):
        await bus.__aenter__()
    await bus.aclose()  # closing again is harmless


async def test_five_thousand_events_from_two_workers_all_arrive_once_in_order_per_thing(
    workers: tuple[NatsBus, NatsBus],
) -> None:
    first, second = workers
    subscriptions = [first.subscribe(capacity=10_000), second.subscribe(capacity=10_000)]
    things, revisions = 50, 100

    async def write(bus: NatsBus, name: str) -> None:
        for revision in range(1, revisions + 1):
            await bus.publish(thing_event(name, revision, value={"n": revision, "none": None}))

    started = time.perf_counter()
    async with anyio.create_task_group() as group:
        for index in range(things):
            group.start_soon(write, (first, second)[index % 2], f"thing-{index}")
    published = time.perf_counter()
    received = [await take(subscription, things * revisions, within=60) for subscription in subscriptions]
    done = time.perf_counter()
    print(
        f"\n{things * revisions} events: published with acks at {things * revisions / (published - started):,.0f}/s,"
        f" all received {done - started:.2f}s after the first publish"
    )

    for events in received:
        assert len(events) == things * revisions
        by_thing: defaultdict[str, list[int]] = defaultdict(list)
        for event in events:
            assert isinstance(event, ThingEvent)
            by_thing[event.thing_id].append(event.revision)
        assert len(by_thing) == things
        assert all(seen == list(range(1, revisions + 1)) for seen in by_thing.values())
    for subscription in subscriptions:
        assert not subscription.overflowed


async def test_publishing_while_disconnected_is_unavailable_and_subscriptions_resume_after_reconnect(
    nats_url: str, stream_names: StreamNames
) -> None:
    stream, prefix = stream_names()
    host, port = nats_url.removeprefix("nats://").split(":")
    async with (
        TcpProxy(host, int(port)) as proxy,
        open_nats_bus(
            f"nats://127.0.0.1:{proxy.port}",
            epoch=EPOCH,
            stream=stream,
            subject_prefix=prefix,
            publish_timeout_seconds=0.5,
            reconnect_wait_seconds=1,
            heartbeat_seconds=0.5,
        ) as cut_off,
        open_nats_bus(nats_url, epoch=EPOCH, stream=stream, subject_prefix=prefix) as healthy,
    ):
        subscription = cut_off.subscribe()
        await healthy.publish(before := thing_event(revision=1))
        assert await take(subscription, 1) == [before]

        await proxy.cut()
        started = time.monotonic()
        with pytest.raises(ServiceUnavailable) as caught:
            await cut_off.publish(unacknowledged := thing_event("other", revision=1))
        assert time.monotonic() - started < 2
        assert caught.value.status == 503
        await healthy.publish(meanwhile := thing_event(revision=2))
        await proxy.restore()

        assert await take(subscription, 1, within=20) == [meanwhile]
        await cut_off.publish(after := thing_event(revision=3))
        rest = await take_until(subscription, after)
        # At-least-once: the unacknowledged publish may still have reached the stream after reconnecting.
        assert rest in ([after], [unacknowledged, after])
        assert not subscription.overflowed


async def test_events_lost_while_disconnected_end_subscriptions_as_overflowed(
    nats_url: str, stream_names: StreamNames
) -> None:
    stream, prefix = stream_names()
    host, port = nats_url.removeprefix("nats://").split(":")
    async with (
        TcpProxy(host, int(port)) as proxy,
        open_nats_bus(
            f"nats://127.0.0.1:{proxy.port}",
            epoch=EPOCH,
            stream=stream,
            subject_prefix=prefix,
            reconnect_wait_seconds=1,
            heartbeat_seconds=0.5,
        ) as cut_off,
        open_nats_bus(nats_url, epoch=EPOCH, stream=stream, subject_prefix=prefix) as healthy,
    ):
        subscription = cut_off.subscribe()
        await healthy.publish(before := thing_event(revision=1))
        assert await take(subscription, 1) == [before]

        await proxy.cut()
        await healthy.publish(thing_event(revision=2))
        client = await nats.connect(nats_url)
        try:  # the stream loses revision 2, as if it had expired before the worker came back
            js = client.jetstream()
            await js.delete_msg(cut_off.stream, (await js.stream_info(cut_off.stream)).state.last_seq)
        finally:
            await client.close()
        await healthy.publish(thing_event(revision=3))
        await proxy.restore()

        with anyio.fail_after(20):
            assert [event async for event in subscription] == []
        assert subscription.overflowed
        fresh = cut_off.subscribe()
        await healthy.publish(later := thing_event(revision=4))
        assert await take(fresh, 1) == [later]


async def test_a_stream_of_that_name_without_our_subjects_is_refused(nats_url: str, stream_names: StreamNames) -> None:
    stream, prefix = stream_names()
    async with open_nats_bus(nats_url, epoch=EPOCH, stream=stream, subject_prefix=prefix):
        with pytest.raises(ValueError, match="does not capture"):
            async with open_nats_bus(nats_url, epoch=EPOCH, stream=stream, subject_prefix=prefix + ".other"):
                pass


async def test_an_unreachable_server_is_unavailable() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.monotonic()
    with pytest.raises(ServiceUnavailable, match="unreachable"):
        async with open_nats_bus(f"nats://127.0.0.1:{port}", epoch=EPOCH, connect_timeout_seconds=0.2):
            pass
    assert time.monotonic() - started < 5


async def test_concurrent_publishes_all_complete(workers: tuple[NatsBus, NatsBus]) -> None:
    first, _ = workers
    subscription = first.subscribe()
    events = [thing_event(f"t{index}") for index in range(200)]

    await asyncio.gather(*(first.publish(event) for event in events))

    received = await take(subscription, 200)
    assert len(received) == 200 and set(received) == set(events)


# -- epochs: the events of each store apart ---------------------------------------------------------------


async def test_two_stores_on_one_stream_lose_nothing_and_cross_nothing(nats_url: str,
                                                                        stream_names: StreamNames) -> None:
    """Two deployments (two workers each) on one NATS with the same stream settings commit the same revisions
    of the same thing: each gets all of its own events and none of the other's."""
    stream, prefix = stream_names()
    async with (
        open_nats_bus(nats_url, epoch="aaaaaaaaaaaaaaaa", stream=stream, subject_prefix=prefix) as a1,
        open_nats_bus(nats_url, epoch="aaaaaaaaaaaaaaaa", stream=stream, subject_prefix=prefix) as a2,
        open_nats_bus(nats_url, epoch="bbbbbbbbbbbbbbbb", stream=stream, subject_prefix=prefix) as b1,
        open_nats_bus(nats_url, epoch="bbbbbbbbbbbbbbbb", stream=stream, subject_prefix=prefix) as b2,
    ):
        subscriptions = {bus: bus.subscribe() for bus in (a1, a2, b1, b2)}
        for revision in (1, 2, 3):
            await a1.publish(thing_event(revision=revision, value=f"A{revision}"))
            await b1.publish(thing_event(revision=revision, value=f"B{revision}"))
        end_a, end_b = thing_event("end", value="A"), thing_event("end", value="B")
        await a2.publish(end_a)
        await b2.publish(end_b)

        for bus, own, end in ((a1, "A", end_a), (a2, "A", end_a), (b1, "B", end_b), (b2, "B", end_b)):
            received = await take_until(subscriptions[bus], end)
            assert [event.value for event in received] == [f"{own}1", f"{own}2", f"{own}3", own]
        assert a1.stream != b1.stream


async def test_a_message_of_another_epoch_in_the_stream_is_ignored(nats_url: str, workers: tuple[NatsBus, NatsBus]
                                                                   ) -> None:
    first, second = workers
    subscription = second.subscribe()
    foreign, marker = thing_event(value="foreign"), thing_event(revision=2)
    client = await nats.connect(nats_url)
    try:
        js = client.jetstream()
        subject = event_subject(first.subject_prefix, foreign)
        await js.publish(subject, encode_event(foreign), headers={EPOCH_HEADER: "ffffffffffffffff"})
        await js.publish(subject, encode_event(foreign))  # no epoch at all
    finally:
        await client.close()
    await first.publish(marker)

    assert await take(subscription, 1) == [marker]
    assert await stream_messages(nats_url, first.stream) == 3


async def test_an_invalid_epoch_is_refused() -> None:
    for epoch in ("", "a.b", "a b", "a*", "x" * 65):
        with pytest.raises(ValueError, match="epoch"):
            NatsBus("nats://127.0.0.1:4222", epoch=epoch)
