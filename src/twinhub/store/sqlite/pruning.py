"""Retention on the embedded store: the bounded deletes of `twinhub.store.pruning`, each run in one short write
transaction of its own connection (see `SqliteStore._maintain`), between the writer thread's group commits."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from twinhub.history.retention import HistoryRetention
from twinhub.model.events import format_timestamp
from twinhub.store.points import to_micros
from twinhub.store.pruning import PRUNE_ROWS, PRUNE_SERIES, Pruned, SeriesKey

__all__ = ["PRUNE_FAILED", "Pruning", "prune_journal", "prune_points", "prune_rollups"]

PRUNE_FAILED = "The thing store could not prune old history."
_T = TypeVar("_T")

# The series from a key on, one index seek each (a DISTINCT would read every point of every series).
_SERIES_FROM = ("SELECT thing_id, path FROM history_points WHERE (thing_id, path) >= (?, ?) "
                "ORDER BY thing_id, path LIMIT 1")
_SERIES_AFTER = ("SELECT thing_id, path FROM history_points WHERE (thing_id, path) > (?, ?) "
                 "ORDER BY thing_id, path LIMIT 1")
_DELETE_POINTS = """
DELETE FROM history_points WHERE (thing_id, path, t_us, revision) IN (
    SELECT thing_id, path, t_us, revision FROM history_points
    WHERE thing_id = ? AND path = ? AND t_us < ? ORDER BY t_us LIMIT ?)
"""
_DELETE_ROLLUPS = """
DELETE FROM history_rollups WHERE (thing_id, path, width_us, bucket_us) IN (
    SELECT thing_id, path, width_us, bucket_us FROM history_rollups INDEXED BY history_rollups_by_age
    WHERE width_us = ? AND bucket_us <= ? ORDER BY bucket_us LIMIT ?)
"""
_THINGS_FROM = "SELECT thing_id FROM things WHERE thing_id >= ? ORDER BY thing_id LIMIT ?"
# The latest snapshot at or before the cutoff: the journal from it on is kept.
_KEEP_FROM = """
SELECT max(revision) FROM thing_journal INDEXED BY thing_journal_snapshots
WHERE thing_id = ? AND snapshot IS NOT NULL AND timestamp <= ?
"""
_DELETE_JOURNAL = """
DELETE FROM thing_journal WHERE thing_id = ? AND revision IN (
    SELECT revision FROM thing_journal WHERE thing_id = ? AND revision < ? ORDER BY revision LIMIT ?)
"""


def _series(connection: sqlite3.Connection, start: SeriesKey | None, count: int) -> list[SeriesKey]:
    keys: list[SeriesKey] = []
    row = connection.execute(_SERIES_FROM, (start.thing_id, start.path) if start else ("", "")).fetchone()
    while row is not None and len(keys) < count:
        keys.append(SeriesKey(row[0], row[1]))
        row = connection.execute(_SERIES_AFTER, row).fetchone()
    return keys


def prune_points(connection: sqlite3.Connection, retention: HistoryRetention, now: datetime, *,
                 start: SeriesKey | None, series: int, rows: int) -> Pruned[SeriesKey]:
    keys = _series(connection, start, series + 1)  # one more: where the next call starts
    deleted = 0
    for key in keys[:series]:
        cutoff = retention.cutoff(key.thing_id, key.path, now)
        if cutoff is None:
            continue
        deleted += connection.execute(_DELETE_POINTS, (key.thing_id, key.path, to_micros(cutoff),
                                                       rows - deleted)).rowcount
        if deleted >= rows:
            return Pruned(deleted, key)  # this series may hold more
    return Pruned(deleted, keys[series] if len(keys) > series else None)


def prune_rollups(connection: sqlite3.Connection, width: timedelta, cutoff: datetime, *, rows: int) -> int:
    width_us = width // timedelta(microseconds=1)
    return connection.execute(_DELETE_ROLLUPS, (width_us, to_micros(cutoff) - width_us, rows)).rowcount


def prune_journal(connection: sqlite3.Connection, cutoff: datetime, *, start: str | None, things: int,
                  rows: int) -> Pruned[str]:
    ids = [row[0] for row in connection.execute(_THINGS_FROM, (start or "", things + 1))]
    until = format_timestamp(cutoff)
    deleted = 0
    for thing_id in ids[:things]:
        keep = connection.execute(_KEEP_FROM, (thing_id, until)).fetchone()[0]
        if keep is None:
            continue
        deleted += connection.execute(_DELETE_JOURNAL, (thing_id, thing_id, keep, rows - deleted)).rowcount
        if deleted >= rows:
            return Pruned(deleted, thing_id)
    return Pruned(deleted, ids[things] if len(ids) > things else None)


class Pruning:
    """The retention steps of `SqliteStore` (see `Store.prune_*`), each in a write transaction of its own."""

    async def _maintain(self, work: Callable[[sqlite3.Connection], _T], unavailable: str = PRUNE_FAILED) -> _T:
        raise NotImplementedError

    async def prune_points(self, retention: HistoryRetention, now: datetime, *, start: SeriesKey | None = None,
                           series: int = PRUNE_SERIES, rows: int = PRUNE_ROWS) -> Pruned[SeriesKey]:
        """See `Store.prune_points`."""
        return await self._maintain(lambda connection: prune_points(
            connection, retention, now, start=start, series=series, rows=rows))

    async def prune_rollups(self, width: timedelta, cutoff: datetime, *, rows: int = PRUNE_ROWS) -> int:
        """See `Store.prune_rollups`."""
        return await self._maintain(lambda connection: prune_rollups(connection, width, cutoff, rows=rows))

    async def prune_journal(self, cutoff: datetime, *, start: str | None = None, things: int = PRUNE_SERIES,
                            rows: int = PRUNE_ROWS) -> Pruned[str]:
        """See `Store.prune_journal`."""
        return await self._maintain(lambda connection: prune_journal(
            connection, cutoff, start=start, things=things, rows=rows))

