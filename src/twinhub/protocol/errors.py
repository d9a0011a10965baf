"""Errors as Ditto Protocol messages: `{topic: ns/name/things/twin/errors, path: "/", status, value: error JSON}`.

The error topic keeps the request's entity and channel (`ns/name/things/live/errors`, `ns/name/policies/errors`);
when the request's topic did not parse, Ditto answers for its fallback thing `unknown:unknown`
(`unknown/unknown/things/twin/errors`, or `.../policies/errors` for a policy error).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from twinhub.model.errors import TwinhubError
from twinhub.model.types import JsonValue
from twinhub.protocol._failure import ProtocolError
from twinhub.protocol._values import error_json
from twinhub.protocol.envelope import Envelope
from twinhub.protocol.headers import reply_headers
from twinhub.protocol.topic import Topic

__all__ = ["UNKNOWN", "ProtocolError", "error_envelope", "error_topic"]

# Ditto's fallback entity for errors that name none (AbstractErrorResponse.FALLBACK_ID = "unknown:unknown").
UNKNOWN: Final = "unknown"


def error_topic(topic: Topic | None, error: TwinhubError) -> Topic:
    """The topic of the error reply to a message with `topic` (None: it did not parse)."""
    if topic is None:
        if error.code.startswith("policies:"):
            return Topic(UNKNOWN, UNKNOWN, "policies", None, "errors", None)
        return Topic(UNKNOWN, UNKNOWN, "things", "twin", "errors", None)
    if topic.group == "things":
        return Topic(topic.namespace, topic.name, "things", topic.channel or "twin", "errors", None)
    return Topic(topic.namespace, topic.name, topic.group, None, "errors", None)


def error_envelope(error: TwinhubError, *, topic: Topic | None = None,
                   headers: Mapping[str, JsonValue] | None = None) -> Envelope:
    """The Ditto Protocol error reply for `error`: status = error.status, value = the error JSON, the request's
    correlation-id echoed. `topic` and `headers` are the request's; for a `ProtocolError` they default to
    what it carries."""
    if isinstance(error, ProtocolError):
        topic = error.topic if topic is None else topic
        headers = error.headers if headers is None else headers
    return Envelope(
        topic=error_topic(topic, error),
        headers=reply_headers(headers or {}),
        path="/",
        value=error_json(error),
        status=error.status,
    )
