"""Errors of the Ditto Protocol (`protocoladapter:` codes) and of WebSocket sessions (`gateway:websocket.*`).

A session that ends itself tells its client why in the close frame, as `<code>: <message>` of one of these.
"""

from __future__ import annotations

from twinhub.model.errors.base import Invalid, Unauthenticated, Unavailable

__all__ = [
    "ProtocolPathInvalid",
    "ProtocolPathUnknown",
    "TopicPathUnknown",
    "WebSocketBufferOverflow",
    "WebSocketMessageInvalid",
    "WebSocketSessionExpired",
    "WebSocketSubjectChanged",
]


class TopicPathUnknown(Invalid):
    """A Ditto Protocol topic that does not parse, or that no signal has (with `path`: not at that path)."""

    def __init__(self, topic: str, description: str = "Check if the topic path is correct.", *,
                 path: str | None = None) -> None:
        message = (f"The topic path '{topic}' is not supported." if path is None
                   else f"The topic '{topic}' is not supported in combination with the path '{path}'")
        super().__init__("protocoladapter:unknown.topicpath", 400, message, description)


class ProtocolPathUnknown(Invalid):
    """A Ditto Protocol `path` that names no resource of the entity."""

    def __init__(self, path: str) -> None:
        super().__init__(
            "protocoladapter:unknown.path",
            400,
            f"The path '{path}' does not correspond to any known command, response or event.",
            "Check if the path is correct.",
        )


class ProtocolPathInvalid(Invalid):
    """A Ditto Protocol `path` that does not fit its topic (e.g. a message path for another subject)."""

    def __init__(self, path: str, description: str = "Check if the path is correct.") -> None:
        super().__init__("protocoladapter:invalid.path", 400, f"The path '{path}' is not valid.", description)


class WebSocketMessageInvalid(Invalid):
    """A WebSocket frame that is neither a known control message nor a Ditto Protocol message."""

    def __init__(self, message: str) -> None:
        super().__init__(
            "gateway:websocket.message.invalid",
            400,
            message,
            "Send Ditto Protocol messages as JSON, or one of the control messages such as 'START-SEND-EVENTS'.",
        )


class WebSocketSubjectChanged(Invalid):
    """`JWT-TOKEN` refreshed the session with a token of another subject: Ditto closes the session."""

    def __init__(self, before: str, after: str) -> None:
        super().__init__(
            "gateway:websocket.session.closed",
            400,
            f"The websocket session was closed because the subject changed from <{before}> to <{after}>.",
            "Open a new websocket session for the new subject.",
        )


class WebSocketSessionExpired(Unauthenticated):
    """The credentials of a WebSocket session (its JWT) expired and no fresh `JWT-TOKEN` came in time."""

    def __init__(self) -> None:
        super().__init__(
            "gateway:websocket.session.expired",
            401,
            "The websocket session expired because its JWT expired.",
            "Send a fresh token with 'JWT-TOKEN?jwtToken=<jwt>' before the current one expires.",
        )


class WebSocketBufferOverflow(Unavailable):
    """A session cut off because its client fell behind what it was sent (`message` says how far), or the
    server's buffers for slow clients are full; the client may connect again (twinhub's own code)."""

    def __init__(self, message: str) -> None:
        super().__init__("twinhub:websocket.buffer.overflow", 503, message, "Connect again, and read faster.")
