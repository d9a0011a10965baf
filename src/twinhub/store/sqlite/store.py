"""The embedded store: SQLite in WAL mode, one writer thread with group commit, a pool of readers."""

from __future__ import annotations

import asyncio
import enum
import logging
import sqlite3
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Self, TypeVar

from twinhub.history import Point
from twinhub.history.retention import DEFAULT_ROLLUP_WIDTHS
from twinhub.history.series import micros
from twinhub.model.errors import ServiceUnavailable
from twinhub.model.events import JournalEntry, Policy, PolicyJournalEntry, StoredConnection, Thing
from twinhub.rql.spec import SearchSpec
from twinhub.store.announcements import ClaimedAnnouncement
from twinhub.store.base import Store
from twinhub.store.buckets import SeriesBuckets
from twinhub.store.commit import Commit
from twinhub.store.identity import new_epoch
from twinhub.store.points import PointCursor, PointPage, import_rows, make_page, page_bounds
from twinhub.store.rollups import width_micros
from twinhub.store.rows import decode_connection, decode_policy, decode_thing, encode_commit
from twinhub.store.search import THING_COLUMNS, Hits, Plans, Row, hits
from twinhub.store.slots import Slots
from twinhub.store.sqlite.announcements import WORK, claim, settle
from twinhub.store.sqlite.dialect import SQLITE
from twinhub.store.sqlite.history import page_sql
from twinhub.store.sqlite.journals import policy_journal_reader, thing_journal_reader
from twinhub.store.sqlite.pruning import PRUNE_FAILED, Pruning
from twinhub.store.sqlite.readers import READ_TIMEOUT, READER_THREADS, Readers
from twinhub.store.sqlite.rollups import RollupReads
from twinhub.store.sqlite.schema import in_write_transaction
from twinhub.store.sqlite.writer import Outcome, Pending, PointImport, Writer

__all__ = ["DEFAULT_BATCH_MAX", "DEFAULT_MAX_PENDING", "READER_THREADS", "SqliteStore", "open_sqlite_store"]

log = logging.getLogger(__name__)

DEFAULT_BATCH_MAX = 512  # writes per transaction
DEFAULT_MAX_PENDING = 10_000  # writes queued or in flight; more wait for a slot without blocking the loop

_T = TypeVar("_T")

_LOAD = "SELECT revision, created, modified, deleted, doc FROM things WHERE thing_id = ?"
# A thing and the policy it names in one statement (one snapshot, one trip to a reader).
_LOAD_WITH_POLICY = ("SELECT t.revision, t.created, t.modified, t.deleted, t.doc, "
                     "p.revision, p.created, p.modified, p.deleted, p.doc, t.policy_id FROM things t "
                     "LEFT JOIN policies p ON p.policy_id = t.policy_id WHERE t.thing_id = ?")
_IMPORTERS = "SELECT policy_id FROM policy_imports WHERE imported_id = ? ORDER BY policy_id"
_LOAD_POLICY = "SELECT revision, created, modified, deleted, doc FROM policies WHERE policy_id = ?"
_LOAD_CONNECTION = "SELECT revision, created, modified, deleted, doc FROM connections WHERE connection_id = ?"
_CONNECTIONS = ("SELECT connection_id, revision, created, modified, deleted, doc FROM connections "
                "WHERE deleted = 0 ORDER BY connection_id LIMIT ?")
# Creations as a whole always keep a snapshot: the partial index walks only those, latest first; a creation
# pruned by journal retention leaves the oldest revision kept (a snapshot) as the start of what is known.
_LIFE_START = """
SELECT coalesce(
    (SELECT revision FROM thing_journal INDEXED BY thing_journal_snapshots
     WHERE thing_id = ?1 AND snapshot IS NOT NULL AND action = 'created' AND path = '/'
     ORDER BY revision DESC LIMIT 1),
    (SELECT min(revision) FROM thing_journal WHERE thing_id = ?1))
"""
_EPOCH = "SELECT epoch FROM store_identity WHERE id = 1"
_RENEW_EPOCH = "UPDATE store_identity SET epoch = ? WHERE id = 1 AND epoch = ?"


class _State(enum.Enum):
    UNOPENED = "unopened"
    OPENING = "opening"
    OPEN = "open"
    CLOSED = "closed"


