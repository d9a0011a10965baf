"""Retention on PostgreSQL: the bounded deletes of `twinhub.store.pruning`, each one statement (its own short
transaction) on a pooled connection. Workers pruning at once delete each row once (the second waits on the
row lock, then finds it gone)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TypeVar

from twinhub.history.retention import HistoryRetention
from twinhub.model.events import format_timestamp
from twinhub.store.points import to_micros
from twinhub.store.postgres.errors import PooledConnection
from twinhub.store.postgres.rows import decode_text, encode_text
from twinhub.store.pruning import PRUNE_ROWS, PRUNE_SERIES, Pruned, SeriesKey

__all__ = ["Pruning", "prune_journal", "prune_points", "prune_rollups"]

_T = TypeVar("_T")

# The series from a key on, one index seek each (a loose index scan; DISTINCT would read every point).
_SERIES = """
WITH RECURSIVE series(thing_id, path, n) AS (
    (SELECT thing_id, path, 1 FROM history_points WHERE (thing_id, path) >= ($1, $2) ORDER BY thing_id, path LIMIT 1)
    UNION ALL
    SELECT next.thing_id, next.path, series.n + 1 FROM series CROSS JOIN LATERAL (
        SELECT thing_id, path FROM history_points WHERE (thing_id, path) > (series.thing_id, series.path)
        ORDER BY thing_id, path LIMIT 1) AS next
    WHERE series.n < $3)
SELECT thing_id, path FROM series ORDER BY n
"""
_DELETE_POINTS = """
DELETE FROM history_points AS h USING (
    SELECT old.thing_id, old.path, old.t_us, old.revision
    FROM unnest($1::text[], $2::text[], $3::bigint[]) AS s(thing_id, path, cutoff)
    CROSS JOIN LATERAL (SELECT thing_id, path, t_us, revision FROM history_points
                        WHERE thing_id = s.thing_id AND path = s.path AND t_us < s.cutoff
                        ORDER BY t_us LIMIT $4) AS old
    LIMIT $4) AS d
WHERE h.thing_id = d.thing_id AND h.path = d.path AND h.t_us = d.t_us AND h.revision = d.revision
"""
_DELETE_ROLLUPS = """
DELETE FROM history_rollups AS h USING (
    SELECT thing_id, path, width_us, bucket_us FROM history_rollups
    WHERE width_us = $1 AND bucket_us <= $2 ORDER BY bucket_us LIMIT $3) AS d
WHERE h.thing_id = d.thing_id AND h.path = d.path AND h.width_us = d.width_us AND h.bucket_us = d.bucket_us
"""
_THINGS_FROM = "SELECT thing_id FROM things WHERE thing_id >= $1 ORDER BY thing_id LIMIT $2"
# Per thing, everything before the latest snapshot at or before the cutoff.
_DELETE_JOURNAL = """
DELETE FROM thing_journal AS j USING (
    SELECT old.thing_id, old.revision FROM unnest($1::text[]) AS t(thing_id)
    CROSS JOIN LATERAL (SELECT max(revision) AS revision FROM thing_journal
                        WHERE thing_id = t.thing_id AND snapshot IS NOT NULL AND timestamp <= $2) AS keep
    CROSS JOIN LATERAL (SELECT thing_id, revision FROM thing_journal
                        WHERE thing_id = t.thing_id AND revision < keep.revision ORDER BY revision LIMIT $3) AS old
    LIMIT $3) AS d
WHERE j.thing_id = d.thing_id AND j.revision = d.revision
"""


def _count(status: str) -> int:
    return int(status.rsplit(" ", 1)[-1])


async def prune_points(connection: PooledConnection, retention: HistoryRetention, now: datetime, *,
                       start: SeriesKey | None, series: int, rows: int) -> Pruned[SeriesKey]:
    found = await connection.fetch(_SERIES, start.thing_id if start else "", encode_text(start.path) if start else "",
                                   series + 1)  # one more: where the next call starts
    keys = [SeriesKey(row[0], decode_text(row[1])) for row in found]
    doomed = [(key, retention.cutoff(key.thing_id, key.path, now)) for key in keys[:series]]
    chosen = [(key, cutoff) for key, cutoff in doomed if cutoff is not None]
    deleted = 0
    if chosen:
        deleted = _count(await connection.execute(
            _DELETE_POINTS, [key.thing_id for key, _ in chosen], [encode_text(key.path) for key, _ in chosen],
            [to_micros(cutoff) for _, cutoff in chosen], rows))
    if deleted >= rows:
        return Pruned(deleted, keys[0])  # some series may hold more: this batch again (its done ones cost a seek)
    return Pruned(deleted, keys[series] if len(keys) > series else None)


async def prune_rollups(connection: PooledConnection, width: timedelta, cutoff: datetime, *, rows: int) -> int:
    width_us = width // timedelta(microseconds=1)
    return _count(await connection.execute(_DELETE_ROLLUPS, width_us, to_micros(cutoff) - width_us, rows))


async def prune_journal(connection: PooledConnection, cutoff: datetime, *, start: str | None, things: int,
                        rows: int) -> Pruned[str]:
    ids = [row[0] for row in await connection.fetch(_THINGS_FROM, start or "", things + 1)]
    deleted = 0
    if ids:
        deleted = _count(await connection.execute(_DELETE_JOURNAL, ids[:things], format_timestamp(cutoff), rows))
    if deleted >= rows:
        return Pruned(deleted, ids[0])
    return Pruned(deleted, ids[things] if len(ids) > things else None)


class Pruning:
    """The retention steps of `PostgresStore` (see `Store.prune_*`), each one statement on its readers' pool."""

    async def _read(self, statement: Callable[[PooledConnection], Awaitable[_T]]) -> _T:
        raise NotImplementedError

    async def prune_points(self, retention: HistoryRetention, now: datetime, *, start: SeriesKey | None = None,
                           series: int = PRUNE_SERIES, rows: int = PRUNE_ROWS) -> Pruned[SeriesKey]:
        """See `Store.prune_points`."""
        return await self._read(lambda connection: prune_points(
            connection, retention, now, start=start, series=series, rows=rows))

    async def prune_rollups(self, width: timedelta, cutoff: datetime, *, rows: int = PRUNE_ROWS) -> int:
        """See `Store.prune_rollups`."""
        return await self._read(lambda connection: prune_rollups(connection, width, cutoff, rows=rows))

    async def prune_journal(self, cutoff: datetime, *, start: str | None = None, things: int = PRUNE_SERIES,
                            rows: int = PRUNE_ROWS) -> Pruned[str]:
        """See `Store.prune_journal`."""
        return await self._read(lambda connection: prune_journal(
            connection, cutoff, start=start, things=things, rows=rows))

