"""What flows on the live channel: messages, live commands and live events between apps and devices,
the responses to them, and acknowledgements. Plain values; the WebSocket renders them as Ditto Protocol.

    LiveMessage      POST .../inbox/messages/<subject>, or a Ditto Protocol message (topic .../live/messages/...)
    LiveCommand      a thing command on the live channel (`channel=live`): a device answers, nothing is persisted
    LiveEvent        an event a device publishes on the live channel
    LiveResponse     the answer to a message or a live command, matched by its correlation-id; the first wins
    Acknowledgement  the answer to a requested acknowledgement label: a subscriber's to a twin command's event,
                     or the commit's own (`twin-persisted`, `search-persisted`); `twinhub.protocol` codes it
    LabelAnnouncement  the acknowledgement labels a subject declared, as workers tell each other

`request_id` (messages, live commands, responses), `party` (responses) and `issuer` (acknowledgements) are
routing data the workers add, never the clients: which waiting sender a response answers, which party's
receipts must vouch for a response another worker got, which subject issued an ack.

Ditto is a router, not a broker: live signals are delivered at most once, to whoever listens right now.
Payloads of messages and responses stay bytes with their content type; JSON values stay JSON.

Pure: no I/O, no clock, no randomness.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Final, Literal

from twinhub.model.errors import (
    AcknowledgementLabelForbidden,
    AcknowledgementLabelInvalid,
    AcknowledgementRequestTimeout,
    MessageSubjectInvalid,
)
from twinhub.model.headers import ACK_LABEL, LIVE_RESPONSE, SEARCH_PERSISTED, TWIN_PERSISTED
from twinhub.model.json import loads
from twinhub.model.types import MISSING, JsonObject, JsonValue, Missing, Pointer

__all__ = [
    "BUILT_IN_LABELS",
    "CLAIM_SUBJECT",
    "PERSISTED_LABELS",
    "Acknowledgement",
    "Direction",
    "LabelAnnouncement",
    "LiveAction",
    "LiveCommand",
    "LiveEvent",
    "LiveEventAction",
    "LiveKind",
    "LiveMessage",
    "LiveResponse",
    "LiveSignal",
    "Signal",
    "SubjectDeletion",
    "aggregate_acknowledgements",
    "kind_of",
    "normalize_subject",
    "parse_declared_acks",
    "persisted",
    "timed_out",
    "with_headers",
]

Direction = Literal["inbox", "outbox"]
# What a receiver subscribes to (the WebSocket's START-SEND-MESSAGES / -LIVE-COMMANDS / -LIVE-EVENTS).
LiveKind = Literal["messages", "live-commands", "live-events"]
LiveAction = Literal["create", "modify", "merge", "retrieve", "delete"]
LiveEventAction = Literal["created", "modified", "merged", "migrated", "deleted"]

CLAIM_SUBJECT: Final = "claim"
# Built-in labels Ditto issues itself; clients may neither declare nor issue them.
BUILT_IN_LABELS: Final = frozenset({TWIN_PERSISTED, SEARCH_PERSISTED, LIVE_RESPONSE})
# Built-in labels a committed twin write answers itself: the journal and the search index are one transaction.
PERSISTED_LABELS: Final = frozenset({TWIN_PERSISTED, SEARCH_PERSISTED})

# An RFC 3986 path: unreserved, percent-encoded, sub-delims, ":", "@" and "/".
_SUBJECT = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})+")


def _no_headers() -> dict[str, str]:
    return {}


def normalize_subject(subject: str) -> str:
    """The subject without a leading `/`; raises 400 `messages:subject.invalid` unless it is a non-empty
    RFC 3986 path (`ask/question` is one subject)."""
    normalized = subject[1:] if subject.startswith("/") else subject
    if not normalized or not _SUBJECT.fullmatch(normalized):
        raise MessageSubjectInvalid(subject)
    return normalized


@dataclass(frozen=True, slots=True)
class LiveMessage:
    """A message to (`inbox`) or from (`outbox`) a thing or one of its features.

    `headers` are the Ditto headers it travels with (correlation-id, timeout, response-required,
    ditto-originator, ...). A claim message (`claim=True`) is always `/inbox/messages/claim` of the thing:
    sending it needs no permission and every message receiver gets it.
    """

    thing_id: str
    subject: str
    direction: Direction = "inbox"
    feature_id: str | None = None
    payload: bytes = b""
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=_no_headers)
    claim: bool = False
    request_id: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.direction not in ("inbox", "outbox"):
            raise ValueError(f"a message goes to an inbox or an outbox, not {self.direction!r}")
        if normalize_subject(self.subject) != self.subject:
            raise MessageSubjectInvalid(self.subject)
        if self.claim and (self.direction != "inbox" or self.feature_id is not None or self.subject != CLAIM_SUBJECT):
            raise ValueError("a claim message goes to the thing's inbox with the subject 'claim'")

    @property
    def path(self) -> Pointer:
        """`/[features/<id>/]<inbox|outbox>/messages/<subject...>`: also its `message:` resource."""
        feature: Pointer = ("features", self.feature_id) if self.feature_id is not None else ()
        return (*feature, self.direction, "messages", *self.subject.split("/"))

    @property
    def correlation_id(self) -> str | None:
        return self.headers.get("correlation-id")


@dataclass(frozen=True, slots=True)
class LiveCommand:
    """A thing command sent on the live channel: `action` on `path` (Ditto Protocol's shape).

    `value` is the new value of create/modify, the patch of merge, MISSING for retrieve and delete.
    """

    thing_id: str
    action: LiveAction
    path: Pointer = ()
    value: JsonValue | Missing = MISSING
    headers: dict[str, str] = field(default_factory=_no_headers)
    request_id: str | None = field(default=None, compare=False)

    @property
    def correlation_id(self) -> str | None:
        return self.headers.get("correlation-id")


@dataclass(frozen=True, slots=True)
class LiveEvent:
    """An event a device publishes on the live channel; nothing is persisted."""

    thing_id: str
    action: LiveEventAction
    path: Pointer = ()
    value: JsonValue | Missing = MISSING
    headers: dict[str, str] = field(default_factory=_no_headers)
    revision: int | None = None
    timestamp: str | None = None


@dataclass(frozen=True, slots=True)
class LiveResponse:
    """The answer to a message or a live command: HTTP status, payload bytes and content type."""

    correlation_id: str
    status: int
    payload: bytes = b""
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=_no_headers)
    request_id: str | None = field(default=None, compare=False)
    # Set instead of request_id when the worker that got the response holds none of its party's receipts:
    # the worker that delivered the signal to that party (e.g. a connection's target) vouches for it.
    party: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not self.correlation_id:
            raise ValueError("a response needs the correlation-id of what it answers")
        if not 100 <= self.status <= 599:
            raise ValueError(f"a response status must be an HTTP status, not {self.status}")


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    """One acknowledgement of `label` for the signal with `correlation_id` (of entity `entity_id`).

    `headers` are Ditto headers as text. A weak acknowledgement (200) says the subscriber declared the label
    but did not receive the signal (its filters or permissions left it out), so none will come; `weak` is
    the `ditto-weak-ack` header, kept out of `headers` and written back by `to_json`.
    """

    label: str
    entity_id: str
    correlation_id: str
    status: int
    headers: dict[str, str] = field(default_factory=_no_headers)
    payload: JsonValue | Missing = MISSING
    weak: bool = False
    issuer: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not ACK_LABEL.fullmatch(self.label):
            raise AcknowledgementLabelInvalid(self.label)
        if not 100 <= self.status <= 599:
            raise ValueError(f"an acknowledgement status must be an HTTP status, not {self.status}")

    @property
    def successful(self) -> bool:
        return 200 <= self.status < 300

    def to_json(self) -> JsonObject:
        """The acknowledgement as an entry of an aggregation, in an HTTP body and in a Ditto Protocol
        `.../acks` message alike: `{status, payload?, headers}`.

        `headers` is always there (`{}` for none), as in Ditto's HTTP body; Ditto's protocol adapter leaves
        an empty one out, and its reader (like `acks_from_envelope`) takes a missing one as empty.
        `ditto-weak-ack` is the JSON boolean `true`, as Ditto's `DittoHeaders.toJson()` writes it.
        """
        body: JsonObject = {"status": self.status}
        if self.payload is not MISSING:
            body["payload"] = self.payload
        headers: JsonObject = dict(self.headers)
        if self.weak:
            headers["ditto-weak-ack"] = True
        body["headers"] = headers
        return body


@dataclass(frozen=True, slots=True)
class LabelAnnouncement:
    """The acknowledgement labels `subject` declared, first at `since` (seconds since the epoch): what a
    worker tells the others, so that a label stays with the subject that declared it first everywhere."""

    subject: str
    labels: tuple[str, ...]
    since: float

    def __post_init__(self) -> None:
        for label in self.labels:
            if not ACK_LABEL.fullmatch(label):
                raise AcknowledgementLabelInvalid(label)


@dataclass(frozen=True, slots=True)
class SubjectDeletion:
    """Ditto's SubjectDeletionAnnouncement: `subject_ids` of policy `policy_id` are deleted at `delete_at`
    (ISO-8601), told to the sessions that subscribed to policy announcements as one of those subjects. `headers`
    carry its correlation-id and the acknowledgements it requests (`requested-acks`, `timeout`)."""

    policy_id: str
    subject_ids: tuple[str, ...]
    delete_at: str
    headers: dict[str, str] = field(default_factory=_no_headers)

    @property
    def correlation_id(self) -> str | None:
        return self.headers.get("correlation-id")


LiveSignal = LiveMessage | LiveCommand | LiveEvent
Signal = LiveSignal | LiveResponse | Acknowledgement | LabelAnnouncement | SubjectDeletion

_KINDS: Final[dict[type[LiveSignal], LiveKind]] = {
    LiveMessage: "messages",
    LiveCommand: "live-commands",
    LiveEvent: "live-events",
}


def kind_of(signal: LiveSignal) -> LiveKind:
    """Which subscription receives `signal`."""
    return _KINDS[type(signal)]


def with_headers(signal: LiveSignal, headers: Mapping[str, str]) -> LiveSignal:
    """`signal` with `headers` added to (and overriding) its own."""
    return replace(signal, headers={**signal.headers, **headers})


def aggregate_acknowledgements(acks: Mapping[str, Acknowledgement]) -> tuple[int, JsonValue | Missing]:
    """Ditto's answer to a request for these acknowledgements: a single one answers with its own status
    and payload; several with 200 when all succeeded, else 424, and `{label: {status, payload, headers}}`."""
    if not acks:
        raise ValueError("there is nothing to aggregate")
    if len(acks) == 1:
        (only,) = acks.values()
        return only.status, only.payload
    status = 200 if all(ack.successful for ack in acks.values()) else 424
    return status, {label: ack.to_json() for label, ack in acks.items()}


def timed_out(label: str, entity_id: str, correlation_id: str, timeout: float) -> Acknowledgement:
    """The 408 acknowledgement of a label nobody answered within `timeout` seconds."""
    error = AcknowledgementRequestTimeout(round(timeout * 1000))
    payload: JsonObject = {"status": error.status, "error": error.code, "message": error.message}
    if error.description:
        payload["description"] = error.description
    return Acknowledgement(label, entity_id, correlation_id, 408, {"correlation-id": correlation_id}, payload)


def persisted(label: str, entity_id: str, correlation_id: str, *, created: bool, value: JsonValue | Missing,
              headers: Mapping[str, str]) -> Acknowledgement:
    """The acknowledgement a committed twin write issues itself for `label`, one of `PERSISTED_LABELS`:
    `twin-persisted` with the write's status, 201 and the created `value` when it created its target, else
    204 without payload; `search-persisted` 204 (the search index is written in the same transaction).

    Raises ValueError for any other label.
    """
    if label == TWIN_PERSISTED:
        return Acknowledgement(label, entity_id, correlation_id, 201 if created else 204, dict(headers),
                               value if created else MISSING)
    if label == SEARCH_PERSISTED:
        return Acknowledgement(label, entity_id, correlation_id, 204, dict(headers))
    raise ValueError(f"a committed write does not acknowledge {label!r} itself")


def parse_declared_acks(text: str | None) -> tuple[str, ...]:
    """The labels of `declared-acks` (a JSON array or a comma-separated list), each once.

    Raises 400 `acknowledgement:label.invalid` for a malformed label, 400
    `acknowledgement:ditto.acklabel.forbidden` for a built-in one.
    """
    if text is None or not text.strip():
        return ()
    stripped = text.strip()
    labels: list[str]
    if stripped.startswith("["):
        try:
            parsed = loads(stripped)
        except ValueError:  # malformed, or nested deeper than MAX_JSON_DEPTH
            raise AcknowledgementLabelInvalid(stripped) from None
        if not isinstance(parsed, list) or not all(isinstance(label, str) for label in parsed):
            raise AcknowledgementLabelInvalid(stripped)
        labels = [label for label in parsed if isinstance(label, str)]
    else:
        labels = [label.strip() for label in stripped.split(",") if label.strip()]
    for label in labels:
        if not ACK_LABEL.fullmatch(label):
            raise AcknowledgementLabelInvalid(label)
        if label in BUILT_IN_LABELS:
            raise AcknowledgementLabelForbidden(label)
    return tuple(dict.fromkeys(labels))