def open_sqlite_store(path: Path, *, batch_max: int = DEFAULT_BATCH_MAX, max_pending: int = DEFAULT_MAX_PENDING,
                      rollups: Sequence[timedelta] = DEFAULT_ROLLUP_WIDTHS,
                      read_timeout: float = READ_TIMEOUT) -> SqliteStore:
    """The store on the SQLite file at `path` (created if missing); open it with `async with`.

    Entering raises SchemaTooNew for a database of a newer twinhub, ServiceUnavailable when the file
    cannot be opened or migrated. `rollups`: the widths of the history rollups it maintains; a read taking
    longer than `read_timeout` seconds is interrupted (ServiceUnavailable).
    """
    return SqliteStore(path, batch_max=batch_max, max_pending=max_pending, rollups=rollups,
                       read_timeout=read_timeout)


class SqliteStore(RollupReads, SeriesBuckets, Pruning):
    """The `Store` on one SQLite file. Open once with `async with`; it cannot be reopened after close."""

    def __init__(self, path: Path, *, batch_max: int = DEFAULT_BATCH_MAX,
                 max_pending: int = DEFAULT_MAX_PENDING, rollups: Sequence[timedelta] = DEFAULT_ROLLUP_WIDTHS,
                 read_timeout: float = READ_TIMEOUT) -> None:
        if batch_max < 1 or max_pending < 1:
            raise ValueError("batch_max and max_pending must be at least 1")
        self._path = path
        self._rollups = tuple(rollups)
        self._batch_max = batch_max
        self._max_pending = max_pending
        self._state = _State.UNOPENED
        self._writer: Writer | None = None
        self._slots = Slots(max_pending)
        self._readers = Readers(path, read_timeout)
        self._plans = Plans(SQLITE)

    def __repr__(self) -> str:
        return f"SqliteStore({str(self._path)!r}, {self._state.value})"

    # -- lifecycle ---------------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        if self._state is _State.CLOSED:
            raise RuntimeError("Cannot reopen a store once it has been closed.")
        if self._state is not _State.UNOPENED:
            raise RuntimeError("The store is already open.")
        self._state = _State.OPENING
        writer = Writer(self._path, loop=asyncio.get_running_loop(), settle=self._settle,
                        batch_max=self._batch_max, max_pending=self._max_pending,
                        rollups=width_micros(self._rollups))
        try:
            await asyncio.wrap_future(writer.start())
        except BaseException:  # failed, or cancelled while opening: nothing may keep running
            self._state = _State.CLOSED
            writer.stop()
            self._readers.stop()
            raise
        self._writer = writer
        self._state = _State.OPEN
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        traceback: TracebackType | None) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Refuse new work, commit what is queued, then stop the writer and close every connection."""
        if self._state is _State.OPENING:
            raise RuntimeError("The store is still opening.")
        state, self._state = self._state, _State.CLOSED
        if state is not _State.OPEN:
            self._readers.stop()
            return
        assert self._writer is not None
        # Shielded: a cancelled caller must not leave the writer or the reader connections behind.
        await asyncio.shield(self._shut_down(self._writer))

    async def _shut_down(self, writer: Writer) -> None:
        await asyncio.wrap_future(writer.stop())
        await asyncio.to_thread(self._readers.close)

    def _check_open(self) -> None:
        if self._state is not _State.OPEN:
            if self._state is _State.CLOSED:
                raise RuntimeError("The store is closed.")
            raise RuntimeError("The store is not open: use `async with open_sqlite_store(path) as store`.")

    # -- writes ------------------------------------------------------------------------------------

    async def commit(self, unit: Commit) -> None:
        """Store the unit's entities, journal their events and index them, all or nothing; returns once
        the group commit holding them is durable.

        Raises RevisionConflict when a stored revision is not the write's `expected_revision`,
        ServiceUnavailable when the transaction fails, ValueError for a malformed write and
        RuntimeError when the store is not open. A caller cancelled while waiting may still see its
        write committed, as with any lost acknowledgement.
        """
        self._check_open()
        encoded = encode_commit(unit)  # here, not in the writer, to keep its transactions short
        writer = await self._writer_slot()
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        writer.submit(Pending(encoded, future))
        await future

    async def import_points(self, points: Sequence[Point]) -> int:
        """See `Store.import_points`: through the writer thread, in a transaction of its own."""
        self._check_open()
        rows = await asyncio.to_thread(import_rows, points)  # up to 100,000 checked and encoded: off the event loop
        writer = await self._writer_slot()
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        def done(outcome: int | BaseException) -> None:
            self._slots.release()
            if future.done():  # the caller was cancelled
                return
            if isinstance(outcome, BaseException):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)

        writer.submit(PointImport(rows, done))
        return await future

    async def _writer_slot(self) -> Writer:
        """The writer, once a place in its queue is held (released when the write is answered)."""
        await self._slots.acquire()
        if self._state is not _State.OPEN:  # closed while waiting for a slot
            self._slots.release()
            self._check_open()
        assert self._writer is not None
        return self._writer

    def _settle(self, settled: list[tuple[asyncio.Future[None], Outcome]]) -> None:
        """On the loop: free the slots of a committed batch and answer its callers."""
        for future, outcome in settled:
            self._slots.release()
            if future.done():  # the caller was cancelled
                continue
            if outcome is None:
                future.set_result(None)
            else:
                future.set_exception(outcome)

    # -- reads -------------------------------------------------------------------------------------

    async def load(self, thing_id: str) -> Thing | None:
        def query(connection: sqlite3.Connection) -> Thing | None:
            row = connection.execute(_LOAD, (thing_id,)).fetchone()
            return None if row is None else decode_thing(thing_id, row)

        return await self._read_by_key(query)

    async def load_with_policy(self, thing_id: str) -> tuple[Thing | None, Policy | None]:
        def query(connection: sqlite3.Connection) -> tuple[Thing | None, Policy | None]:
            row = connection.execute(_LOAD_WITH_POLICY, (thing_id,)).fetchone()
            if row is None:
                return None, None
            policy = None if row[5] is None else decode_policy(row[10], row[5:10])
            return decode_thing(thing_id, row[:5]), policy

        return await self._read_by_key(query)

    async def load_policy(self, policy_id: str) -> Policy | None:
        def query(connection: sqlite3.Connection) -> Policy | None:
            row = connection.execute(_LOAD_POLICY, (policy_id,)).fetchone()
            return None if row is None else decode_policy(policy_id, row)

        return await self._read_by_key(query)

    async def load_connection(self, connection_id: str) -> StoredConnection | None:
        def query(connection: sqlite3.Connection) -> StoredConnection | None:
            row = connection.execute(_LOAD_CONNECTION, (connection_id,)).fetchone()
            return None if row is None else decode_connection(connection_id, row)

        return await self._read(query)

    async def connections(self, *, limit: int | None = None) -> list[StoredConnection]:
        def query(connection: sqlite3.Connection) -> list[StoredConnection]:
            rows = connection.execute(_CONNECTIONS, (-1 if limit is None else limit,))  # -1: no limit
            return [decode_connection(row[0], row[1:]) for row in rows]

        return await self._read(query)

    async def search(self, spec: SearchSpec) -> Hits:
        """See `Store.search`: one statement (one snapshot), its rows decoded in the reader thread."""
        query = self._plans.search(spec)

        def run(connection: sqlite3.Connection) -> Hits:
            return hits(connection.execute(query.sql, query.params).fetchall(), spec, _thing)

        return await self._read(run)

    async def count(self, spec: SearchSpec) -> int:
        query = self._plans.count(spec)

        def run(connection: sqlite3.Connection) -> int:
            return int(connection.execute(query.sql, query.params).fetchone()[0])

        return await self._read(run)

    async def importers_of(self, policy_id: str) -> list[str]:
        def query(connection: sqlite3.Connection) -> list[str]:
            return [row[0] for row in connection.execute(_IMPORTERS, (policy_id,))]

        return await self._read(query)

    async def journal(self, thing_id: str, *, to_revision: int | None = None,
                      to_timestamp: datetime | None = None) -> list[JournalEntry]:
        """See `Store.journal` (`twinhub.store.sqlite.journals`)."""
        return await self._read(thing_journal_reader(thing_id, to_revision, to_timestamp))

    async def policy_journal(self, policy_id: str, *, to_revision: int | None = None,
                             to_timestamp: datetime | None = None) -> list[PolicyJournalEntry]:
        """See `Store.policy_journal`."""
        return await self._read(policy_journal_reader(policy_id, to_revision, to_timestamp))

    async def points(self, thing_id: str, paths: Sequence[str], *, start: datetime, end: datetime, limit: int,
                     after: PointCursor | None = None) -> PointPage:
        """See `Store.points`."""
        bounds = page_bounds(paths, start, end, after, limit)
        sql = page_sql(len(bounds.series))
        parameters = [value for series in bounds.series
                      for value in (thing_id, series.path, series.micros, series.revision, bounds.end)]

        def query(connection: sqlite3.Connection) -> PointPage:
            return make_page(thing_id, connection.execute(sql, (*parameters, bounds.fetch)).fetchall(), limit)

        return await self._read(query)

    async def life_start(self, thing_id: str) -> int:
        def query(connection: sqlite3.Connection) -> int:
            row = connection.execute(_LIFE_START, (thing_id,)).fetchone()
            return 0 if row is None or row[0] is None else int(row[0])

        return await self._read(query)

    # -- retention ---------------------------------------------------------------------------------

    async def _maintain(self, work: Callable[[sqlite3.Connection], _T], unavailable: str = PRUNE_FAILED) -> _T:
        """`work` in one write transaction on a connection of its own (the writer thread's transactions are for
        commands): bounded work, so the writer waits at most that long for the lock (within the busy timeout).
        Raises ServiceUnavailable(`unavailable`) when the database fails."""
        self._check_open()
        try:
            return await asyncio.to_thread(in_write_transaction, self._path, work)
        except sqlite3.Error as exc:
            log.error("a maintenance transaction of the thing store failed", exc_info=exc)
            raise ServiceUnavailable(unavailable) from exc

    # -- announcements -----------------------------------------------------------------------------

    async def claim_announcements(self, now: datetime, lease: timedelta, *,
                                  limit: int) -> list[ClaimedAnnouncement]:
        """See `Store.claim_announcements`: a read first, the write transaction only when something is due."""
        at = micros(now)
        if await self._read(lambda connection: connection.execute(WORK, (at,)).fetchone()) is None:
            return []
        return await self._maintain(lambda connection: claim(connection, now, lease, limit),
                                    "The thing store could not claim announcements.")

    async def settle_announcement(self, claimed: ClaimedAnnouncement, *, retry_at: datetime | None) -> None:
        """See `Store.settle_announcement`."""
        await self._maintain(lambda connection: settle(connection, claimed, retry_at),
                             "The thing store could not settle an announcement.")

    # -- identity ----------------------------------------------------------------------------------

    async def epoch(self) -> str:
        def query(connection: sqlite3.Connection) -> str:
            row = connection.execute(_EPOCH).fetchone()
            if row is None:
                raise ValueError("the store has lost its identity (no row in store_identity)")
            return str(row[0])

        return await self._read(query)

    async def renew_epoch(self, expected: str) -> str:
        """See `Store.renew_epoch`. On a connection of its own (the writer thread's transactions are for
        entities; renewals happen once, at start), waiting out the writer's transactions."""
        self._check_open()

        def renew(connection: sqlite3.Connection) -> str:
            connection.execute(_RENEW_EPOCH, (new_epoch(), expected))
            return str(connection.execute(_EPOCH).fetchone()[0])

        return await self._maintain(renew, "The thing store could not renew its epoch.")

    async def _read(self, query: Callable[[sqlite3.Connection], _T]) -> _T:
        self._check_open()
        return await self._readers.run(query)

    async def _read_by_key(self, query: Callable[[sqlite3.Connection], _T]) -> _T:
        """A lookup by primary key: on the event loop (see `Readers.run_by_key`)."""
        self._check_open()
        return await self._readers.run_by_key(query)


def _thing(row: Row) -> Thing:
    return decode_thing(str(row[0]), tuple(row[1:len(THING_COLUMNS)]))


if TYPE_CHECKING:
    def _is_a_store(store: SqliteStore) -> Store:  # mypy checks SqliteStore against the protocol here
        return store
