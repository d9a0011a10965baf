"""What a session receives after `START-SEND-*`: twin events (filtered to what it may READ), live
messages, live commands and live events; each stream feeds the session's bounded buffer."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from functools import partial
from typing import Any

import orjson

from twinhub.api.views import shown_event_headers
from twinhub.api.websocket.control import StreamControl, StreamKind
from twinhub.api.websocket.session import CLOSE_TRY_AGAIN_LATER, Session
from twinhub.model.events import ThingEvent
from twinhub.model.live import Acknowledgement
from twinhub.protocol.envelope import encode_envelope
from twinhub.protocol.things import thing_event
from twinhub.service.streaming import Delivery, event_filter

_OVERFLOW = "twinhub:websocket.buffer.overflow: the session fell too far behind its {what}"


def start_stream(session: Session, control: StreamControl) -> None:
    """Start (or restart with new parameters) a stream; raises 400s for invalid parameters."""
    feeds: dict[StreamKind, Callable[[Session, StreamControl], Callable[[], Coroutine[Any, Any, None]]]] = {
        "events": _events,
        "messages": _live("messages"),
        "live-commands": _live("live-commands"),
        "live-events": _live("live-events"),
        "policy-announcements": _announcements,
    }
    session.start_stream(control.stream, feeds[control.stream](session, control))


def _events(session: Session, control: StreamControl) -> Callable[[], Coroutine[Any, Any, None]]:
    params = control.params
    event_filter_ = event_filter(namespaces=params.get("namespaces"), filter=params.get("filter"),
                                 extra_fields=params.get("extraFields"))

    async def feed() -> None:
        on_skipped = (lambda event: weak_acknowledgements(session, event)) if session.declared_acks else None
        watch = session.ctx.events.watch(session.subjects, event_filter_, on_skipped=on_skipped,
                                         receipts=session.receipts)
        try:
            async for delivery in watch:
                if not session.issued(delivery.event.headers):
                    session.send(delivery.rendered(_FRAME, partial(_frame, delivery)))
        finally:
            watch.close()
        if watch.overflowed:
            session.close(CLOSE_TRY_AGAIN_LATER, _OVERFLOW.format(what="events"))

    return feed


_FRAME = ("ws",)


def _frame(delivery: Delivery) -> str:
    """The event as a Ditto Protocol text frame: the same for every session that sees the same view."""
    envelope = thing_event(delivery.event, value=delivery.value, headers=shown_event_headers(delivery.event.headers),
                           extra=delivery.extra)
    return encode_envelope(envelope).decode()


def _live(kind: StreamKind) -> Callable[[Session, StreamControl], Callable[[], Coroutine[Any, Any, None]]]:
    def make(session: Session, control: StreamControl) -> Callable[[], Coroutine[Any, Any, None]]:
        from twinhub.api.websocket.live import live_feed

        return live_feed(session, kind, control.params)

    return make


def _announcements(session: Session, control: StreamControl) -> Callable[[], Coroutine[Any, Any, None]]:
    async def feed() -> None:
        # twinhub issues no policy announcements yet (subject deletion announcements need subject expiry
        # notifications): the subscription is accepted as Ditto accepts it, and stays quiet.
        await session.closed.wait()

    return feed


def weak_acknowledgements(session: Session, event: ThingEvent) -> None:
    """The session declared labels this event requests but filtered the event out: answer them weakly
    (200 with `ditto-weak-ack`), so the sender need not wait for its timeout."""
    correlation_id = event.headers.get("correlation-id")
    requested = orjson.loads(event.headers.get("requested-acks", "[]"))
    labels = [label for label in requested if label in session.declared_acks]
    if not correlation_id or not labels or session.declaration is None:
        return
    declaration = session.declaration
    for label in labels:
        ack = Acknowledgement(label, event.thing_id, correlation_id, 200, {"correlation-id": correlation_id},
                              weak=True)
        session.track(asyncio.create_task(declaration.acknowledge_skipped(ack)))
