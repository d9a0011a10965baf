"""Journal reads of the SQLite store: the entries that rebuild a thing or a policy as of a revision or a time
(`Store.journal`, `Store.policy_journal`), each in one statement, so one read snapshot.

The statement finds the bound (the latest revision meeting the caller's limits; by revision, not by time, so it
stays exact if a clock stepped back; a timestamp limit walks the entity's compact time index up to it), the latest
snapshot at or before the bound (for things the partial index finds it without walking events; a policy has few
revisions and no such index), and the rows from that snapshot through the bound.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal, TypeVar

from twinhub.model.events import JournalEntry, PolicyJournalEntry, format_timestamp
from twinhub.store.rows import decode_entry, decode_policy_entry

__all__ = ["policy_journal_reader", "thing_journal_reader"]

_T = TypeVar("_T")

_JOURNAL = """
WITH bound(revision) AS (
         SELECT revision FROM {kind}_journal WHERE {limits} ORDER BY revision DESC LIMIT 1),
     start(revision) AS (
         SELECT coalesce(max(revision), 0) FROM {kind}_journal {hint}
         WHERE {kind}_id = :key AND snapshot IS NOT NULL AND revision <= (SELECT revision FROM bound))
SELECT revision, timestamp, action, path, value, snapshot FROM {kind}_journal
WHERE {kind}_id = :key
  AND revision BETWEEN (SELECT revision FROM start) AND (SELECT revision FROM bound)
ORDER BY revision
"""
_HINTS = {"thing": "INDEXED BY thing_journal_snapshots", "policy": ""}


def thing_journal_reader(key: str, to_revision: int | None, to_timestamp: datetime | None
                         ) -> Callable[[sqlite3.Connection], list[JournalEntry]]:
    """The read (for a reader thread) of the thing `key`'s journal entries through the bound."""
    return _reader("thing", key, to_revision, to_timestamp, decode_entry)


def policy_journal_reader(key: str, to_revision: int | None, to_timestamp: datetime | None
                          ) -> Callable[[sqlite3.Connection], list[PolicyJournalEntry]]:
    """The read (for a reader thread) of the policy `key`'s journal entries through the bound."""
    return _reader("policy", key, to_revision, to_timestamp, decode_policy_entry)


def _reader(kind: Literal["thing", "policy"], key: str, to_revision: int | None, to_timestamp: datetime | None,
            decode: Callable[[str, tuple[Any, ...]], _T]) -> Callable[[sqlite3.Connection], list[_T]]:
    limits = [f"{kind}_id = :key"]
    if to_revision is not None:
        limits.append("revision <= :to_revision")
    if to_timestamp is not None:
        limits.append("timestamp <= :to_timestamp")
    sql = _JOURNAL.format(kind=kind, limits=" AND ".join(limits), hint=_HINTS[kind])
    until = None if to_timestamp is None else format_timestamp(to_timestamp)  # as the journal stores it
    parameters = {"key": key, "to_revision": to_revision, "to_timestamp": until}

    def read(connection: sqlite3.Connection) -> list[_T]:
        return [decode(key, row) for row in connection.execute(sql, parameters)]

    return read
