"""What a session receives after `START-SEND-*`: twin events (filtered to what it may READ), live
messages, live commands and live events. Each stream is one background task of the session, replaced
by the next START of its kind and cancelled by its STOP; its watch or receiver is registered at once,
so nothing committed after the START's acknowledgement is missed, and closed with the task."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Final

from twinhub.model.errors import WebSocketBufferOverflow
from twinhub.model.events import ThingEvent
from twinhub.model.fields import parse_fields
from twinhub.model.live import LiveKind
from twinhub.protocol import encode_envelope, thing_event
from twinhub.service.event_headers import shown_event_headers
from twinhub.service.session.announcements import forward_announcements
from twinhub.service.session.control import StreamControl, StreamKind
from twinhub.service.session.live import forward_live, weak_acknowledgements
from twinhub.service.session.outbox import CloseReason
from twinhub.service.session.party import Party
from twinhub.service.session.tasks import Work
from twinhub.service.streaming import Delivery, Watch, event_filter, parse_event_filter, parse_namespaces

__all__ = ["start_stream", "stop_stream"]

_LIVE_KINDS: Final[dict[StreamKind, LiveKind]] = {
    "messages": "messages", "live-commands": "live-commands", "live-events": "live-events"}
_FRAME: Final = ("ws",)  # how an event frame is rendered, shared by every session that sees the same view


def start_stream(party: Party, control: StreamControl) -> None:
    """Start (or restart with new parameters) a stream; raises Ditto's 400s for invalid parameters."""
    if control.stream == "events":
        _start_events(party, control.params)
    elif (kind := _LIVE_KINDS.get(control.stream)) is not None:
        _start_live(party, kind, control.params)
    else:
        _start_announcements(party, control.params)


def stop_stream(party: Party, kind: StreamKind) -> None:
    party.tasks.cancel(("stream", kind))


def _start_events(party: Party, params: dict[str, str]) -> None:
    wanted = event_filter(namespaces=params.get("namespaces"), filter=params.get("filter"),
                          extra_fields=params.get("extraFields"))
    on_skipped = partial(_weak_acknowledgements, party) if party.declared_acks else None
    watch = party.services.events.watch(party.subjects, wanted, on_skipped=on_skipped, receipts=party.receipts,
                                        sink=partial(_forward_event, party))
    _own(party, "events", _events_until_closed(party, watch), watch.close)


def _start_live(party: Party, kind: LiveKind, params: dict[str, str]) -> None:
    namespaces = parse_namespaces(params.get("namespaces"))
    # Both refused with Ditto's 400 before the stream starts.
    extra_fields = parse_fields(text) if (text := params.get("extraFields")) else None
    live_filter = parse_event_filter(text) if (text := params.get("filter")) else None
    receiver = party.services.live.receive([kind], party.subjects, namespaces=namespaces,
                                           accept=lambda signal: not party.issued(signal.headers),
                                           receipts=party.receipts)
    _own(party, kind, forward_live(party, receiver, kind, extra_fields=extra_fields, live_filter=live_filter),
         receiver.close)


def _start_announcements(party: Party, params: dict[str, str]) -> None:
    receiver = party.services.live.announcements.receive(
        party.subjects, namespaces=parse_namespaces(params.get("namespaces")), receipts=party.receipts)
    _own(party, "policy-announcements", forward_announcements(party, receiver), receiver.close)


def _own(party: Party, kind: StreamKind, feed: Work, close: Callable[[], None]) -> None:
    """Run `feed` as the stream `kind`; `close` its watch or receiver when it ends."""
    task = party.tasks.start(feed, key=("stream", kind))
    if task is None:
        close()
    else:  # also when it is cancelled before it ever ran
        task.add_done_callback(lambda _task: close())


def _forward_event(party: Party, delivery: Delivery) -> None:
    """Put the event's frame into the session's outbox (bounded: a session that falls behind is closed)."""
    if not party.issued(delivery.event.headers):
        party.outbox.put(delivery.rendered(_FRAME, partial(_frame, delivery)))


async def _events_until_closed(party: Party, watch: Watch) -> None:
    """The events stream's task: the hub hands the deliveries to `_forward_event`, so this only waits for the
    watch to end, and closes the session if the hub cut it off."""
    async for _ in watch:
        pass
    if watch.overflowed:
        party.close(CloseReason.TRY_AGAIN_LATER, WebSocketBufferOverflow("the session fell too far behind its events"))


def _frame(delivery: Delivery) -> str:
    """The event as a Ditto Protocol text frame: the same for every session that sees the same view."""
    envelope = thing_event(delivery.event, value=delivery.value, headers=shown_event_headers(delivery.event.headers),
                           extra=delivery.extra, metadata=delivery.metadata)
    return encode_envelope(envelope).decode()


def _weak_acknowledgements(party: Party, event: ThingEvent) -> None:
    """The party declared labels this event requests but filtered the event out: answer them weakly."""
    weak_acknowledgements(party, event.thing_id, event.headers)
