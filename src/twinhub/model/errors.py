"""One error type carrying Ditto's error code and HTTP status.

Every failure the platform reports is a :class:`TwinhubError`; edges render it (HTTP as
Ditto's error body, WebSocket as a Ditto Protocol error) and never invent their own.

    TwinhubError(code, status, message, description)
    ├── JsonInvalid                 json.format.invalid             400
    ├── JsonPointerInvalid          json.pointer.invalid            400
    ├── HeaderInvalid               header.invalid                  400
    ├── TimeoutInvalid              timeout.invalid                 400
    ├── MediaTypeUnsupported        mediatype.unsupported           415
    ├── RequestTooLarge             request.toolarge                413
    ├── CommandTimeout              command.timeout                 408
    ├── TooManyRequests             too.many.requests               429
    ├── AuthenticationFailed        gateway:authentication.failed   401
    ├── MethodNotAllowed            gateway:method.notallowed       405
    ├── ResourceNotFound            gateway:resource.notfound       404  (unknown route)
    ├── ServiceUnavailable          gateway:service.unavailable     503
    ├── TooManyRequests             too.many.requests               429  (+ Retry-After)
    ├── ThingIdInvalid              things:id.invalid               400
    ├── ThingIdNotSettable          things:id.notsettable           400
    ├── ThingIdNotDeletable         things:id.notdeletable          400
    ├── PolicyIdInvalid             policies:id.invalid             400
    ├── JsonKeyInvalid              things:json.key.invalid         400
    ├── FieldSelectorInvalid        things:field.selection.invalid  400
    ├── DefinitionInvalid           things:definition.identifier.invalid 400
    ├── ThingIdsMissing             things:things.ids.missing       400
    ├── ThingNotAccessible          things:thing.notfound           404
    ├── ThingResourceNotFound       things:<resource>.notfound      404
    ├── ThingPreconditionFailed     things:precondition.failed      412
    ├── ThingPreconditionNotModified things:precondition.notmodified 304
    ├── ThingTooLarge               things:thing.toolarge           413
    ├── ThingTooManyModifying       things:thing.toomanymodifyingrequests 429
    ├── PolicyTooManyModifying      policies:policy.toomanymodifyingrequests 429
    ├── ThingHistoryNotFound        things:thing.history.notfound   404
    ├── PolicyJsonInvalid           json.invalid                    400
    ├── JsonFieldMissing            json.field.missing              400
    ├── PolicyIdNotSettable         policies:id.notsettable         400
    ├── PolicyLabelInvalid          policies:label.invalid          400
    ├── PolicyEntryInvalid          policies:entry.invalid          400
    ├── SubjectIdInvalid            policies:subjectid.invalid      400
    ├── SubjectExpiryInvalid        policies:subjectexpiry.invalid  400
    ├── PolicyImportInvalid         policies:import.invalid         400
    ├── PolicyImportsTooLarge       policies:imports.toolarge       400
    ├── PolicyTooLarge              policies:policy.toolarge        413
    ├── PolicyModificationInvalid   policies:policy.modificationinvalid 403
    ├── PolicyNotAccessible         policies:policy.notfound        404
    ├── PolicyResourceNotFound      policies:<resource>.notfound    404
    ├── PolicyNotModifiable         policies:policy.notmodifiable   403
    └── PolicyResourceNotModifiable policies:<resource>.notmodifiable 403
"""

from __future__ import annotations

from typing import NotRequired, TypedDict


class ErrorBody(TypedDict):
    status: int
    error: str
    message: str
    description: NotRequired[str]


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


class JsonInvalid(TwinhubError):
    def __init__(self, message: str = "The JSON of the request could not be parsed.") -> None:
        super().__init__(
            "json.format.invalid", 400, message, "Check if the JSON was valid and if it was in required format."
        )


class JsonPointerInvalid(TwinhubError):
    def __init__(self, pointer: str, reason: str) -> None:
        super().__init__(
            "json.pointer.invalid",
            400,
            f"JSON pointer <{pointer}> is invalid: {reason}",
            "Check if the JSON pointer is a valid, slash-separated path of JSON keys.",
        )


