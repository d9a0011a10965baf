"""`ProtocolError`: a TwinhubError raised while reading a Ditto Protocol message, with what is needed to answer."""

from __future__ import annotations

from twinhub.model.errors import ErrorBody, TwinhubError
from twinhub.model.types import JsonValue
from twinhub.protocol.topic import Topic

__all__ = ["ProtocolError"]


class ProtocolError(TwinhubError):
    """`error` (same code, status, message) plus the message's `topic` (None if it did not parse) and its
    normalised `headers` ({} if they did not parse), so that the error reply can use them."""

    def __init__(self, error: TwinhubError, *, topic: Topic | None, headers: dict[str, JsonValue]) -> None:
        super().__init__(error.code, error.status, error.message, error.description)
        self.error = error
        self.topic = topic
        self.headers = headers

    def to_json(self) -> ErrorBody:
        return self.error.to_json()

    def __repr__(self) -> str:
        return f"ProtocolError({self.error!r}, topic={self.topic!s})"
