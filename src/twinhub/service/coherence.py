"""Keeping a worker's caches exact when other workers write: every committed event reaches every worker
through the bus, and a cached entity older than the event is forgotten (the next read loads it again).

A worker's own events find its cache already at their revision and change nothing. If this worker falls
so far behind that its subscription overflows, it forgets everything and subscribes again.
"""

from __future__ import annotations

import logging

from twinhub.bus.base import EventBus
from twinhub.model.events import ThingEvent
from twinhub.service.policies import PolicyService
from twinhub.service.things import ThingService

log = logging.getLogger(__name__)

SUBSCRIPTION_CAPACITY = 100_000


async def follow_events(bus: EventBus, things: ThingService, policies: PolicyService) -> None:
    """Run until cancelled: forget cached things and policies that other workers changed."""
    while True:
        subscription = bus.subscribe(capacity=SUBSCRIPTION_CAPACITY)
        try:
            async for event in subscription:
                if isinstance(event, ThingEvent):
                    things.forget_older(event.thing_id, event.revision)
                else:
                    policies.forget_older(event.policy_id, event.revision)
        finally:
            subscription.close()
        if not subscription.overflowed:
            return
        log.warning("fell behind the event bus; dropping all cached things and policies")
        things.forget_all()
        policies.forget_all()
