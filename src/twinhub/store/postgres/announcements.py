"""The announcement schedule in PostgreSQL (see `twinhub.store.announcements`): the statements of its changes,
written in the commit transaction, and the claims and settlements of the workers, one statement each (a claim
skips rows another worker's claim holds locked, `FOR UPDATE SKIP LOCKED`, so no row is claimed twice)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Final

from twinhub.history.series import micros
from twinhub.store.announcements import AnnouncementRow, ClaimedAnnouncement, claimed
from twinhub.store.postgres.errors import PooledConnection

__all__ = ["CLAIM", "change_statements", "claim", "settle"]

_UPSERT: Final = """
INSERT INTO policy_announcements (policy_id, subject_id, gone, delete_at, due_at, give_up_at, when_deleted, labels,
                                  timeout_ms)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (policy_id, subject_id) DO UPDATE SET gone = excluded.gone, delete_at = excluded.delete_at,
    due_at = excluded.due_at, give_up_at = excluded.give_up_at, when_deleted = excluded.when_deleted,
    labels = excluded.labels, timeout_ms = excluded.timeout_ms, done = 0, retries = 0, lease_until = NULL,
    attempt = policy_announcements.attempt + 1
"""
# Announced at once if it asked for that; kept if a `beforeExpiry` announcement is still to come (announcing its
# deletion, as Ditto's SubjectExpiryActor stays in TO_ANNOUNCE); else forgotten.
_GONE: Final = """
WITH announced AS (
    UPDATE policy_announcements SET gone = 1, delete_at = $3, due_at = $4, give_up_at = $5, lease_until = NULL,
        retries = 0, attempt = attempt + 1
    WHERE policy_id = $1 AND subject_id = $2 AND when_deleted = 1 AND done = 0
    RETURNING policy_id
), kept AS (
    UPDATE policy_announcements SET gone = 1, delete_at = $3, give_up_at = $5
    WHERE policy_id = $1 AND subject_id = $2 AND when_deleted = 0 AND done = 0 AND due_at IS NOT NULL
    RETURNING policy_id
)
DELETE FROM policy_announcements
WHERE policy_id = $1 AND subject_id = $2 AND NOT EXISTS (SELECT 1 FROM announced) AND NOT EXISTS (SELECT 1 FROM kept)
"""
CLAIM: Final = """
WITH dropped AS (
    DELETE FROM policy_announcements WHERE done = 1 AND give_up_at < $1
), due AS (
    SELECT policy_id, subject_id FROM policy_announcements
    WHERE done = 0 AND due_at <= $1 AND (lease_until IS NULL OR lease_until <= $1)
    ORDER BY due_at LIMIT $3 FOR UPDATE SKIP LOCKED
)
UPDATE policy_announcements AS a SET lease_until = $2, attempt = a.attempt + 1 FROM due
WHERE a.policy_id = due.policy_id AND a.subject_id = due.subject_id
RETURNING a.policy_id, a.subject_id, a.attempt, a.retries, a.delete_at, a.give_up_at, a.labels, a.timeout_ms, a.gone
"""
_DONE: Final = """
UPDATE policy_announcements SET done = 1, due_at = NULL, lease_until = NULL
WHERE policy_id = $1 AND subject_id = $2 AND attempt = $3
"""
_DELETE: Final = "DELETE FROM policy_announcements WHERE policy_id = $1 AND subject_id = $2 AND attempt = $3"
_RETRY: Final = """
UPDATE policy_announcements SET due_at = $4, retries = retries + 1, lease_until = NULL
WHERE policy_id = $1 AND subject_id = $2 AND attempt = $3
"""


def change_statements(rows: Sequence[AnnouncementRow]) -> list[tuple[str, list[Any]]]:
    """The statements of a commit's schedule changes, in order."""
    result: list[tuple[str, list[Any]]] = []
    for row in rows:
        policy_id, subject_id, gone, delete_at, due_at, give_up_at = row[:6]
        if gone:
            result.append((_GONE, [policy_id, subject_id, delete_at, due_at, give_up_at]))
        else:
            result.append((_UPSERT, list(row)))
    return result


async def claim(connection: PooledConnection, now: datetime, lease: timedelta,
                limit: int) -> list[ClaimedAnnouncement]:
    rows = await connection.fetch(CLAIM, micros(now), micros(now + lease), limit)
    return [claimed(tuple(row), now) for row in rows]


async def settle(connection: PooledConnection, claim: ClaimedAnnouncement, retry_at: datetime | None) -> None:
    if retry_at is not None:
        await connection.execute(_RETRY, claim.policy_id, claim.subject_id, claim.attempt, micros(retry_at))
    else:
        await connection.execute(_DELETE if claim.final else _DONE, claim.policy_id, claim.subject_id, claim.attempt)
