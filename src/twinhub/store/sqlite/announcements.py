"""The announcement schedule in SQLite (see `twinhub.store.announcements`): its changes, written in the writer
thread's commit transaction, and the claims and settlements of the workers, each a short transaction of its own
beside the writer (`in_write_transaction`): the database orders them, so no row is claimed twice at once."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Final

from twinhub.history.series import micros
from twinhub.store.announcements import AnnouncementRow, ClaimedAnnouncement, claimed

__all__ = ["DROP_SETTLED", "WORK", "claim", "settle", "write_changes"]

_UPSERT: Final = """
INSERT INTO policy_announcements (policy_id, subject_id, gone, delete_at, due_at, give_up_at, when_deleted, labels,
                                  timeout_ms)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (policy_id, subject_id) DO UPDATE SET gone = excluded.gone, delete_at = excluded.delete_at,
    due_at = excluded.due_at, give_up_at = excluded.give_up_at, when_deleted = excluded.when_deleted,
    labels = excluded.labels, timeout_ms = excluded.timeout_ms, done = 0, retries = 0, lease_until = NULL,
    attempt = policy_announcements.attempt + 1
"""
_GONE: Final = """
UPDATE policy_announcements SET gone = 1, delete_at = ?, due_at = ?, give_up_at = ?, lease_until = NULL, retries = 0,
    attempt = attempt + 1
WHERE policy_id = ? AND subject_id = ? AND when_deleted = 1 AND done = 0
"""
# A subject deleted before its `beforeExpiry` announcement keeps it (announcing its deletion), as Ditto's
# SubjectExpiryActor stays in TO_ANNOUNCE; one that asked for nothing more, or was acknowledged, is forgotten.
_KEEP: Final = """
UPDATE policy_announcements SET gone = 1, delete_at = ?, give_up_at = ?
WHERE policy_id = ? AND subject_id = ? AND when_deleted = 0 AND done = 0 AND due_at IS NOT NULL
"""
_FORGET: Final = """
DELETE FROM policy_announcements
WHERE policy_id = ? AND subject_id = ? AND NOT (done = 0 AND (when_deleted = 1 OR due_at IS NOT NULL))
"""
# Whether a claim has anything to do: read first, so that an idle worker does not take the write lock every round.
WORK: Final = """
SELECT 1 FROM policy_announcements
WHERE (done = 0 AND due_at IS NOT NULL AND due_at <= ?1 AND (lease_until IS NULL OR lease_until <= ?1))
   OR (done = 1 AND give_up_at IS NOT NULL AND give_up_at < ?1)
LIMIT 1
"""
DROP_SETTLED: Final = "DELETE FROM policy_announcements WHERE done = 1 AND give_up_at IS NOT NULL AND give_up_at < ?"
_CLAIM: Final = """
UPDATE policy_announcements SET lease_until = ?, attempt = attempt + 1
WHERE (policy_id, subject_id) IN (
    SELECT policy_id, subject_id FROM policy_announcements
    WHERE done = 0 AND due_at IS NOT NULL AND due_at <= ? AND (lease_until IS NULL OR lease_until <= ?)
    ORDER BY due_at LIMIT ?)
RETURNING policy_id, subject_id, attempt, retries, delete_at, give_up_at, labels, timeout_ms, gone
"""
_DONE: Final = """
UPDATE policy_announcements SET done = 1, due_at = NULL, lease_until = NULL
WHERE policy_id = ? AND subject_id = ? AND attempt = ?
"""
_DELETE: Final = "DELETE FROM policy_announcements WHERE policy_id = ? AND subject_id = ? AND attempt = ?"
_RETRY: Final = """
UPDATE policy_announcements SET due_at = ?, retries = retries + 1, lease_until = NULL
WHERE policy_id = ? AND subject_id = ? AND attempt = ?
"""


def write_changes(connection: sqlite3.Connection, rows: Sequence[AnnouncementRow]) -> None:
    """Apply a commit's schedule changes, in order (inside its transaction)."""
    for row in rows:
        policy_id, subject_id, gone, delete_at, due_at, give_up_at = row[:6]
        if gone:
            connection.execute(_GONE, (delete_at, due_at, give_up_at, policy_id, subject_id))
            connection.execute(_KEEP, (delete_at, give_up_at, policy_id, subject_id))
            connection.execute(_FORGET, (policy_id, subject_id))
        else:
            connection.execute(_UPSERT, row)


def claim(connection: sqlite3.Connection, now: datetime, lease: timedelta, limit: int) -> list[ClaimedAnnouncement]:
    """Lease up to `limit` due rows (the earliest first) until `now + lease`; drop rows settled long ago."""
    at = micros(now)
    connection.execute(DROP_SETTLED, (at,))
    rows = connection.execute(_CLAIM, (micros(now + lease), at, at, limit)).fetchall()
    return [claimed(row, now) for row in rows]


def settle(connection: sqlite3.Connection, claim: ClaimedAnnouncement, retry_at: datetime | None) -> None:
    key = (claim.policy_id, claim.subject_id, claim.attempt)
    if retry_at is not None:
        connection.execute(_RETRY, (micros(retry_at), *key))
    else:
        connection.execute(_DELETE if claim.final else _DONE, key)
