"""Live signals in a session: messages, live commands and live events, their responses, and the
acknowledgements the session issues. The session is both a sender (routed through the live hub to
receivers on any worker, which answers it) and a receiver (after `START-SEND-MESSAGES|LIVE-COMMANDS|
LIVE-EVENTS`); who may send, receive and answer what is the hub's to say (`twinhub.service.live`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import NamedTuple

import orjson

from twinhub.model import live as model
from twinhub.model.commands import exists
from twinhub.model.errors import (
    AcknowledgementLabelNotDeclared,
    TwinhubError,
    WebSocketBufferOverflow,
    WebSocketMessageInvalid,
)
from twinhub.model.fields import FieldSelector
from twinhub.model.headers import live_requested_acks, parse_requested_acks
from twinhub.model.pointer import format_pointer
from twinhub.model.types import MISSING, JsonObject, JsonValue, Missing
from twinhub.protocol import (
    Envelope,
    Message,
    ModifyThing,
    RetrieveThing,
    SignalHeaders,
    ack_from_envelope,
    acks_envelope,
    header_text,
    header_texts,
    message_envelope,
    message_from_envelope,
    message_response,
    payload_from_bytes,
    payload_to_bytes,
    reply_headers,
    signal_headers,
    thing_command,
    thing_event_from_envelope,
    thing_response,
    thing_response_from_envelope,
    thing_topic,
)
from twinhub.rql import Node
from twinhub.service.event_headers import ORIGIN_HEADER
from twinhub.service.event_views import readable_extra
from twinhub.service.live import LiveReceiver, Unanswered, new_correlation_id
from twinhub.service.live_acks import Send, aggregates, collect_live_acks
from twinhub.service.live_filter import passes_live_filter
from twinhub.service.session.outbox import CloseReason
from twinhub.service.session.party import Party

__all__ = ["acknowledgement", "forward_live", "live_signal", "weak_acknowledgements"]


def _with_originator(party: Party, headers: Mapping[str, JsonValue]) -> dict[str, str]:
    return {**header_texts(headers), "ditto-originator": party.auth.default_subject, ORIGIN_HEADER: party.id}


# -- sending -----------------------------------------------------------------------------------------


async def live_signal(party: Party, envelope: Envelope) -> None:
    topic = envelope.topic
    if topic.criterion == "messages":
        message = message_from_envelope(envelope)
        if message.status is not None:
            await _respond(party, message.headers, message.status, message.payload, message.content_type)
        else:
            await _send_message(party, envelope, message)
    elif topic.criterion == "commands":
        if envelope.status is not None:
            response = thing_response_from_envelope(envelope)
            content = header_text(envelope.headers, "content-type") or "application/json"
            await _respond(party, envelope.headers, response.status, response.value, content)
        else:
            await _send_command(party, envelope)
    elif topic.criterion == "events":
        event = thing_event_from_envelope(envelope)
        await party.services.live.publish_event(model.LiveEvent(
            event.thing_id, event.action, event.path, event.value, _with_originator(party, envelope.headers),
            event.revision, event.timestamp), party.subjects)
    else:
        raise WebSocketMessageInvalid(f"Messages with the topic <{topic}> cannot be sent to twinhub.")


async def _respond(party: Party, headers: Mapping[str, JsonValue], status: int, payload: JsonValue | Missing,
                   content_type: str | None) -> None:
    correlation_id = header_text(headers, "correlation-id")
    if not correlation_id:
        return  # an answer to nothing: nobody can wait for it
    # Dropped unless this party received what it answers (Ditto sends the responder no error either).
    await party.services.live.respond(model.LiveResponse(
        correlation_id, status, payload_to_bytes(payload, content_type), content_type, header_texts(headers)),
        party.receipts)


class _Aggregation(NamedTuple):
    """The acknowledgements a live signal's answer aggregates: their labels, and the correlation-id it was sent
    with."""

    labels: tuple[str, ...]
    correlation_id: str


def _outgoing_headers(party: Party, envelope: Envelope,
                      steering: SignalHeaders) -> tuple[dict[str, str], _Aggregation | None]:
    """The headers a live message or command is sent with (the party as its originator, the acknowledgements it
    requests as Ditto's live ack request setters set them: `live_requested_acks`) and, when those are aggregated
    into the answer, their labels and the correlation-id they are collected by (the sender's, else a new one, set
    in the headers)."""
    headers = _with_originator(party, envelope.headers)
    labels = _requested_acks(envelope, steering)
    if labels:
        headers["requested-acks"] = orjson.dumps(labels).decode()
    else:
        headers.pop("requested-acks", None)
    if not (steering.response_required and aggregates(labels)):
        return headers, None
    headers["correlation-id"] = correlation_id = steering.correlation_id or new_correlation_id()
    return headers, _Aggregation(labels, correlation_id)


def _requested_acks(envelope: Envelope, steering: SignalHeaders) -> tuple[str, ...]:
    requested = steering.requested_acks if "requested-acks" in envelope.headers else None
    return live_requested_acks(requested, response_required=steering.response_required)


async def _send_message(party: Party, envelope: Envelope, message: Message) -> None:
    steering = signal_headers(envelope.headers)
    headers, aggregation = _outgoing_headers(party, envelope, steering)
    live_message = model.LiveMessage(
        message.thing_id, message.subject, message.direction, message.feature_id,
        payload_to_bytes(message.payload, message.content_type), message.content_type, headers)
    if aggregation is not None:
        await _send_aggregated(party, envelope, steering, message.thing_id, aggregation,
                               lambda timeout: party.services.live.send_message(live_message, party.subjects,
                                                                                timeout=timeout))
        return
    response = await party.services.live.send_message(live_message, party.subjects, timeout=steering.timeout)
    if steering.response_required:
        answer = _answer(response, steering.timeout, "message")
        party.send(message_response(message, answer.status, _payload(answer), content_type=answer.content_type))


async def _send_command(party: Party, envelope: Envelope) -> None:
    signal = thing_command(envelope)
    steering = signal_headers(envelope.headers)
    headers, aggregation = _outgoing_headers(party, envelope, steering)
    if isinstance(signal, RetrieveThing):
        command = model.LiveCommand(signal.thing_id, "retrieve", signal.path, headers=headers)
    elif isinstance(signal, ModifyThing):
        action = envelope.topic.action or "modify"
        value = MISSING if signal.command.action == "delete" else signal.command.value
        command = model.LiveCommand(signal.command.thing_id, action, signal.command.path, value,  # type: ignore[arg-type]
                                    headers)
    else:
        raise WebSocketMessageInvalid("Retrieving several things is not possible on the live channel.")
    if aggregation is not None:
        await _send_aggregated(party, envelope, steering, command.thing_id, aggregation,
                               lambda timeout: party.services.live.send_command(command, party.subjects,
                                                                                timeout=timeout))
        return
    response = await party.services.live.send_command(command, party.subjects, timeout=steering.timeout)
    if steering.response_required:
        answer = _answer(response, steering.timeout, "live command")
        party.send(thing_response(envelope, answer.status, _payload(answer),
                                  headers=reply_headers(envelope.headers, content=answer.content_type)))


async def _send_aggregated(party: Party, envelope: Envelope, steering: SignalHeaders, thing_id: str,
                           aggregation: _Aggregation, send: Send) -> None:
    """Send a live signal that requested acknowledgements and answer with their aggregation."""
    acks = await collect_live_acks(party.services.live, aggregation.labels, send, thing_id=thing_id,
                                   correlation_id=aggregation.correlation_id, timeout=steering.timeout)
    headers = reply_headers(envelope.headers)
    headers["correlation-id"] = aggregation.correlation_id
    party.send(acks_envelope(thing_id, acks, headers=headers, channel="live"))


def _answer(response: model.LiveResponse | Unanswered, timeout: float, what: str) -> model.LiveResponse:
    """The response a sender waited for; raises Ditto's 408 when none came."""
    if isinstance(response, Unanswered):
        raise response.error(timeout, what)
    return response


def _payload(response: model.LiveResponse) -> JsonValue | Missing:
    return payload_from_bytes(response.payload, response.content_type) if response.payload else MISSING


async def acknowledgement(party: Party, envelope: Envelope) -> None:
    """A custom acknowledgement the party issues for an event it received (its label declared); one for
    anything else is dropped, as Ditto drops acknowledgements nobody waits for."""
    ack = ack_from_envelope(envelope)
    if party.declaration is None:
        raise AcknowledgementLabelNotDeclared(ack.label)
    await party.declaration.acknowledge(ack)


# -- receiving ---------------------------------------------------------------------------------------


async def forward_live(party: Party, receiver: LiveReceiver, kind: model.LiveKind, *,
                       extra_fields: FieldSelector | None = None, live_filter: Node | None = None) -> None:
    """Send the party what `receiver` gets, until it ends, with the `extra_fields` of the thing it may READ (as
    Ditto enriches every signal of a session that asked for extra fields) and if it passes `live_filter` (else
    the labels the party declared are acknowledged weakly, as Ditto's WebSocketRoute does); a receiver cut off
    for falling behind closes the session."""
    async for signal in receiver:
        extra = None if extra_fields is None else await _extra(party, signal.thing_id, extra_fields)
        if live_filter is not None and not passes_live_filter(live_filter, signal, extra, datetime.now(UTC)):
            weak_acknowledgements(party, signal.thing_id, signal.headers)
            continue
        envelope = _envelope_of(signal)
        if extra is not None:
            envelope = dataclasses.replace(envelope, extra=extra)
        party.send(envelope)
    if receiver.overflowed:
        party.close(CloseReason.TRY_AGAIN_LATER,
                    WebSocketBufferOverflow(f"the session fell too far behind its {kind}"))


def weak_acknowledgements(party: Party, entity_id: str, headers: Mapping[str, str]) -> None:
    """The party declared labels a signal requests but does not get it (filtered out): answer them weakly (200
    with `ditto-weak-ack`), so that the sender need not wait for its timeout."""
    declaration = party.declaration
    correlation_id = headers.get("correlation-id")
    if declaration is None or not correlation_id or not (requested := headers.get("requested-acks")):
        return
    try:
        labels = parse_requested_acks(requested)
    except TwinhubError:  # checked when it was sent: nothing a receiver could answer
        return
    for label in labels:
        if label in party.declared_acks:
            ack = model.Acknowledgement(label, entity_id, correlation_id, 200, {"correlation-id": correlation_id},
                                        weak=True)
            party.tasks.start(declaration.acknowledge_skipped(ack))


async def _extra(party: Party, thing_id: str, selector: FieldSelector) -> JsonObject | None:
    """The thing's extra fields the party may READ; None when the thing is gone (no extra then)."""
    things = party.services.things
    thing = await things.current(thing_id)
    if thing is None or not exists(thing) or (enforcer := await things.enforcer(thing)) is None:
        return None
    return readable_extra(thing, enforcer, party.subjects, selector)


def _envelope_of(signal: model.LiveSignal) -> Envelope:
    if isinstance(signal, model.LiveMessage):
        payload = payload_from_bytes(signal.payload, signal.content_type) if signal.payload else MISSING
        return message_envelope(Message(signal.thing_id, signal.subject, signal.direction, signal.feature_id,
                                        payload, signal.content_type, _shown(signal.headers)))
    if isinstance(signal, model.LiveCommand):
        topic = thing_topic(signal.thing_id, "commands", signal.action, channel="live")
        return Envelope(topic, _shown(signal.headers), format_pointer(signal.path), signal.value)
    topic = thing_topic(signal.thing_id, "events", signal.action, channel="live")
    return Envelope(topic, _shown(signal.headers), format_pointer(signal.path), signal.value, revision=signal.revision,
                    timestamp=signal.timestamp)


def _shown(headers: Mapping[str, str]) -> dict[str, JsonValue]:
    """A signal's headers as receivers see them: without the id of the session that sent it."""
    return {name: value for name, value in headers.items() if name != ORIGIN_HEADER}
