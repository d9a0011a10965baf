"""Journal reads of the PostgreSQL store: the statements that find the entries rebuilding a thing or a policy as
of a revision or a time (`Store.journal`, `Store.policy_journal`), and the decoding of their rows.

One statement, so one snapshot: the bound (the latest revision meeting the caller's limits), the latest snapshot
at or before it, and the rows from that snapshot through the bound.
"""

from __future__ import annotations

from typing import Any

from twinhub.model.events import JournalEntry, PolicyJournalEntry
from twinhub.store.postgres.rows import decode_text
from twinhub.store.rows import decode_entry, decode_policy_entry

__all__ = ["POLICY_JOURNAL", "THING_JOURNAL", "policy_entry", "thing_entry"]

_JOURNAL = """
WITH bound(revision) AS (
         SELECT revision FROM {kind}_journal
         WHERE {kind}_id = $1 AND ($2::bigint IS NULL OR revision <= $2) AND ($3::text IS NULL OR timestamp <= $3)
         ORDER BY revision DESC LIMIT 1),
     start(revision) AS (
         SELECT coalesce(max(revision), 0) FROM {kind}_journal
         WHERE {kind}_id = $1 AND snapshot IS NOT NULL AND revision <= (SELECT revision FROM bound))
SELECT revision, timestamp, action, path, value, snapshot FROM {kind}_journal
WHERE {kind}_id = $1 AND revision BETWEEN (SELECT revision FROM start) AND (SELECT revision FROM bound)
ORDER BY revision
"""
THING_JOURNAL = _JOURNAL.format(kind="thing")
POLICY_JOURNAL = _JOURNAL.format(kind="policy")


def thing_entry(thing_id: str, row: tuple[Any, ...]) -> JournalEntry:
    """A row of `THING_JOURNAL` (its path stored as text, see `decode_text`) as a JournalEntry."""
    return decode_entry(thing_id, (*row[:3], decode_text(row[3]), *row[4:]))


def policy_entry(policy_id: str, row: tuple[Any, ...]) -> PolicyJournalEntry:
    """A row of `POLICY_JOURNAL` as a PolicyJournalEntry."""
    return decode_policy_entry(policy_id, (*row[:3], decode_text(row[3]), *row[4:]))
