"""The scale-out store: PostgreSQL through asyncpg, one committer task with group commit, a pool of readers.

Any number of workers may share one database: each entity's revision is compared and set under an
advisory lock of that entity, so the database orders writes. A lost database makes calls fail with
ServiceUnavailable (503); the pools connect again on the next call, so the store recovers by itself
when the database is back. A write is acknowledged only once its transaction committed.
"""

from __future__ import annotations

import asyncio
import enum
import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime, timedelta
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar

import asyncpg

from twinhub.history import Point
from twinhub.history.retention import DEFAULT_ROLLUP_WIDTHS
from twinhub.model.errors import ServiceUnavailable
from twinhub.model.events import JournalEntry, Policy, PolicyJournalEntry, StoredConnection, Thing, format_timestamp
from twinhub.rql.spec import SearchSpec
from twinhub.store.announcements import ClaimedAnnouncement
from twinhub.store.base import Store
from twinhub.store.buckets import SeriesBuckets
from twinhub.store.commit import Commit
from twinhub.store.identity import new_epoch
from twinhub.store.points import PointCursor, PointPage, PointRow, import_rows, make_page, page_bounds
from twinhub.store.postgres.announcements import claim, settle
from twinhub.store.postgres.committer import Committer, Outcome, Pending
from twinhub.store.postgres.dialect import POSTGRES
from twinhub.store.postgres.errors import DRIVER_ERRORS, PooledConnection, discarding, is_connection_error, unavailable
from twinhub.store.postgres.history import import_points, page_sql
from twinhub.store.postgres.journals import POLICY_JOURNAL, THING_JOURNAL, policy_entry, thing_entry
from twinhub.store.postgres.pruning import Pruning
from twinhub.store.postgres.rollups import RollupReads
from twinhub.store.postgres.rows import (
    bound_params,
    decode_text,
    encode_text,
    plain,
    point_record,
    stored_point,
)
from twinhub.store.postgres.schema import migrate
from twinhub.store.rollups import width_micros
from twinhub.store.rows import decode_connection, decode_policy, decode_thing, encode_commit
from twinhub.store.search import THING_COLUMNS, Hits, Plans, hits
from twinhub.store.slots import Slots

__all__ = ["ACQUIRE_TIMEOUT", "COMMAND_TIMEOUT", "CONNECT_TIMEOUT", "DEFAULT_BATCH_MAX", "DEFAULT_MAX_PENDING",
           "DEFAULT_POOL_SIZE", "PooledConnection", "PostgresStore", "masked",
           "open_postgres_store"]

DEFAULT_POOL_SIZE = 10  # connections for reads; the committer has one more of its own
DEFAULT_BATCH_MAX = 512  # units per transaction
DEFAULT_MAX_PENDING = 10_000  # units queued or in flight; more wait for a slot without blocking the loop
CONNECT_TIMEOUT = 5.0  # seconds to open a connection
ACQUIRE_TIMEOUT = 10.0  # seconds to wait for a pooled connection (a bound on waiting callers' time)
COMMAND_TIMEOUT = 30.0  # seconds for one statement

_T = TypeVar("_T")


_LOAD = "SELECT revision, created, modified, deleted, doc FROM things WHERE thing_id = $1"
# A thing and the policy it names in one statement: a cold read is one round trip, not two.
_LOAD_WITH_POLICY = ("SELECT t.revision, t.created, t.modified, t.deleted, t.doc, "
                     "p.revision, p.created, p.modified, p.deleted, p.doc, t.policy_id FROM things t "
                     "LEFT JOIN policies p ON p.policy_id = t.policy_id WHERE t.thing_id = $1")
_LOAD_POLICY = "SELECT revision, created, modified, deleted, doc FROM policies WHERE policy_id = $1"
_LOAD_CONNECTION = "SELECT revision, created, modified, deleted, doc FROM connections WHERE connection_id = $1"
_CONNECTIONS = ("SELECT connection_id, revision, created, modified, deleted, doc FROM connections "
                "WHERE deleted = 0 ORDER BY connection_id LIMIT $1")
