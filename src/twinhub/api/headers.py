"""Ditto headers of an HTTP request: each may come as a query parameter or as an HTTP header.

As Ditto's gateway (RootRouteHeadersStepBuilder, DefaultDittoHeadersValidator), a request may carry no header
field twice and at most `MAX_HEADERS_BYTES` of headers (`check_request_headers`); the correlation id may also
come as `x-correlation-id` (CorrelationIdEnsuringDirective; `correlation_id`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from starlette.requests import HTTPConnection, Request

from twinhub.auth.context import AuthContext
from twinhub.history import HISTORY_TIMESTAMP_HEADER, parse_device_time
from twinhub.model.commands import IfEqual
from twinhub.model.errors import DuplicateHeaderField, HeaderInvalid, HeadersTooLarge, TimeoutInvalid
from twinhub.model.etag import Preconditions, parse_preconditions
from twinhub.model.fields import FieldSelector, parse_fields_parameter

# The pure header parsing lives in the model (the WebSocket and connections use it too); re-exported here.
from twinhub.model.headers import DEFAULT_TIMEOUT as DEFAULT_TIMEOUT
from twinhub.model.headers import MAX_TIMEOUT as MAX_TIMEOUT
from twinhub.model.headers import SEARCH_PERSISTED as SEARCH_PERSISTED
from twinhub.model.headers import TWIN_PERSISTED as TWIN_PERSISTED
from twinhub.model.headers import parse_bool as parse_bool
from twinhub.model.headers import parse_historical_revision
from twinhub.model.headers import parse_requested_acks as parse_requested_acks
from twinhub.model.headers import parse_timeout as parse_timeout
from twinhub.model.headers import parse_timestamp as parse_timestamp
from twinhub.model.metadata import (
    DELETE_METADATA,
    GET_METADATA,
    PUT_METADATA,
    MetadataHeaders,
    parse_metadata_headers,
)
from twinhub.service.conditions import Condition, parse_condition
from twinhub.service.event_headers import carried_headers
from twinhub.service.live import new_correlation_id

_IF_EQUAL: tuple[IfEqual, ...] = ("update", "skip", "skip-minimizing-merge")

# The query parameters that are Ditto headers (Ditto's `gateway.conf` `query-params-as-headers`): one that comes
# both ways must come with one value.
QUERY_PARAMS_AS_HEADERS = frozenset({
    "accept", "channel", "correlation-id", "requested-acks", "declared-acks", "response-required", "timeout",
    "live-channel-timeout-strategy", "allow-policy-lockout", "condition", "live-channel-condition",
    "at-historical-revision", "at-historical-timestamp", "dry-run",
})

# Ditto's limit on a request's headers, names and values together (`ditto-edge-service.conf`
# `ditto-headers-validator.max-bytes = 5k`).
MAX_HEADERS_BYTES = 5 * 1024


@dataclass(frozen=True, slots=True)
class RequestHeaders:
    correlation_id: str | None
    timeout: float
    response_required: bool
    preconditions: Preconditions
    if_equal: IfEqual
    at_revision: int | None
    at_timestamp: datetime | None
    fields: FieldSelector | None
    condition: Condition | None
    requested_acks: tuple[str, ...] = (TWIN_PERSISTED,)
    history_time: datetime | None = None  # a device's own time for the write's history points
    metadata: MetadataHeaders | None = None  # put-, get- or delete-metadata, if sent


@dataclass(frozen=True, slots=True)
class _Lookup:
    """A request's query parameters (the last of repeated ones) and HTTP headers (the first of repeated ones,
    by lower-case name), as Starlette's `query_params.get` and `headers.get` answer, read once: a request
    asks for some fifteen names, most of them absent, and Starlette answers an absent one by scanning
    every header and raising KeyError inside `Mapping.get`."""

    query: dict[str, str]
    headers: dict[str, str]
    repeated: bool  # some header field comes more than once


_LOOKUP_KEY = "twinhub.headers"  # where the request's _Lookup is kept in its scope


def _lookup(request: HTTPConnection) -> _Lookup:
    scope = request.scope
    lookup: _Lookup | None = scope.get(_LOOKUP_KEY)
    if lookup is None:
        # Reversed, so that the first of repeated headers is the one kept; ASGI header names are lower-case.
        raw = scope["headers"]
        headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in reversed(raw)}
        query = dict(request.query_params.items()) if scope.get("query_string") else {}
        lookup = scope[_LOOKUP_KEY] = _Lookup(query, headers, len(headers) != len(raw))
    return lookup


def header_maps(request: HTTPConnection) -> tuple[Mapping[str, str], Mapping[str, str]]:
    """The request's HTTP headers (lower-case names, the first if repeated) and query parameters (the last if
    repeated), read once per request and shared by every lookup."""
    lookup = _lookup(request)
    return lookup.headers, lookup.query


def check_request_headers(request: HTTPConnection) -> None:
    """Refuse what Ditto's gateway refuses before anything else: a header field that comes twice (400
    `gateway:duplicate.header.field`, naming it), headers larger than `MAX_HEADERS_BYTES` in all (431
    `headers.too.large`; counted as Ditto counts them, each name's length plus its value's) and a Ditto header
    that comes as query parameter and as HTTP header with divergent values (400 `gateway:duplicate.header.field`,
    RootRouteHeadersStepBuilder.QueryParametersStep: before authentication, as there)."""
    raw: list[tuple[bytes, bytes]] = request.scope["headers"]
    lookup = _lookup(request)
    if lookup.repeated:
        seen: set[bytes] = set()
        for name, _ in raw:
            if name in seen:
                raise DuplicateHeaderField(name.decode("latin-1"))
            seen.add(name)
    if sum(len(name) + len(value) for name, value in raw) > MAX_HEADERS_BYTES:
        raise HeadersTooLarge(MAX_HEADERS_BYTES)
    for key, text in lookup.query.items():  # most requests have no query string: nothing to do
        if key in QUERY_PARAMS_AS_HEADERS and lookup.headers.get(key, text) != text:
            raise DuplicateHeaderField(key, divergent=True)


def query_param(request: HTTPConnection, name: str) -> str | None:
    """The request's query parameter `name` (the last if repeated), None when absent."""
    return _lookup(request).query.get(name)


