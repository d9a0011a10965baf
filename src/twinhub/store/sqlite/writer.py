"""The one writer thread: it owns the read-write connection and group-commits queued writes.

Callers on the event loop put a unit (an encoded `Commit`: a thing, or a thing with its new policy,
and policy indexes) and an asyncio future on a bounded queue. The thread takes everything queued (up
to `batch_max` units), applies it in queue order in ONE transaction, and hands all outcomes back to the
loop in one `call_soon_threadsafe`. Each write is a compare-and-set on its entity's revision: a conflict
fails its unit alone, all of it; a failed transaction fails the whole batch.
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
from typing import TypeVar

from twinhub.model.errors import ServiceUnavailable
from twinhub.model.json import dumps
from twinhub.store.batch import Plan, plan_batch
from twinhub.store.points import PointRow
from twinhub.store.rollups import COLUMNS as ROLLUP_COLUMNS
from twinhub.store.rollups import INT64, on_conflict, rollup_rows
from twinhub.store.rows import EncodedCommit, Kind
from twinhub.store.sqlite.announcements import write_changes
from twinhub.store.sqlite.checkpoints import Checkpointer
from twinhub.store.sqlite.schema import connect_writer, migrate

__all__ = ["Outcome", "Pending", "PointImport", "Writer"]

log = logging.getLogger(__name__)

_T = TypeVar("_T")

Outcome = BaseException | None  # None: committed
Settle = Callable[[list[tuple["asyncio.Future[None]", Outcome]]], None]

# One statement per batch for each step and kind, so the thread spends its time in SQLite, not in
# Python: the stored revisions of all the batch's entities (ids passed as one JSON array) ...
_SELECT_REVISIONS = "SELECT {key}, revision FROM {table} WHERE {key} IN (SELECT value FROM json_each(?))"
# ... then the final state of each entity written ...
_UPSERT_POLICY = (
    "INSERT INTO policies (policy_id, revision, created, modified, deleted, doc) VALUES (?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (policy_id) DO UPDATE SET revision = excluded.revision, created = excluded.created, "
    "modified = excluded.modified, deleted = excluded.deleted, doc = excluded.doc"
)
_UPSERT_THING = (
    "INSERT INTO things (thing_id, revision, created, modified, deleted, doc, namespace, policy_id) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (thing_id) DO UPDATE SET revision = excluded.revision, created = excluded.created, "
    "modified = excluded.modified, deleted = excluded.deleted, doc = excluded.doc, "
    "namespace = excluded.namespace, policy_id = excluded.policy_id"
)
_UPSERT_CONNECTION = (
    "INSERT INTO connections (connection_id, revision, created, modified, deleted, doc) VALUES (?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (connection_id) DO UPDATE SET revision = excluded.revision, created = excluded.created, "
    "modified = excluded.modified, deleted = excluded.deleted, doc = excluded.doc"
)
# ... and every event that passed its compare-and-set, in queue order.
_INSERT_EVENT = (
    "INSERT INTO {journal} ({key}, revision, timestamp, action, path, value, snapshot) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_TABLES: dict[Kind, dict[str, str]] = {
    "thing": {"table": "things", "journal": "thing_journal", "key": "thing_id"},
    "policy": {"table": "policies", "journal": "policy_journal", "key": "policy_id"},
    "connection": {"table": "connections", "journal": "connection_journal", "key": "connection_id"},
}
_SQL: dict[Kind, tuple[str, str, str]] = {
    kind: (_SELECT_REVISIONS.format(**names), upsert, _INSERT_EVENT.format(**names))
    for (kind, names), upsert in zip(_TABLES.items(), (_UPSERT_THING, _UPSERT_POLICY, _UPSERT_CONNECTION),
                                            strict=True)
}
# The search index: a thing's changed rows are replaced (see `Plan.index_removals`), a policy's whole.
_DELETE_THING_INDEX_ROW = "DELETE FROM thing_index WHERE thing_id = ? AND path = ?"
_DELETE_THING_INDEX_BELOW = "DELETE FROM thing_index WHERE thing_id = ? AND path >= ? AND path < ?"
_INSERT_THING_INDEX = "INSERT INTO thing_index (thing_id, path, wpath, type, value, empty) VALUES (?, ?, ?, ?, ?, ?)"
_DELETE_POLICY_INDEX = "DELETE FROM policy_index WHERE policy_id = ?"
_INSERT_POLICY_INDEX = (
    "INSERT INTO policy_index (policy_id, subject, path, depth, effect, expiry) VALUES (?, ?, ?, ?, ?, ?)"
)
_DELETE_POLICY_IMPORTS = "DELETE FROM policy_imports WHERE policy_id = ?"
_INSERT_POLICY_IMPORTS = "INSERT INTO policy_imports (policy_id, imported_id) VALUES (?, ?)"
# A thing created again starts its history anew: the earlier lives' points and rollups go first.
_FORGET_POINTS = "DELETE FROM history_points WHERE thing_id = ?"
_FORGET_ROLLUPS = "DELETE FROM history_rollups WHERE thing_id = ?"
# History points of the committed units, in the same transaction as their things.
_INSERT_POINTS = (
    "INSERT INTO history_points (thing_id, path, t_us, revision, type, num, str) VALUES (?, ?, ?, ?, ?, ?, ?)"
)
# ... and the rollups of those points, each row combined with the stored one.
UPSERT_ROLLUPS = (f"INSERT INTO history_rollups AS r ({', '.join(ROLLUP_COLUMNS)}) "
                  f"VALUES ({', '.join('?' * len(ROLLUP_COLUMNS))}) "
                  f"{on_conflict('CAST({} AS INTEGER)', 'twinhub_add({}, {})')}")


# The bulk path: points without a thing command, skipping those already stored.
_IMPORT_POINTS = (
    "INSERT OR IGNORE INTO history_points (thing_id, path, t_us, revision, type, num, str) VALUES (?, ?, ?, ?, ?, ?, ?)"
)


@dataclass(frozen=True, slots=True)
class PointImport:
    """Rows of `history_points` written in a transaction of their own; `done` runs on the loop with how many were
    new, or the exception that failed them."""

    rows: list[PointRow]
    done: Callable[[int | BaseException], None]


@dataclass(frozen=True, slots=True)
class Pending:
    """A unit of writes committed all or nothing, and the future that answers its caller."""

    unit: EncodedCommit
    future: asyncio.Future[None]


class Writer:
    """The writer thread and its queue. `settle` runs on `loop` with the outcomes of each batch."""

    def __init__(self, path: Path, *, loop: asyncio.AbstractEventLoop, settle: Settle, batch_max: int,
                 max_pending: int, rollups: tuple[int, ...] = ()) -> None:
        self._path = path
        self._rollups = rollups  # widths in microseconds
        self._loop = loop
        self._settle = settle
        self._batch_max = batch_max
        # One place more than callers may fill (each holds one of `max_pending` slots) for the stop mark,
        # so neither `submit` nor `stop` ever blocks the event loop.
        self._queue: queue.Queue[Pending | PointImport | None] = queue.Queue(maxsize=max_pending + 1)
        self._ready: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._finished: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._thread = threading.Thread(target=self._run, name="twinhub-sqlite-writer", daemon=True)
        self._checkpoints = Checkpointer(path)  # the WAL's checkpoints run there, never in this thread's commits

    def start(self) -> concurrent.futures.Future[None]:
        """Start the thread; the future resolves once the database is open and migrated (or failed)."""
        self._thread.start()
        return self._ready

    def submit(self, pending: Pending | PointImport) -> None:
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
        self._checkpoints.start()
        self._ready.set_result(None)
        try:
            self._serve(connection)
        finally:
            self._checkpoints.stop()
            connection.close()  # the last connection: it checkpoints the whole WAL
            self._finished.set_result(None)

    def _open(self) -> sqlite3.Connection:
        try:
            connection = connect_writer(self._path)
        except sqlite3.Error as exc:
            raise ServiceUnavailable(f"The thing store {self._path} cannot be opened.") from exc
        try:
            connection.execute("PRAGMA wal_autocheckpoint = 0")  # see `Checkpointer`
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
            batch, after = self._take()
            if batch:
                outcomes = self._commit(connection, [pending.unit for pending in batch])
                settled = [(pending.future, outcome) for pending, outcome in zip(batch, outcomes, strict=True)]
                self._call_soon(self._settle, settled)
                self._checkpoints.written()
            if isinstance(after, PointImport):
                self._call_soon(after.done, self._import(connection, after.rows))
                self._checkpoints.written()
            elif after is None:
                return

    def _call_soon(self, callback: Callable[[_T], None], argument: _T) -> None:
        try:
            self._loop.call_soon_threadsafe(callback, argument)
        except RuntimeError:  # the loop is closed: nobody is left waiting for these outcomes
            log.warning("event loop closed; dropped the outcome of a write")

    def _take(self) -> tuple[list[Pending], PointImport | bool | None]:
        """Block for one write, then take what else is queued, up to `batch_max`, in queue order; an import ends
        the batch and comes second, alone. Second: the import, None for the stop mark, False for neither."""
        batch: list[Pending] = []
        item = self._queue.get()
        while isinstance(item, Pending):
            batch.append(item)
            if len(batch) >= self._batch_max:
                return batch, False
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return batch, False
        return batch, item

    def _import(self, connection: sqlite3.Connection, rows: list[PointRow]) -> int | BaseException:
        """Write imported rows in one transaction; how many were new, or why none were written."""
        try:
            connection.execute("BEGIN IMMEDIATE")
            before = connection.total_changes
            connection.executemany(_IMPORT_POINTS, rows)
            inserted = connection.total_changes - before
            if self._rollups:  # only the new points are rolled up
                distinct = list({row[:4]: row for row in reversed(rows)}.values())  # the first of each key
                if inserted < len(distinct):  # some were stored already: find which, one statement each
                    connection.execute("ROLLBACK")
                    connection.execute("BEGIN IMMEDIATE")
                    distinct = [row for row in rows if connection.execute(_IMPORT_POINTS, row).rowcount]
                connection.executemany(UPSERT_ROLLUPS, rollup_rows(distinct, self._rollups, isum_bound=INT64))
            connection.execute("COMMIT")
        except Exception as exc:  # as in `_commit`: every caller is answered
            log.error("an import of %d history points failed", len(rows), exc_info=exc)
            _rollback(connection)
            return _unavailable("The store could not import the points.", exc)
        return inserted

    def _commit(self, connection: sqlite3.Connection, units: list[EncodedCommit]) -> list[Outcome]:
        try:
            connection.execute("BEGIN IMMEDIATE")
            plan = plan_batch(units, _stored_revisions(connection, units))
            for kind, (_select, upsert, insert_event) in _SQL.items():
                entities = plan.entity_rows(kind)
                if entities:
                    connection.executemany(upsert, entities)
                    connection.executemany(insert_event, plan.events[kind])
            _write_index(connection, plan)
            if plan.announcements:
                write_changes(connection, plan.announcements)
            restarted = [(thing_id,) for thing_id in plan.lives_restarted]
            connection.executemany(_FORGET_POINTS, restarted)
            connection.executemany(_FORGET_ROLLUPS, restarted)
            connection.executemany(_INSERT_POINTS, plan.points)
            connection.executemany(UPSERT_ROLLUPS, rollup_rows(plan.points, self._rollups, isum_bound=INT64))
            connection.execute("COMMIT")
        except Exception as exc:
            # A failed transaction fails every write of the batch, and nothing of it is applied. Anything
            # but a driver error is a bug: log it, but still answer every caller (none may wait forever).
            if isinstance(exc, sqlite3.Error):
                log.error("a group commit of %d writes failed", len(units), exc_info=exc)
            else:
                log.exception("unexpected error in a group commit of %d writes", len(units))
            _rollback(connection)
            return [_unavailable("The store could not commit the write.", exc) for _ in units]
        return list(plan.outcomes)


def _stored_revisions(connection: sqlite3.Connection, units: list[EncodedCommit]) -> dict[tuple[Kind, str], int]:
    """The stored revisions of every entity the units write (inside the batch's transaction)."""
    revisions: dict[tuple[Kind, str], int] = {}
    writes = [write for unit in units for write in unit.writes]
    for kind in {write.kind for write in writes}:
        # As text: SQLite 3.45+ would read a BLOB argument as its binary JSONB format.
        ids = dumps(list({write.entity_id: None for write in writes if write.kind == kind}))
        select = _SQL[kind][0]
        revisions.update(((kind, key), rev) for key, rev in connection.execute(select, (ids.decode(),)))
    return revisions


def _write_index(connection: sqlite3.Connection, plan: Plan) -> None:
    """Replace the index rows the committed units changed (of a policy: all, latest state wins)."""
    things, policies = plan.thing_index, plan.policy_index
    if things:
        single, below = plan.index_removals()
        connection.executemany(_DELETE_THING_INDEX_ROW, single)
        connection.executemany(_DELETE_THING_INDEX_BELOW, below)
        connection.executemany(_INSERT_THING_INDEX, [row for rows in things.values() for row in rows])
    if policies:
        connection.executemany(_DELETE_POLICY_INDEX, [(policy_id,) for policy_id in policies])
        connection.executemany(_INSERT_POLICY_INDEX, [row for index in policies.values() for row in index.rows])
        connection.executemany(_DELETE_POLICY_IMPORTS, [(policy_id,) for policy_id in policies])
        connection.executemany(_INSERT_POLICY_IMPORTS, [row for index in policies.values() for row in index.imports])


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
