"""Ditto Protocol messages a WebSocket client sends, routed by their topic to what answers them."""

from __future__ import annotations

import logging

from twinhub.api.websocket import live, searching, twin
from twinhub.api.websocket.session import Session
from twinhub.model.errors import TwinhubError
from twinhub.model.types import JsonValue
from twinhub.protocol import Envelope, Topic, error_envelope, parse_envelope

log = logging.getLogger(__name__)


def reply_error(session: Session, error: TwinhubError, request: Envelope | None) -> None:
    """The error as Ditto Protocol, on the request's topic and with its correlation-id when known."""
    headers: dict[str, JsonValue] = {}
    if request is not None and (correlation_id := request.headers.get("correlation-id")) is not None:
        headers["correlation-id"] = correlation_id
    session.send_envelope(error_envelope(error, topic=request.topic if request else None, headers=headers))


async def dispatch(session: Session, text: str) -> None:
    try:
        envelope = parse_envelope(text)
    except TwinhubError as error:  # a ProtocolError knows the topic and headers it could read
        session.send_envelope(error_envelope(error))
        return
    try:
        await route(session, envelope)
    except TwinhubError as error:
        reply_error(session, error, envelope)


async def route(session: Session, envelope: Envelope) -> None:
    topic = envelope.topic
    if topic.group == "policies" and topic.criterion == "commands":
        await twin.policy_command(session, envelope)
    elif topic.group != "things":
        raise _unsupported(topic)
    elif topic.criterion == "search":
        await searching.search_signal(session, envelope)
    elif topic.criterion == "streaming":
        await searching.history_signal(session, envelope)
    elif topic.criterion == "acks":
        await live.acknowledgement(session, envelope)
    elif topic.channel == "live":
        await live.live_signal(session, envelope)
    elif topic.criterion == "commands":
        await twin.thing_command(session, envelope)
    else:
        raise _unsupported(topic)


def _unsupported(topic: Topic) -> TwinhubError:
    from twinhub.model.errors import WebSocketMessageInvalid

    return WebSocketMessageInvalid(f"Messages with the topic <{topic}> cannot be sent to twinhub.")