def http_header(request: HTTPConnection, name: str) -> str | None:
    """The request's HTTP header `name` (lower case; the first if repeated), None when absent."""
    return _lookup(request).headers.get(name)


def ditto_header(request: HTTPConnection, name: str) -> str | None:
    """The Ditto header `name` of the request: its query parameter, else its HTTP header; None when neither."""
    lookup = _lookup(request)
    value = lookup.query.get(name)
    return value if value is not None else lookup.headers.get(name)


def correlation_id(request: HTTPConnection) -> str | None:
    """The request's correlation id: the `correlation-id` query parameter or header, else the `x-correlation-id`
    header Ditto also reads (its own name for it; the response echoes it as `correlation-id`); None when absent."""
    value = ditto_header(request, "correlation-id")
    return http_header(request, "x-correlation-id") if value is None else value


def parse_headers(request: Request) -> RequestHeaders:
    """The Ditto headers of `request`; raises 400 (`timeout.invalid`, `header.invalid`, ...)."""
    lookup = _lookup(request)
    http, query = lookup.headers, lookup.query
    # A Ditto header is its query parameter, else its HTTP header: one map, built only when there is a query.
    ditto = {**http, **query}.get if query else http.get
    timeout_text = ditto("timeout")
    timeout = DEFAULT_TIMEOUT if timeout_text is None else parse_timeout(timeout_text)
    required_text = ditto("response-required")
    response_required = True if required_text is None else parse_bool("response-required", required_text)
    if timeout == 0 and required_text is None:
        response_required = False  # timeout=0 means fire and forget
    if timeout == 0 and response_required:
        raise TimeoutInvalid("A timeout of 0 cannot be combined with 'response-required=true'.")
    acks_text = ditto("requested-acks")
    requested_acks = (TWIN_PERSISTED,) if acks_text is None else parse_requested_acks(acks_text)
    if timeout == 0 and acks_text is not None and requested_acks:
        raise TimeoutInvalid("A timeout of 0 cannot be combined with requested acknowledgements.")
    if_equal = (ditto("if-equal") or "update").lower()
    if if_equal not in _IF_EQUAL:
        raise HeaderInvalid("if-equal", if_equal, "one of update, skip, skip-minimizing-merge")
    revision_text = ditto("at-historical-revision")
    at_revision = None if revision_text is None else parse_historical_revision(revision_text)
    timestamp_text = ditto("at-historical-timestamp")
    fields_text = query.get("fields")
    correlation = ditto("correlation-id")
    if correlation is None:
        correlation = http.get("x-correlation-id")  # as `correlation_id`
    put, get, delete = ditto(PUT_METADATA), ditto(GET_METADATA), ditto(DELETE_METADATA)
    return RequestHeaders(
        # As Ditto, every request has a correlation-id: the events and acknowledgements of a write carry it.
        correlation_id=correlation or new_correlation_id(),
        timeout=timeout,
        response_required=response_required,
        preconditions=parse_preconditions(http.get("if-match"), http.get("if-none-match")),
        if_equal=if_equal,
        at_revision=at_revision,
        at_timestamp=None if timestamp_text is None else parse_timestamp("at-historical-timestamp",
                                                                         timestamp_text),
        fields=None if fields_text is None else parse_fields_parameter(fields_text),
        condition=parse_condition(condition_text) if (condition_text := ditto("condition")) else None,
        requested_acks=requested_acks if timeout != 0 else (),
        history_time=None if (history_text := ditto(HISTORY_TIMESTAMP_HEADER)) is None
        else parse_device_time(history_text),
        metadata=None if put is None and get is None and delete is None
        else _metadata_headers(request, http, put, get, delete),
    )


