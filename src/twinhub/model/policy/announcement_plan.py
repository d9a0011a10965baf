"""When subject deletion announcements are sent: `plan_announcements` turns one policy write into changes of the
policy's announcement schedule (`AnnouncementChange`). The store keeps the schedule with the policy, in the same
transaction, and any worker may send what is due (`twinhub.service.announcements`).

A subject keeps its schedule as long as it is unchanged; a changed one (another expiry or announcement) starts
over, as Ditto starts a new SubjectExpiryActor for it (PolicyAnnouncementManager.onPolicyModified); a deleted one
is announced at once if it asked for that (`whenDeleted`) and no announcement of it was acknowledged yet, and keeps
a `beforeExpiry` announcement still to come (which then announces its deletion, as Ditto's actor stays in
TO_ANNOUNCE); the store applies that (`twinhub.store.announcements`).

Pure: time and randomness are arguments.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from twinhub.model.policy._json import entries_of, subjects_of
from twinhub.model.policy.announcements import (
    DEFAULT_ACK_TIMEOUT,
    DEFAULT_GRACE_PERIOD,
    DEFAULT_RANDOMIZATION_INTERVAL,
    parse_subject_announcement,
)
from twinhub.model.policy.subjects import as_utc, parse_expiry
from twinhub.model.types import JsonObject

__all__ = ["AnnouncementChange", "plan_announcements"]


@dataclass(frozen=True, slots=True)
class AnnouncementChange:
    """One change of a policy's announcement schedule, keyed by (policy, subject).

    `schedule` (`gone=False`): the subject has (new) announcement settings: replace what was scheduled for it
    with `due_at` (None: nothing until it is deleted), announcing `delete_at`, with its `when_deleted`, `labels`,
    `timeout` and the moment to give up redelivering (`give_up_at`).
    `gone=True`: the subject was deleted at `delete_at`: announce it at once where it asked for that and nothing
    was acknowledged yet (`due_at` = `delete_at`), else forget it.
    """

    policy_id: str
    subject_id: str
    gone: bool
    delete_at: datetime
    due_at: datetime | None = None
    give_up_at: datetime | None = None
    when_deleted: bool = False
    labels: tuple[str, ...] = ()
    timeout: timedelta = DEFAULT_ACK_TIMEOUT


def plan_announcements(policy_id: str, before: JsonObject | None, after: JsonObject | None, now: datetime, *,
                       random_part: Callable[[timedelta], timedelta],
                       grace_period: timedelta = DEFAULT_GRACE_PERIOD) -> tuple[AnnouncementChange, ...]:
    """The changes of the schedule of `policy_id` when its document goes from `before` to `after` (None: absent or
    deleted) at `now`; `random_part(interval)` is a random duration below `interval`. Subjects that had expired
    by `now` are no change: their expiry announced them."""
    now = as_utc(now)
    old = dict(_announcing(before))
    new = dict(_announcing(after))
    changes: list[AnnouncementChange] = []
    for subject_id, subject in new.items():
        if old.get(subject_id) == subject:
            continue
        change = _schedule(policy_id, subject_id, subject, now, random_part, grace_period)
        if change is None and subject_id in old:  # its new settings ask for nothing: what was scheduled goes
            change = _nothing(policy_id, subject_id, now)
        if change is not None:
            changes.append(change)
    expiring = {subject_id for subject_id, _subject in _subjects(after) if _expiry(_subject) is not None}
    for subject_id, subject in old.items():
        if subject_id in new:
            continue
        if subject_id in expiring:  # its announcement went, the subject stays (Ditto tracks it for its expiry)
            changes.append(_nothing(policy_id, subject_id, now))
            continue
        expiry = _expiry(subject)
        if expiry is not None and expiry <= now:
            continue  # it expired: announced (or not) as it expired
        changes.append(AnnouncementChange(policy_id, subject_id, gone=True, delete_at=now, due_at=now,
                                          give_up_at=now + grace_period))
    return tuple(changes)


def _schedule(policy_id: str, subject_id: str, subject: JsonObject, now: datetime,
              random_part: Callable[[timedelta], timedelta], grace: timedelta) -> AnnouncementChange | None:
    raw = subject.get("announcement")
    expiry = _expiry(subject)
    if raw is None:
        return None
    announcement = parse_subject_announcement(raw)
    due: datetime | None = None
    if expiry is not None and announcement.before_expiry is not None:
        interval = announcement.randomization_interval
        interval = DEFAULT_RANDOMIZATION_INTERVAL if interval is None else interval
        due = expiry - announcement.before_expiry - (random_part(interval) if interval else timedelta())
    elif expiry is not None and announcement.when_deleted:
        due = expiry  # it is deleted as it expires
    if due is None and not announcement.when_deleted:
        return None
    timeout = min(announcement.timeout or DEFAULT_ACK_TIMEOUT, DEFAULT_ACK_TIMEOUT)
    return AnnouncementChange(policy_id, subject_id, gone=False, delete_at=expiry or now, due_at=due,
                              give_up_at=(expiry or now) + grace, when_deleted=announcement.when_deleted,
                              labels=announcement.labels, timeout=timeout)


def _nothing(policy_id: str, subject_id: str, now: datetime) -> AnnouncementChange:
    """A subject that stays but asks for no announcement any more: its schedule replaced by nothing due and no
    announcement on deletion (Ditto replaces its SubjectExpiryActor by one for the new subject, which announces
    nothing; the old one is stopped without announcing)."""
    return AnnouncementChange(policy_id, subject_id, gone=False, delete_at=now)


def _subjects(doc: JsonObject | None) -> Iterator[tuple[str, JsonObject]]:
    """Every subject of `doc`, entry by entry (a subject id in several entries comes once per entry)."""
    if doc is None:
        return
    for entry in entries_of(doc).values():
        for subject_id, subject in subjects_of(entry).items():
            if isinstance(subject, dict):
                yield subject_id, subject


def _announcing(doc: JsonObject | None) -> Iterator[tuple[str, JsonObject]]:
    """The subjects of `doc` with an announcement (a subject id in several entries counts once: the first of
    them with an announcement, wherever entries without one name it too)."""
    seen: set[str] = set()
    for subject_id, subject in _subjects(doc):
        if "announcement" in subject and subject_id not in seen:
            seen.add(subject_id)
            yield subject_id, subject


def _expiry(subject: JsonObject) -> datetime | None:
    expiry = subject.get("expiry")
    return parse_expiry(expiry) if isinstance(expiry, str) else None
