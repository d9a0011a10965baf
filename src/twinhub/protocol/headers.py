"""Ditto headers in Ditto Protocol messages: normalise what a client sent, read the values Ditto defines.

Header names are case-insensitive (kept lower-cased here); values stay as sent (a JSON string, boolean,
number or array). Ditto ignores what a client sets for its internal headers (`ditto-*`, `channel`,
`raw-request-url`, `read-subjects`, `subject`, `timeout-access`): `normalize_headers` drops them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import orjson

from twinhub.model.commands import IfEqual
from twinhub.model.errors import HeaderInvalid, TimeoutInvalid
from twinhub.model.headers import (
    ACK_LABEL,
    DEFAULT_TIMEOUT,
    parse_bool,
    parse_if_equal,
    parse_requested_acks,
    parse_timeout,
)
from twinhub.model.types import JsonValue

__all__ = [
    "APPLICATION_JSON",
    "MERGE_PATCH_JSON",
    "SignalHeaders",
    "content_type",
    "correlation_id",
    "header_text",
    "header_texts",
    "normalize_headers",
    "reply_headers",
    "signal_headers",
]

APPLICATION_JSON: Final = "application/json"
MERGE_PATCH_JSON: Final = "application/merge-patch+json"

_IGNORED: Final = frozenset({"channel", "raw-request-url", "read-subjects", "subject", "timeout-access"})
_INTERNAL_PREFIX: Final = "ditto-"


def normalize_headers(raw: Mapping[str, JsonValue]) -> dict[str, JsonValue]:
    """Lower-cased names, values as given, without the headers Ditto keeps for itself.

    Of two names differing only in case the last one wins (Ditto leaves that case undefined).
    """
    headers: dict[str, JsonValue] = {}
    for name, value in raw.items():
        key = name.lower()
        if key in _IGNORED or key.startswith(_INTERNAL_PREFIX):
            continue
        headers[key] = value
    return headers


def header_text(headers: Mapping[str, JsonValue], name: str) -> str | None:
    """A header's value as text, as Ditto reads it: a string as is, anything else as its JSON; None if
    absent or JSON null."""
    value = headers.get(name)
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode()


def header_texts(headers: Mapping[str, JsonValue]) -> dict[str, str]:
    """Every header as text (see `header_text`), those with JSON null left out: the headers of live signals
    and acknowledgements, which the model keeps as text."""
    return {name: text for name in headers if (text := header_text(headers, name)) is not None}


def correlation_id(headers: Mapping[str, JsonValue]) -> str | None:
    return header_text(headers, "correlation-id")


def content_type(headers: Mapping[str, JsonValue]) -> str | None:
    return header_text(headers, "content-type")


@dataclass(frozen=True, slots=True)
class SignalHeaders:
    """The headers that steer how a signal is answered."""

    correlation_id: str | None
    response_required: bool
    requested_acks: tuple[str, ...]
    timeout: float
    if_equal: IfEqual


def signal_headers(headers: Mapping[str, JsonValue], *, default_acks: tuple[str, ...] = ()) -> SignalHeaders:
    """Read and check the steering headers; raises `header.invalid` or `timeout.invalid` (400).

    `requested-acks` may be a JSON array or a comma-separated string, `response-required` a boolean or
    `"true"`/`"false"`. As over HTTP, `timeout: 0` means fire-and-forget: no response unless one is
    explicitly required (which, like explicitly requested acknowledgements, is then an error).
    """
    timeout_text = header_text(headers, "timeout")
    timeout = DEFAULT_TIMEOUT if timeout_text is None else parse_timeout(timeout_text)
    required = _bool(headers, "response-required")
    response_required = True if required is None else required
    if timeout == 0 and required is None:
        response_required = False
    if timeout == 0 and response_required:
        raise TimeoutInvalid("A timeout of 0 cannot be combined with 'response-required=true'.")
    acks = _requested_acks(headers)
    if timeout == 0 and acks:
        raise TimeoutInvalid("A timeout of 0 cannot be combined with requested acknowledgements.")
    if_equal_text = header_text(headers, "if-equal")
    return SignalHeaders(
        correlation_id=correlation_id(headers),
        response_required=response_required,
        requested_acks=() if timeout == 0 else (default_acks if acks is None else acks),
        timeout=timeout,
        if_equal="update" if if_equal_text is None else parse_if_equal(if_equal_text),
    )


def reply_headers(request: Mapping[str, JsonValue], *, content: str | None = APPLICATION_JSON,
                  extra: Mapping[str, JsonValue] | None = None) -> dict[str, JsonValue]:
    """Headers of an answer to `request`: its correlation-id, the answer's content type, then `extra`."""
    headers: dict[str, JsonValue] = {}
    cid = correlation_id(request)
    if cid is not None:
        headers["correlation-id"] = cid
    if content is not None:
        headers["content-type"] = content
    if extra:
        headers.update(extra)
    return headers


def _bool(headers: Mapping[str, JsonValue], name: str) -> bool | None:
    value = headers.get(name)
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return parse_bool(name, value)
    raise HeaderInvalid(name, orjson.dumps(value).decode(), "boolean")


def _requested_acks(headers: Mapping[str, JsonValue]) -> tuple[str, ...] | None:
    value = headers.get("requested-acks")
    if value is None:
        return None
    if isinstance(value, str):
        return parse_requested_acks(value)
    text = orjson.dumps(value).decode()
    if not isinstance(value, list) or not all(isinstance(label, str) for label in value):
        raise HeaderInvalid("requested-acks", text, "JSON array of acknowledgement labels")
    labels = [label for label in value if isinstance(label, str)]
    for label in labels:
        if not ACK_LABEL.fullmatch(label):
            raise HeaderInvalid("requested-acks", text, "list of acknowledgement labels ([a-zA-Z0-9-_:]{3,100})")
    return tuple(dict.fromkeys(labels))
