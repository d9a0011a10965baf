"""The wire form of live signals, for signal buses that leave the process: one JSON line, then the raw
payload bytes of a message or response (nothing for the other kinds), so binary payloads cost no base64:

    {"kind": "message", "thingId": "org.example:lamp", "subject": "ask/question", "direction": "inbox",
     "headers": {"correlation-id": "c-1"}, "contentType": "text/plain"}\\n<payload bytes>

`kind` is one of `message`, `command`, `event`, `response`, `ack`, `labels`, `announcement`; optional fields are
left out when absent (`featureId`, `contentType`, `value`, `payload`, `revision`, `timestamp`, `requestId`,
`party`, `issuer`), JSON `null` is a value. Unknown fields are ignored, so a newer worker may add fields during a
rolling upgrade.

Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, Literal, TypeVar, get_args

import orjson

from twinhub.model.errors import TwinhubError
from twinhub.model.live import (
    Acknowledgement,
    Direction,
    LabelAnnouncement,
    LiveAction,
    LiveCommand,
    LiveEvent,
    LiveEventAction,
    LiveMessage,
    LiveResponse,
    Signal,
    SubjectDeletion,
)
from twinhub.model.types import MISSING, JsonObject, JsonValue, Missing, Pointer

__all__ = ["SignalKind", "decode_signal", "encode_signal", "signal_kind"]

SignalKind = Literal["message", "command", "event", "response", "ack", "labels", "announcement"]

_SEPARATOR: Final = b"\n"  # JSON as orjson writes it never holds a raw newline
_LIVE_ACTIONS: Final[dict[str, LiveAction]] = {action: action for action in get_args(LiveAction)}
_EVENT_ACTIONS: Final[dict[str, LiveEventAction]] = {action: action for action in get_args(LiveEventAction)}
_DIRECTIONS: Final[dict[str, Direction]] = {direction: direction for direction in get_args(Direction)}
_Literal = TypeVar("_Literal", LiveAction, LiveEventAction, Direction)


def signal_kind(signal: Signal) -> SignalKind:
    if isinstance(signal, LiveMessage):
        return "message"
    if isinstance(signal, LiveCommand):
        return "command"
    if isinstance(signal, LiveEvent):
        return "event"
    if isinstance(signal, LiveResponse):
        return "response"
    if isinstance(signal, LabelAnnouncement):
        return "labels"
    if isinstance(signal, SubjectDeletion):
        return "announcement"
    return "ack"


def encode_signal(signal: Signal) -> bytes:
    """The signal as bytes. Raises ValueError when a value in it is not JSON."""
    payload = b""
    body: JsonObject
    if isinstance(signal, LiveMessage):
        body = {"kind": "message", "thingId": signal.thing_id, "subject": signal.subject,
                "direction": signal.direction, "headers": dict(signal.headers), "claim": signal.claim}
        _put(body, "featureId", signal.feature_id)
        _put(body, "contentType", signal.content_type)
        _put(body, "requestId", signal.request_id)
        payload = signal.payload
    elif isinstance(signal, LiveResponse):
        body = {"kind": "response", "correlationId": signal.correlation_id, "status": signal.status,
                "headers": dict(signal.headers)}
        _put(body, "contentType", signal.content_type)
        _put(body, "requestId", signal.request_id)
        _put(body, "party", signal.party)
        payload = signal.payload
    elif isinstance(signal, LiveCommand):
        body = {"kind": "command", "thingId": signal.thing_id, "action": signal.action, "path": list(signal.path),
                "headers": dict(signal.headers)}
        _put_value(body, "value", signal.value)
        _put(body, "requestId", signal.request_id)
    elif isinstance(signal, LiveEvent):
        body = {"kind": "event", "thingId": signal.thing_id, "action": signal.action, "path": list(signal.path),
                "headers": dict(signal.headers)}
        _put_value(body, "value", signal.value)
        _put(body, "revision", signal.revision)
        _put(body, "timestamp", signal.timestamp)
    elif isinstance(signal, LabelAnnouncement):
        body = {"kind": "labels", "subject": signal.subject, "labels": list(signal.labels), "since": signal.since}
    elif isinstance(signal, SubjectDeletion):
        body = {"kind": "announcement", "policyId": signal.policy_id, "subjectIds": list(signal.subject_ids),
                "deleteAt": signal.delete_at, "headers": dict(signal.headers)}
    else:
        body = {"kind": "ack", "label": signal.label, "entityId": signal.entity_id,
                "correlationId": signal.correlation_id, "status": signal.status, "headers": dict(signal.headers),
                "weak": signal.weak}
        _put_value(body, "payload", signal.payload)
        _put(body, "issuer", signal.issuer)
    try:
        return orjson.dumps(body) + _SEPARATOR + payload
    except orjson.JSONEncodeError as exc:
        raise ValueError(f"the {body['kind']} signal is not JSON: {exc}") from exc


def decode_signal(data: bytes) -> Signal:
    """The signal `encode_signal` wrote. Raises ValueError for anything else."""
    head, separator, payload = data.partition(_SEPARATOR)
    if not separator:
        raise ValueError("a signal starts with a JSON line")
    try:
        body = orjson.loads(head)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"a signal must start with JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise ValueError("a signal must start with a JSON object")
    kind = body.get("kind")
    decoder = _DECODERS.get(kind) if isinstance(kind, str) else None
    if decoder is None:
        raise ValueError(f"unknown signal kind {kind!r}")
    try:
        return decoder(body, payload)
    except KeyError as exc:
        raise ValueError(f"a {kind} signal lacks {exc.args[0]}") from None
    except TwinhubError as exc:  # a value the model refuses, e.g. an invalid subject or label
        raise ValueError(exc.message) from exc


def _decode_message(body: JsonObject, payload: bytes) -> LiveMessage:
    return LiveMessage(
        thing_id=_string(body, "thingId"),
        subject=_string(body, "subject"),
        direction=_literal(body, "direction", _DIRECTIONS),
        feature_id=_optional_string(body, "featureId"),
        payload=payload,
        content_type=_optional_string(body, "contentType"),
        headers=_headers(body),
        claim=body.get("claim") is True,
        request_id=_optional_string(body, "requestId"),
    )


def _decode_response(body: JsonObject, payload: bytes) -> LiveResponse:
    return LiveResponse(
        correlation_id=_string(body, "correlationId"),
        status=_integer(body, "status"),
        payload=payload,
        content_type=_optional_string(body, "contentType"),
        headers=_headers(body),
        request_id=_optional_string(body, "requestId"),
        party=_optional_string(body, "party"),
    )


def _decode_command(body: JsonObject, payload: bytes) -> LiveCommand:
    return LiveCommand(
        thing_id=_string(body, "thingId"),
        action=_literal(body, "action", _LIVE_ACTIONS),
        path=_path(body),
        value=body.get("value", MISSING),
        headers=_headers(body),
        request_id=_optional_string(body, "requestId"),
    )


def _decode_event(body: JsonObject, payload: bytes) -> LiveEvent:
    revision = body.get("revision")
    return LiveEvent(
        thing_id=_string(body, "thingId"),
        action=_literal(body, "action", _EVENT_ACTIONS),
        path=_path(body),
        value=body.get("value", MISSING),
        headers=_headers(body),
        revision=None if revision is None else _integer(body, "revision"),
        timestamp=_optional_string(body, "timestamp"),
    )


def _decode_ack(body: JsonObject, payload: bytes) -> Acknowledgement:
    return Acknowledgement(
        label=_string(body, "label"),
        entity_id=_string(body, "entityId"),
        correlation_id=_string(body, "correlationId"),
        status=_integer(body, "status"),
        headers=_headers(body),
        payload=body.get("payload", MISSING),
        weak=body.get("weak") is True,
        issuer=_optional_string(body, "issuer"),
    )


def _decode_labels(body: JsonObject, payload: bytes) -> LabelAnnouncement:
    labels = body["labels"]
    since = body["since"]
    if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
        raise ValueError(f"the signal's labels must be a list of strings, not {labels!r}")
    if isinstance(since, bool) or not isinstance(since, int | float):
        raise ValueError(f"the signal's since must be a number, not {since!r}")
    return LabelAnnouncement(_string(body, "subject"), tuple(label for label in labels if isinstance(label, str)),
                             float(since))


def _decode_announcement(body: JsonObject, payload: bytes) -> SubjectDeletion:
    subject_ids = body["subjectIds"]
    if not isinstance(subject_ids, list) or not all(isinstance(subject, str) for subject in subject_ids):
        raise ValueError(f"the signal's subjectIds must be a list of strings, not {subject_ids!r}")
    return SubjectDeletion(_string(body, "policyId"), tuple(str(subject) for subject in subject_ids),
                           _string(body, "deleteAt"), _headers(body))


_DECODERS: Final[dict[str, Callable[[JsonObject, bytes], Signal]]] = {
    "message": _decode_message,
    "response": _decode_response,
    "command": _decode_command,
    "event": _decode_event,
    "ack": _decode_ack,
    "labels": _decode_labels,
    "announcement": _decode_announcement,
}


def _put(body: JsonObject, name: str, value: str | int | None) -> None:
    if value is not None:
        body[name] = value


def _put_value(body: JsonObject, name: str, value: JsonValue | Missing) -> None:
    if value is not MISSING:
        body[name] = value


def _string(body: JsonObject, name: str) -> str:
    value = body[name]
    if not isinstance(value, str):
        raise ValueError(f"the signal's {name} must be a string, not {value!r}")
    return value


def _optional_string(body: JsonObject, name: str) -> str | None:
    return None if body.get(name) is None else _string(body, name)


def _integer(body: JsonObject, name: str) -> int:
    value = body[name]
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"the signal's {name} must be an integer, not {value!r}")
    return value


def _literal(body: JsonObject, name: str, known: dict[str, _Literal]) -> _Literal:
    value = body[name]
    found = known.get(value) if isinstance(value, str) else None
    if found is None:
        raise ValueError(f"unknown {name} {value!r}")
    return found


def _path(body: JsonObject) -> Pointer:
    path = body["path"]
    if isinstance(path, list):
        keys = tuple(key for key in path if isinstance(key, str))
        if len(keys) == len(path):
            return keys
    raise ValueError(f"the signal's path must be a list of strings, not {path!r}")


def _headers(body: JsonObject) -> dict[str, str]:
    headers = body.get("headers", {})
    if isinstance(headers, dict) and all(isinstance(value, str) for value in headers.values()):
        return {key: str(value) for key, value in headers.items()}
    raise ValueError(f"the signal's headers must be an object of strings, not {headers!r}")
