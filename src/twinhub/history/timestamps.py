"""A device's own time for the points of its command (pure): the `history-timestamp` header.

Late or batched data carries the moment it was measured; the points of the command get that time
instead of the time of the commit (the journal and the thing's `_modified` keep the commit's time).
"""

from __future__ import annotations

from datetime import UTC, datetime

from twinhub.model.errors import HeaderInvalid

__all__ = ["HISTORY_TIMESTAMP_HEADER", "parse_device_time"]

HISTORY_TIMESTAMP_HEADER = "history-timestamp"
_EXPECTED = "ISO-8601 timestamp with a time zone (e.g. 2026-01-31T12:00:00.250Z)"


def parse_device_time(raw: str) -> datetime:
    """The moment a `history-timestamp` value gives, in UTC.

    Raises HeaderInvalid (400, `header.invalid`) for a value that is no ISO-8601 timestamp with a time zone
    (a local time would be read differently by every worker), or whose moment has no UTC date.
    """
    text = raw.strip()
    try:
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in ("Z", "z") else text)
        if moment.tzinfo is None or len(text) < 10:
            raise ValueError("no time zone")
        return moment.astimezone(UTC)  # OverflowError at the ends of the calendar (year 1 at +14:00)
    except (ValueError, OverflowError) as exc:
        raise HeaderInvalid(HISTORY_TIMESTAMP_HEADER, raw[:100], _EXPECTED) from exc
