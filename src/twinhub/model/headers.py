"""Pure parsing of Ditto header values, shared by every edge (HTTP, WebSocket, connections).

Each function takes the header's text as sent and returns the typed value, or raises Ditto's 400
(`timeout.invalid`, `header.invalid`).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from twinhub.model.commands import IfEqual
from twinhub.model.errors import HeaderInvalid, TimeoutInvalid
from twinhub.model.events import format_timestamp
from twinhub.model.json import loads

__all__ = [
    "ACK_LABEL",
    "DEFAULT_TIMEOUT",
    "IF_EQUAL_VALUES",
    "LIVE_RESPONSE",
    "MAX_TIMEOUT",
    "SEARCH_PERSISTED",
    "TWIN_PERSISTED",
    "historical_point",
    "live_requested_acks",
    "parse_bool",
    "parse_historical_revision",
    "parse_if_equal",
    "parse_requested_acks",
    "parse_timeout",
    "parse_timestamp",
]

# Ditto's built-in acknowledgement labels.
TWIN_PERSISTED = "twin-persisted"
SEARCH_PERSISTED = "search-persisted"
LIVE_RESPONSE = "live-response"

# An acknowledgement label (Ditto's AcknowledgementLabel regex); match it with `fullmatch`.
ACK_LABEL = re.compile(r"[a-zA-Z0-9\-_:]{3,100}")

DEFAULT_TIMEOUT = 60.0
MAX_TIMEOUT = 60.0
_TIMEOUT_RE = re.compile(r"(\d{1,9})(ms|s|m)?")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, None: 1.0}

IF_EQUAL_VALUES: tuple[IfEqual, ...] = ("update", "skip", "skip-minimizing-merge")


def parse_timeout(text: str, *, maximum: float = MAX_TIMEOUT) -> float:
    """`42` and `42s` are seconds, `250ms` milliseconds, `1m` minutes; at most `maximum` seconds (Ditto's
    60 by default; the claim message allows 600)."""
    match = _TIMEOUT_RE.fullmatch(text.strip())
    if match is None:
        raise TimeoutInvalid(f"The timeout <{text}> is not valid.")
    seconds = int(match[1]) * _UNITS[match[2]]
    if seconds > maximum:
        raise TimeoutInvalid(f"The timeout <{text}> is greater than the maximum of <{maximum:g}s>.")
    return seconds


def parse_bool(name: str, text: str) -> bool:
    """`true` or `false` in any case; raises `header.invalid` otherwise."""
    if text.lower() not in {"true", "false"}:
        raise HeaderInvalid(name, text, "boolean")
    return text.lower() == "true"


def parse_historical_revision(text: str) -> int:
    """`at-historical-revision`: a revision number (ASCII digits); raises `header.invalid` otherwise."""
    if not (text.strip().isascii() and text.strip().isdigit()):  # "²" is a digit to isdigit
        raise HeaderInvalid("at-historical-revision", text, "revision number")
    return int(text)


def historical_point(revision: int | None, timestamp: datetime | None) -> str:
    """How Ditto's history-not-found errors name what was asked for: `revision '5'` or `timestamp '...'`
    (ThingHistoryNotAccessibleException, PolicyHistoryNotAccessibleException: a revision when both are given)."""
    if revision is None and timestamp is not None:
        return f"timestamp '{format_timestamp(timestamp)}'"
    return f"revision '{revision}'"


def parse_timestamp(name: str, text: str) -> datetime:
    """An ISO-8601 timestamp, in UTC (a naive one is read as UTC)."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise HeaderInvalid(name, text, "ISO-8601 timestamp") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def parse_requested_acks(text: str) -> tuple[str, ...]:
    """`requested-acks` as a comma-separated list or a JSON array of acknowledgement labels."""
    stripped = text.strip()
    labels: list[str]
    if stripped.startswith("["):
        try:
            parsed = loads(stripped)
        except ValueError:  # malformed, or nested deeper than MAX_JSON_DEPTH
            raise HeaderInvalid("requested-acks", text, "JSON array of acknowledgement labels") from None
        if not isinstance(parsed, list) or not all(isinstance(label, str) for label in parsed):
            raise HeaderInvalid("requested-acks", text, "JSON array of acknowledgement labels")
        labels = [label for label in parsed if isinstance(label, str)]
    else:
        labels = [label.strip() for label in stripped.split(",") if label.strip()]
    for label in labels:
        if not ACK_LABEL.fullmatch(label):
            raise HeaderInvalid("requested-acks", text, "list of acknowledgement labels ([a-zA-Z0-9-_:]{3,100})")
    return tuple(dict.fromkeys(labels))


def live_requested_acks(requested: tuple[str, ...] | None, *, response_required: bool) -> tuple[str, ...]:
    """The acknowledgements a live command or message requests, as Ditto's ThingLiveCommandAckRequestSetter and
    MessageCommandAckRequestSetter set them from those `requested` (None: no `requested-acks` header):
    `live-response` alone when none were requested and a response is required; otherwise those requested with
    `live-response` added when a response is required (and some were), removed when none is; the twin's own
    labels (`twin-persisted`, `search-persisted`) dropped, since no live signal persists anything."""
    if requested is None:
        return (LIVE_RESPONSE,) if response_required else ()
    labels = tuple(label for label in requested if label not in (TWIN_PERSISTED, SEARCH_PERSISTED))
    if not response_required:
        return tuple(label for label in labels if label != LIVE_RESPONSE)
    if requested and LIVE_RESPONSE not in labels:
        return (*labels, LIVE_RESPONSE)
    return labels


def parse_if_equal(text: str) -> IfEqual:
    """`update` (Ditto's default), `skip` or `skip-minimizing-merge`, in any case."""
    value = text.strip().lower()
    for known in IF_EQUAL_VALUES:
        if value == known:
            return known
    raise HeaderInvalid("if-equal", text, "one of update, skip, skip-minimizing-merge")
