"""Subject deletion announcements (Ditto's `SubjectAnnouncement`, `SubjectDeletionAnnouncement`): a subject's
`announcement` says when the subjects concerned are told that it is deleted or about to be.

    "announcement": {"beforeExpiry": "1h", "whenDeleted": true, "randomizationInterval": "5m",
                     "requestedAcks": {"labels": ["my-connection:ack"], "timeout": "10s"}}

* `beforeExpiry` (a subject with an `expiry`): announce that long before it expires, less a random part of
  `randomizationInterval` (Ditto's default 5m), so that many subjects do not announce at once;
* `whenDeleted`: announce when the subject is deleted (by a write, or as it expires), unless an announcement of it
  was acknowledged already;
* `requestedAcks`: the labels whose acknowledgements must come within `timeout`; a timeout (408), a failed
  dependency (424) or a server error (5xx) is redelivered with a growing back-off, as long as the grace period
  after its deletion lasts (Ditto's policies `announcement.grace-period`, 4h).

When they are sent is planned by `twinhub.model.policy.announcement_plan`.

Pure: time and randomness are arguments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from twinhub.model.errors import AcknowledgementLabelInvalid, SubjectAnnouncementInvalid
from twinhub.model.headers import ACK_LABEL
from twinhub.model.types import JsonValue

__all__ = [
    "DEFAULT_GRACE_PERIOD",
    "DEFAULT_RANDOMIZATION_INTERVAL",
    "SubjectAnnouncement",
    "parse_duration",
    "parse_subject_announcement",
]

DEFAULT_RANDOMIZATION_INTERVAL: Final = timedelta(minutes=5)  # Ditto `default-randomization-interval`
DEFAULT_GRACE_PERIOD: Final = timedelta(hours=4)  # Ditto `announcement.grace-period`
DEFAULT_ACK_TIMEOUT: Final = timedelta(seconds=60)  # Ditto `announcement.max-timeout`, also the maximum

# DittoDuration: an integer and a unit (none: seconds); a week is 7 days, a month 1/12 and a year 365.2425 days (Java's
# ChronoUnit estimates); `beforeExpiry` takes seconds, minutes and hours only.
_DURATION: Final = re.compile(r"\+?(\d+)(ms|mo|s|m|h|d|w|y|)", re.ASCII)
_UNITS: Final = {"ms": timedelta(milliseconds=1), "s": timedelta(seconds=1), "": timedelta(seconds=1),
                 "m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1),
                 "mo": timedelta(days=365.2425 / 12), "y": timedelta(days=365.2425)}
_BEFORE_EXPIRY_UNITS: Final = frozenset({"s", "", "m", "h"})


def parse_duration(text: str, units: frozenset[str] | None = None) -> timedelta:
    """A DittoDuration (`10s`, `500ms`, `5m`, `1h`, `2d`, `30` seconds); raises 400
    `policies:subjectannouncement.invalid` otherwise, or for a unit not in `units`."""
    match = _DURATION.fullmatch(text)
    if match is None or (units is not None and match[2] not in units):
        raise SubjectAnnouncementInvalid(text)
    try:
        return int(match[1]) * _UNITS[match[2]]
    except OverflowError:
        raise SubjectAnnouncementInvalid(text) from None


@dataclass(frozen=True, slots=True)
class SubjectAnnouncement:
    before_expiry: timedelta | None = None
    when_deleted: bool = False
    labels: tuple[str, ...] = ()
    timeout: timedelta | None = None
    randomization_interval: timedelta | None = None


def parse_subject_announcement(value: JsonValue) -> SubjectAnnouncement:
    """The `announcement` of a subject, as Ditto's ImmutableSubjectAnnouncement.fromJson reads it; raises 400
    `policies:subjectannouncement.invalid` for a duration that does not parse, `acknowledgement:label.invalid`
    for a label that is none."""
    if not isinstance(value, dict):
        raise SubjectAnnouncementInvalid(str(value))
    before = value.get("beforeExpiry")
    interval = value.get("randomizationInterval")
    acks = value.get("requestedAcks")
    labels: JsonValue = acks.get("labels") if isinstance(acks, dict) else None
    timeout = acks.get("timeout") if isinstance(acks, dict) else None
    parsed_labels = tuple(label for label in labels if isinstance(label, str)) if isinstance(labels, list) else ()
    for label in parsed_labels:
        if not ACK_LABEL.fullmatch(label):
            raise AcknowledgementLabelInvalid(label)
    return SubjectAnnouncement(
        before_expiry=parse_duration(before, _BEFORE_EXPIRY_UNITS) if isinstance(before, str) else None,
        when_deleted=value.get("whenDeleted") is True,
        labels=parsed_labels,
        timeout=parse_duration(timeout) if isinstance(timeout, str) else None,
        randomization_interval=parse_duration(interval) if isinstance(interval, str) else None,
    )
