"""The documented error hierarchy, pinned: every kind's Ditto code, status and family, the drawing in the
package docstring, the public names, and that no error code is spelled outside the error modules."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import twinhub
import twinhub.model.errors as errors
from twinhub.model.errors import (
    Conflict,
    Invalid,
    NotFound,
    NotModifiable,
    PreconditionFailed,
    Throttled,
    TooLarge,
    TwinhubError,
    Unauthenticated,
    Unavailable,
)
from twinhub.store.base import RevisionConflict

FAMILIES: dict[type[TwinhubError], set[int]] = {
    Invalid: {400},
    Unauthenticated: {401},
    NotModifiable: {403},
    NotFound: {404},
    Conflict: {409},
    PreconditionFailed: {412, 304},
    TooLarge: {413},
    Throttled: {429},
    Unavailable: {503, 408, 504},
}

# Each kind, built from example arguments: (error, Ditto code, status, direct base).
KINDS: list[tuple[TwinhubError, str, int, type[TwinhubError]]] = [
    # common
    (errors.JsonInvalid(), "json.format.invalid", 400, Invalid),
    (errors.JsonParseInvalid("m"), "json.invalid", 400, Invalid),
    (errors.JsonFieldMissing("m"), "json.field.missing", 400, Invalid),
    (errors.JsonPointerInvalid("/a", "why"), "json.pointer.invalid", 400, Invalid),
    (errors.HeaderInvalid("timeout", "x", "duration"), "header.invalid", 400, Invalid),
    (errors.TimeoutInvalid("m"), "timeout.invalid", 400, Invalid),
    (errors.HeadersTooLarge(5120), "headers.too.large", 431, TwinhubError),
    (errors.MediaTypeUnsupported("text/plain", "application/json"), "mediatype.unsupported", 415, TwinhubError),
    (errors.MediaTypeMissing("application/merge-patch+json"), "mediatype.unsupported", 415, TwinhubError),
    (errors.RequestTooLarge(10, 5), "request.toolarge", 413, TooLarge),
    (errors.CommandTimeout(100), "command.timeout", 408, Unavailable),
    (errors.TooManyRequests(retry_after=3), "too.many.requests", 429, Throttled),
    (errors.InternalError(), "internal.error", 500, TwinhubError),
    # gateway
    (errors.AuthenticationFailed(), "gateway:authentication.failed", 401, Unauthenticated),
    (errors.JwtIssuerNotSupported("https://issuer"), "gateway:jwt.issuer.notsupported", 401,
     errors.AuthenticationFailed),
    (errors.RequestInvalid("m", "d"), "gateway:request.invalid", 400, Invalid),
    (errors.DuplicateHeaderField("x-correlation-id"), "gateway:duplicate.header.field", 400, Invalid),
    (errors.MethodNotAllowed("PATCH", ["GET"]), "gateway:method.notallowed", 405, TwinhubError),
    (errors.ResourceNotFound("/nowhere"), "gateway:resource.notfound", 404, NotFound),
    (errors.ServiceUnavailable(), "gateway:service.unavailable", 503, Unavailable),
    # things
    (errors.ThingIdInvalid("x"), "things:id.invalid", 400, Invalid),
    (errors.ThingIdNotSettable(), "things:id.notsettable", 400, Invalid),
    (errors.ThingIdNotDeletable(), "things:id.notdeletable", 400, Invalid),
    (errors.ThingIdsMissing(), "things:things.ids.missing", 400, Invalid),
    (errors.PolicyIdNotDeletable("ns:t"), "things:policyId.notdeletable", 400, Invalid),
    (errors.ThingPolicyNotAllowed("ns:t"), "things:policy.notallowed", 400, Invalid),
    (errors.ThingPolicyExisting("ns:t", "ns:t"), "things:thing.notcreatable", 400, Invalid),
    (errors.ThingPolicyInvalid("ns:t", "d"), "things:policy.invalid", 400, Invalid),
    (errors.ThingPoliciesConflicting("ns:t"), "things:policy.conflicting", 400, Invalid),
    (errors.ThingPolicyNotCreated("ns:t", "ns:t", errors.PolicyNotCreatable("ns:t")), "things:thing.notcreatable",
     403, TwinhubError),
    (errors.ThingInvalid("m"), "json.format.invalid", 400, Invalid),
    (errors.ThingMergeInvalid(), "things:merge.invalid", 400, Invalid),
    (errors.MetadataHeadersConflict(query=False), "things:metadata.headersconflict", 400, Invalid),
    (errors.MetadataNotModifiable(), "things:metadata.notmodifiable", 400, Invalid),
    (errors.MetadataWildcardInvalid("/*/*", "put-metadata"), "header.invalid", 400, Invalid),
    (errors.MetadataWildcardTooBroad("get-metadata", 100_000), "header.invalid", 400, Invalid),
    (errors.JsonKeyInvalid("a/b"), "things:json.key.invalid", 400, Invalid),
    (errors.FieldSelectorInvalid("(", "unbalanced"), "things:field.selection.invalid", 400, Invalid),
    (errors.DefinitionInvalid("x"), "things:definition.identifier.invalid", 400, Invalid),
    (errors.FeatureDefinitionEmpty(), "things:feature.definition.empty", 400, Invalid),
    (errors.ThingNotModifiable("ns:t", "thing", "/"), "things:thing.notmodifiable", 403, NotModifiable),
    (errors.ThingNotModifiable("ns:t", "feature.property", "/features/f/properties/p"),
     "things:feature.property.notmodifiable", 403, NotModifiable),
    (errors.ThingNotDeletable("ns:t"), "things:thing.notdeletable", 403, NotModifiable),
    (errors.ThingNotCreatable("ns:t", "ns:p"), "things:thing.notcreatable", 403, NotModifiable),
    (errors.ThingPolicyMissing("ns:t", "ns:p"), "things:thing.notmodifiable", 403, NotModifiable),
    (errors.ThingNotAccessible("ns:t"), "things:thing.notfound", 404, NotFound),
    (errors.ThingResourceNotFound("attribute", "m"), "things:attribute.notfound", 404, NotFound),
    (errors.ThingHistoryNotFound("ns:t", "3"), "things:thing.history.notfound", 404, NotFound),
    (errors.ThingConflict("ns:t"), "things:thing.conflict", 409, Conflict),
    (errors.ThingTooLarge(2, 1), "things:thing.toolarge", 413, TooLarge),
    (errors.ThingTooManyModifying("ns:t"), "things:thing.toomanymodifyingrequests", 429, Throttled),
    # conditions
    (errors.ThingPreconditionFailed("if-match", '"1"', '"2"'), "things:precondition.failed", 412,
     PreconditionFailed),
    (errors.ThingPreconditionFailed("if-match", '"1"', '"2"', entity="Policy"), "policies:precondition.failed",
     412, PreconditionFailed),
    (errors.ThingNotModified('"2"', '"2"'), "things:precondition.notmodified", 304, PreconditionFailed),
    (errors.ThingNotModified('"2"', '"2"', entity="Policy"), "policies:precondition.notmodified", 304,
     PreconditionFailed),
    (errors.ThingEqualitySkipped(), "things:precondition.failed", 412, PreconditionFailed),
    (errors.ThingConditionFailed("ns:t", "eq(a,1)"), "things:condition.failed", 412, PreconditionFailed),
    (errors.ThingConditionInvalid("m"), "things:condition.invalid", 400, Invalid),
    # policies
    (errors.PolicyIdInvalid("x"), "policies:id.invalid", 400, Invalid),
    (errors.PolicyIdNotSettable(), "policies:id.notsettable", 400, Invalid),
    (errors.PolicyJsonInvalid("m"), "json.invalid", 400, Invalid),
    (errors.PolicyLabelInvalid("imported-x"), "policies:label.invalid", 400, Invalid),
    (errors.PolicyEntryInvalid(), "policies:entry.invalid", 400, Invalid),
    (errors.SubjectIdInvalid("x"), "policies:subjectid.invalid", 400, Invalid),
    (errors.SubjectExpiryInvalid("x"), "policies:subjectexpiry.invalid", 400, Invalid),
    (errors.SubjectAnnouncementInvalid("x"), "policies:subjectannouncement.invalid", 400, Invalid),
    (errors.PolicyImportInvalid(), "policies:import.invalid", 400, Invalid),
    (errors.PolicyImportsTooLarge("ns:p", 10), "policies:imports.toolarge", 400, Invalid),
    (errors.PolicyNotModifiable("ns:p"), "policies:policy.notmodifiable", 403, NotModifiable),
    (errors.PolicyResourceNotModifiable("subject", "m", "d"), "policies:subject.notmodifiable", 403,
     NotModifiable),
    (errors.PolicyNotCreatable("ns:p"), "policies:policy.notcreatable", 403, NotModifiable),
    (errors.PolicyModificationInvalid("ns:p", "d"), "policies:policy.modificationinvalid", 403, NotModifiable),
    (errors.PolicyEntryModificationInvalid(errors.PolicyModificationInvalid("ns:p", "d")),
     "policies:entry.modificationinvalid", 403, NotModifiable),
    (errors.PolicyNotAccessible("ns:p"), "policies:policy.notfound", 404, NotFound),
    (errors.PolicyHistoryNotFound("ns:p", "revision '3'"), "policies:policy.history.notfound", 404, NotFound),
    (errors.PolicyResourceNotFound("entry", "m", "d"), "policies:entry.notfound", 404, NotFound),
    (errors.PolicyConflict("ns:p"), "policies:policy.conflict", 409, Conflict),
    (errors.PolicyImportReferenceConflict("ns:p", "ns:i"), "policies:import.referenceconflict", 409, Conflict),
    (errors.PolicyImportReferenceConflict("ns:p", None), "policies:import.referenceconflict", 409, Conflict),
    (errors.PolicyEntryReferenceConflict("ns:p", "a", "b"), "policies:entry.referenceconflict", 409, Conflict),
    (errors.PolicyTooLarge("2", "1"), "policies:policy.toolarge", 413, TooLarge),
    (errors.PolicyTooManyModifying("ns:p"), "policies:policy.toomanymodifyingrequests", 429, Throttled),
    # search
    (errors.RqlInvalid("m"), "rql.expression.invalid", 400, Invalid),
    (errors.RqlOptionInvalid("m"), "thing-search:search.option.invalid", 400, Invalid),
    (errors.CursorInvalid("d"), "thing-search:search.option.invalid", 400, Invalid),
    (errors.NamespacesInvalid("1x"), "thing-search:search.namespaces.invalid", 400, Invalid),
    (errors.SubscriptionNotFound("search-1"), "thing-search:subscription.not.found", 404, NotFound),
    (errors.SubscriptionProtocolError(), "thing-search:subscription.protocol.error", 400, Invalid),
    (errors.StreamingSubscriptionNotFound("history-1"), "streaming.subscription.not.found", 404, NotFound),
    (errors.StreamingSubscriptionProtocolError(), "streaming.subscription.protocol.error", 400, Invalid),
    # history
    (errors.HistoryTimeInvalid("-1y", "d"), "history:time.invalid", 400, Invalid),
    (errors.HistoryStepInvalid("0s", "d"), "history:step.invalid", 400, Invalid),
    (errors.HistoryAggregationInvalid("median", "d"), "history:aggregation.invalid", 400, Invalid),
    (errors.HistoryPathsInvalid("", "d"), "history:paths.invalid", 400, Invalid),
    (errors.HistoryCursorInvalid("d"), "history:cursor.invalid", 400, Invalid),
    (errors.HistoryFleetTooLarge(10), "history:fleet.toolarge", 400, Invalid),
    (errors.HistoryFormatInvalid("xml", "d"), "history:format.invalid", 400, Invalid),
    (errors.HistoryLimitInvalid("-1", "d"), "history:limit.invalid", 400, Invalid),
    # messages, acknowledgements, live
    (errors.MessageSubjectInvalid(""), "messages:subject.invalid", 400, Invalid),
    (errors.MessageSendNotAllowed("ns:t"), "messages:send.notallowed", 403, NotModifiable),
    (errors.MessagePayloadTooLarge(2048, 1024), "messages:payload.toolarge", 413, TooLarge),
    (errors.EventSendNotAllowed("ns:t"), "things:event.notallowed", 403, NotModifiable),
    (errors.LiveChannelConditionNotAllowed(), "things:live.channelcondition.notallowed", 405, TwinhubError),
    (errors.LiveResponseTimeout(100), "command.timeout", 408, Unavailable),
    (errors.AcknowledgementLabelInvalid("x"), "acknowledgement:label.invalid", 400, Invalid),
    (errors.AcknowledgementLabelForbidden("twin-persisted"), "acknowledgement:ditto.acklabel.forbidden", 400,
     Invalid),
    (errors.AcknowledgementLabelNotDeclared("x"), "acknowledgement:label.not.declared", 400, Invalid),
    (errors.AcknowledgementCorrelationIdMissing(), "acknowledgement:correlation-id.missing", 400, Invalid),
    (errors.AcknowledgementLabelNotUnique(), "acknowledgement:label.not.unique", 409, Conflict),
    (errors.AcknowledgementRequestTimeout(100), "acknowledgement:request.timeout", 408, Unavailable),
    # Ditto Protocol, WebSocket
    (errors.TopicPathUnknown("x/y"), "protocoladapter:unknown.topicpath", 400, Invalid),
    (errors.ProtocolPathUnknown("/x"), "protocoladapter:unknown.path", 400, Invalid),
    (errors.ProtocolPathInvalid("/x"), "protocoladapter:invalid.path", 400, Invalid),
    (errors.WebSocketMessageInvalid("m"), "gateway:websocket.message.invalid", 400, Invalid),
    (errors.WebSocketSubjectChanged("a:b", "a:c"), "gateway:websocket.session.closed", 400, Invalid),
    (errors.WebSocketSessionExpired(), "gateway:websocket.session.expired", 401, Unauthenticated),
    (errors.WebSocketBufferOverflow("m"), "twinhub:websocket.buffer.overflow", 503, Unavailable),
    # connectivity
    (errors.ConnectionConfigurationInvalid("m"), "connectivity:connection.configuration.invalid", 400, Invalid),
    (errors.ConnectionIdInvalid("a b"), "connectivity:connection.id.invalid", 400, Invalid),
    (errors.ConnectionIdNotSettable(), "connectivity:id.notsettable", 400, Invalid),
    (errors.ConnectionUriInvalid("x"), "connectivity:connection.uri.invalid", 400, Invalid),
    (errors.TopicInvalid("x", "Unknown topic: x"), "connectivity:topic.invalid", 400, Invalid),
    (errors.ConnectionSignalIdEnforcementFailed("t:x"), "connectivity:connection.id.enforcement.failed", 400, Invalid),
    (errors.ConnectivityCommandInvalid("x"), "connectivity:command.invalid", 400, Invalid),
    (errors.ConnectionsAmountIllegal(100), "connectivity:connections.amount.illegal", 400, Invalid),
    (errors.ConnectionNotAccessible("c"), "connectivity:connection.notfound", 404, NotFound),
    (errors.ConnectionConflict("c"), "connectivity:connection.conflict", 409, Conflict),
    (errors.DeviceIdInvalid("d"), "devices:device.id.invalid", 400, Invalid),
    (errors.DevicePasswordInvalid("empty"), "devices:device.password.invalid", 400, Invalid),
    (errors.DeviceNotFound("org.example:d"), "devices:device.notfound", 404, NotFound),
    (errors.DeviceConflict("org.example:d"), "devices:device.conflict", 409, Conflict),
    (errors.ThingPreconditionFailed("if-match", "x", "y", entity="Connection"), "connectivity:precondition.failed",
     412, PreconditionFailed),
    (errors.ConnectionFailed("c"), "connectivity:connection.failed", 504, Unavailable),
    (errors.ConnectionUnavailable("c"), "connectivity:connection.unavailable", 503, Unavailable),
    # placeholders
    (errors.PlaceholderUnresolved("thing:x"), "placeholder:unresolved", 400, Invalid),
    (errors.PlaceholderNotResolvable("x", ("request:subjectId",)), "placeholder:placeholder.notresolvable", 400,
     Invalid),
    (errors.PlaceholderReferenceNotSupported("policies"), "placeholder:placeholder.reference.notsupported", 400,
     Invalid),
    (errors.PlaceholderReferenceUnknownField("/x", "ns:t"), "placeholder:placeholder.reference.unknownfield", 400,
     Invalid),
    (errors.PlaceholderFunctionUnknown("fn:x()"), "placeholder:function.unknown", 400, Invalid),
    (errors.PlaceholderFunctionSignatureInvalid("lower", "(1)", "()"), "placeholder:function.signature.invalid",
     400, Invalid),
    (errors.PlaceholderFunctionTooComplex(10), "placeholder:function.too.complex", 400, Invalid),
    # wot
    (errors.ThingModelNotAccessible("https://x/tm.json"), "wot:tm.notfound", 421, TwinhubError),
    (errors.ThingModelInvalid("https://x/tm.json"), "wot:tm.invalid", 400, Invalid),
    (errors.ThingModelRefInvalid("#/x"), "wot:tm.ref.invalid", 400, Invalid),
    (errors.ThingModelPlaceholderUnresolved("X"), "wot:tm.placeholder.unresolved", 400, Invalid),
    (errors.SkeletonGenerationFailed("https://x/tm.json"), "wot:skeleton.generation.failed", 400, Invalid),
    (errors.WotDefinitionInvalid(), "wot:definition.invalid", 404, NotFound),
    (errors.WotPayloadInvalid("The Thing's attributes ..."), "wot:payload.validation.error", 400, Invalid),
    (errors.ThingModelNameInvalid("../x"), "twinhub:wot.model.name.invalid", 400, Invalid),
    (errors.ThingModelNotStored("x.json"), "twinhub:wot.model.notfound", 404, NotFound),
]

ERRORS_PACKAGE = Path(errors.__file__).parent
SOURCE = Path(twinhub.__file__).parent
# Ditto's codes: `<domain>:<name>.<kind>` (and the dotless `placeholder:unresolved`), the gateway-less
# `json.invalid`, `too.many.requests`, ...
CODE = re.compile(r"[a-z][a-z-]*:[a-zA-Z][\w-]*(?:\.[\w-]+)+|placeholder:unresolved"
                  r"|(?:json|headers?|timeout|mediatype|request|command|too|internal|rql|streaming)(?:\.[a-z-]+)+")


def _kinds() -> set[type[TwinhubError]]:
    """Every class of the package that is a kind of error, not a family."""
    classes = {getattr(errors, name) for name in errors.__all__}
    return {cls for cls in classes if isinstance(cls, type) and issubclass(cls, TwinhubError)} - set(FAMILIES) - {
        TwinhubError}


@pytest.mark.parametrize(("error", "code", "status", "base"), KINDS, ids=[type(kind[0]).__name__ for kind in KINDS])
def test_each_kind_has_its_ditto_code_status_and_family(error: TwinhubError, code: str, status: int,
                                                        base: type[TwinhubError]) -> None:
    assert (error.code, error.status) == (code, status)
    assert error.to_json()["error"] == code and error.to_json()["status"] == status
    assert type(error).__bases__ == (base,)


def test_every_kind_is_pinned_and_documented() -> None:
    assert {type(error) for error, *_ in KINDS} == _kinds()
    for cls in [*_kinds(), *FAMILIES, TwinhubError]:
        assert cls.__dict__.get("__doc__"), f"{cls.__name__} has no docstring"


def test_a_familys_kinds_answer_with_the_familys_statuses() -> None:
    for error, *_ in KINDS:
        family = next((family for family in FAMILIES if isinstance(error, family)), None)
        if family is not None:
            assert error.status in FAMILIES[family], type(error).__name__


# A line of the drawing: the name, then for a family its statuses, for a kind its code and any other status.
DRAWN = re.compile(r"(?P<indent>[ │]*)[├└]── (?P<name>\w+) +(?:(?P<statuses>\d+(?:, \d+)*)|(?P<code>\S+)"
                   r"(?: +(?P<status>\d+))?)")


def _drawn() -> dict[str, tuple[str, str, list[int]]]:
    """Each class drawn in the package docstring: its drawn parent, code pattern (`` for a family) and statuses."""
    drawn: dict[str, tuple[str, str, list[int]]] = {}
    parents: list[str] = ["TwinhubError"]
    for line in (errors.__doc__ or "").splitlines():
        match = DRAWN.match(line)
        if match is None:
            continue
        depth = len(match["indent"]) // 4  # the docstring's own indent is one level
        del parents[depth:]
        statuses = [int(status) for status in (match["statuses"] or match["status"] or "").split(", ") if status]
        drawn[match["name"]] = (parents[-1], match["code"] or "", statuses)
        parents.append(match["name"])
    return drawn


def _code_pattern(drawn: str) -> re.Pattern[str]:
    """`things|policies:<resource>.notfound` as a pattern of the codes it stands for."""
    domains, colon, rest = drawn.rpartition(":")
    rest_pattern = re.escape(rest).replace(re.escape("<resource>"), r"[\w.-]+")
    return re.compile(f"(?:{domains}){colon}{rest_pattern}" if colon else rest_pattern)


def test_the_drawn_hierarchy_is_the_real_one() -> None:
    drawn = _drawn()
    real = {cls.__name__: cls.__bases__[0].__name__ for cls in [*_kinds(), *FAMILIES]}
    assert {name: parent for name, (parent, _, _) in drawn.items()} == real
    assert {family.__name__: set(drawn[family.__name__][2]) for family in FAMILIES} == {
        family.__name__: statuses for family, statuses in FAMILIES.items()}


@pytest.mark.parametrize(("error", "code", "status", "base"), KINDS, ids=[type(kind[0]).__name__ for kind in KINDS])
def test_the_drawing_shows_each_kinds_code_and_status(error: TwinhubError, code: str, status: int,
                                                      base: type[TwinhubError]) -> None:
    """A kind is drawn with its code and, unless it answers with the first status drawn above it, its status."""
    drawn = _drawn()
    parent, pattern, statuses = drawn[type(error).__name__]
    assert _code_pattern(pattern).fullmatch(code), f"drawn {pattern!r}, real {code!r}"
    while not statuses:
        parent, _, statuses = drawn[parent]
        statuses = statuses[:1]
    assert status in statuses, f"drawn {statuses}, real {status}"


def test_the_package_exports_exactly_its_public_names() -> None:
    assert errors.__all__ == sorted(errors.__all__)
    modules = ["base", "common", "conditions", "connectivity", "devices", "gateway", "history", "messages",
               "placeholders", "policies", "protocol", "search", "subscriptions", "things", "wot"]
    assert sorted(path.stem for path in ERRORS_PACKAGE.glob("*.py")) == ["__init__", *modules]
    exported: list[str] = []
    for name in modules:
        module = __import__(f"twinhub.model.errors.{name}", fromlist=["__all__"])
        exported += module.__all__
    assert sorted(exported) == errors.__all__
    assert errors.__all__ == [
        "AcknowledgementCorrelationIdMissing", "AcknowledgementLabelForbidden", "AcknowledgementLabelInvalid",
        "AcknowledgementLabelNotDeclared", "AcknowledgementLabelNotUnique", "AcknowledgementRequestTimeout",
        "AuthenticationFailed", "CommandTimeout", "Conflict", "ConnectionConfigurationInvalid", "ConnectionConflict",
        "ConnectionFailed", "ConnectionIdInvalid", "ConnectionIdNotSettable", "ConnectionNotAccessible",
        "ConnectionSignalIdEnforcementFailed", "ConnectionUnavailable", "ConnectionUriInvalid",
        "ConnectionsAmountIllegal", "ConnectivityCommandInvalid", "CursorInvalid", "DefinitionInvalid",
        "DeviceConflict", "DeviceIdInvalid", "DeviceNotFound", "DevicePasswordInvalid",
        "DuplicateHeaderField", "ErrorBody", "EventSendNotAllowed", "FeatureDefinitionEmpty", "FieldSelectorInvalid",
        "HeaderInvalid",
        "HeadersTooLarge", "HistoryAggregationInvalid",
        "HistoryCursorInvalid", "HistoryFleetTooLarge", "HistoryFormatInvalid", "HistoryLimitInvalid",
        "HistoryPathsInvalid",
        "HistoryStepInvalid", "HistoryTimeInvalid", "InternalError",
        "Invalid", "JsonFieldMissing", "JsonInvalid", "JsonKeyInvalid", "JsonParseInvalid", "JsonPointerInvalid",
        "JwtIssuerNotSupported", "LiveChannelConditionNotAllowed", "LiveResponseTimeout", "MediaTypeMissing",
        "MediaTypeUnsupported", "MessagePayloadTooLarge", "MessageSendNotAllowed", "MessageSubjectInvalid",
        "MetadataHeadersConflict", "MetadataNotModifiable", "MetadataWildcardInvalid", "MetadataWildcardTooBroad",
        "MethodNotAllowed", "NamespacesInvalid", "NotFound", "NotModifiable",
        "PlaceholderFunctionSignatureInvalid", "PlaceholderFunctionTooComplex", "PlaceholderFunctionUnknown",
        "PlaceholderNotResolvable", "PlaceholderReferenceNotSupported", "PlaceholderReferenceUnknownField",
        "PlaceholderUnresolved", "PolicyConflict",
        "PolicyEntryInvalid", "PolicyEntryModificationInvalid", "PolicyEntryReferenceConflict",
        "PolicyHistoryNotFound", "PolicyIdInvalid",
        "PolicyIdNotDeletable",
        "PolicyIdNotSettable", "PolicyImportInvalid", "PolicyImportReferenceConflict", "PolicyImportsTooLarge",
        "PolicyJsonInvalid", "PolicyLabelInvalid", "PolicyModificationInvalid", "PolicyNotAccessible",
        "PolicyNotCreatable", "PolicyNotModifiable", "PolicyResourceNotFound", "PolicyResourceNotModifiable",
        "PolicyTooLarge", "PolicyTooManyModifying", "PreconditionFailed", "ProtocolPathInvalid",
        "ProtocolPathUnknown", "RequestInvalid", "RequestTooLarge", "ResourceNotFound", "RqlInvalid",
        "RqlOptionInvalid", "ServiceUnavailable", "SkeletonGenerationFailed", "StreamingSubscriptionNotFound",
        "StreamingSubscriptionProtocolError", "SubjectAnnouncementInvalid", "SubjectExpiryInvalid", "SubjectIdInvalid",
        "SubscriptionNotFound",
        "SubscriptionProtocolError",
        "ThingConditionFailed", "ThingConditionInvalid", "ThingConflict", "ThingEqualitySkipped",
        "ThingHistoryNotFound", "ThingIdInvalid", "ThingIdNotDeletable", "ThingIdNotSettable", "ThingIdsMissing",
        "ThingInvalid", "ThingMergeInvalid", "ThingModelInvalid", "ThingModelNameInvalid", "ThingModelNotAccessible",
        "ThingModelNotStored", "ThingModelPlaceholderUnresolved", "ThingModelRefInvalid",
        "ThingNotAccessible", "ThingNotCreatable",
        "ThingNotDeletable",
        "ThingNotModifiable",
        "ThingNotModified", "ThingPoliciesConflicting", "ThingPolicyExisting", "ThingPolicyInvalid",
        "ThingPolicyMissing", "ThingPolicyNotAllowed", "ThingPolicyNotCreated", "ThingPreconditionFailed",
        "ThingResourceNotFound",
        "ThingTooLarge", "ThingTooManyModifying", "Throttled", "TimeoutInvalid", "TooLarge", "TooManyRequests",
        "TopicInvalid", "TopicPathUnknown", "TwinhubError", "Unauthenticated", "Unavailable", "WebSocketBufferOverflow",
        "WebSocketMessageInvalid", "WebSocketSessionExpired", "WebSocketSubjectChanged", "WotDefinitionInvalid",
        "WotPayloadInvalid",
    ]


def test_a_revision_conflict_is_an_internal_signal_not_an_error_a_client_could_see() -> None:
    assert not issubclass(RevisionConflict, TwinhubError)


def _code_like_strings(path: Path) -> Iterator[tuple[int, str]]:
    """The string literals of a module (f-strings with `x` for each value) that read as Ditto error codes,
    docstrings aside."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value) for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body
        and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            text = node.value
        elif isinstance(node, ast.JoinedStr):
            text = "".join(part.value if isinstance(part, ast.Constant) else "x" for part in node.values)
        else:
            continue
        if CODE.fullmatch(text):
            yield node.lineno, text


def test_no_error_code_is_spelled_outside_the_error_modules() -> None:
    """Whether passed to an error's constructor, kept in a constant or written into a close reason: a code
    outside `twinhub.model.errors` is an error kind the hierarchy does not know."""
    found = [f"{path.relative_to(SOURCE)}:{line}: {text}"
             for path in sorted(SOURCE.rglob("*.py")) if ERRORS_PACKAGE not in path.parents
             for line, text in _code_like_strings(path)]
    assert found == []


def test_the_code_finder_finds_every_code_in_the_error_modules() -> None:
    found = {text for path in ERRORS_PACKAGE.glob("*.py") for _, text in _code_like_strings(path)}
    # An f-string's values read as `x` (`things:x.notfound`), which stands for any part of a code here.
    patterns = [re.compile(re.escape(text).replace("x", r"[\w.-]+")) for text in found]
    for _, code, _, _ in KINDS:
        assert any(pattern.fullmatch(code) for pattern in patterns), code
