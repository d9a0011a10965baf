"""The search protocol: reactive streams of result pages over the Ditto Protocol.

    client -> _/_/things/twin/search/subscribe  {filter?, options?, namespaces?}  (+ envelope `fields`)
    client -> _/_/things/twin/search/request    {subscriptionId, demand}
    client -> _/_/things/twin/search/cancel     {subscriptionId}
    server -> _/_/things/twin/search/created    {subscriptionId}
    server -> _/_/things/twin/search/next       {subscriptionId, items: [thing, ...]}
    server -> _/_/things/twin/search/complete   {subscriptionId}
    server -> _/_/things/twin/search/failed     {subscriptionId, error}

`search_command` checks only the shape. As in Ditto, a subscription is always `created`; a filter or
options it cannot run (including `cursor(...)` and `limit(...)`, which this protocol does not support)
then end it with `failed`: `parse_search_options` gives that error for the options.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import twinhub.protocol._values as _values
from twinhub.model.errors import JsonParseInvalid, TopicPathUnknown, TwinhubError
from twinhub.model.fields import FieldSelector, parse_fields
from twinhub.model.types import JsonObject, JsonValue
from twinhub.protocol.envelope import Envelope
from twinhub.protocol.headers import reply_headers
from twinhub.protocol.topic import WILDCARD, Topic
from twinhub.rql import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    RqlOptionInvalid,
    SizeOption,
    SortOption,
    parse_options,
    render_options,
    validate_sort_fields,
)

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "SearchCancel",
    "SearchCommand",
    "SearchOptions",
    "SearchRequest",
    "SearchSubscribe",
    "parse_search_options",
    "search_command",
    "search_complete",
    "search_created",
    "search_failed",
    "search_next",
    "search_topic",
]


@dataclass(frozen=True, slots=True)
class SearchSubscribe:
    """Start a search; `filter` and `options` are RQL text, checked when the search runs."""

    filter: str | None
    options: str | None
    namespaces: tuple[str, ...] | None
    fields: FieldSelector | None


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """Ask for `demand` more pages (reactive streams: a demand below 1 must end the subscription with `failed`)."""

    subscription_id: str
    demand: int


@dataclass(frozen=True, slots=True)
class SearchCancel:
    subscription_id: str


SearchCommand = SearchSubscribe | SearchRequest | SearchCancel


@dataclass(frozen=True, slots=True)
class SearchOptions:
    sort: SortOption | None
    size: int


def search_topic(action: str) -> Topic:
    return Topic(WILDCARD, WILDCARD, "things", "twin", "search", action)


def search_command(envelope: Envelope) -> SearchCommand:
    """The search command in `envelope`; raises `protocoladapter:unknown.topicpath` (not a client's search
    command), `json.invalid` (value or a field of the wrong type), `json.field.missing` (no subscriptionId),
    `things:field.selection.invalid`."""
    topic = envelope.topic
    if topic.group != "things" or topic.criterion != "search" or topic.action not in _COMMANDS:
        raise TopicPathUnknown(str(topic), "The topic is not the topic of a search command.")
    value = _values.value_object(envelope)
    if topic.action == "subscribe":
        namespaces = value.get("namespaces")
        if namespaces is not None and (
                not isinstance(namespaces, list) or not all(isinstance(ns, str) for ns in namespaces)):
            raise JsonParseInvalid("The 'namespaces' of a search must be a JSON array of strings.")
        return SearchSubscribe(
            filter=_values.optional_text(value, "filter"),
            options=_values.optional_text(value, "options"),
            namespaces=None if namespaces is None else tuple(ns for ns in namespaces if isinstance(ns, str)),
            fields=None if envelope.fields is None else parse_fields(envelope.fields),
        )
    subscription = _values.subscription_id(value)
    if topic.action == "cancel":
        return SearchCancel(subscription)
    return SearchRequest(subscription, _values.demand(value))


def parse_search_options(text: str | None, *, default_size: int = DEFAULT_PAGE_SIZE,
                         max_size: int = MAX_PAGE_SIZE) -> SearchOptions:
    """The `options` of a subscription: at most one `sort(...)` and one `size(n)`, 1 <= n <= `max_size`.

    Raises `thing-search:search.option.invalid` (400) for syntax errors, unknown sort fields, repeated
    options, and `cursor(...)` / `limit(...)` ("not supported at this endpoint", as Ditto says).
    """
    sort: SortOption | None = None
    size: SizeOption | None = None
    for option in parse_options(text) if text and text.strip() else ():
        if isinstance(option, SortOption) and sort is None:
            sort = option
        elif isinstance(option, SizeOption) and size is None:
            size = option
        elif isinstance(option, SortOption | SizeOption):
            raise RqlOptionInvalid(f"The option '{render_options((option,))}' was given more than once.")
        else:
            raise RqlOptionInvalid(f"The option '{render_options((option,))}' is not supported at this endpoint.")
    if sort is not None:
        validate_sort_fields((sort,))
    page_size = default_size if size is None else size.size
    if not 1 <= page_size <= max_size:
        raise RqlOptionInvalid(f"The page size must be between 1 and {max_size}, not {page_size}.")
    return SearchOptions(sort, page_size)


def search_created(request: Envelope, subscription_id: str) -> Envelope:
    """`created` for the subscription `request` (a `subscribe`) made; its correlation-id is echoed."""
    return _event(request, "created", {"subscriptionId": subscription_id})


def search_next(request: Envelope, subscription_id: str, items: Sequence[JsonValue]) -> Envelope:
    return _event(request, "next", {"subscriptionId": subscription_id, "items": list(items)})


def search_complete(request: Envelope, subscription_id: str) -> Envelope:
    return _event(request, "complete", {"subscriptionId": subscription_id})


def search_failed(request: Envelope, subscription_id: str, error: TwinhubError) -> Envelope:
    return _event(request, "failed", {"subscriptionId": subscription_id, "error": _values.error_json(error)})


_COMMANDS: Final = frozenset({"subscribe", "request", "cancel"})


def _event(request: Envelope, action: str, value: JsonObject) -> Envelope:
    return Envelope(search_topic(action), reply_headers(request.headers), "/", value)
