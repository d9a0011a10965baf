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
from twinhub.store.base import RevisionConflict
from twinhub.store.sqlite.rows import EncodedWrite
from twinhub.store.sqlite.schema import connect_writer, migrate

__all__ = ["Outcome", "Pending", "Writer"]

log = logging.getLogger(__name__)

Outcome = BaseException | None  # None: committed
Settle = Callable[[list[tuple["asyncio.Future[None]", Outcome]]], None]

_SELECT_REVISION = "SELECT revision FROM things WHERE thing_id = ?"
_INSERT_THING = (
    "INSERT INTO things (thing_id, revision, created, modified, deleted, doc) VALUES (?, ?, ?, ?, ?, ?)"
)
_UPDATE_THING = (
    "UPDATE things SET revision = ?2, created = ?3, modified = ?4, deleted = ?5, doc = ?6 WHERE thing_id = ?1"
)
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
        # One slot more than the callers may fill (they hold a semaphore slot per write) for the stop mark,
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
        outcomes: list[Outcome] = []
        try:
            connection.execute("BEGIN IMMEDIATE")
            for write in writes:
                outcomes.append(_apply(connection, write))
            connection.execute("COMMIT")
        except Exception as exc:
            # A failed transaction fails every write of the batch, and nothing of it is applied. Anything
            # but a driver error is a bug: log it, but still answer every caller (none may wait forever).
            if not isinstance(exc, sqlite3.Error):
                log.exception("unexpected error in a group commit of %d writes", len(writes))
            _rollback(connection)
            return [_unavailable("The thing store could not commit the write.", exc) for _ in writes]
        return outcomes


def _apply(connection: sqlite3.Connection, write: EncodedWrite) -> Outcome:
    """Compare-and-set one write inside the batch's transaction (it sees the batch's earlier writes)."""
    row = connection.execute(_SELECT_REVISION, (write.thing_id,)).fetchone()
    stored = 0 if row is None else int(row[0])
    if stored != write.expected_revision:
        return RevisionConflict(write.thing_id, write.expected_revision)
    connection.execute(_INSERT_THING if row is None else _UPDATE_THING, write.thing_row)
    connection.execute(_INSERT_EVENT, write.journal_row)
    return None


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
