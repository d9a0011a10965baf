"""Subjects and their expiry: the `subjects` of an entry, Ditto's instant format, the rounding of expiries
to the configured granularity, and dropping the subjects that have expired.

Time is an argument (`now`), never read from a clock.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from twinhub.model.errors import JsonFieldMissing, SubjectExpiryInvalid
from twinhub.model.policy._json import as_object, entries_of, not_empty, object_field, subjects_of, wrong_type
from twinhub.model.policy.announcements import parse_subject_announcement
from twinhub.model.policy.labels import validate_subject_id
from twinhub.model.types import JsonObject, JsonValue

DEFAULT_EXPIRY_GRANULARITY = timedelta(hours=1)  # Ditto `policies.policy.subject-expiry-granularity`

# java.time.Instant.parse (ISO_INSTANT, case-insensitive): seconds required, 0-9 fraction digits, `Z` or an offset.
_INSTANT = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2}(?::\d{2})?)",
    re.ASCII,
)


def as_utc(moment: datetime) -> datetime:
    """`moment` in UTC; a naive datetime is taken to be UTC already."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_expiry(text: str) -> datetime:
    """Parse an ISO-8601 instant as `java.time.Instant.parse` does; sub-microsecond digits round up."""
    match = _INSTANT.fullmatch(text)
    if match is None:
        raise SubjectExpiryInvalid(text)
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    digits = (fraction or "").ljust(9, "0")
    micros, nanos = int(digits[:6]), int(digits[6:])
    try:
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micros, UTC)
        if offset not in ("Z", "z"):
            sign = -1 if offset[0] == "-" else 1
            parts = [int(part) for part in offset[1:].split(":")] + [0]
            moment -= sign * timedelta(hours=parts[0], minutes=parts[1], seconds=parts[2])
        return moment + timedelta(microseconds=1) if nanos else moment
    except (ValueError, OverflowError):
        raise SubjectExpiryInvalid(text) from None


def format_expiry(moment: datetime) -> str:
    """`Instant.toString()`: UTC with `Z`, seconds always, fraction only when non-zero (3 or 6 digits)."""
    moment = as_utc(moment)
    text = f"{moment.year:04d}-{moment:%m-%dT%H:%M:%S}"
    if moment.microsecond:
        fraction = f"{moment.microsecond:06d}"
        text += "." + (fraction[:3] if fraction.endswith("000") else fraction)
    return text + "Z"


# (unit, its name, the parent unit it is counted in), largest first, as Ditto's `calculateTemporalUnitAndAmount`.
_UNITS: tuple[tuple[timedelta, str, str], ...] = (
    (timedelta(days=1), "day", "month"),
    (timedelta(hours=1), "hour", "day"),
    (timedelta(minutes=1), "minute", "hour"),
    (timedelta(seconds=1), "second", "minute"),
    (timedelta(milliseconds=1), "millisecond", "second"),
    (timedelta(microseconds=1), "microsecond", "millisecond"),
)


def _truncate(moment: datetime, unit: str) -> datetime:
    if unit == "month":
        return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if unit == "day":
        return moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit == "hour":
        return moment.replace(minute=0, second=0, microsecond=0)
    if unit == "minute":
        return moment.replace(second=0, microsecond=0)
    if unit == "second":
        return moment.replace(microsecond=0)
    if unit == "millisecond":
        return moment.replace(microsecond=moment.microsecond - moment.microsecond % 1000)
    return moment


def round_expiry(moment: datetime, granularity: timedelta) -> datetime:
    """Round `moment` up as Ditto's `AbstractPolicyCommandStrategy.roundPolicySubjectExpiry` does.

    The largest whole unit of `granularity` (days, hours, minutes, seconds, ms, µs) counts from the start of
    its parent unit (month, day, hour, ...): 1h rounds 10:20 up to 11:00, 2h rounds 11:00 up to 12:00, 15min
    rounds 10:20 up to 10:30; a moment already on the grid stays. A zero granularity leaves it as it is.
    """
    moment = as_utc(moment)
    for unit, name, parent in _UNITS:  # noqa: B007 - the loop picks the unit to round to
        amount = granularity // unit
        if amount > 0:
            break
    else:
        return moment
    truncated = _truncate(moment, name)
    delta = ((truncated - _truncate(moment, parent)) // unit) % amount
    if truncated == moment and delta == 0:
        return moment
    return truncated + (amount - delta) * unit


def subject_expired(subject: JsonValue, now: datetime) -> bool:
    """Whether a (stored) subject has an expiry at or before `now`; an unreadable expiry never expires."""
    expiry = subject.get("expiry") if isinstance(subject, dict) else None
    if not isinstance(expiry, str):
        return False
    try:
        return parse_expiry(expiry) <= as_utc(now)
    except SubjectExpiryInvalid:
        return False


def validate_subject(value: JsonValue, *, now: datetime, expiry_granularity: timedelta) -> JsonObject:
    """`{"type", "expiry"?, "announcement"?}`; the expiry is rounded up and must lie after `now`."""
    subject = as_object(value)
    subject_type = subject.get("type")
    if subject_type is None:
        raise JsonFieldMissing("The 'type' for the 'subject' is missing.")
    if not isinstance(subject_type, str):
        raise wrong_type(subject_type, "type", "String")
    result: JsonObject = {"type": not_empty(subject_type, "subjectTypeValue")}
    expiry = subject.get("expiry")
    if expiry is not None:
        if not isinstance(expiry, str):
            raise wrong_type(expiry, "expiry", "String")
        rounded = format_expiry(round_expiry(parse_expiry(expiry), expiry_granularity))
        if parse_expiry(rounded) <= as_utc(now):
            raise SubjectExpiryInvalid(rounded, in_past=True)
        result["expiry"] = rounded
    announcement = object_field(subject, "announcement")
    if announcement is not None:
        parse_subject_announcement(announcement)  # refused (400) when its durations or labels are invalid
        result["announcement"] = announcement
    return result


def validate_subjects(value: JsonValue, *, now: datetime, expiry_granularity: timedelta) -> JsonObject:
    if not isinstance(value, dict):
        raise wrong_type(value, "subjects", "JsonObject")
    subjects: JsonObject = {}
    for subject_id, subject in value.items():
        key = validate_subject_id(subject_id)
        subjects[key] = validate_subject(subject, now=now, expiry_granularity=expiry_granularity)
    return subjects


def drop_expired_subjects(doc: JsonObject, now: datetime) -> JsonObject:
    """The policy without subjects whose expiry is at or before `now` (Ditto deletes them); entries stay.

    Returns `doc` itself when nothing expired.
    """
    now = as_utc(now)
    entries = entries_of(doc)
    changed: JsonObject = {}
    for label, entry in entries.items():
        subjects = subjects_of(entry)
        if any(subject_expired(subject, now) for subject in subjects.values()):
            kept: JsonObject = {key: s for key, s in subjects.items() if not subject_expired(s, now)}
            changed[label] = {**entry, "subjects": kept}
    if not changed:
        return doc
    return {**doc, "entries": {label: changed.get(label, entry) for label, entry in entries.items()}}


def next_expiry(doc: JsonObject) -> datetime | None:
    """The earliest subject expiry in the policy (when `drop_expired_subjects` next changes it), if any."""
    moments = [
        parse_expiry(expiry)
        for entry in entries_of(doc).values()
        for subject in subjects_of(entry).values()
        if isinstance(subject, dict) and isinstance(expiry := subject.get("expiry"), str)
    ]
    return min(moments, default=None)
