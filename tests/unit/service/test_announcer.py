"""The announcer in process, on a real SQLite store and the in-process buses, its clock in the test's hands: an
announcement whose acknowledgement times out is redelivered after Ditto's back-off (1 s growing by 1.5-2x), and
given up once that would fall past the grace period after the subject's deletion (SubjectExpiryActor
.retryAnnouncementAfterBackOff)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from twinhub.bus.inprocess import InProcessBus
from twinhub.bus.signals import InProcessSignalBus
from twinhub.model.live import SubjectDeletion
from twinhub.model.policy import DEFAULT_GRACE_PERIOD, PolicyCommand
from twinhub.service.announcements import PolicyAnnouncer
from twinhub.service.live import LiveHub
from twinhub.service.policies import PolicyService
from twinhub.service.things import ThingService
from twinhub.store.base import Store
from twinhub.store.sqlite import open_sqlite_store

pytestmark = pytest.mark.anyio

OWNER = ("nginx:owner",)
POLICY_ID = "org.twinhub.test:announced"
ALL = {"grant": ["READ", "WRITE"], "revoke": []}


@dataclass
class World:
    store: Store
    policies: PolicyService
    live: LiveHub


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    events, signals = InProcessBus(), InProcessSignalBus()
    async with open_sqlite_store(tmp_path / "store.db") as store:
        policies = PolicyService(store, events)
        async with LiveHub(signals, ThingService(store, events, policies)) as live:
            yield World(store, policies, live)
    await events.aclose()
    await signals.aclose()


async def _deleted_subject(world: World) -> datetime:
    """A policy whose subject asked to be announced when deleted, with an acknowledgement nobody can give; the
    subject deleted. Returns the moment it was deleted (about)."""
    announcement = {"whenDeleted": True, "requestedAcks": {"labels": ["nobody:acks"], "timeout": "1s"}}
    policy = {"entries": {"owner": {"subjects": {OWNER[0]: {"type": "t"}}, "resources": {"policy:/": ALL}},
                          "announced": {"subjects": {"nginx:announced": {"type": "t", "announcement": announcement}},
                                        "resources": {"thing:/": ALL}}}}
    await world.policies.execute(PolicyCommand("modify", POLICY_ID, (), policy), OWNER)
    deleted = datetime.now(UTC)
    await world.policies.execute(PolicyCommand("delete", POLICY_ID, ("entries", "announced"), None), OWNER)
    return deleted


async def _one_round(world: World, now: datetime) -> list[SubjectDeletion]:
    """One round of the announcer at `now`, until what it claimed is settled; what it published."""
    receiver = world.live.announcements.receive(("nginx:announced",))
    announcer = PolicyAnnouncer(world.store, world.live, clock=lambda: now)
    try:
        claims = await announcer.claim_due()
        async with asyncio.timeout(10):
            await asyncio.gather(*(announcer.send(claim) for claim in claims))
        return [await anext(aiter(receiver)) for _ in claims]
    finally:
        receiver.close()


async def test_an_unacknowledged_announcement_is_redelivered_after_the_back_off(world: World) -> None:
    at = await _deleted_subject(world) + timedelta(seconds=1)
    [announcement] = await _one_round(world, at)
    assert announcement.subject_ids == ("nginx:announced",)
    assert announcement.headers["requested-acks"] == '["nobody:acks"]'
    lease = timedelta(seconds=30)
    assert await world.store.claim_announcements(at + timedelta(seconds=1.4), lease, limit=10) == []
    [again] = await world.store.claim_announcements(at + timedelta(seconds=2.1), lease, limit=10)
    assert again.retries == 1


async def test_an_announcement_is_given_up_after_the_grace_period(world: World) -> None:
    deleted = await _deleted_subject(world)
    await _one_round(world, deleted + DEFAULT_GRACE_PERIOD)  # a back-off from here ends past the grace period
    assert await world.store.claim_announcements(deleted + timedelta(days=1), timedelta(seconds=30), limit=10) == []