_IMPORTERS = "SELECT policy_id FROM policy_imports WHERE imported_id = $1 ORDER BY policy_id"
# Creations as a whole always keep a snapshot: the partial index walks only those, latest first; a creation
# pruned by journal retention leaves the oldest revision kept (a snapshot) as the start of what is known.
_LIFE_START = """
SELECT coalesce(
    (SELECT revision FROM thing_journal
     WHERE thing_id = $1 AND snapshot IS NOT NULL AND action = 'created' AND path = '/'
     ORDER BY revision DESC LIMIT 1),
    (SELECT min(revision) FROM thing_journal WHERE thing_id = $1))
"""
_EPOCH = "SELECT epoch FROM store_identity WHERE id = 1"
_RENEW_EPOCH = "UPDATE store_identity SET epoch = $1 WHERE id = 1 AND epoch = $2 RETURNING epoch"
# One statement, so one snapshot: the bound (the latest revision meeting the limits, found by revision,
# so it stays exact if a clock stepped back), the latest snapshot at or before it (the partial index
# finds it without walking events), and the rows from that snapshot through the bound.
_PASSWORD = re.compile(r"(://[^:/@]*:)[^@]*@")


class _State(enum.Enum):
    UNOPENED = "unopened"
    OPENING = "opening"
    OPEN = "open"
    CLOSED = "closed"


def open_postgres_store(dsn: str, *, pool_size: int = DEFAULT_POOL_SIZE, batch_max: int = DEFAULT_BATCH_MAX,
                        max_pending: int = DEFAULT_MAX_PENDING,
                        rollups: Sequence[timedelta] = DEFAULT_ROLLUP_WIDTHS) -> PostgresStore:
    """The store in the PostgreSQL database at `dsn` (`postgresql://user:password@host:port/database`);
    open it with `async with`.

    Entering migrates the schema; it raises SchemaTooNew for a database of a newer twinhub and
    ServiceUnavailable when the database cannot be reached or migrated. `rollups`: the widths of the history
    rollups it maintains.
    """
    return PostgresStore(dsn, pool_size=pool_size, batch_max=batch_max, max_pending=max_pending, rollups=rollups)


def masked(dsn: str) -> str:
    """The DSN without its password, for messages and repr."""
    return _PASSWORD.sub(r"\1***@", dsn)


