"""Errors of live signals (messages, live commands and events) and of acknowledgements (Ditto's
`messages:` and `acknowledgement:` codes, and the `things:` ones of the live channel)."""

from __future__ import annotations

from twinhub.model.errors.base import Conflict, Invalid, NotModifiable, TooLarge, TwinhubError, Unavailable

__all__ = [
    "AcknowledgementCorrelationIdMissing",
    "AcknowledgementLabelForbidden",
    "AcknowledgementLabelInvalid",
    "AcknowledgementLabelNotDeclared",
    "AcknowledgementLabelNotUnique",
    "AcknowledgementRequestTimeout",
    "EventSendNotAllowed",
    "LiveChannelConditionNotAllowed",
    "LiveResponseTimeout",
    "MessagePayloadTooLarge",
    "MessageSendNotAllowed",
    "MessageSubjectInvalid",
]


class AcknowledgementLabelInvalid(Invalid):
    """An acknowledgement label outside Ditto's `[a-zA-Z0-9-_:]{3,100}`."""

    def __init__(self, label: str) -> None:
        super().__init__(
            "acknowledgement:label.invalid",
            400,
            f"Acknowledgement label <{label}> is invalid.",
            "An acknowledgement label must conform to the regular expression of Ditto documentation.",
        )


class AcknowledgementLabelForbidden(Invalid):
    """A built-in label (`twin-persisted`, `search-persisted`, `live-response`) declared or issued by a client."""

    def __init__(self, label: str) -> None:
        super().__init__(
            "acknowledgement:ditto.acklabel.forbidden",
            400,
            f"The Ditto internal Acknowledgement label <{label}> is not allowed to be issued externally!",
            "Make sure to not issue an Ditto internal Acknowledgement label.",
        )


class AcknowledgementLabelNotUnique(Conflict):
    """A label another subscriber already declared: Ditto closes the WebSocket that declares it again; or an
    issued acknowledgement label used by two targets of one connection."""

    def __init__(self, message: str = "One or more declared acknowledgement labels are taken by other subscribers.",
                 description: str = "Please ensure all other subscribers with the declared acknowledgement labels "
                                    "are offline.") -> None:
        super().__init__("acknowledgement:label.not.unique", 409, message, description)


class AcknowledgementLabelNotDeclared(Invalid):
    """An acknowledgement whose label its sender did not declare."""

    def __init__(self, label: str) -> None:
        super().__init__(
            "acknowledgement:label.not.declared",
            400,
            f"Cannot send acknowledgement with label <{label}>, which is not declared.",
            "Each connection may only send acknowledgements whose label matches one declared for the connection.",
        )


class AcknowledgementRequestTimeout(Unavailable):
    """A requested acknowledgement that did not arrive in time (the payload of its 408 acknowledgement)."""

    def __init__(self, timeout_ms: int) -> None:
        super().__init__(
            "acknowledgement:request.timeout",
            408,
            f"The acknowledgement request reached the specified timeout of {timeout_ms}ms.",
            "Try increasing the timeout and make sure that the requested acknowledgement is sent back in time.",
        )


class MessageSendNotAllowed(NotModifiable):
    """Sending a live message without WRITE on its `message:/` resource."""

    def __init__(self, thing_id: str) -> None:
        super().__init__(
            "messages:send.notallowed",
            403,
            f"You are not allowed to send messages for the Thing with id '{thing_id}'!",
            "Please make sure that the Thing exists and that you have WRITE permissions on the message resource "
            "in the policy of the Thing.",
        )


class MessageSubjectInvalid(Invalid):
    """A message subject that is empty or not an RFC 3986 path."""

    def __init__(self, subject: str) -> None:
        super().__init__(
            "messages:subject.invalid",
            400,
            f"Subject '{subject}' is not valid!",
            "It must not be empty and conform to RFC-3986 (URI).",
        )


class MessagePayloadTooLarge(TooLarge):
    """A live signal too large for the signal bus."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(
            "messages:payload.toolarge",
            413,
            f"The message payload size of '{size / 1024:.1f}' kB exceeds the maximal allowed size of "
            f"'{limit / 1024:.1f}' kB.",
            "Reduce the message payload in the bounds of the specified limit",
        )


class EventSendNotAllowed(NotModifiable):
    """Publishing a live event without unrestricted WRITE on its `thing:/` path."""

    def __init__(self, thing_id: str) -> None:
        super().__init__(
            "things:event.notallowed",
            403,
            f"You are not allowed to send events for the Thing with id '{thing_id}'!",
            "Please make sure that the Thing exists and that you have WRITE permissions on the resource "
            "in the policy of the Thing.",
        )


class LiveChannelConditionNotAllowed(TwinhubError):
    """405: `live-channel-condition` on anything but a retrieve."""

    def __init__(self) -> None:
        super().__init__(
            "things:live.channelcondition.notallowed",
            405,
            "The specified 'live-channel-condition' is only allowed to be used for retrieving API calls.",
            "For modifying API calls the 'live-channel-condition' cannot be used, please remove the condition.",
        )


class LiveResponseTimeout(Unavailable):
    """No response to a live message or live command within its timeout (Ditto's CommandTimeoutException);
    `unreceived` ("message", "live command") when no receiver was connected, so none could come."""

    def __init__(self, timeout_ms: int, *, unreceived: str | None = None) -> None:
        if unreceived is None:
            message = f"The Command reached the specified timeout of {timeout_ms}ms."
            description = "Try increasing the command timeout, and make sure that a receiver is connected and responds."
        else:
            message = f"The {unreceived} could not be answered: no receiver is connected."
            description = f"Connect a receiver that may read the {unreceived}, then send it again."
        super().__init__("command.timeout", 408, message, description)


class AcknowledgementCorrelationIdMissing(Invalid):
    """An acknowledgement without the correlation-id of the signal it acknowledges."""

    def __init__(self) -> None:
        super().__init__(
            "acknowledgement:correlation-id.missing",
            400,
            "Correlation-id header for acknowledgement is missing.",
            "Send the acknowledgement with the 'correlation-id' header of the event it acknowledges.",
        )
