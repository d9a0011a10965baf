"""The one writer thread: it owns the read-write connection and group-commits queued writes.

Callers on the event loop put a write and an asyncio future on a bounded queue. The thread takes
everything queued (up to `batch_max`), applies it in queue order in ONE transaction, and hands all
outcomes back to the loop in one `call_soon_threadsafe`. Each write is a compare-and-set on the
thing's revision: a conflict fails that write alone; a failed transaction fails the whole batch.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from twinhub.model.errors import ServiceUnavailable
from twinhub.model.json import dumps
from twinhub.store.base import RevisionConflict
from twinhub.store.sqlite.rows import EncodedWrite, JournalRow, ThingRow
from twinhub.store.sqlite.schema import connect_writer, migrate

__all__ = ["Outcome", "Pending", "Writer"]

log = logging.getLogger(__name__)

Outcome = BaseException | None  # None: committed
Settle = Callable[[list[tuple["asyncio.Future[None]", Outcome]]], None]

# One statement per batch for each step, so the thread spends its time in SQLite, not in Python:
# the stored revisions of all the batch's things (ids passed as one JSON array) ...
_SELECT_REVISIONS = "SELECT thing_id, revision FROM things WHERE thing_id IN (SELECT value FROM json_each(?))"
# ... then the final state of each thing written ...
_UPSERT_THING = (
    "INSERT INTO things (thing_id, revision, created, modified, deleted, doc) VALUES (?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (thing_id) DO UPDATE SET revision = excluded.revision, created = excluded.created, "
    "modified = excluded.modified, deleted = excluded.deleted, doc = excluded.doc"
)
# ... and every event that passed its compare-and-set, in queue order.
_INSERT_EVENT = (
    "INSERT INTO thing_journal (thing_id, revision, timestamp, action, path, value, snapshot) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)


@dataclass(frozen=True, slots=True)
class Pending:
    write: EncodedWrite
    future: asyncio.Future[None]


class Writer:
    """The writer thread and its queue. `settle` runs on `loop` with the outcomes of each batch."""

    def __init__(self, path: Path, *, loop: asyncio.AbstractEventLoop, settle: Settle, batch_max: int,
                 max_pending: int) -> None:
        self._path = path
        self._loop = loop
        self._settle = settle
        self._batch_max = batch_max
        # One place more than callers may fill (each holds one of `max_pending` slots) for the stop mark,
        # so neither `submit` nor `stop` ever blocks the event loop.
        self._queue: queue.Queue[Pending | None] = queue.Queue(maxsize=max_pending + 1)
        self._ready: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._finished: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._thread = threading.Thread(target=self._run, name="twinhub-sqlite-writer", daemon=True)

    def start(self) -> concurrent.futures.Future[None]:
        """Start the thread; the future resolves once the database is open and migrated (or failed)."""
        self._thread.start()
        return self._ready

    def submit(self, pending: Pending) -> None:
        self._queue.put_nowait(pending)

    def stop(self) -> concurrent.futures.Future[None]:
        """Commit what is queued, then close the connection; the future resolves when the thread ends."""
        self._queue.put_nowait(None)
        return self._finished

    # -- the thread -------------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            connection = self._open()
        except BaseException as exc:
            self._ready.set_exception(exc)
            self._finished.set_result(None)
            return
        self._ready.set_result(None)
        try:
            self._serve(connection)
        finally:
            connection.close()
            self._finished.set_result(None)

    def _open(self) -> sqlite3.Connection:
        try:
            connection = connect_writer(self._path)
        except sqlite3.Error as exc:
            raise ServiceUnavailable(f"The thing store {self._path} cannot be opened.") from exc
        try:
            migrate(connection, self._path)
        except sqlite3.Error as exc:
            connection.close()
            raise ServiceUnavailable(f"The thing store {self._path} cannot be migrated.") from exc
        except BaseException:
            connection.close()
            raise
        return connection

    def _serve(self, connection: sqlite3.Connection) -> None:
        while True:
            batch, stopping = self._take()
            if batch:
                outcomes = self._commit(connection, [pending.write for pending in batch])
                settled = [(pending.future, outcome) for pending, outcome in zip(batch, outcomes, strict=True)]
                try:
                    self._loop.call_soon_threadsafe(self._settle, settled)
                except RuntimeError:  # the loop is closed: nobody is left waiting for these outcomes
                    log.warning("event loop closed; dropped the outcome of %d committed writes", len(batch))
            if stopping:
                return

    def _take(self) -> tuple[list[Pending], bool]:
        """Block for one write, then take what else is queued, up to `batch_max`, in queue order."""
        batch: list[Pending] = []
        item = self._queue.get()
        while item is not None:
            batch.append(item)
            if len(batch) >= self._batch_max:
                return batch, False
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return batch, False
        return batch, True

    def _commit(self, connection: sqlite3.Connection, writes: list[EncodedWrite]) -> list[Outcome]:
        try:
            connection.execute("BEGIN IMMEDIATE")
            outcomes, things, events = _compare_and_set(connection, writes)
            connection.executemany(_UPSERT_THING, things)
            connection.executemany(_INSERT_EVENT, events)
            connection.execute("COMMIT")
        except Exception as exc:
            # A failed transaction fails every write of the batch, and nothing of it is applied. Anything
            # but a driver error is a bug: log it, but still answer every caller (none may wait forever).
            if not isinstance(exc, sqlite3.Error):
                log.exception("unexpected error in a group commit of %d writes", len(writes))
            _rollback(connection)
            return [_unavailable("The thing store could not commit the write.", exc) for _ in writes]
        return outcomes


def _compare_and_set(connection: sqlite3.Connection, writes: list[EncodedWrite]
                     ) -> tuple[list[Outcome], list[ThingRow], list[JournalRow]]:
    """Check each write's expected revision against the stored one, inside the batch's transaction.

    Writes are checked in queue order against the revisions read at the start of the transaction as
    updated by the batch's earlier writes, so a later write sees an earlier one (and a thing created
    and modified in one batch chains). Returns the outcomes, the things' final rows and the events.
    """
    # As text: SQLite 3.45+ would read a BLOB argument as its binary JSONB format.
    ids = dumps(list({write.thing_id: None for write in writes})).decode()
    revisions: dict[str, int] = dict(connection.execute(_SELECT_REVISIONS, (ids,)).fetchall())
    outcomes: list[Outcome] = []
    things: dict[str, ThingRow] = {}
    events: list[JournalRow] = []
    for write in writes:
        if revisions.get(write.thing_id, 0) != write.expected_revision:
            outcomes.append(RevisionConflict(write.thing_id, write.expected_revision))
            continue
        revisions[write.thing_id] = write.thing_row[1]
        things[write.thing_id] = write.thing_row
        events.append(write.journal_row)
        outcomes.append(None)
    return outcomes, list(things.values()), events


def _rollback(connection: sqlite3.Connection) -> None:
    if not connection.in_transaction:
        return
    try:
        connection.execute("ROLLBACK")
    except sqlite3.Error:
        # SQLite rolls back by itself on the errors that make ROLLBACK fail; the next BEGIN will tell.
        log.exception("ROLLBACK of a failed group commit failed")


def _unavailable(message: str, exc: BaseException) -> ServiceUnavailable:
    error = ServiceUnavailable(message)
    error.__cause__ = exc
    return error
