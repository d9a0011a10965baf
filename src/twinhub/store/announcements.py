"""The schedule of subject deletion announcements as both stores keep it (table `policy_announcements`, one row per
policy and subject; `twinhub.model.policy.announcement_plan` says what a policy write changes in it).

A row is due once `due_at` passed (and it is not `done`); a worker claims due rows by leasing them (`lease_until`),
which bumps `attempt`: whatever settles a row names the attempt it claimed, so a worker whose lease ran out, or a
row a policy write changed meanwhile (which bumps `attempt` too), settles nothing. Times are microseconds since the
epoch; `delete_at` is the text the announcement carries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import orjson

from twinhub.history.series import from_micros
from twinhub.history.series import micros as to_micros
from twinhub.model.policy import AnnouncementChange, format_expiry, parse_expiry

__all__ = ["AnnouncementRow", "ClaimedAnnouncement", "claimed", "encode_change"]

# (policy_id, subject_id, gone, delete_at, due_at, give_up_at, when_deleted, labels, timeout_ms)
AnnouncementRow = tuple[str, str, int, str, int | None, int | None, int, str, int]


@dataclass(frozen=True, slots=True)
class ClaimedAnnouncement:
    """A due announcement this worker leased: send it, then settle it (naming `attempt`)."""

    policy_id: str
    subject_id: str
    attempt: int
    retries: int  # how often it was redelivered before (the back-off grows with it)
    delete_at: str
    give_up_at: datetime | None  # redelivery stops after it (None: the subject is not gone yet: no limit)
    labels: tuple[str, ...]
    timeout: timedelta
    final: bool  # about a deletion that happened (the row goes once it is settled), not one ahead


def encode_change(change: AnnouncementChange) -> AnnouncementRow:
    return (change.policy_id, change.subject_id, int(change.gone), format_expiry(change.delete_at),
            None if change.due_at is None else to_micros(change.due_at),
            None if change.give_up_at is None else to_micros(change.give_up_at), int(change.when_deleted),
            orjson.dumps(list(change.labels)).decode(), round(change.timeout.total_seconds() * 1000))


def claimed(row: tuple[str, str, int, int, str, int | None, str, int, int], now: datetime) -> ClaimedAnnouncement:
    """A claimed row: (policy_id, subject_id, attempt, retries, delete_at, give_up_at, labels, timeout_ms, gone)."""
    policy_id, subject_id, attempt, retries, delete_at, give_up_at, labels, timeout_ms, gone = row
    parsed = orjson.loads(labels)
    give_up = None if give_up_at is None else from_micros(give_up_at)
    final = bool(gone) or parse_expiry(delete_at) <= now
    return ClaimedAnnouncement(policy_id, subject_id, attempt, retries, delete_at, give_up,
                               tuple(label for label in parsed if isinstance(label, str)),
                               timedelta(milliseconds=timeout_ms), final)
