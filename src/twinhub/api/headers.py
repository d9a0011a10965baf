"""Ditto headers of an HTTP request: each may come as a query parameter or as an HTTP header."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson
from starlette.requests import Request

from twinhub.auth.context import AuthContext
from twinhub.model.commands import IfEqual
from twinhub.model.errors import HeaderInvalid, ThingConditionInvalid, TimeoutInvalid
from twinhub.model.etag import Preconditions
from twinhub.model.events import format_timestamp
from twinhub.model.fields import FieldSelector, parse_fields
from twinhub.rql import RqlInvalid, parse_filter, validate_filter_fields
from twinhub.service.conditions import Condition

TWIN_PERSISTED = "twin-persisted"
SEARCH_PERSISTED = "search-persisted"
_ACK_LABEL = re.compile(r"[a-zA-Z0-9\-_:]{3,100}")

DEFAULT_TIMEOUT = 60.0
MAX_TIMEOUT = 60.0
_TIMEOUT_RE = re.compile(r"(\d{1,9})(ms|s|m)?")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, None: 1.0}
_IF_EQUAL: tuple[IfEqual, ...] = ("update", "skip", "skip-minimizing-merge")


@dataclass(frozen=True, slots=True)
class RequestHeaders:
    correlation_id: str | None
    timeout: float
    response_required: bool
    preconditions: Preconditions
    if_equal: IfEqual
    at_revision: int | None
    at_timestamp: str | None
    fields: FieldSelector | None
    condition: Condition | None
    requested_acks: tuple[str, ...] = (TWIN_PERSISTED,)


def _get(request: Request, name: str) -> str | None:
    value = request.query_params.get(name)
    return value if value is not None else request.headers.get(name)


def parse_timeout(text: str) -> float:
    """`42` and `42s` are seconds, `250ms` milliseconds, `1m` minutes; at most 60 seconds."""
    match = _TIMEOUT_RE.fullmatch(text.strip())
    if match is None:
        raise TimeoutInvalid(f"The timeout <{text}> is not valid.")
    seconds = int(match[1]) * _UNITS[match[2]]
    if seconds > MAX_TIMEOUT:
        raise TimeoutInvalid(f"The timeout <{text}> is greater than the maximum of <60s>.")
    return seconds


def parse_bool(name: str, text: str) -> bool:
    if text.lower() not in {"true", "false"}:
        raise HeaderInvalid(name, text, "boolean")
    return text.lower() == "true"


def parse_timestamp(name: str, text: str) -> str:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise HeaderInvalid(name, text, "ISO-8601 timestamp") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return format_timestamp(moment)


def parse_headers(request: Request) -> RequestHeaders:
    """The Ditto headers of `request`; raises 400 (`timeout.invalid`, `header.invalid`, ...)."""
    timeout_text = _get(request, "timeout")
    timeout = DEFAULT_TIMEOUT if timeout_text is None else parse_timeout(timeout_text)
    required_text = _get(request, "response-required")
    response_required = True if required_text is None else parse_bool("response-required", required_text)
    if timeout == 0 and required_text is None:
        response_required = False  # timeout=0 means fire and forget
    if timeout == 0 and response_required:
        raise TimeoutInvalid("A timeout of 0 cannot be combined with 'response-required=true'.")
    acks_text = _get(request, "requested-acks")
    requested_acks = (TWIN_PERSISTED,) if acks_text is None else parse_requested_acks(acks_text)
    if timeout == 0 and acks_text is not None and requested_acks:
        raise TimeoutInvalid("A timeout of 0 cannot be combined with requested acknowledgements.")
    if_equal = (_get(request, "if-equal") or "update").lower()
    if if_equal not in _IF_EQUAL:
        raise HeaderInvalid("if-equal", if_equal, "one of update, skip, skip-minimizing-merge")
    revision_text = _get(request, "at-historical-revision")
    at_revision = None
    if revision_text is not None:
        if not revision_text.strip().isdigit():
            raise HeaderInvalid("at-historical-revision", revision_text, "revision number")
        at_revision = int(revision_text)
    timestamp_text = _get(request, "at-historical-timestamp")
    fields_text = request.query_params.get("fields")
    return RequestHeaders(
        correlation_id=_get(request, "correlation-id"),
        timeout=timeout,
        response_required=response_required,
        preconditions=Preconditions(request.headers.get("if-match"), request.headers.get("if-none-match")),
        if_equal=if_equal,
        at_revision=at_revision,
        at_timestamp=None if timestamp_text is None else parse_timestamp("at-historical-timestamp",
                                                                         timestamp_text),
        fields=None if fields_text is None else parse_fields(fields_text),
        condition=parse_condition(condition_text) if (condition_text := _get(request, "condition")) else None,
        requested_acks=requested_acks if timeout != 0 else (),
    )


def parse_requested_acks(text: str) -> tuple[str, ...]:
    """`requested-acks` as a comma-separated list or a JSON array of acknowledgement labels."""
    stripped = text.strip()
    labels: list[str]
    if stripped.startswith("["):
        try:
            parsed = orjson.loads(stripped)
        except orjson.JSONDecodeError:
            raise HeaderInvalid("requested-acks", text, "JSON array of acknowledgement labels") from None
        if not isinstance(parsed, list) or not all(isinstance(label, str) for label in parsed):
            raise HeaderInvalid("requested-acks", text, "JSON array of acknowledgement labels")
        labels = parsed
    else:
        labels = [label.strip() for label in stripped.split(",") if label.strip()]
    for label in labels:
        if not _ACK_LABEL.fullmatch(label):
            raise HeaderInvalid("requested-acks", text, "list of acknowledgement labels ([a-zA-Z0-9-_:]{3,100})")
    return tuple(dict.fromkeys(labels))


def parse_condition(text: str) -> Condition:
    """The `condition` of a request as a checked RQL filter; 400 `things:condition.invalid` otherwise."""
    try:
        node = parse_filter(text)
        validate_filter_fields(node)
    except RqlInvalid as error:
        raise ThingConditionInvalid(error.message) from None
    return Condition(text, node)


def event_headers(headers: RequestHeaders, auth: AuthContext) -> dict[str, str]:
    """The Ditto headers a command's event carries to subscribers: who sent it, its correlation-id and
    the acknowledgements its sender waits for (which declared subscribers must answer)."""
    carried = {"ditto-originator": auth.default_subject}
    if headers.correlation_id:
        carried["correlation-id"] = headers.correlation_id
    if headers.requested_acks:
        carried["requested-acks"] = orjson.dumps(list(headers.requested_acks)).decode()
    return carried