def _metadata_headers(request: Request, http: Mapping[str, str], put: str | None, get: str | None,
                      delete: str | None) -> MetadataHeaders | None:
    """The request's `put-metadata`, `get-metadata` and `delete-metadata` (see `twinhub.model.metadata`); raises 400
    `header.invalid` or `things:metadata.headersconflict`."""
    return parse_metadata_headers(_utf8(http, PUT_METADATA, put, "MetadataHeaders"),
                                  _utf8(http, GET_METADATA, get, "comma separated list of JSON pointers"),
                                  _utf8(http, DELETE_METADATA, delete, "comma separated list of JSON pointers"),
                                  query=request.method in ("GET", "HEAD"))


def _utf8(http: Mapping[str, str], name: str, text: str | None, expected: str) -> str | None:
    """`text` as the UTF-8 it is where it came as HTTP header, whose bytes arrive as latin-1 (so that the keys of
    all three metadata headers name the same UTF-8 keys the thing has); 400 `header.invalid` unless UTF-8."""
    if text is None or text.isascii() or http.get(name) != text:
        return text
    try:
        return text.encode("latin-1").decode("utf-8")
    except UnicodeError:
        raise HeaderInvalid(name, text, expected) from None


def allows_policy_lockout(request: HTTPConnection) -> bool:
    """The `allow-policy-lockout` query parameter, false when absent; 400 `header.invalid` unless a boolean."""
    text = query_param(request, "allow-policy-lockout")
    return False if text is None else parse_bool("allow-policy-lockout", text)


def event_headers(headers: RequestHeaders, auth: AuthContext) -> dict[str, str]:
    """The Ditto headers a command's event carries to subscribers (see `carried_headers`)."""
    return carried_headers(auth.default_subject, headers.correlation_id, headers.requested_acks)
