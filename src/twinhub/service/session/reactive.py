"""Search and history as reactive streams in a session (Ditto's `search` and `streaming` topics):
`subscribe` -> `created {subscriptionId}`; each `request {demand}` -> up to `demand` x `next`;
`complete` at the end, `failed` on an error; `cancel` stops early. A `request` or `cancel` of a subscription
the session does not hold fails it with Ditto's `...subscription.not.found`, a demand below 1 with
`...subscription.protocol.error` (SubscriptionManager, StreamingSubscriptionManager and their actors).

Each subscription is a background task of the session that pulls its items (a page of search hits, a
persisted event) only as the client's demand allows, the first one too (so what cannot run, or a thing the
subscriber may not read, fails after `created` and the first `request`, as in Ditto); the search pages come from
`twinhub.service.search_pages`, the persisted events from the event hub.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass, field

from twinhub.model.errors import (
    StreamingSubscriptionNotFound,
    StreamingSubscriptionProtocolError,
    SubscriptionNotFound,
    SubscriptionProtocolError,
    TwinhubError,
    WebSocketMessageInvalid,
)
from twinhub.model.types import JsonValue
from twinhub.protocol import (
    Envelope,
    SearchRequest,
    SearchSubscribe,
    StreamingRequest,
    SubscribeForPersistedEvents,
    envelope_to_json,
    parse_search_options,
    search_command,
    search_complete,
    search_created,
    search_failed,
    search_next,
    streaming_command,
    streaming_complete,
    streaming_created,
    streaming_failed,
    streaming_next,
    thing_event,
)
from twinhub.rql import SizeOption
from twinhub.service.event_headers import shown_event_headers
from twinhub.service.search_pages import PagedQuery, search_pages
from twinhub.service.session.party import Party
from twinhub.service.streaming import event_filter
from twinhub.service.views import project_thing

__all__ = ["ReactiveStreams"]


@dataclass
class _Subscription:
    """One subscription: its items come from `source`, released as the client's demand allows."""

    source: AsyncGenerator[JsonValue, None]
    next_envelope: Callable[[JsonValue], Envelope]
    complete_envelope: Callable[[], Envelope]
    failed_envelope: Callable[[TwinhubError], Envelope]
    demand: int = 0
    wakeup: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass(frozen=True, slots=True)
class _Errors:
    """What a kind of subscription fails with when the client misuses it."""

    not_found: Callable[[str], TwinhubError]  # of the subscription id
    protocol_error: Callable[[], TwinhubError]  # a demand below 1


_SEARCH_ERRORS = _Errors(SubscriptionNotFound, SubscriptionProtocolError)
_STREAMING_ERRORS = _Errors(StreamingSubscriptionNotFound, StreamingSubscriptionProtocolError)


async def _demanded(subscription: _Subscription) -> None:
    """Return once the client's demand allows another item."""
    while subscription.demand <= 0:
        subscription.wakeup.clear()
        await subscription.wakeup.wait()


