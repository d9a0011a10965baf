"""Live signals over the WebSocket: messages, live commands and events, their responses, and the
acknowledgements a session issues. The session is both a sender (routed through the LiveHub to
receivers on any worker) and a receiver (after `START-SEND-MESSAGES|LIVE-COMMANDS|LIVE-EVENTS`)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from typing import Any

from twinhub.api.views import ORIGIN_HEADER
from twinhub.api.websocket.control import StreamKind
from twinhub.api.websocket.session import CLOSE_TRY_AGAIN_LATER, Session
from twinhub.model import live as model
from twinhub.model.errors import (
    AcknowledgementLabelNotDeclared,
    WebSocketMessageInvalid,
)
from twinhub.model.pointer import format_pointer
from twinhub.model.types import MISSING, JsonValue, Missing
from twinhub.protocol import (
    Envelope,
    Message,
    ack_from_envelope,
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
)
from twinhub.protocol.things import ModifyThing, RetrieveThing, thing_topic
from twinhub.protocol.topic import Topic
from twinhub.service.live import Unanswered
from twinhub.service.streaming import parse_namespaces

_LIVE_KINDS: dict[StreamKind, model.LiveKind] = {
    "messages": "messages", "live-commands": "live-commands", "live-events": "live-events"}


def _with_originator(session: Session, headers: Mapping[str, JsonValue]) -> dict[str, str]:
    return {**header_texts(headers), "ditto-originator": session.auth.default_subject, ORIGIN_HEADER: session.id}


# -- sending -----------------------------------------------------------------------------------------


async def live_signal(session: Session, envelope: Envelope) -> None:
    topic = envelope.topic
    if topic.criterion == "messages":
        message = message_from_envelope(envelope)
        if message.status is not None:
            await _respond(session, message.headers, message.status, message.payload, message.content_type)
        else:
            await _send_message(session, envelope, message)
    elif topic.criterion == "commands":
        if envelope.status is not None:
            response = thing_response_from_envelope(envelope)
            content = header_text(envelope.headers, "content-type") or "application/json"
            await _respond(session, envelope.headers, response.status, response.value, content)
        else:
            await _send_command(session, envelope)
    elif topic.criterion == "events":
        event = thing_event_from_envelope(envelope)
        await session.ctx.live.publish_event(model.LiveEvent(
            event.thing_id, event.action, event.path, event.value, _with_originator(session, envelope.headers),
            event.revision, event.timestamp), session.subjects)
    else:
        raise WebSocketMessageInvalid(f"Messages with the topic <{topic}> cannot be sent to twinhub.")


async def _respond(session: Session, headers: Mapping[str, JsonValue], status: int, payload: JsonValue | Missing,
                   content_type: str | None) -> None:
    correlation_id = header_text(headers, "correlation-id")
    if not correlation_id:
        return  # an answer to nothing: nobody can wait for it
    # Dropped unless this session received what it answers (Ditto sends the responder no error either).
    await session.ctx.live.respond(model.LiveResponse(
        correlation_id, status, payload_to_bytes(payload, content_type), content_type, header_texts(headers)),
        session.receipts)


async def _send_message(session: Session, envelope: Envelope, message: Message) -> None:
    steering = signal_headers(envelope.headers)
    live_message = model.LiveMessage(
        message.thing_id, message.subject, message.direction, message.feature_id,
        payload_to_bytes(message.payload, message.content_type), message.content_type,
        _with_originator(session, envelope.headers))
    response = await session.ctx.live.send_message(live_message, session.subjects, timeout=steering.timeout)
    if not steering.response_required:
        return
    if isinstance(response, Unanswered):
        raise response.error(steering.timeout, "message")
    payload = payload_from_bytes(response.payload, response.content_type) if response.payload else MISSING
    session.send_envelope(message_response(message, response.status, payload, content_type=response.content_type))


async def _send_command(session: Session, envelope: Envelope) -> None:
    signal = thing_command(envelope)
    steering = signal_headers(envelope.headers)
    if isinstance(signal, RetrieveThing):
        command = model.LiveCommand(signal.thing_id, "retrieve", signal.path,
                                    headers=_with_originator(session, envelope.headers))
    elif isinstance(signal, ModifyThing):
        action = envelope.topic.action or "modify"
        value = MISSING if signal.command.action == "delete" else signal.command.value
        command = model.LiveCommand(signal.command.thing_id, action, signal.command.path, value,  # type: ignore[arg-type]
                                    _with_originator(session, envelope.headers))
    else:
        raise WebSocketMessageInvalid("Retrieving several things is not possible on the live channel.")
    response = await session.ctx.live.send_command(command, session.subjects, timeout=steering.timeout)
    if not steering.response_required:
        return
    if isinstance(response, Unanswered):
        raise response.error(steering.timeout, "live command")
    payload = payload_from_bytes(response.payload, response.content_type) if response.payload else MISSING
    session.send_envelope(thing_response(envelope, response.status, payload,
                                         headers=reply_headers(envelope.headers, content=response.content_type)))


async def acknowledgement(session: Session, envelope: Envelope) -> None:
    """A custom acknowledgement the session issues for an event it received (its label declared); one for
    anything else is dropped, as Ditto drops acknowledgements nobody waits for."""
    ack = ack_from_envelope(envelope)
    if session.declaration is None:
        raise AcknowledgementLabelNotDeclared(ack.label)
    await session.declaration.acknowledge(ack)


# -- receiving ---------------------------------------------------------------------------------------


def live_feed(session: Session, kind: StreamKind, params: dict[str, str]) -> Callable[[], Coroutine[Any, Any, None]]:
    namespaces = parse_namespaces(params.get("namespaces"))

    async def feed() -> None:
        receiver = session.ctx.live.receive([_LIVE_KINDS[kind]], session.subjects, namespaces=namespaces,
                                            accept=lambda signal: not session.issued(signal.headers),
                                            receipts=session.receipts)
        try:
            async for signal in receiver:
                session.send_envelope(_envelope_of(signal))
        finally:
            receiver.close()
        if receiver.overflowed:
            session.close(CLOSE_TRY_AGAIN_LATER,
                          f"twinhub:websocket.buffer.overflow: the session fell too far behind its {kind}")

    return feed


def _envelope_of(signal: model.LiveSignal) -> Envelope:
    if isinstance(signal, model.LiveMessage):
        payload = payload_from_bytes(signal.payload, signal.content_type) if signal.payload else MISSING
        headers: dict[str, JsonValue] = _shown(signal.headers)
        return message_envelope(Message(signal.thing_id, signal.subject, signal.direction, signal.feature_id,
                                        payload, signal.content_type, headers))
    namespace, name = signal.thing_id.split(":", 1)
    if isinstance(signal, model.LiveCommand):
        topic = Topic(namespace, name, "things", "live", "commands", signal.action)
        return Envelope(topic, _shown(signal.headers), format_pointer(signal.path), signal.value)
    topic = thing_topic(signal.thing_id, "events", signal.action, channel="live")
    return Envelope(topic, _shown(signal.headers), format_pointer(signal.path), signal.value, revision=signal.revision,
                    timestamp=signal.timestamp)


def _shown(headers: Mapping[str, str]) -> dict[str, JsonValue]:
    """A signal's headers as receivers see them: without the id of the session that sent it."""
    return {name: value for name, value in headers.items() if name != ORIGIN_HEADER}
