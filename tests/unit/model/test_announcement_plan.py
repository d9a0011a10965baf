"""Subject announcements, pure: how `announcement` is read (Ditto's ImmutableSubjectAnnouncement.fromJson) and
how a policy write changes the schedule (Ditto's PolicyAnnouncementManager starts a SubjectExpiryActor per new or
changed subject and tells deleted ones SUBJECT_DELETED)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from twinhub.model.errors import AcknowledgementLabelInvalid, SubjectAnnouncementInvalid
from twinhub.model.policy import (
    DEFAULT_GRACE_PERIOD,
    SubjectAnnouncement,
    parse_duration,
    parse_subject_announcement,
    plan_announcements,
)
from twinhub.model.types import JsonObject

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
EXPIRY = "2030-01-01T14:00:00Z"


def _doc(**subjects: JsonObject) -> JsonObject:
    return {"entries": {"e": {"subjects": {f"s:{name}": subject for name, subject in subjects.items()},
                              "resources": {}}}}


def _plan(before: JsonObject | None, after: JsonObject | None, now: datetime = NOW) -> list[tuple[str, bool, object]]:
    changes = plan_announcements("ns:p", before, after, now, random_part=lambda interval: interval / 2)
    return [(change.subject_id, change.gone, change.due_at) for change in changes]


def test_an_announcement_is_read_as_ditto_reads_it() -> None:
    parsed = parse_subject_announcement({"beforeExpiry": "1h", "whenDeleted": True, "randomizationInterval": "90s",
                                         "requestedAcks": {"labels": ["c:ack", 42], "timeout": "500ms"}})
    assert parsed == SubjectAnnouncement(timedelta(hours=1), True, ("c:ack",), timedelta(milliseconds=500),
                                         timedelta(seconds=90))
    assert parse_subject_announcement({}) == SubjectAnnouncement()
    assert parse_duration("30") == timedelta(seconds=30)  # DittoDuration: no unit is seconds
    assert (parse_duration("2w"), parse_duration("1y")) == (timedelta(days=14), timedelta(days=365.2425))


@pytest.mark.parametrize("announcement", [{"beforeExpiry": "2d"}, {"beforeExpiry": "500ms"}, {"beforeExpiry": "x"},
                                          {"beforeExpiry": "-1h"}, {"requestedAcks": {"timeout": "1 s"}},
                                          {"randomizationInterval": ""}])
def test_invalid_durations_are_refused(announcement: JsonObject) -> None:
    with pytest.raises(SubjectAnnouncementInvalid):
        parse_subject_announcement(announcement)


def test_an_invalid_label_is_refused() -> None:
    with pytest.raises(AcknowledgementLabelInvalid):
        parse_subject_announcement({"requestedAcks": {"labels": ["no spaces allowed"]}})


def test_a_new_subject_is_scheduled_before_its_expiry_less_a_random_part() -> None:
    subject = {"type": "t", "expiry": EXPIRY, "announcement": {"beforeExpiry": "1h", "randomizationInterval": "10m"}}
    [change] = plan_announcements("ns:p", None, _doc(a=subject), NOW, random_part=lambda interval: interval / 2)
    assert (change.gone, change.due_at) == (False, datetime(2030, 1, 1, 12, 55, tzinfo=UTC))
    assert change.delete_at == datetime(2030, 1, 1, 14, tzinfo=UTC)
    assert change.give_up_at == change.delete_at + DEFAULT_GRACE_PERIOD


def test_an_expiring_subject_that_asks_when_deleted_is_due_at_its_expiry() -> None:
    subject = {"type": "t", "expiry": EXPIRY, "announcement": {"whenDeleted": True}}
    assert _plan(None, _doc(a=subject)) == [("s:a", False, datetime(2030, 1, 1, 14, tzinfo=UTC))]


def test_a_subject_that_only_asks_when_deleted_waits_for_its_deletion() -> None:
    subject = {"type": "t", "announcement": {"whenDeleted": True}}
    assert _plan(None, _doc(a=subject)) == [("s:a", False, None)]
    assert _plan(_doc(a=subject), _doc()) == [("s:a", True, NOW)]
    assert _plan(_doc(a=subject), None) == [("s:a", True, NOW)]  # the policy deleted


def test_an_unchanged_subject_keeps_its_schedule_and_a_changed_one_starts_over() -> None:
    subject = {"type": "t", "expiry": EXPIRY, "announcement": {"whenDeleted": True}}
    assert _plan(_doc(a=subject), _doc(a=subject, b={"type": "t"})) == []
    changed = {**subject, "expiry": "2030-01-01T15:00:00Z"}
    assert _plan(_doc(a=subject), _doc(a=changed)) == [("s:a", False, datetime(2030, 1, 1, 15, tzinfo=UTC))]


def test_an_expired_subject_that_a_write_drops_is_no_deletion() -> None:
    """It was announced as it expired; the write only forgets it."""
    subject = {"type": "t", "expiry": EXPIRY, "announcement": {"whenDeleted": True}}
    assert _plan(_doc(a=subject), _doc(), now=datetime(2030, 1, 1, 15, tzinfo=UTC)) == []


def test_subjects_without_announcements_are_no_change() -> None:
    assert _plan(None, _doc(a={"type": "t", "expiry": EXPIRY})) == []
    assert _plan(None, _doc(a={"type": "t", "announcement": {"beforeExpiry": "1h"}})) == []  # nothing expires


def test_a_subject_that_stays_but_asks_for_no_announcement_any_more_is_not_announced() -> None:
    """PolicyAnnouncementManager.onPolicyModified keys its SubjectExpiryActors by the whole subject: a subject whose
    `whenDeleted` turns false, or whose announcement goes while its expiry stays, gets an actor of its own, and the
    old one is stopped (PoisonPill, its id still counted twice), not told SUBJECT_DELETED: nothing is announced now
    and its deletion later announces nothing. The schedule is replaced by nothing due (`due_at` None, no
    `whenDeleted`), never a deletion."""
    asked = {"type": "t", "announcement": {"whenDeleted": True}}
    changes = plan_announcements("ns:p", _doc(a=asked), _doc(a={"type": "t", "announcement": {"whenDeleted": False}}),
                                 NOW, random_part=lambda interval: interval / 2)
    assert [(change.subject_id, change.gone, change.due_at, change.when_deleted) for change in changes] == [
        ("s:a", False, None, False)]
    expiring = {"type": "t", "expiry": EXPIRY, "announcement": {"whenDeleted": True}}
    changes = plan_announcements("ns:p", _doc(a=expiring), _doc(a={"type": "t", "expiry": EXPIRY}), NOW,
                                 random_part=lambda interval: interval / 2)
    assert [(change.subject_id, change.gone, change.due_at, change.when_deleted) for change in changes] == [
        ("s:a", False, None, False)]


def test_a_subject_also_named_without_an_announcement_in_an_earlier_entry_is_announced() -> None:
    """PolicyAnnouncementManager tracks every subject with an expiry or an announcement, in whatever entry: the
    same subject id in an earlier entry without one (its owner entry, say) neither hides the announcing one nor
    keeps it alive when the announcing entry goes (the connectivity e2e test of announcements does exactly this)."""
    announcing = {"type": "t", "announcement": {"whenDeleted": True}}
    both = {"entries": {"owner": {"subjects": {"s:a": {"type": "t"}}, "resources": {}},
                        "watcher": {"subjects": {"s:a": announcing}, "resources": {}}}}
    owner_only = {"entries": {"owner": {"subjects": {"s:a": {"type": "t"}}, "resources": {}}}}
    assert _plan(None, both) == [("s:a", False, None)]
    assert _plan(both, owner_only) == [("s:a", True, NOW)]