class ReactiveStreams:
    """The search and history subscriptions of one party."""

    def __init__(self, party: Party) -> None:
        self._party = party
        self._subscriptions: dict[str, _Subscription] = {}
        self._ids = itertools.count(1)

    async def search(self, envelope: Envelope) -> None:
        signal = search_command(envelope)
        if isinstance(signal, SearchSubscribe):
            subscription_id = f"search-{next(self._ids)}"
            self._party.send(search_created(envelope, subscription_id))
            self._start(subscription_id, _Subscription(
                self._pages(signal), lambda items: search_next(envelope, subscription_id, items),  # type: ignore[arg-type]
                lambda: search_complete(envelope, subscription_id),
                lambda error: search_failed(envelope, subscription_id, error)))
        elif isinstance(signal, SearchRequest):
            self._demand(signal.subscription_id, signal.demand,
                         lambda error: search_failed(envelope, signal.subscription_id, error), _SEARCH_ERRORS)
        else:
            self._cancel(signal.subscription_id, lambda error: search_failed(envelope, signal.subscription_id, error),
                         _SEARCH_ERRORS)

    async def _pages(self, signal: SearchSubscribe) -> AsyncGenerator[JsonValue, None]:
        """Every page of the search, fetched only as the client asks for them (invalid options fail here,
        after `created`, as in Ditto)."""
        options = parse_search_options(signal.options)
        kept = tuple(option for option in (options.sort, SizeOption(options.size)) if option is not None)
        query = PagedQuery((signal.filter,) if signal.filter else (), kept, signal.namespaces)
        async for page in search_pages(self._party.services.search, query, self._party.subjects):
            yield [project_thing(thing, view, signal.fields) for thing, view in page.things]

    async def history(self, envelope: Envelope) -> None:
        signal = streaming_command(envelope)
        if isinstance(signal, SubscribeForPersistedEvents):
            if signal.group != "things":
                raise WebSocketMessageInvalid("Only the persisted events of things can be streamed.")
            wanted = event_filter(filter=signal.filter, path=signal.path)
            subscription_id = f"history-{next(self._ids)}"
            self._party.send(streaming_created(envelope, subscription_id))

            async def items() -> AsyncGenerator[JsonValue, None]:
                # A thing the subscriber may not read (404) fails the subscription once it is asked for
                # events, as in Ditto, whose enforcement of the command answers the lazy event source.
                deliveries = await self._party.services.events.history(
                    signal.entity_id, self._party.subjects, wanted, from_revision=signal.from_revision,
                    to_revision=signal.to_revision, from_timestamp=signal.from_timestamp,
                    to_timestamp=signal.to_timestamp)
                async for delivery in deliveries:
                    yield envelope_to_json(thing_event(delivery.event, value=delivery.value,
                                                       headers=shown_event_headers(delivery.event.headers)))

            self._start(subscription_id, _Subscription(
                items(), lambda item: streaming_next(envelope, subscription_id, item),
                lambda: streaming_complete(envelope, subscription_id),
                lambda error: streaming_failed(envelope, subscription_id, error)))
        elif isinstance(signal, StreamingRequest):
            self._demand(signal.subscription_id, signal.demand,
                         lambda error: streaming_failed(envelope, signal.subscription_id, error), _STREAMING_ERRORS)
        else:
            self._cancel(signal.subscription_id,
                         lambda error: streaming_failed(envelope, signal.subscription_id, error), _STREAMING_ERRORS)

    def _start(self, subscription_id: str, subscription: _Subscription) -> None:
        self._subscriptions[subscription_id] = subscription
        self._party.tasks.start(self._pump(subscription_id, subscription), key=("subscription", subscription_id))

    async def _pump(self, subscription_id: str, subscription: _Subscription) -> None:
        try:
            await _demanded(subscription)  # the source starts at the first demand (Ditto's `lazify`)
            async for item in subscription.source:
                await _demanded(subscription)
                subscription.demand -= 1
                self._party.send(subscription.next_envelope(item))
            self._party.send(subscription.complete_envelope())
        except TwinhubError as error:
            self._party.send(subscription.failed_envelope(error))
        finally:
            if self._subscriptions.get(subscription_id) is subscription:
                del self._subscriptions[subscription_id]
            await subscription.source.aclose()

    def _demand(self, subscription_id: str, demand: int, failed: Callable[[TwinhubError], Envelope],
                errors: _Errors) -> None:
        subscription = self._subscriptions.get(subscription_id)
        if subscription is None:
            self._party.send(failed(errors.not_found(subscription_id)))
        elif demand < 1:  # reactive streams rule 3.9: a non-positive demand ends the subscription with an error
            self._stop(subscription_id)
            self._party.send(failed(errors.protocol_error()))
        else:
            subscription.demand += demand
            subscription.wakeup.set()

    def _cancel(self, subscription_id: str, failed: Callable[[TwinhubError], Envelope], errors: _Errors) -> None:
        if not self._stop(subscription_id):
            self._party.send(failed(errors.not_found(subscription_id)))

    def _stop(self, subscription_id: str) -> bool:
        """End the subscription; False when there was none of that id."""
        if self._subscriptions.pop(subscription_id, None) is None:
            return False
        self._party.tasks.cancel(("subscription", subscription_id))
        return True