class HeaderInvalid(TwinhubError):
    def __init__(self, name: str, value: str, expected: str) -> None:
        super().__init__(
            "header.invalid",
            400,
            f"The value '{value}' of the header '{name}' is not a valid {expected}.",
            f"Verify that the value of the header '{name}' is a valid '{expected}'.",
        )


class TimeoutInvalid(TwinhubError):
    def __init__(self, message: str) -> None:
        super().__init__(
            "timeout.invalid", 400, message, "The timeout must be between 0 and 60 seconds (e.g. 10, 10s, 250ms)."
        )


class MediaTypeUnsupported(TwinhubError):
    def __init__(self, media_type: str, supported: str) -> None:
        super().__init__(
            "mediatype.unsupported",
            415,
            f"The Media-Type <{media_type}> is not supported for this resource.",
            f"Use the Media-Type <{supported}>.",
        )


class RequestTooLarge(TwinhubError):
    def __init__(self, size: int, limit: int) -> None:
        super().__init__(
            "request.toolarge",
            413,
            f"The request entity of {size} bytes exceeds the limit of {limit} bytes.",
            "Send a smaller request.",
        )


class CommandTimeout(TwinhubError):
    def __init__(self, timeout_ms: int) -> None:
        super().__init__(
            "command.timeout",
            408,
            f"The command did not complete within the timeout of {timeout_ms} ms.",
            "The change may still be applied; retrieve the entity to check, or raise the 'timeout'.",
        )


class TooManyRequests(TwinhubError):
    """Ditto's TooManyRequestsException: too many requests (or WebSocket sessions) at once. With
    `retry_after` (seconds) the HTTP answer carries `Retry-After`."""

    def __init__(self, message: str = "You made too many requests.", description: str | None = None, *,
                 retry_after: int | None = None) -> None:
        if description is None:
            description = "Try again soon." if retry_after is None else f"Try again in {retry_after} s."
        super().__init__("too.many.requests", 429, message, description)
        self.retry_after = retry_after


class AuthenticationFailed(TwinhubError):
    def __init__(self, message: str = "Unauthorized. The request could not be authenticated.") -> None:
        super().__init__(
            "gateway:authentication.failed",
            401,
            message,
            "Check if your credentials were correct.",
        )


class MethodNotAllowed(TwinhubError):
    def __init__(self, method: str, allowed: list[str]) -> None:
        super().__init__(
            "gateway:method.notallowed",
            405,
            f"The provided HTTP method '{method}' is not allowed on this resource.",
            f"Use one of the allowed methods: {', '.join(allowed)}.",
        )
        self.allowed = allowed


class ResourceNotFound(TwinhubError):
    def __init__(self, path: str) -> None:
        super().__init__(
            "gateway:resource.notfound",
            404,
            f"The requested resource '{path}' could not be found.",
            "Check the path of the request against the HTTP API v2 documentation.",
        )


class ServiceUnavailable(TwinhubError):
    def __init__(self, message: str = "The service is temporarily unavailable.") -> None:
        super().__init__(
            "gateway:service.unavailable", 503, message, "Retry the request in a moment."
        )


class ThingIdInvalid(TwinhubError):
    def __init__(self, thing_id: str) -> None:
        super().__init__(
            "things:id.invalid",
            400,
            f"Thing ID '{thing_id}' is not valid!",
            "It must conform to the namespaced entity ID notation (see Ditto documentation)",
        )


class ThingIdNotSettable(TwinhubError):
    def __init__(self, message: str = "The Thing ID in the request body is not equal to the Thing ID in the "
                 "request URL.") -> None:
        super().__init__(
            "things:id.notsettable",
            400,
            message,
            "Either delete the Thing ID from the request body or use the same Thing ID as in the request URL.",
        )


