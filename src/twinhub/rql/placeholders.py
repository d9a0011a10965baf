"""Resolving `time:` placeholder values against a given `now`, as Ditto's `ImmutableTimePlaceholder`.

    time:now                     now as ISO-8601 in UTC, like Java's `Instant.toString()` (2024-01-06T14:23:42.123Z)
    time:now_epoch_millis        now as milliseconds since the epoch (an int here; Ditto hands over its digits)
    …<+|-><amount>[unit]         plus/minus an offset; unit ms s m h d w mo y, seconds when omitted
    …[<unit>]                    then truncated to the unit: ms s m h d in UTC; w (to Monday), mo, y in the
                                 time zone of `now` (Ditto: the JVM's default zone)

As in Ditto's `DittoDuration`, a week is 7 days, a month 1/12 and a year 365.2425 days of seconds (not calendar
months), and `[]` truncates to seconds. Anything else raises `RqlInvalid`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from twinhub.model.errors import RqlInvalid
from twinhub.rql.ast import And, Comparison, Empty, Exists, In, Node, Not, Or, Placeholder, Value

__all__ = ["check_placeholder", "resolve_placeholder", "resolve_placeholders"]

_UNIT = r"ms|mo|s|m|h|d|w|y"
_TIME = re.compile(
    rf"time:(?P<base>now_epoch_millis|now)"
    rf"(?:(?P<sign>[+-])(?P<amount>[0-9]{{1,18}})(?P<unit>{_UNIT})?)?"
    rf"(?:\[(?P<truncate>{_UNIT}|)\])?"
)
_YEAR_SECONDS = 31_556_952  # ChronoUnit.YEARS.getDuration(): 365.2425 days
_UNIT_MILLIS = {
    "ms": 1, "s": 1000, "": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 7 * 86_400_000,
    "mo": _YEAR_SECONDS // 12 * 1000, "y": _YEAR_SECONDS * 1000,
}  # fmt: skip
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def resolve_placeholders(node: Node, now: datetime) -> Node:
    """`node` with every `Placeholder` value replaced by its value at `now` (a timezone-aware datetime)."""
    match node:
        case Comparison(op, field, value):
            return Comparison(op, field, _resolve_value(value, now))
        case In(field, values):
            return In(field, tuple(_resolve_value(value, now) for value in values))
        case And(children):
            return And(tuple(resolve_placeholders(child, now) for child in children))
        case Or(children):
            return Or(tuple(resolve_placeholders(child, now) for child in children))
        case Not(child):
            return Not(resolve_placeholders(child, now))
        case Exists() | Empty():
            return node
    raise TypeError(f"not an RQL node: {node!r}")


def resolve_placeholder(placeholder: Placeholder, now: datetime) -> str | int:
    """The value of one placeholder at `now`: an ISO-8601 string, or epoch millis for `time:now_epoch_millis…`."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    match = _parse(placeholder)
    instant = now.astimezone(UTC)
    try:
        if match["sign"]:
            offset = timedelta(milliseconds=int(match["amount"]) * _UNIT_MILLIS[match["unit"] or ""])
            instant = instant + offset if match["sign"] == "+" else instant - offset
        if match["truncate"] is not None:
            instant = _truncate(instant, match["truncate"], now)
    except OverflowError as exc:
        raise RqlInvalid(
            f"The RQL expression is invalid: the placeholder <{placeholder.name}> is out of the range of dates."
        ) from exc
    if match["base"] == "now_epoch_millis":
        return (instant - _EPOCH) // timedelta(milliseconds=1)
    return _instant_string(instant)


def check_placeholder(placeholder: Placeholder) -> None:
    """Raise `RqlInvalid` unless the placeholder has one of the supported forms (module docstring)."""
    _parse(placeholder)


def _parse(placeholder: Placeholder) -> re.Match[str]:
    match = _TIME.fullmatch(placeholder.name)
    if not match:
        raise RqlInvalid(
            f"The RQL expression is invalid: unsupported placeholder <{placeholder.name}>; supported are time:now "
            "and time:now_epoch_millis, each optionally followed by an offset like -1h and a truncation like [d]."
        )
    return match


def _instant_string(instant: datetime) -> str:
    """Java's `Instant.toString()`: UTC, seconds always, the fraction in groups of three digits, `Z`."""
    utc = instant.astimezone(UTC)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    micros = utc.microsecond
    if micros:
        text += f".{micros // 1000:03d}" if micros % 1000 == 0 else f".{micros:06d}"
    return text + "Z"


def _resolve_value(value: Value, now: datetime) -> Value:
    return resolve_placeholder(value, now) if isinstance(value, Placeholder) else value


def _truncate(instant: datetime, unit: str, now: datetime) -> datetime:
    if unit == "ms":
        return instant.replace(microsecond=instant.microsecond // 1000 * 1000)
    if unit in ("s", ""):
        return instant.replace(microsecond=0)
    if unit == "m":
        return instant.replace(second=0, microsecond=0)
    if unit == "h":
        return instant.replace(minute=0, second=0, microsecond=0)
    if unit == "d":
        return instant.replace(hour=0, minute=0, second=0, microsecond=0)
    local = instant.astimezone(now.tzinfo)
    if unit == "w":
        local = local - timedelta(days=local.weekday())
    elif unit == "mo":
        local = local.replace(day=1)
    else:
        local = local.replace(month=1, day=1)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    return midnight.replace(tzinfo=now.tzinfo).astimezone(UTC)
