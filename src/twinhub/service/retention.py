"""Retention: each worker prunes old history points, rollup buckets and journal entries in the background.

A pass walks the store in bounded steps (`Store.prune_*`, each one short transaction), pausing between steps so
that the writers keep the database; passes repeat every `interval`. Several workers may prune at once: each
step is idempotent, so they only share the work. A failed step (the database away) ends the pass; the next
one starts over.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from twinhub.history.retention import HistoryRetention
from twinhub.model.errors import ServiceUnavailable
from twinhub.store.base import Store
from twinhub.store.pruning import PRUNE_ROWS

__all__ = ["PAUSE", "Pruner", "RetentionPolicy"]

log = logging.getLogger(__name__)

PAUSE = 0.05  # seconds between two steps of a pass: the writers' turn


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """How long raw points (per rule), rollup buckets (per width) and journal entries are kept."""

    points: HistoryRetention = field(default_factory=HistoryRetention)
    rollups: Mapping[timedelta, timedelta] = field(default_factory=dict)
    journal: timedelta | None = None

    @property
    def keeps_everything(self) -> bool:
        return self.points.keeps_everything and not self.rollups and self.journal is None


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Pruner:
    """Prunes what `policy` no longer keeps; `run` repeats passes until cancelled."""

    def __init__(self, store: Store, policy: RetentionPolicy, *, interval: float, pause: float = PAUSE,
                 clock: Callable[[], datetime] = _utc_now) -> None:
        self._store = store
        self._policy = policy
        self._interval = interval
        self._pause = pause
        self._clock = clock

    async def run(self) -> None:
        while True:
            try:
                deleted = await self.prune()
            except ServiceUnavailable as exc:
                log.warning("a retention pass stopped: %s", exc)
            else:
                if deleted:
                    log.info("a retention pass deleted %d rows", deleted)
            await asyncio.sleep(self._interval)

    async def prune(self) -> int:
        """One pass as of now: how many rows it deleted. Raises ServiceUnavailable when the store fails."""
        now, policy = self._clock(), self._policy
        deleted = 0
        if not policy.points.keeps_everything:
            start = None
            while True:
                pruned = await self._store.prune_points(policy.points, now, start=start)
                deleted, start = deleted + pruned.deleted, pruned.next
                if start is None:
                    break
                await asyncio.sleep(self._pause)
        for width, keep in policy.rollups.items():
            while (step := await self._store.prune_rollups(width, now - keep)) >= PRUNE_ROWS:
                deleted += step
                await asyncio.sleep(self._pause)
            deleted += step
        if policy.journal is not None:
            first: str | None = None
            while True:
                journal = await self._store.prune_journal(now - policy.journal, start=first)
                deleted, first = deleted + journal.deleted, journal.next
                if first is None:
                    break
                await asyncio.sleep(self._pause)
        return deleted