class ThingIdNotDeletable(TwinhubError):
    def __init__(self) -> None:
        super().__init__(
            "things:id.notdeletable",
            400,
            "The Thing ID of a Thing cannot be deleted.",
            "Do not set the Thing ID to null in a merge patch.",
        )


class PolicyIdInvalid(TwinhubError):
    def __init__(self, policy_id: str) -> None:
        super().__init__(
            "policies:id.invalid",
            400,
            f"Policy ID '{policy_id}' is not valid!",
            "It must conform to the namespaced entity ID notation (see Ditto documentation)",
        )


class PolicyIdNotDeletable(TwinhubError):
    def __init__(self, thing_id: str) -> None:
        super().__init__(
            "things:policyId.notdeletable",
            400,
            f"The Policy ID of the Thing with ID '{thing_id}' cannot be deleted.",
            "A Thing always references a Policy; replace the Policy ID instead.",
        )


class JsonKeyInvalid(TwinhubError):
    def __init__(self, key: str) -> None:
        super().__init__(
            "things:json.key.invalid",
            400,
            f"The JSON key <{key}> is invalid!",
            "JSON keys must not be empty and must not contain slashes or control characters.",
        )


class FieldSelectorInvalid(TwinhubError):
    def __init__(self, selector: str, reason: str = "") -> None:
        super().__init__(
            "things:field.selection.invalid",
            400,
            f"The field selector <{selector}> is invalid!" + (f" {reason}" if reason else ""),
            "Check the field selector: a comma-separated list of JSON pointers, sub-fields in parentheses.",
        )


class DefinitionInvalid(TwinhubError):
    def __init__(self, definition: str) -> None:
        super().__init__(
            "things:definition.identifier.invalid",
            400,
            f"Definition identifier <{definition}> is invalid!",
            "An identifier is 'namespace:name:version' or an http(s) URL.",
        )


class FeatureDefinitionEmpty(TwinhubError):
    def __init__(self) -> None:
        super().__init__(
            "things:feature.definition.empty",
            400,
            "Feature Definition must not be empty!",
            "Provide at least one definition identifier.",
        )


class ThingInvalid(TwinhubError):
    """A request body that is valid JSON but not a valid thing or part of one."""

    def __init__(self, message: str) -> None:
        super().__init__(
            "json.format.invalid",
            400,
            message,
            "Check if the JSON was valid and if it was in required format.",
        )


class ThingIdsMissing(TwinhubError):
    def __init__(self) -> None:
        super().__init__(
            "things:things.ids.missing",
            400,
            "The required list of thing ids was missing.",
            "Please provide at least one thing id and try again.",
        )


class ThingNotAccessible(TwinhubError):
    def __init__(self, thing_id: str) -> None:
        super().__init__(
            "things:thing.notfound",
            404,
            f"The Thing with ID '{thing_id}' could not be found or requester had insufficient permissions "
            "to access it.",
            "Check if the ID of your requested Thing was correct and you have sufficient permissions.",
        )


