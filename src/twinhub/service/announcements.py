"""The announcer: one per worker, it sends the subject deletion announcements that are due (Ditto's policies
service, SubjectExpiryActor), whichever worker's write scheduled them.

* Policy writes schedule announcements in the store, in the commit of the write (`twinhub.service.announcement_plans`,
  `twinhub.model.policy.announcement_plan`), so the schedule survives restarts. Every `poll` seconds the announcer
  claims what is due (a lease the store grants one worker at a time: no announcement is sent twice at once),
  publishes each on the signal bus (sessions of every worker that subscribed to policy announcements as one of its
  subjects get it) and settles it.
* With `requestedAcks`, it waits up to their `timeout` for the labels' acknowledgements (issued by the sessions
  that declared them); a timeout (408), a failed dependency (424) or a server error (5xx) is redelivered after a
  back-off growing from `MIN_BACKOFF` by 1.5-2x up to `MAX_BACKOFF` (Ditto's `exponential-backoff`), until the grace
  period after the subject's deletion ends; any other answer, or no labels at all, settles it.
* A worker that dies holding a claim loses it when its lease ends: another worker sends it again (at least once).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Final

import orjson

from twinhub.model.errors import TwinhubError
from twinhub.model.live import SubjectDeletion
from twinhub.model.policy import DEFAULT_ACK_TIMEOUT
from twinhub.service.live import LiveHub, new_correlation_id
from twinhub.store.announcements import ClaimedAnnouncement
from twinhub.store.base import Store

__all__ = ["DEFAULT_POLL_SECONDS", "PolicyAnnouncer"]

log = logging.getLogger(__name__)

DEFAULT_POLL_SECONDS: Final = 1.0
MIN_BACKOFF: Final = timedelta(seconds=1)  # Ditto `exponential-backoff.min`
MAX_BACKOFF: Final = timedelta(hours=1)  # Ditto `exponential-backoff.max`
LEASE_MARGIN: Final = timedelta(seconds=30)  # beyond the acknowledgement timeout, for publishing and settling
CLAIM_LIMIT: Final = 100  # announcements claimed per round
MAX_IN_FLIGHT: Final = 1_000  # announcements awaiting their acknowledgements at once (more wait for a later round)


def requires_redelivery(status: int) -> bool:
    """Ditto's SubjectExpiryActor.requiresRedelivery: 408, 424 and server errors."""
    return status in (408, 424) or status >= 500


class PolicyAnnouncer:
    def __init__(self, store: Store, live: LiveHub, *, poll: float = DEFAULT_POLL_SECONDS,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._store = store
        self._live = live
        self._poll = poll
        self._clock = clock
        self._sending: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        """Claim and send due announcements until cancelled."""
        try:
            while True:
                try:
                    await self._round()
                except TwinhubError as error:  # e.g. the store is unavailable: try again next round
                    log.warning("could not claim due policy announcements: %s", error.message)
                await asyncio.sleep(self._poll)
        finally:
            for task in list(self._sending):
                task.cancel()
            for task in list(self._sending):
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _round(self) -> None:
        for claim in await self.claim_due():
            task = asyncio.create_task(self.send(claim))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)

    async def claim_due(self) -> list[ClaimedAnnouncement]:
        """Lease what is due now (as much as the room for announcements in flight allows)."""
        room = min(CLAIM_LIMIT, MAX_IN_FLIGHT - len(self._sending))
        if room <= 0:
            return []
        return await self._store.claim_announcements(self._clock(), _lease(), limit=room)

    async def send(self, claim: ClaimedAnnouncement) -> None:
        """Publish a claimed announcement, wait for its acknowledgements, settle it (or leave it to its lease)."""
        try:
            redeliver = await self._deliver(claim)
            retry_at = self._retry_at(claim) if redeliver else None
            await self._store.settle_announcement(claim, retry_at=retry_at)
        except TwinhubError as error:  # unsettled: sent again once its lease ends
            log.warning("a policy announcement of %s in %s is unsettled: %s", claim.subject_id, claim.policy_id,
                        error.message)

    async def _deliver(self, claim: ClaimedAnnouncement) -> bool:
        """Publish the announcement and wait for its acknowledgements; whether it must be sent again."""
        correlation_id = new_correlation_id()
        headers = {"correlation-id": correlation_id}
        if claim.labels:
            headers["requested-acks"] = orjson.dumps(list(claim.labels)).decode()
            headers["timeout"] = f"{round(claim.timeout.total_seconds() * 1000)}ms"
        announcement = SubjectDeletion(claim.policy_id, (claim.subject_id,), claim.delete_at, headers)
        if not claim.labels:
            await self._live.announce(announcement)
            return False
        wait = self._live.expect_acks(correlation_id, claim.labels, entity_id=claim.policy_id)
        try:
            await self._live.announce(announcement)
            acks = await wait.wait(claim.timeout.total_seconds())
        finally:
            wait.close()
        return any(requires_redelivery(ack.status) for ack in acks.values())

    def _retry_at(self, claim: ClaimedAnnouncement) -> datetime | None:
        """When to send it again; None once that would be past its grace period (given up, as Ditto does)."""
        backoff = MIN_BACKOFF
        for _ in range(claim.retries + 1):
            backoff = min(backoff * (1.5 + random.random() * 0.5), MAX_BACKOFF)
        retry_at = self._clock() + backoff
        if claim.give_up_at is not None and retry_at >= claim.give_up_at:
            log.warning("giving up the policy announcement of %s in %s: its grace period ended", claim.subject_id,
                        claim.policy_id)
            return None
        return retry_at


def _lease() -> timedelta:
    return DEFAULT_ACK_TIMEOUT + LEASE_MARGIN  # the longest acknowledgement timeout a plan allows, and a margin
