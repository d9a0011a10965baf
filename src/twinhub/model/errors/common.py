"""Errors of any request, whatever its entity: Ditto's codes without a domain prefix (`json.*`,
`header.invalid`, `mediatype.unsupported`, ...)."""

from __future__ import annotations

from twinhub.model.errors.base import Invalid, Throttled, TooLarge, TwinhubError, Unavailable

__all__ = [
    "CommandTimeout",
    "HeaderInvalid",
    "HeadersTooLarge",
    "InternalError",
    "JsonFieldMissing",
    "JsonInvalid",
    "JsonParseInvalid",
    "JsonPointerInvalid",
    "MediaTypeMissing",
    "MediaTypeUnsupported",
    "RequestTooLarge",
    "TimeoutInvalid",
    "TooManyRequests",
]


class JsonInvalid(Invalid):
    """A body that is no JSON, or not the JSON the resource takes."""

    def __init__(self, message: str = "The JSON of the request could not be parsed.") -> None:
        super().__init__(
            "json.format.invalid", 400, message, "Check if the JSON was valid and if it was in required format."
        )


class JsonParseInvalid(Invalid):
    """Text that is no JSON, or JSON of the wrong shape or type (Ditto's JsonParseException, `json.invalid`)."""

    def __init__(self, message: str) -> None:
        super().__init__(
            "json.invalid",
            400,
            message,
            "Check if the JSON was valid (e.g. on https://jsonlint.com) and if it was in required format.",
        )


class JsonFieldMissing(Invalid):
    """A JSON object without a field it requires."""

    def __init__(self, message: str) -> None:
        super().__init__("json.field.missing", 400, message, "Check if all required JSON fields were set.")


class JsonPointerInvalid(Invalid):
    """A path that is no JSON pointer."""

    def __init__(self, pointer: str, reason: str) -> None:
        super().__init__(
            "json.pointer.invalid",
            400,
            f"JSON pointer <{pointer}> is invalid: {reason}",
            "Check if the JSON pointer is a valid, slash-separated path of JSON keys.",
        )


class HeaderInvalid(Invalid):
    """A header (or its query parameter) whose value does not parse as what it must be."""

    def __init__(self, name: str, value: str, expected: str) -> None:
        super().__init__(
            "header.invalid",
            400,
            f"The value '{value}' of the header '{name}' is not a valid {expected}.",
            f"Verify that the value of the header '{name}' is a valid '{expected}'.",
        )


class HeadersTooLarge(TwinhubError):
    """431: the request's headers together are larger than allowed (Ditto's DittoHeadersTooLargeException)."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(
            "headers.too.large",
            431,
            "The headers are too large.",
            f"The number of bytes exceeded the maximum allowed value <{max_bytes}>!",
        )


class TimeoutInvalid(Invalid):
    """A `timeout` out of range, or one that contradicts other headers (0 with a required response)."""

    def __init__(self, message: str) -> None:
        super().__init__(
            "timeout.invalid", 400, message, "The timeout must be between 0 and 60 seconds (e.g. 10, 10s, 250ms)."
        )


class MediaTypeUnsupported(TwinhubError):
    """415: a body whose `Content-Type` the resource does not take."""

    def __init__(self, media_type: str, supported: str) -> None:
        super().__init__(
            "mediatype.unsupported",
            415,
            f"The Media-Type <{media_type}> is not supported for this resource.",
            f"Use the Media-Type <{supported}>.",
        )


class MediaTypeMissing(TwinhubError):
    """415: no `content-type` where one is required (a Ditto Protocol merge needs
    `application/merge-patch+json`)."""

    def __init__(self, supported: str) -> None:
        super().__init__(
            "mediatype.unsupported",
            415,
            f"The Content-Type header was empty or not present. Please set Content-Type header to \"{supported}\" "
            "for this resource",
            f"Allowed Media-Type is: <{supported}>.",
        )


class RequestTooLarge(TooLarge):
    """A request (or Ditto Protocol message) larger than the configured limit."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(
            "request.toolarge",
            413,
            f"The request entity of {size} bytes exceeds the limit of {limit} bytes.",
            "Send a smaller request.",
        )


class CommandTimeout(Unavailable):
    """A write that did not complete within the request's `timeout` (it goes on, and may still apply)."""

    def __init__(self, timeout_ms: int) -> None:
        super().__init__(
            "command.timeout",
            408,
            f"The command did not complete within the timeout of {timeout_ms} ms.",
            "The change may still be applied; retrieve the entity to check, or raise the 'timeout'.",
        )


class TooManyRequests(Throttled):
    """Ditto's TooManyRequestsException: too many requests (or WebSocket sessions) at once. With
    `retry_after` (seconds) the HTTP answer carries `Retry-After`."""

    def __init__(self, message: str = "You made too many requests.", description: str | None = None, *,
                 retry_after: int | None = None) -> None:
        if description is None:
            description = "Try again soon." if retry_after is None else f"Try again in {retry_after} s."
        super().__init__("too.many.requests", 429, message, description)
        self.retry_after = retry_after


class InternalError(TwinhubError):
    """500: a bug, not bad input (the traceback is logged; the client learns nothing of it)."""

    def __init__(self) -> None:
        super().__init__("internal.error", 500, "An unexpected error occurred.")