class ThingResourceNotFound(TwinhubError):
    """A part of an existing thing is missing: `things:attribute.notfound`, `...feature.property.notfound`..."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(
            code,
            404,
            message,
            "Check if the path of your request was correct and you have sufficient permissions.",
        )


class ThingPreconditionFailed(TwinhubError):
    def __init__(self, header: str, value: str, current: str | None, *, entity: str = "Thing") -> None:
        super().__init__(
            f"{'policies' if entity == 'Policy' else 'things'}:precondition.failed",
            412,
            f"The comparison of precondition header '{header}' for the requested {entity} resource evaluated to "
            f"false. Header value: '{value}', actual entity-tag: '{current or '<none>'}'.",
            "The comparison of the provided precondition header with the entity-tag evaluated to false. Check "
            "the value of your conditional header value.",
        )
        self.etag = current  # Ditto answers a failed precondition with the current entity tag


class ThingNotModified(TwinhubError):
    def __init__(self, value: str, current: str, *, entity: str = "Thing") -> None:
        super().__init__(
            f"{'policies' if entity == 'Policy' else 'things'}:precondition.notmodified",
            304,
            f"The comparison of precondition header 'if-none-match' for the requested {entity} resource "
            f"evaluated to false. Expected: '{value}' not to match actual: '{current}'.",
            "The comparison of the provided precondition header 'if-none-match' with the entity-tag "
            "evaluated to false. Check the value of your conditional header value.",
        )
        self.etag = current


class ThingEqualitySkipped(TwinhubError):
    """`if-equal: skip` and the new value equals the current one."""

    def __init__(self) -> None:
        super().__init__(
            "things:precondition.failed",
            412,
            "The requested modification was skipped as the new value equals the existing value "
            "(header 'if-equal: skip').",
            "Send 'if-equal: update' to apply the modification even if it changes nothing.",
        )


class ThingTooLarge(TwinhubError):
    def __init__(self, size: int, limit: int) -> None:
        super().__init__(
            "things:thing.toolarge",
            413,
            f"The size of '{size}' bytes exceeds the maximal allowed Thing size of '{limit}' bytes.",
            "Reduce the Thing size in the bounds of the specified limit.",
        )


class ThingTooManyModifying(TwinhubError):
    def __init__(self, thing_id: str) -> None:
        super().__init__(
            "things:thing.toomanymodifyingrequests",
            429,
            f"Too many modifying requests are already outstanding to the Thing with ID '{thing_id}'.",
            "Throttle your modifying requests to the Thing or re-structure your Thing in multiple Things.",
        )


class PolicyTooManyModifying(TwinhubError):
    def __init__(self, policy_id: str) -> None:
        super().__init__(
            "policies:policy.toomanymodifyingrequests",
            429,
            f"Too many modifying requests are already outstanding to the Policy with ID '{policy_id}'.",
            "Throttle your modifying requests to the Policy or re-structure your Policy in multiple Policies if you "
            "really need so many concurrent modifications.",
        )


class ThingHistoryNotFound(TwinhubError):
    def __init__(self, thing_id: str, at: str) -> None:
        super().__init__(
            "things:thing.history.notfound",
            404,
            f"The Thing with ID '{thing_id}' at '{at}' could not be found or requester had insufficient "
            "permissions to access it.",
            "Check if the ID of your requested Thing was correct, you have sufficient permissions and ensure "
            "that the asked for revision/timestamp does not exceed the history-retention-duration.",
        )


class PolicyJsonInvalid(TwinhubError):
    """Policy JSON that parses but has a field of the wrong JSON type (Ditto's JsonParseException)."""

    def __init__(
        self,
        message: str,
        description: str = "Check if the JSON was valid (e.g. on https://jsonlint.com) and if it was in required "
        "format.",
    ) -> None:
        super().__init__("json.invalid", 400, message, description)


class JsonFieldMissing(TwinhubError):
    def __init__(self, message: str) -> None:
        super().__init__("json.field.missing", 400, message, "Check if all required JSON fields were set.")


class PolicyIdNotSettable(TwinhubError):
    def __init__(self) -> None:
        super().__init__(
            "policies:id.notsettable",
            400,
            "The Policy ID in the request body is not equal to the Policy ID in the request URL.",
            "Either delete the Policy ID from the request body or use the same Policy ID as in the request URL.",
        )


class PolicyLabelInvalid(TwinhubError):
    def __init__(self, label: str) -> None:
        super().__init__(
            "policies:label.invalid",
            400,
            f"Label '{label}' is not valid!",
            "It must not start with the blocklisted 'imported' or 'nsimported' prefix.",
        )


class PolicyEntryInvalid(TwinhubError):
    def __init__(
        self,
        message: str = "The Policy Entry is invalid.",
        description: str = "Policy entry does not contain any known permission like 'READ' or 'WRITE'",
    ) -> None:
        super().__init__("policies:entry.invalid", 400, message, description)


class SubjectIdInvalid(TwinhubError):
    def __init__(
        self,
        subject_id: str,
        description: str = "It must contain an issuer as prefix separated by a colon ':' from the actual subject",
    ) -> None:
        super().__init__("policies:subjectid.invalid", 400, f"Subject ID '{subject_id}' is not valid!", description)


class SubjectExpiryInvalid(TwinhubError):
    """An expiry that is no ISO-8601 timestamp, or (`in_past`) one that already passed."""

    def __init__(self, expiry: str, *, in_past: bool = False) -> None:
        super().__init__(
            "policies:subjectexpiry.invalid",
            400,
            f"Subject expiry timestamp '{expiry}' is not valid.",
            "It must not be in the past, please adjust to a timestamp in the future."
            if in_past
            else "It must be provided as ISO-8601 formatted char sequence.",
        )


class PolicyImportInvalid(TwinhubError):
    def __init__(
        self,
        message: str = "The Policy Import is invalid.",
        description: str = "The Policy Import references the policy where it is defined.",
    ) -> None:
        super().__init__("policies:import.invalid", 400, message, description)


class PolicyImportsTooLarge(TwinhubError):
    def __init__(self, policy_id: str, limit: int) -> None:
        super().__init__(
            "policies:imports.toolarge",
            400,
            f"The Imports of the Policy with ID '{policy_id}' could not be modified as they exceed the allowed "
            f"number of '{limit}'.",
            f"Please reduce the number of imports you're trying to add to {limit}",
        )


class PolicyTooLarge(TwinhubError):
    def __init__(self, size_kb: str, limit_kb: str) -> None:
        super().__init__(
            "policies:policy.toolarge",
            413,
            f"The size of '{size_kb}' kB exceeds the maximal allowed Policy size of '{limit_kb}' kB.",
            "Reduce the Policy size in the bounds of the specified limit",
        )


class PolicyModificationInvalid(TwinhubError):
    """The resulting policy would lock everybody out (Ditto's PoliciesValidator)."""

    def __init__(self, policy_id: str, description: str) -> None:
        super().__init__(
            "policies:policy.modificationinvalid",
            403,
            f"The Policy with ID '{policy_id}' could not be modified as the resulting Policy would be invalid.",
            description,
        )


class PolicyNotAccessible(TwinhubError):
    def __init__(self, policy_id: str) -> None:
        super().__init__(
            "policies:policy.notfound",
            404,
            f"The Policy with ID '{policy_id}' could not be found or requester had insufficient permissions to "
            "access it.",
            "Check if the ID of your requested Policy was correct and you have sufficient permissions.",
        )


class PolicyResourceNotFound(TwinhubError):
    """A part of an existing policy is missing: `policies:entry.notfound`, `policies:subject.notfound`..."""

    def __init__(self, code: str, message: str, description: str) -> None:
        super().__init__(code, 404, message, description)


class PolicyNotModifiable(TwinhubError):
    def __init__(self, policy_id: str) -> None:
        super().__init__(
            "policies:policy.notmodifiable",
            403,
            f"The Policy with ID '{policy_id}' could not be modified as the requester had insufficient permissions.",
            "Check if the ID of your requested Policy was correct and you have sufficient permissions.",
        )


class PolicyResourceNotModifiable(TwinhubError):
    """Missing WRITE on a part of a policy: `policies:entry.notmodifiable`, `policies:subject.notmodifiable`..."""

    def __init__(self, code: str, message: str, description: str) -> None:
        super().__init__(code, 403, message, description)


class PolicyConflict(TwinhubError):
    def __init__(self, policy_id: str) -> None:
        super().__init__(
            "policies:policy.conflict",
            409,
            f"The Policy with ID '{policy_id}' already exists",
            "Choose another Policy ID",
        )


class ThingConditionFailed(TwinhubError):
    def __init__(self, thing_id: str, condition: str) -> None:
        super().__init__(
            "things:condition.failed",
            412,
            f"The specified condition <{condition}> does not match the state of the requested Thing "
            f"'{thing_id}'.",
            "Change the condition or the request.",
        )


class ThingConditionInvalid(TwinhubError):
    def __init__(self, message: str) -> None:
        super().__init__(
            "things:condition.invalid",
            400,
            message,
            "The condition must be a valid RQL filter, e.g. 'gt(attributes/temperature,20)'.",
        )


class WebSocketMessageInvalid(TwinhubError):
    """A WebSocket frame that is neither a known control message nor a Ditto Protocol message."""

    def __init__(self, message: str) -> None:
        super().__init__(
            "gateway:websocket.message.invalid",
            400,
            message,
            "Send Ditto Protocol messages as JSON, or one of the control messages such as 'START-SEND-EVENTS'.",
        )


class WebSocketSubjectChanged(TwinhubError):
    """`JWT-TOKEN` refreshed the session with a token of another subject: Ditto closes the session."""

    def __init__(self, before: str, after: str) -> None:
        super().__init__(
            "gateway:websocket.session.closed",
            400,
            f"The websocket session was closed because the subject changed from <{before}> to <{after}>.",
            "Open a new websocket session for the new subject.",
        )


class ThingConflict(TwinhubError):
    """Ditto Protocol `create` of a thing that exists (HTTP's PUT would modify it instead)."""

    def __init__(self, thing_id: str) -> None:
        super().__init__(
            "things:thing.conflict",
            409,
            f"The Thing with ID '{thing_id}' already exists.",
            "Choose another Thing ID.",
        )


# --- Ditto Protocol (the WebSocket and connections speak it) ---------------------------------------------------


class JsonParseInvalid(TwinhubError):
    """Text that is no JSON, or JSON of the wrong shape or type (Ditto's JsonParseException, `json.invalid`)."""

    def __init__(self, message: str) -> None:
        super().__init__(
            "json.invalid",
            400,
            message,
            "Check if the JSON was valid (e.g. on https://jsonlint.com) and if it was in required format.",
        )


class TopicPathUnknown(TwinhubError):
    """A Ditto Protocol topic that does not parse, or that no signal has (with `path`: not at that path)."""

    def __init__(self, topic: str, description: str = "Check if the topic path is correct.", *,
                 path: str | None = None) -> None:
        message = (f"The topic path '{topic}' is not supported." if path is None
                   else f"The topic '{topic}' is not supported in combination with the path '{path}'")
        super().__init__("protocoladapter:unknown.topicpath", 400, message, description)


class ProtocolPathUnknown(TwinhubError):
    """A Ditto Protocol `path` that names no resource of the entity."""

    def __init__(self, path: str) -> None:
        super().__init__(
            "protocoladapter:unknown.path",
            400,
            f"The path '{path}' does not correspond to any known command, response or event.",
            "Check if the path is correct.",
        )


class ProtocolPathInvalid(TwinhubError):
    """A Ditto Protocol `path` that does not fit its topic (e.g. a message path for another subject)."""

    def __init__(self, path: str, description: str = "Check if the path is correct.") -> None:
        super().__init__("protocoladapter:invalid.path", 400, f"The path '{path}' is not valid.", description)


class MediaTypeMissing(TwinhubError):
    """No `content-type` where one is required (a Ditto Protocol merge needs `application/merge-patch+json`)."""

    def __init__(self, supported: str) -> None:
        super().__init__(
            "mediatype.unsupported",
            415,
            f"The Content-Type header was empty or not present. Please set Content-Type header to \"{supported}\" "
            "for this resource",
            f"Allowed Media-Type is: <{supported}>.",
        )


class AcknowledgementLabelInvalid(TwinhubError):
    """An acknowledgement label outside Ditto's `[a-zA-Z0-9-_:]{3,100}`."""

    def __init__(self, label: str) -> None:
        super().__init__(
            "acknowledgement:label.invalid",
            400,
            f"Acknowledgement label <{label}> is invalid.",
            "An acknowledgement label must conform to the regular expression of Ditto documentation.",
        )


class AcknowledgementLabelForbidden(TwinhubError):
    """A built-in label (`twin-persisted`, `search-persisted`, `live-response`) declared or issued by a client."""

    def __init__(self, label: str) -> None:
        super().__init__(
            "acknowledgement:ditto.acklabel.forbidden",
            400,
            f"The Ditto internal Acknowledgement label <{label}> is not allowed to be issued externally!",
            "Make sure to not issue an Ditto internal Acknowledgement label.",
        )


class AcknowledgementLabelNotUnique(TwinhubError):
    """A label another subscriber already declared: Ditto closes the WebSocket that declares it again."""

    def __init__(self) -> None:
        super().__init__(
            "acknowledgement:label.not.unique",
            409,
            "One or more declared acknowledgement labels are taken by other subscribers.",
            "Please ensure all other subscribers with the declared acknowledgement labels are offline.",
        )


class AcknowledgementLabelNotDeclared(TwinhubError):
    """An acknowledgement whose label its sender did not declare."""

    def __init__(self, label: str) -> None:
        super().__init__(
            "acknowledgement:label.not.declared",
            400,
            f"Cannot send acknowledgement with label <{label}>, which is not declared.",
            "Each connection may only send acknowledgements whose label matches one declared for the connection.",
        )


class AcknowledgementRequestTimeout(TwinhubError):
    """A requested acknowledgement that did not arrive in time (the payload of its 408 acknowledgement)."""

    def __init__(self, timeout_ms: int) -> None:
        super().__init__(
            "acknowledgement:request.timeout",
            408,
            f"The acknowledgement request reached the specified timeout of {timeout_ms}ms.",
            "Try increasing the timeout and make sure that the requested acknowledgement is sent back in time.",
        )


class MessageSendNotAllowed(TwinhubError):
    """Sending a live message without WRITE on its `message:/` resource."""

    def __init__(self, thing_id: str) -> None:
        super().__init__(
            "messages:send.notallowed",
            403,
            f"You are not allowed to send messages for the Thing with id '{thing_id}'!",
            "Please make sure that the Thing exists and that you have WRITE permissions on the message resource "
            "in the policy of the Thing.",
        )


class MessageSubjectInvalid(TwinhubError):
    """A message subject that is empty or not an RFC 3986 path."""

    def __init__(self, subject: str) -> None:
        super().__init__(
            "messages:subject.invalid",
            400,
            f"Subject '{subject}' is not valid!",
            "It must not be empty and conform to RFC-3986 (URI).",
        )


class MessagePayloadTooLarge(TwinhubError):
    """A live signal too large for the signal bus."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(
            "messages:payload.toolarge",
            413,
            f"The message payload size of '{size / 1024:.1f}' kB exceeds the maximal allowed size of "
            f"'{limit / 1024:.1f}' kB.",
            "Reduce the message payload in the bounds of the specified limit",
        )


class EventSendNotAllowed(TwinhubError):
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
    """`live-channel-condition` on anything but a retrieve."""

    def __init__(self) -> None:
        super().__init__(
            "things:live.channelcondition.notallowed",
            405,
            "The specified 'live-channel-condition' is only allowed to be used for retrieving API calls.",
            "For modifying API calls the 'live-channel-condition' cannot be used, please remove the condition.",
        )


class LiveResponseTimeout(TwinhubError):
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


class WebSocketSessionExpired(TwinhubError):
    """The credentials of a WebSocket session (its JWT) expired and no fresh `JWT-TOKEN` came in time."""

    def __init__(self) -> None:
        super().__init__(
            "gateway:websocket.session.expired",
            401,
            "The websocket session expired because its JWT expired.",
            "Send a fresh token with 'JWT-TOKEN?jwtToken=<jwt>' before the current one expires.",
        )


class AcknowledgementCorrelationIdMissing(TwinhubError):
    """An acknowledgement without the correlation-id of the signal it acknowledges."""

    def __init__(self) -> None:
        super().__init__(
            "acknowledgement:correlation-id.missing",
            400,
            "Correlation-id header for acknowledgement is missing.",
            "Send the acknowledgement with the 'correlation-id' header of the event it acknowledges.",
        )
