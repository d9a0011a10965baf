"""`TwinhubError` and the families its kinds belong to, one per answer a client can act on.

A family fixes the HTTP status (or the few statuses) of its kinds; its kinds are in the domain modules.
Catch a family to handle every failure of its kind (`except NotFound`), a kind for one Ditto error code.
"""

from __future__ import annotations

from typing import NotRequired, TypedDict

__all__ = [
    "Conflict",
    "ErrorBody",
    "Invalid",
    "NotFound",
    "NotModifiable",
    "PreconditionFailed",
    "Throttled",
    "TooLarge",
    "TwinhubError",
    "Unauthenticated",
    "Unavailable",
]


MAX_ECHOED = 200  # characters of the client's input an error message repeats


def echoed(text: str, limit: int = MAX_ECHOED) -> str:
    """What a message repeats of the client's `text` (an id, a URI, an issuer): at most `limit` characters, `...`
    marking a cut. For the kinds in this package; not part of its surface."""
    return text if len(text) <= limit else text[:limit] + "..."


class ErrorBody(TypedDict):
    """Ditto's error JSON: `{"status", "error", "message", "description"}`."""

    status: int
    error: str
    message: str
    description: NotRequired[str]
    validationDetails: NotRequired[dict[str, list[str]]]  # a WoT payload error's (`errors.wot_payload`)


class TwinhubError(Exception):
    """A failure with Ditto's error code, HTTP status, message and description."""

    def __init__(self, code: str, status: int, message: str, description: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.message = message
        self.description = description

    def to_json(self) -> ErrorBody:
        body: ErrorBody = {"status": self.status, "error": self.code, "message": self.message}
        if self.description:
            body["description"] = self.description
        return body

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.status}, {self.message!r})"


class Invalid(TwinhubError):
    """400: the request (its JSON, an id, a header, a path, RQL, a Ditto Protocol message) is malformed or
    breaks a rule of the model; sending it again unchanged fails again."""


class Unauthenticated(TwinhubError):
    """401: who sends the request is not known (no, wrong or expired credentials)."""


class NotModifiable(TwinhubError):
    """403: the requester may read the entity but not make this change: WRITE is missing on what it would
    create, modify, delete or send, or the change would leave nobody able to write the policy."""


class NotFound(TwinhubError):
    """404: the entity, the part of it, or the route does not exist, or the requester may not read it
    (Ditto does not tell the two apart)."""


class Conflict(TwinhubError):
    """409: the request contradicts the current state (the entity exists, a label is taken, a reference
    is still in use)."""


class PreconditionFailed(TwinhubError):
    """412: a conditional header (`if-match`, `if-none-match`, `if-equal`) or a `condition` evaluated to
    false; 304 when a read's `if-none-match` matched (the client's copy is current)."""


class TooLarge(TwinhubError):
    """413: the request, the entity it would produce, or a message is larger than allowed."""


class Throttled(TwinhubError):
    """429: more requests (on one entity, or from one subject) than are accepted at once; try again later."""


class Unavailable(TwinhubError):
    """503: a backend (store, bus, a connection's broker) cannot answer now; 408 when the answer did not
    come within the request's timeout; 504 when a connection's broker could not be reached. The change
    may still be applied: retry, or retrieve to check."""
