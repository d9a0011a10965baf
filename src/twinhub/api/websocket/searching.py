"""Search and history as reactive streams over the WebSocket (Ditto's `search` and `streaming` topics):
`subscribe` -> `created {subscriptionId}`; each `request {demand}` -> up to `demand` x `next`;
`complete` at the end, `failed` on an error; `cancel` stops early."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from twinhub.api.views import project_thing, shown_event_headers
from twinhub.api.websocket.session import Session
from twinhub.model.errors import TwinhubError, WebSocketMessageInvalid
from twinhub.model.types import JsonValue
from twinhub.protocol import Envelope, envelope_to_json, thing_event
from twinhub.protocol.search import (
    SearchRequest,
    SearchSubscribe,
    parse_search_options,
    search_command,
    search_complete,
    search_created,
    search_failed,
    search_next,
)
from twinhub.protocol.streaming import (
    StreamingRequest,
    SubscribeForPersistedEvents,
    streaming_command,
    streaming_complete,
    streaming_created,
    streaming_failed,
    streaming_next,
)
from twinhub.rql import SizeOption
from twinhub.service.search_pages import PagedQuery, search_pages
from twinhub.service.streaming import EventFilter, parse_event_filter

_ids = itertools.count(1)


@dataclass
class _Stream:
    """One subscription: its items come from `source`, released as the client's demand allows."""

    source: AsyncIterator[JsonValue]
    send_next: Callable[[JsonValue], Envelope]
    send_complete: Callable[[], Envelope]
    send_failed: Callable[[TwinhubError], Envelope]
    demand: int = 0
    wakeup: asyncio.Event = field(default_factory=asyncio.Event)


def _streams(session: Session) -> dict[str, _Stream]:
    streams: dict[str, _Stream] | None = getattr(session, "_reactive_streams", None)
    if streams is None:
        streams = {}
        session._reactive_streams = streams  # type: ignore[attr-defined]
    return streams


async def _pump(session: Session, subscription_id: str, stream: _Stream) -> None:
    try:
        async for item in stream.source:
            while stream.demand <= 0:
                stream.wakeup.clear()
                await stream.wakeup.wait()
            stream.demand -= 1
            session.send_envelope(stream.send_next(item))
        session.send_envelope(stream.send_complete())
    except TwinhubError as error:
        session.send_envelope(stream.send_failed(error))
    finally:
        _streams(session).pop(subscription_id, None)


def _start(session: Session, stream: _Stream, subscription_id: str) -> None:
    _streams(session)[subscription_id] = stream
    session.track(asyncio.create_task(_pump(session, subscription_id, stream)))


def _request(session: Session, subscription_id: str, demand: int) -> bool:
    stream = _streams(session).get(subscription_id)
    if stream is None:
        return False
    stream.demand += demand
    stream.wakeup.set()
    return True


def _cancel(session: Session, subscription_id: str) -> None:
    stream = _streams(session).pop(subscription_id, None)
    if stream is not None:
        stream.demand = -(10**9)  # the pump sees no more demand; its task ends with the session
        aclose = getattr(stream.source, "aclose", None)
        if aclose is not None:
            session.track(asyncio.create_task(aclose()))


async def search_signal(session: Session, envelope: Envelope) -> None:
    signal = search_command(envelope)
    if isinstance(signal, SearchSubscribe):
        subscription_id = f"search-{next(_ids)}"
        session.send_envelope(search_created(envelope, subscription_id))
        _start(session, _Stream(_pages(session, signal),
                                lambda items: search_next(envelope, subscription_id, items),  # type: ignore[arg-type]
                                lambda: search_complete(envelope, subscription_id),
                                lambda error: search_failed(envelope, subscription_id, error)), subscription_id)
    elif isinstance(signal, SearchRequest):
        _demand(session, envelope, signal.subscription_id, signal.demand,
                lambda error: search_failed(envelope, signal.subscription_id, error))
    else:
        _cancel(session, signal.subscription_id)


async def _pages(session: Session, signal: SearchSubscribe) -> AsyncIterator[JsonValue]:
    """Every page of the search, fetched only as the client asks for them (invalid options fail here,
    after `created`, as in Ditto)."""
    options = parse_search_options(signal.options)
    kept = tuple(option for option in (options.sort, SizeOption(options.size)) if option is not None)
    query = PagedQuery((signal.filter,) if signal.filter else (), kept, signal.namespaces)
    async for page in search_pages(session.ctx.search, query, session.subjects):
        yield [project_thing(thing, view, signal.fields) for thing, view in page.things]


async def history_signal(session: Session, envelope: Envelope) -> None:
    signal = streaming_command(envelope)
    if isinstance(signal, SubscribeForPersistedEvents):
        if signal.group != "things":
            raise WebSocketMessageInvalid("Only the persisted events of things can be streamed.")
        event_filter = EventFilter(path=signal.path, filter=parse_event_filter(signal.filter) if signal.filter
                                   else None, filter_text=signal.filter)
        deliveries = await session.ctx.events.history(  # 404 before `created` when the thing is not readable
            signal.entity_id, session.subjects, event_filter, from_revision=signal.from_revision,
            to_revision=signal.to_revision, from_timestamp=signal.from_timestamp, to_timestamp=signal.to_timestamp)
        subscription_id = f"history-{next(_ids)}"
        session.send_envelope(streaming_created(envelope, subscription_id))

        async def items() -> AsyncIterator[JsonValue]:
            async for delivery in deliveries:
                yield envelope_to_json(thing_event(delivery.event, value=delivery.value,
                                                   headers=shown_event_headers(delivery.event.headers)))

        _start(session, _Stream(items(), lambda item: streaming_next(envelope, subscription_id, item),
                                lambda: streaming_complete(envelope, subscription_id),
                                lambda error: streaming_failed(envelope, subscription_id, error)), subscription_id)
    elif isinstance(signal, StreamingRequest):
        _demand(session, envelope, signal.subscription_id, signal.demand,
                lambda error: streaming_failed(envelope, signal.subscription_id, error))
    else:
        _cancel(session, signal.subscription_id)


def _demand(session: Session, envelope: Envelope, subscription_id: str, demand: int,
            failed: Callable[[TwinhubError], Envelope]) -> None:
    if demand < 1:  # reactive streams rule 3.9: a non-positive demand ends the subscription with an error
        _cancel(session, subscription_id)
        session.send_envelope(failed(WebSocketMessageInvalid(f"The demand must be positive, not {demand}.")))
    elif not _request(session, subscription_id, demand):
        session.send_envelope(failed(WebSocketMessageInvalid(f"No subscription with the ID <{subscription_id}>.")))