class PostgresStore(RollupReads, SeriesBuckets, Pruning):
    """The `Store` on one PostgreSQL database. Open once with `async with`; it cannot be reopened."""

    def __init__(self, dsn: str, *, pool_size: int = DEFAULT_POOL_SIZE, batch_max: int = DEFAULT_BATCH_MAX,
                 max_pending: int = DEFAULT_MAX_PENDING, rollups: Sequence[timedelta] = DEFAULT_ROLLUP_WIDTHS) -> None:
        if pool_size < 1 or batch_max < 1 or max_pending < 1:
            raise ValueError("pool_size, batch_max and max_pending must be at least 1")
        self._dsn = dsn
        self._pool_size = pool_size
        self._batch_max = batch_max
        self._rollups = tuple(rollups)
        self._state = _State.UNOPENED
        self._slots = Slots(max_pending)
        self._readers: asyncpg.Pool | None = None
        self._writer: asyncpg.Pool | None = None
        self._committer: Committer | None = None
        self._plans = Plans(POSTGRES)

    def __repr__(self) -> str:
        return f"PostgresStore({masked(self._dsn)!r}, {self._state.value})"

    @property
    def pool(self) -> asyncpg.Pool:
        """The readers' pool, for the user store beside this one (raises RuntimeError unless open)."""
        self._check_open()
        assert self._readers is not None
        return self._readers

    async def connect(self, application_name: str) -> asyncpg.Connection:
        """A connection of its own, outside the pools (a listener's); the caller closes it. Raises RuntimeError
        unless the store is open; the driver's errors pass through."""
        self._check_open()
        return await asyncpg.connect(self._dsn, timeout=CONNECT_TIMEOUT, command_timeout=COMMAND_TIMEOUT,
                                     server_settings={"application_name": application_name})

    # -- lifecycle ---------------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        if self._state is _State.CLOSED:
            raise RuntimeError("Cannot reopen a store once it has been closed.")
        if self._state is not _State.UNOPENED:
            raise RuntimeError("The store is already open.")
        self._state = _State.OPENING
        try:
            self._writer = await self._create_pool(1)
            async with self._writer.acquire(timeout=ACQUIRE_TIMEOUT) as connection:
                await migrate(connection, masked(self._dsn))
            self._readers = await self._create_pool(self._pool_size)
        except BaseException as exc:  # failed, or cancelled while opening: nothing may stay open
            self._state = _State.CLOSED
            await self._close_pools()
            if isinstance(exc, DRIVER_ERRORS):
                raise ServiceUnavailable(f"The thing store {masked(self._dsn)} cannot be opened.") from exc
            raise
        self._committer = Committer(self._writer, batch_max=self._batch_max, acquire_timeout=ACQUIRE_TIMEOUT,
                                    settle=self._settle, rollups=width_micros(self._rollups))
        self._committer.start()
        self._state = _State.OPEN
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        traceback: TracebackType | None) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Refuse new work, commit what is queued, then close every connection."""
        if self._state is _State.OPENING:
            raise RuntimeError("The store is still opening.")
        state, self._state = self._state, _State.CLOSED
        if state is not _State.OPEN:
            return
        # Shielded: a cancelled caller must not leave the committer or the pools behind.
        await asyncio.shield(self._shut_down())

    async def _shut_down(self) -> None:
        if self._committer is not None:
            await self._committer.stop()
        await self._close_pools()

    async def _create_pool(self, size: int) -> asyncpg.Pool:
        return await asyncpg.create_pool(
            self._dsn, min_size=1, max_size=size, timeout=CONNECT_TIMEOUT, command_timeout=COMMAND_TIMEOUT,
            # Short statements: JIT compilation would cost more than it saves.
            server_settings={"application_name": "twinhub", "jit": "off"},
            reset=_keep_session,
        )

    async def _close_pools(self) -> None:
        for pool in (self._readers, self._writer):
            if pool is None:
                continue
            try:
                await asyncio.wait_for(pool.close(), COMMAND_TIMEOUT)
            except DRIVER_ERRORS:  # TimeoutError among them
                pool.terminate()

    def _check_open(self) -> None:
        if self._state is not _State.OPEN:
            if self._state is _State.CLOSED:
                raise RuntimeError("The store is closed.")
            raise RuntimeError("The store is not open: use `async with open_postgres_store(dsn) as store`.")

    # -- writes ------------------------------------------------------------------------------------

    async def commit(self, unit: Commit) -> None:
        """Store the unit's entities, journal their events and index them, all or nothing; returns once
        the group commit holding them is durable.

        Raises RevisionConflict when a stored revision is not the write's `expected_revision`,
        ServiceUnavailable when the transaction fails or the database is unreachable, ValueError for a
        malformed write and RuntimeError when the store is not open. A caller cancelled while waiting
        may still see its write committed, as with any lost acknowledgement.
        """
        self._check_open()
        encoded = encode_commit(unit)
        await self._slots.acquire()
        if self._state is not _State.OPEN:  # closed while waiting for a slot
            self._slots.release()
            self._check_open()
        assert self._committer is not None
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._committer.submit(Pending(encoded, future))
        await future

    def _settle(self, batch: Sequence[Pending], outcomes: Sequence[Outcome]) -> None:
        """Free the slots of a committed batch and answer its callers."""
        for pending, outcome in zip(batch, outcomes, strict=True):
            self._slots.release()
            if pending.future.done():  # the caller was cancelled
                continue
            if outcome is None:
                pending.future.set_result(None)
            else:
                pending.future.set_exception(outcome)

    # -- reads -------------------------------------------------------------------------------------

    async def load(self, thing_id: str) -> Thing | None:
        row = await self._read(lambda connection: connection.fetchrow(_LOAD, thing_id))
        return None if row is None else self._decode(decode_thing, thing_id, row)

    async def load_with_policy(self, thing_id: str) -> tuple[Thing | None, Policy | None]:
        row = await self._read(lambda connection: connection.fetchrow(_LOAD_WITH_POLICY, thing_id))
        if row is None:
            return None, None
        thing = self._decode(decode_thing, thing_id, row[:5])
        policy = None if row[5] is None else self._decode(decode_policy, row[10], row[5:10])
        return thing, policy

    async def load_policy(self, policy_id: str) -> Policy | None:
        row = await self._read(lambda connection: connection.fetchrow(_LOAD_POLICY, policy_id))
        return None if row is None else self._decode(decode_policy, policy_id, row)

    async def load_connection(self, connection_id: str) -> StoredConnection | None:
        row = await self._read(lambda connection: connection.fetchrow(_LOAD_CONNECTION, connection_id))
        return None if row is None else self._decode(decode_connection, connection_id, row)

    async def connections(self, *, limit: int | None = None) -> list[StoredConnection]:
        rows = await self._read(lambda connection: connection.fetch(_CONNECTIONS, limit))  # NULL: no limit
        return [self._decode(decode_connection, row[0], tuple(row)[1:]) for row in rows]

    async def importers_of(self, policy_id: str) -> list[str]:
        rows = await self._read(lambda connection: connection.fetch(_IMPORTERS, policy_id))
        return [row[0] for row in rows]

    async def search(self, spec: SearchSpec) -> Hits:
        """See `Store.search`: one statement (one snapshot). Sort key values are read back as SQLite gives them
        (numbers as int or float, not Decimal; strings unescaped), so that a position goes through a cursor's JSON."""
        query = self._plans.search(spec)
        rows = await self._read(lambda connection: connection.fetch(query.sql, *bound_params(query)))
        width = len(THING_COLUMNS)
        return hits([(*row[:width], *(plain(value) for value in row[width:])) for row in rows], spec,
                    lambda row: self._decode(decode_thing, str(row[0]), row[1:width]))

    async def count(self, spec: SearchSpec) -> int:
        query = self._plans.count(spec)
        return int(await self._read(lambda connection: connection.fetchval(query.sql, *bound_params(query))))

    async def journal(self, thing_id: str, *, to_revision: int | None = None,
                      to_timestamp: datetime | None = None) -> list[JournalEntry]:
        """See `Store.journal` (`twinhub.store.postgres.journals`)."""
        return await self._journal(THING_JOURNAL, thing_entry, thing_id, to_revision, to_timestamp)

    async def policy_journal(self, policy_id: str, *, to_revision: int | None = None,
                             to_timestamp: datetime | None = None) -> list[PolicyJournalEntry]:
        """See `Store.policy_journal`."""
        return await self._journal(POLICY_JOURNAL, policy_entry, policy_id, to_revision, to_timestamp)

    async def _journal(self, sql: str, decode: Callable[[str, tuple[Any, ...]], _T], key: str,
                       to_revision: int | None, to_timestamp: datetime | None) -> list[_T]:
        until = None if to_timestamp is None else format_timestamp(to_timestamp)  # as the journal stores it
        rows = await self._read(lambda connection: connection.fetch(sql, key, to_revision, until))
        return [self._decode(decode, key, row) for row in rows]

    async def points(self, thing_id: str, paths: Sequence[str], *, start: datetime, end: datetime, limit: int,
                     after: PointCursor | None = None) -> PointPage:
        """See `Store.points`."""
        bounds = page_bounds(paths, start, end, after, limit)
        sql = page_sql(len(bounds.series))
        parameters = [value for series in bounds.series
                      for value in (encode_text(series.path), series.micros, series.revision)]
        rows = await self._read(lambda connection: connection.fetch(sql, thing_id, bounds.end, bounds.fetch,
                                                                    *parameters))
        return make_page(thing_id, [(decode_text(row[0]), *stored_point(tuple(row)[1:])) for row in rows], limit)

    async def import_points(self, points: Sequence[Point]) -> int:
        """See `Store.import_points`: COPY and one INSERT on a pooled connection (`_read`'s retry on a lost
        connection is safe: a point written twice is skipped)."""
        rows = await asyncio.to_thread(_import_records, points)  # up to 100,000: off the event loop
        if not rows:
            return 0
        widths = width_micros(self._rollups)
        return await self._read(lambda connection: import_points(connection, rows, widths))

    async def life_start(self, thing_id: str) -> int:
        revision = await self._read(lambda connection: connection.fetchval(_LIFE_START, thing_id))
        return 0 if revision is None else int(revision)

    async def claim_announcements(self, now: datetime, lease: timedelta, *,
                                  limit: int) -> list[ClaimedAnnouncement]:
        """See `Store.claim_announcements`."""
        return await self._read(lambda connection: claim(connection, now, lease, limit))

    async def settle_announcement(self, claimed: ClaimedAnnouncement, *, retry_at: datetime | None) -> None:
        """See `Store.settle_announcement`."""
        await self._read(lambda connection: settle(connection, claimed, retry_at))

    # -- identity ----------------------------------------------------------------------------------

    async def epoch(self) -> str:
        epoch = await self._read(lambda connection: connection.fetchval(_EPOCH))
        if epoch is None:
            raise ServiceUnavailable("The thing store has lost its identity (no row in store_identity).")
        return str(epoch)

    async def renew_epoch(self, expected: str) -> str:
        """See `Store.renew_epoch` (a compare-and-set: workers starting together renew once)."""
        renewed = await self._read(lambda connection: connection.fetchval(_RENEW_EPOCH, new_epoch(), expected))
        # Not renewed here: another worker did first; a statement of its own sees what it committed.
        return str(renewed) if renewed is not None else await self.epoch()

    async def _read(self, statement: Callable[[PooledConnection], Awaitable[_T]]) -> _T:
        """Run a read on a pooled connection, once more on a new one if the connection was lost (a
        restarted database leaves dead connections in the pool)."""
        self._check_open()
        assert self._readers is not None
        for attempt in (1, 2):
            try:
                async with discarding(self._readers, ACQUIRE_TIMEOUT) as connection:
                    return await statement(connection)
            except DRIVER_ERRORS as exc:
                if attempt == 1 and is_connection_error(exc) and not isinstance(exc, OSError | TimeoutError):
                    continue  # a dead pooled connection; a refused or timed-out one would fail again
                raise unavailable("The thing store could not be read.", exc) from exc
        raise AssertionError("unreachable")

    @staticmethod
    def _decode(decode: Callable[[str, tuple[Any, ...]], _T], key: str, row: Iterable[Any]) -> _T:
        try:
            return decode(key, tuple(row))
        except ValueError as exc:  # an undecodable row
            raise ServiceUnavailable("The thing store could not be read.") from exc


async def _keep_session(connection: asyncpg.Connection[Any]) -> None:
    """The pools' reset on release: nothing to send. asyncpg's default (advisory unlock, CLOSE ALL, UNLISTEN,
    RESET ALL) is one more round trip per call (~110 µs here) to undo session state this store never leaves:
    its connections are its own, it sets no session settings after connecting, its advisory locks are
    transaction-level, it opens no cursors nor LISTENs, and the import staging tables empty at commit. An
    open transaction is still rolled back by asyncpg itself before this runs."""


def _import_records(points: Sequence[Point]) -> list[PointRow]:
    """The escaped rows of an import (see `import_rows`)."""
    return [point_record(row) for row in import_rows(points)]


if TYPE_CHECKING:
    def _is_a_store(store: PostgresStore) -> Store:  # mypy checks PostgresStore against the protocol here
        return store
