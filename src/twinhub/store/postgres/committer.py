"""The one committer task: it gathers concurrent commits into one transaction (group commit).

Callers put a unit of writes and a future on the queue (`submit`). While a transaction is in flight the
queue fills; the committer then takes up to `batch_max` units in queue order, commits them in ONE
transaction on its own connection (reads never delay it), and answers every future only after COMMIT
returned (or failed). A transaction costs five round trips (six with policies) and one WAL flush,
whatever it holds:

    BEGIN -> LOCK (advisory locks of every entity, in key order) -> REVISIONS -> WRITE_* -> COMMIT

Failures, per batch:
- a revision conflict fails its unit alone (checked up front, see `batch.py`);
- a connection lost before COMMIT was sent: nothing was written; a dead pooled connection (the server
  restarted) gets the batch replayed once on a new one, an unreachable server fails every unit with
  ServiceUnavailable; lost during COMMIT, the outcome is unknown and the units fail with
  ServiceUnavailable (a lost acknowledgement, never a lost acknowledged write);
- any other statement error (a value the database refuses): the batch is replayed unit by unit, each in
  its own transaction, so the unit at fault fails alone.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import asyncpg

from twinhub.store.batch import plan_batch
from twinhub.store.postgres.batch import LOCK, REVISIONS, entity_ids, lock_keys, statements
from twinhub.store.postgres.errors import DRIVER_ERRORS, discarding, is_connection_error, unavailable
from twinhub.store.rows import EncodedCommit

__all__ = ["Committer", "Outcome", "Pending"]

log = logging.getLogger(__name__)

Outcome = BaseException | None  # None: committed

_MESSAGE = "The thing store could not commit the write."


@dataclass(frozen=True, slots=True)
class Pending:
    """A unit of writes committed all or nothing, and the future that answers its caller."""

    unit: EncodedCommit
    future: asyncio.Future[None]


class _CommitUnknown(Exception):
    """The connection was lost while COMMIT was under way."""


class Committer:
    """The queue and the task draining it; `settle` is called with each batch and its outcomes."""

    def __init__(self, pool: asyncpg.Pool, *, batch_max: int, acquire_timeout: float,
                 settle: Callable[[Sequence[Pending], Sequence[Outcome]], None], rollups: tuple[int, ...] = ()) -> None:
        self._pool = pool
        self._rollups = rollups  # history rollup widths in microseconds
        self._batch_max = batch_max
        self._acquire_timeout = acquire_timeout
        self._settle = settle
        self._queue: deque[Pending] = deque()  # bounded by the store's slots
        self._wakeup = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="twinhub-postgres-committer")

    def submit(self, pending: Pending) -> None:
        self._queue.append(pending)
        self._wakeup.set()

    async def stop(self) -> None:
        """Commit what is queued, then end the task."""
        self._stopping = True
        self._wakeup.set()
        if self._task is not None:
            await self._task

    async def _run(self) -> None:
        while True:
            if not self._queue:
                if self._stopping:
                    return
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            batch = [self._queue.popleft() for _ in range(min(len(self._queue), self._batch_max))]
            try:
                outcomes = await self._commit([pending.unit for pending in batch])
            except Exception as exc:  # a bug: log it, but still answer every caller (none may wait forever)
                log.exception("unexpected error in a group commit of %d units", len(batch))
                outcomes = [unavailable(_MESSAGE, exc) for _ in batch]
            self._settle(batch, outcomes)

    async def _commit(self, units: list[EncodedCommit]) -> list[Outcome]:
        for attempt in (1, 2):
            try:
                return await self._transaction(units)
            except _CommitUnknown as lost:
                return [unavailable(_MESSAGE, lost.__cause__ or lost) for _ in units]
            except DRIVER_ERRORS as exc:
                if is_connection_error(exc):
                    if attempt == 1 and not isinstance(exc, OSError | TimeoutError):
                        continue  # a dead pooled connection, and nothing was committed: once more, anew
                    return [unavailable(_MESSAGE, exc) for _ in units]
                if len(units) == 1:
                    return [unavailable(_MESSAGE, exc)]
                return [await self._alone(unit) for unit in units]
        raise AssertionError("unreachable")

    async def _alone(self, unit: EncodedCommit) -> Outcome:
        try:
            (outcome,) = await self._transaction([unit])
        except _CommitUnknown as lost:
            return unavailable(_MESSAGE, lost.__cause__ or lost)
        except DRIVER_ERRORS as exc:
            return unavailable(_MESSAGE, exc)
        return outcome

    async def _transaction(self, units: list[EncodedCommit]) -> list[Outcome]:
        """Commit `units` in one transaction; raises _CommitUnknown if the connection died in COMMIT."""
        async with discarding(self._pool, self._acquire_timeout) as connection:
            transaction = connection.transaction()
            await transaction.start()
            try:
                await connection.execute(LOCK, lock_keys(units))
                rows = await connection.fetch(REVISIONS, entity_ids(units, "thing"), entity_ids(units, "policy"),
                                              entity_ids(units, "connection"))
                plan = plan_batch(units, {(kind, key): revision for kind, key, revision in rows})
                for statement, arguments in statements(plan, self._rollups):
                    await connection.execute(statement, *arguments)
            except BaseException:
                if not connection.is_closed():
                    await _rollback(transaction)
                raise
            try:
                await transaction.commit()
            except DRIVER_ERRORS as exc:
                if is_connection_error(exc):
                    raise _CommitUnknown() from exc
                raise
        return list(plan.outcomes)


async def _rollback(transaction: asyncpg.transaction.Transaction) -> None:
    try:
        await transaction.rollback()
    except DRIVER_ERRORS:
        log.warning("ROLLBACK of a failed group commit failed; the connection is discarded")
