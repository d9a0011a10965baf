"""A session's control messages: plain text beside the Ditto Protocol JSON on Ditto's WebSocket, e.g.

    START-SEND-EVENTS?namespaces=org.example&filter=gt(attributes/counter,42)&extraFields=attributes
    STOP-SEND-MESSAGES
    JWT-TOKEN?jwtToken=eyJ...

Each START-/STOP- message is answered with `<NAME>:ACK` once it took effect. Transports without control
messages (connections) give their sessions the same `StreamControl`s from their configuration.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal
from urllib.parse import parse_qs

__all__ = ["STREAMS", "Control", "StreamControl", "StreamKind", "TokenRefresh", "is_control", "parse_control"]

StreamKind = Literal["events", "messages", "live-commands", "live-events", "policy-announcements"]

STREAMS: Final[dict[str, StreamKind]] = {
    "EVENTS": "events",
    "MESSAGES": "messages",
    "LIVE-COMMANDS": "live-commands",
    "LIVE-EVENTS": "live-events",
    "POLICY-ANNOUNCEMENTS": "policy-announcements",
}
JWT_TOKEN: Final = "JWT-TOKEN"


@dataclass(frozen=True, slots=True)
class StreamControl:
    """START-SEND-<stream> (start=True) or STOP-SEND-<stream>, with its query parameters."""

    name: str  # the message's name as sent, e.g. "START-SEND-EVENTS": the ack repeats it
    start: bool
    stream: StreamKind
    params: dict[str, str]

    @property
    def ack(self) -> str:
        return f"{self.name}:ACK"


@dataclass(frozen=True, slots=True)
class TokenRefresh:
    token: str


Control = StreamControl | TokenRefresh


def is_control(text: str) -> bool:
    """Control messages are the frames that are not JSON objects."""
    return not text.lstrip().startswith("{")


def parse_control(text: str) -> Control | None:
    """The control message in `text`, or None when it is none that Ditto knows."""
    name, _, query = text.strip().partition("?")
    params = {key: values[-1] for key, values in parse_qs(query, keep_blank_values=True).items()}
    if name == JWT_TOKEN:
        token = params.get("jwtToken", "")
        return TokenRefresh(token) if token else None
    for prefix, start in (("START-SEND-", True), ("STOP-SEND-", False)):
        if name.startswith(prefix) and (stream := STREAMS.get(name[len(prefix):])) is not None:
            return StreamControl(name, start, stream, params)
    return None
