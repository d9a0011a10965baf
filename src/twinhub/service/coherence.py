"""Keeping a worker's caches exact when other workers write: every committed event reaches every worker
through the bus, and a cached entity older than the event is forgotten (the next read loads it again).

A worker's own events find its cache already at their revision and change nothing. If this worker falls
so far behind that its subscription overflows, it forgets everything and subscribes again.

Events are told apart by (entity, revision) only within one store's epoch (see `twinhub.bus.nats`). A
database restored from a backup has the epoch of its original, but goes back in revisions: the events it
commits again would be taken for those its original published (JetStream drops them as duplicates, other
workers' caches keep the lost revisions). `bus_epoch` finds that out as a worker starts: a store behind one
of the latest events its epoch's stream holds (an entity missing, or at a lower revision than the event)
has been restored, and its epoch is renewed once (compare-and-set, so workers starting together agree).
Every worker of a restored deployment must restart: one still running keeps the old epoch and stops seeing
the others' events. The check reads the latest `RESTORE_CHECK_EVENTS` events; a store restored later than
the stream keeps its events (`max_age_seconds`) has nothing left to collide with.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from twinhub.bus.base import Event, EventBus
from twinhub.model.events import ConnectionEvent, Policy, PolicyEvent, StoredConnection, Thing, ThingEvent
from twinhub.service.policies import PolicyService
from twinhub.service.things import ThingService
from twinhub.store.base import Store

log = logging.getLogger(__name__)

SUBSCRIPTION_CAPACITY = 100_000
RESTORE_CHECK_EVENTS = 100


async def follow_events(bus: EventBus, things: ThingService, policies: PolicyService) -> None:
    """Run until cancelled: forget cached things and policies that other workers changed."""
    while True:
        subscription = bus.subscribe(capacity=SUBSCRIPTION_CAPACITY)
        try:
            async for event in subscription:
                if isinstance(event, ThingEvent):
                    things.forget_older(event.thing_id, event.revision)
                elif isinstance(event, PolicyEvent):
                    policies.forget_older(event.policy_id, event.revision)
        finally:
            subscription.close()
        if not subscription.overflowed:
            return
        log.warning("fell behind the event bus; dropping all cached things and policies")
        things.forget_all()
        policies.forget_all()


async def bus_epoch(store: Store, recent: Callable[[str], Awaitable[list[Event]]]) -> str:
    """The store's epoch to publish and receive events by: renewed first when the store is behind the
    latest events of its epoch (`recent(epoch)`, latest first), i.e. restored from a backup."""
    epoch = await store.epoch()
    for _attempt in range(3):  # a renewed epoch has a fresh stream: the second look finds nothing ahead
        if not await _behind(store, await recent(epoch)):
            return epoch
        renewed = await store.renew_epoch(epoch)
        log.warning("the store is behind the events of its epoch %s on the event bus (restored from a backup?); "
                    "it goes on as epoch %s: restart every worker of this deployment", epoch, renewed)
        epoch = renewed
    return epoch


async def _behind(store: Store, events: list[Event]) -> bool:
    for event in events:
        entity: Thing | Policy | StoredConnection | None
        if isinstance(event, ThingEvent):
            entity = await store.load(event.thing_id)
        elif isinstance(event, ConnectionEvent):
            entity = await store.load_connection(event.connection_id)
        else:
            entity = await store.load_policy(event.policy_id)
        if entity is None or entity.revision < event.revision:  # events are published after their commit
            return True
    return False
