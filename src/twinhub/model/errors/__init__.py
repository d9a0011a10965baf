"""One error type carrying Ditto's error code and HTTP status, in families by what the client can do.

Every failure the platform reports is a :class:`TwinhubError`; edges render it (HTTP as Ditto's error body,
in one exception handler; WebSocket and connections as a Ditto Protocol error) and never invent their own.
Each kind lives in the module of its domain (`common`, `gateway`, `things`, `conditions`, `policies`,
`search`, `subscriptions`, `history`, `messages`, `protocol`, `connectivity`, `devices`, `placeholders`,
`wot`); its family (`base`) fixes its status.
Only these modules spell error codes. `twinhub.protocol.ProtocolError` carries any of them with the topic and
headers of the message it came from. Signals internal to the write path (the store's `RevisionConflict`) are
no TwinhubError: they never reach a client.

    TwinhubError(code, status, message, description)
    ├── Invalid                                 400
    │   ├── JsonInvalid                         json.format.invalid
    │   ├── ThingInvalid                        json.format.invalid                 (a thing's JSON)
    │   ├── JsonParseInvalid                    json.invalid
    │   ├── PolicyJsonInvalid                   json.invalid                        (a policy's JSON)
    │   ├── JsonFieldMissing                    json.field.missing
    │   ├── JsonPointerInvalid                  json.pointer.invalid
    │   ├── HeaderInvalid                       header.invalid
    │   ├── TimeoutInvalid                      timeout.invalid
    │   ├── RequestInvalid                      gateway:request.invalid
    │   ├── DuplicateHeaderField                gateway:duplicate.header.field
    │   ├── ThingIdInvalid                      things:id.invalid
    │   ├── ThingIdNotSettable                  things:id.notsettable
    │   ├── ThingIdNotDeletable                 things:id.notdeletable
    │   ├── ThingIdsMissing                     things:things.ids.missing
    │   ├── ThingMergeInvalid                   things:merge.invalid
    │   ├── MetadataHeadersConflict             things:metadata.headersconflict
    │   ├── MetadataNotModifiable               things:metadata.notmodifiable
    │   ├── MetadataWildcardInvalid             header.invalid
    │   ├── MetadataWildcardTooBroad            header.invalid                      (beyond Ditto)
    │   ├── ThingPolicyNotAllowed               things:policy.notallowed
    │   ├── ThingPolicyExisting                 things:thing.notcreatable           (its policy exists)
    │   ├── ThingPolicyInvalid                  things:policy.invalid               (its inline policy)
    │   ├── ThingPoliciesConflicting            things:policy.conflicting
    │   ├── PolicyIdNotDeletable                things:policyId.notdeletable
    │   ├── JsonKeyInvalid                      things:json.key.invalid
    │   ├── FieldSelectorInvalid                things:field.selection.invalid
    │   ├── DefinitionInvalid                   things:definition.identifier.invalid
    │   ├── FeatureDefinitionEmpty              things:feature.definition.empty
    │   ├── ThingConditionInvalid               things:condition.invalid
    │   ├── PolicyIdInvalid                     policies:id.invalid
    │   ├── PolicyIdNotSettable                 policies:id.notsettable
    │   ├── PolicyLabelInvalid                  policies:label.invalid
    │   ├── PolicyEntryInvalid                  policies:entry.invalid
    │   ├── SubjectIdInvalid                    policies:subjectid.invalid
    │   ├── SubjectExpiryInvalid                policies:subjectexpiry.invalid
    │   ├── SubjectAnnouncementInvalid          policies:subjectannouncement.invalid
    │   ├── PolicyImportInvalid                 policies:import.invalid
    │   ├── PolicyImportsTooLarge               policies:imports.toolarge
    │   ├── RqlInvalid                          rql.expression.invalid
    │   ├── RqlOptionInvalid                    thing-search:search.option.invalid
    │   ├── CursorInvalid                       thing-search:search.option.invalid
    │   ├── HistoryTimeInvalid                  history:time.invalid
    │   ├── HistoryStepInvalid                  history:step.invalid
    │   ├── HistoryAggregationInvalid           history:aggregation.invalid
    │   ├── HistoryPathsInvalid                 history:paths.invalid
    │   ├── HistoryCursorInvalid                history:cursor.invalid
    │   ├── HistoryFleetTooLarge                history:fleet.toolarge
    │   ├── HistoryFormatInvalid                history:format.invalid
    │   ├── HistoryLimitInvalid                 history:limit.invalid
    │   ├── NamespacesInvalid                   thing-search:search.namespaces.invalid
    │   ├── SubscriptionProtocolError           thing-search:subscription.protocol.error
    │   ├── StreamingSubscriptionProtocolError  streaming.subscription.protocol.error
    │   ├── MessageSubjectInvalid               messages:subject.invalid
    │   ├── AcknowledgementLabelInvalid         acknowledgement:label.invalid
    │   ├── AcknowledgementLabelForbidden       acknowledgement:ditto.acklabel.forbidden
    │   ├── AcknowledgementLabelNotDeclared     acknowledgement:label.not.declared
    │   ├── AcknowledgementCorrelationIdMissing acknowledgement:correlation-id.missing
    │   ├── TopicPathUnknown                    protocoladapter:unknown.topicpath
    │   ├── ProtocolPathUnknown                 protocoladapter:unknown.path
    │   ├── ProtocolPathInvalid                 protocoladapter:invalid.path
    │   ├── WebSocketMessageInvalid             gateway:websocket.message.invalid
    │   ├── WebSocketSubjectChanged             gateway:websocket.session.closed
    │   ├── ConnectionConfigurationInvalid      connectivity:connection.configuration.invalid
    │   ├── ConnectionIdInvalid                 connectivity:connection.id.invalid
    │   ├── ConnectionIdNotSettable             connectivity:id.notsettable
    │   ├── ConnectionUriInvalid                connectivity:connection.uri.invalid
    │   ├── TopicInvalid                        connectivity:topic.invalid
    │   ├── ConnectionSignalIdEnforcementFailed connectivity:connection.id.enforcement.failed
    │   ├── ConnectivityCommandInvalid          connectivity:command.invalid
    │   ├── ConnectionsAmountIllegal            connectivity:connections.amount.illegal
    │   ├── DeviceIdInvalid                     devices:device.id.invalid           (twinhub extension)
    │   ├── DevicePasswordInvalid               devices:device.password.invalid     (twinhub extension)
    │   ├── ThingModelInvalid                   wot:tm.invalid
    │   ├── ThingModelRefInvalid                wot:tm.ref.invalid
    │   ├── ThingModelPlaceholderUnresolved     wot:tm.placeholder.unresolved
    │   ├── SkeletonGenerationFailed            wot:skeleton.generation.failed
    │   ├── WotPayloadInvalid                   wot:payload.validation.error        (+ validationDetails)
    │   ├── ThingModelNameInvalid               twinhub:wot.model.name.invalid
    │   ├── PlaceholderUnresolved               placeholder:unresolved
    │   ├── PlaceholderNotResolvable            placeholder:placeholder.notresolvable
    │   ├── PlaceholderReferenceNotSupported    placeholder:placeholder.reference.notsupported
    │   ├── PlaceholderReferenceUnknownField    placeholder:placeholder.reference.unknownfield
    │   ├── PlaceholderFunctionUnknown          placeholder:function.unknown
    │   ├── PlaceholderFunctionSignatureInvalid placeholder:function.signature.invalid
    │   └── PlaceholderFunctionTooComplex       placeholder:function.too.complex
    ├── Unauthenticated                         401
    │   ├── AuthenticationFailed                gateway:authentication.failed       (+ WWW-Authenticate)
    │   │   └── JwtIssuerNotSupported           gateway:jwt.issuer.notsupported
    │   └── WebSocketSessionExpired             gateway:websocket.session.expired
    ├── NotModifiable                           403
    │   ├── ThingNotModifiable                  things:<resource>.notmodifiable
    │   ├── ThingNotDeletable                   things:thing.notdeletable
    │   ├── ThingNotCreatable                   things:thing.notcreatable
    │   ├── ThingPolicyMissing                  things:thing.notmodifiable          (its policy is gone)
    │   ├── PolicyNotModifiable                 policies:policy.notmodifiable
    │   ├── PolicyResourceNotModifiable         policies:<resource>.notmodifiable
    │   ├── PolicyNotCreatable                  policies:policy.notcreatable
    │   ├── PolicyModificationInvalid           policies:policy.modificationinvalid
    │   ├── PolicyEntryModificationInvalid      policies:entry.modificationinvalid
    │   ├── MessageSendNotAllowed               messages:send.notallowed
    │   └── EventSendNotAllowed                 things:event.notallowed
    ├── NotFound                                404
    │   ├── ResourceNotFound                    gateway:resource.notfound           (no route)
    │   ├── ThingNotAccessible                  things:thing.notfound
    │   ├── ThingResourceNotFound               things:<resource>.notfound
    │   ├── ThingHistoryNotFound                things:thing.history.notfound
    │   ├── SubscriptionNotFound                thing-search:subscription.not.found
    │   ├── StreamingSubscriptionNotFound       streaming.subscription.not.found
    │   ├── PolicyNotAccessible                 policies:policy.notfound
    │   ├── PolicyHistoryNotFound               policies:policy.history.notfound
    │   ├── PolicyResourceNotFound              policies:<resource>.notfound
    │   ├── ConnectionNotAccessible             connectivity:connection.notfound
    │   ├── DeviceNotFound                      devices:device.notfound             (twinhub extension)
    │   ├── WotDefinitionInvalid                wot:definition.invalid
    │   └── ThingModelNotStored                 twinhub:wot.model.notfound
    ├── Conflict                                409
    │   ├── ThingConflict                       things:thing.conflict
    │   ├── PolicyConflict                      policies:policy.conflict
    │   ├── PolicyImportReferenceConflict       policies:import.referenceconflict
    │   ├── PolicyEntryReferenceConflict        policies:entry.referenceconflict
    │   ├── AcknowledgementLabelNotUnique       acknowledgement:label.not.unique
    │   ├── ConnectionConflict                  connectivity:connection.conflict
    │   └── DeviceConflict                      devices:device.conflict             (twinhub extension)
    ├── PreconditionFailed                      412, 304
    │   ├── ThingPreconditionFailed             things|policies|connectivity:precondition.failed (+ ETag)
    │   ├── ThingNotModified                    things|policies|connectivity:precondition.notmodified 304
    │   ├── ThingEqualitySkipped                things:precondition.failed
    │   └── ThingConditionFailed                things:condition.failed
    ├── TooLarge                                413
    │   ├── RequestTooLarge                     request.toolarge
    │   ├── ThingTooLarge                       things:thing.toolarge
    │   ├── PolicyTooLarge                      policies:policy.toolarge
    │   └── MessagePayloadTooLarge              messages:payload.toolarge
    ├── Throttled                               429
    │   ├── TooManyRequests                     too.many.requests                   (+ Retry-After)
    │   ├── ThingTooManyModifying               things:thing.toomanymodifyingrequests
    │   └── PolicyTooManyModifying              policies:policy.toomanymodifyingrequests
    ├── Unavailable                             503, 408, 504
    │   ├── ServiceUnavailable                  gateway:service.unavailable
    │   ├── WebSocketBufferOverflow             twinhub:websocket.buffer.overflow
    │   ├── CommandTimeout                      command.timeout                      408
    │   ├── LiveResponseTimeout                 command.timeout                      408
    │   ├── AcknowledgementRequestTimeout       acknowledgement:request.timeout      408
    │   ├── ConnectionFailed                    connectivity:connection.failed       504
    │   └── ConnectionUnavailable               connectivity:connection.unavailable
    ├── MethodNotAllowed                        gateway:method.notallowed            405 (+ Allow)
    ├── HeadersTooLarge                         headers.too.large                    431
    ├── ThingModelNotAccessible                 wot:tm.notfound                      421
    ├── LiveChannelConditionNotAllowed          things:live.channelcondition.notallowed 405
    ├── ThingPolicyNotCreated                   things:thing.notcreatable            403 (or its cause's status)
    ├── MediaTypeUnsupported                    mediatype.unsupported                415
    ├── MediaTypeMissing                        mediatype.unsupported                415
    └── InternalError                           internal.error                       500
"""

# size: the drawn hierarchy, the re-exports and `__all__`, three lists of the same names; no logic to split
from __future__ import annotations

from twinhub.model.errors.base import (
    Conflict,
    ErrorBody,
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
from twinhub.model.errors.common import (
    CommandTimeout,
    HeaderInvalid,
    HeadersTooLarge,
    InternalError,
    JsonFieldMissing,
    JsonInvalid,
    JsonParseInvalid,
    JsonPointerInvalid,
    MediaTypeMissing,
    MediaTypeUnsupported,
    RequestTooLarge,
    TimeoutInvalid,
    TooManyRequests,
)
from twinhub.model.errors.conditions import (
    ThingConditionFailed,
    ThingConditionInvalid,
    ThingEqualitySkipped,
    ThingNotModified,
    ThingPreconditionFailed,
)
from twinhub.model.errors.connectivity import (
    ConnectionConfigurationInvalid,
    ConnectionConflict,
    ConnectionFailed,
    ConnectionIdInvalid,
    ConnectionIdNotSettable,
    ConnectionNotAccessible,
    ConnectionsAmountIllegal,
    ConnectionSignalIdEnforcementFailed,
    ConnectionUnavailable,
    ConnectionUriInvalid,
    ConnectivityCommandInvalid,
    TopicInvalid,
)
from twinhub.model.errors.devices import DeviceConflict, DeviceIdInvalid, DeviceNotFound, DevicePasswordInvalid
from twinhub.model.errors.gateway import (
    AuthenticationFailed,
    DuplicateHeaderField,
    JwtIssuerNotSupported,
    MethodNotAllowed,
    RequestInvalid,
    ResourceNotFound,
    ServiceUnavailable,
)
from twinhub.model.errors.history import (
    HistoryAggregationInvalid,
    HistoryCursorInvalid,
    HistoryFleetTooLarge,
    HistoryFormatInvalid,
    HistoryLimitInvalid,
    HistoryPathsInvalid,
    HistoryStepInvalid,
    HistoryTimeInvalid,
)
from twinhub.model.errors.messages import (
    AcknowledgementCorrelationIdMissing,
    AcknowledgementLabelForbidden,
    AcknowledgementLabelInvalid,
    AcknowledgementLabelNotDeclared,
    AcknowledgementLabelNotUnique,
    AcknowledgementRequestTimeout,
    EventSendNotAllowed,
    LiveChannelConditionNotAllowed,
    LiveResponseTimeout,
    MessagePayloadTooLarge,
    MessageSendNotAllowed,
    MessageSubjectInvalid,
)
from twinhub.model.errors.placeholders import (
    PlaceholderFunctionSignatureInvalid,
    PlaceholderFunctionTooComplex,
    PlaceholderFunctionUnknown,
    PlaceholderNotResolvable,
    PlaceholderReferenceNotSupported,
    PlaceholderReferenceUnknownField,
    PlaceholderUnresolved,
)
from twinhub.model.errors.policies import (
    PolicyConflict,
    PolicyEntryInvalid,
    PolicyEntryModificationInvalid,
    PolicyEntryReferenceConflict,
    PolicyHistoryNotFound,
    PolicyIdInvalid,
    PolicyIdNotSettable,
    PolicyImportInvalid,
    PolicyImportReferenceConflict,
    PolicyImportsTooLarge,
    PolicyJsonInvalid,
    PolicyLabelInvalid,
    PolicyModificationInvalid,
    PolicyNotAccessible,
    PolicyNotCreatable,
    PolicyNotModifiable,
    PolicyResourceNotFound,
    PolicyResourceNotModifiable,
    PolicyTooLarge,
    PolicyTooManyModifying,
    SubjectAnnouncementInvalid,
    SubjectExpiryInvalid,
    SubjectIdInvalid,
)
from twinhub.model.errors.protocol import (
    ProtocolPathInvalid,
    ProtocolPathUnknown,
    TopicPathUnknown,
    WebSocketBufferOverflow,
    WebSocketMessageInvalid,
    WebSocketSessionExpired,
    WebSocketSubjectChanged,
)
from twinhub.model.errors.search import CursorInvalid, NamespacesInvalid, RqlInvalid, RqlOptionInvalid
from twinhub.model.errors.subscriptions import (
    StreamingSubscriptionNotFound,
    StreamingSubscriptionProtocolError,
    SubscriptionNotFound,
    SubscriptionProtocolError,
)
from twinhub.model.errors.things import (
    DefinitionInvalid,
    FeatureDefinitionEmpty,
    FieldSelectorInvalid,
    JsonKeyInvalid,
    MetadataHeadersConflict,
    MetadataNotModifiable,
    MetadataWildcardInvalid,
    MetadataWildcardTooBroad,
    PolicyIdNotDeletable,
    ThingConflict,
    ThingHistoryNotFound,
    ThingIdInvalid,
    ThingIdNotDeletable,
    ThingIdNotSettable,
    ThingIdsMissing,
    ThingInvalid,
    ThingMergeInvalid,
    ThingNotAccessible,
    ThingNotCreatable,
    ThingNotDeletable,
    ThingNotModifiable,
    ThingPoliciesConflicting,
    ThingPolicyExisting,
    ThingPolicyInvalid,
    ThingPolicyMissing,
    ThingPolicyNotAllowed,
    ThingPolicyNotCreated,
    ThingResourceNotFound,
    ThingTooLarge,
    ThingTooManyModifying,
)
from twinhub.model.errors.wot import (
    SkeletonGenerationFailed,
    ThingModelInvalid,
    ThingModelNameInvalid,
    ThingModelNotAccessible,
    ThingModelNotStored,
    ThingModelPlaceholderUnresolved,
    ThingModelRefInvalid,
    WotDefinitionInvalid,
    WotPayloadInvalid,
)

__all__ = [
    "AcknowledgementCorrelationIdMissing",
    "AcknowledgementLabelForbidden",
    "AcknowledgementLabelInvalid",
    "AcknowledgementLabelNotDeclared",
    "AcknowledgementLabelNotUnique",
    "AcknowledgementRequestTimeout",
    "AuthenticationFailed",
    "CommandTimeout",
    "Conflict",
    "ConnectionConfigurationInvalid",
    "ConnectionConflict",
    "ConnectionFailed",
    "ConnectionIdInvalid",
    "ConnectionIdNotSettable",
    "ConnectionNotAccessible",
    "ConnectionSignalIdEnforcementFailed",
    "ConnectionUnavailable",
    "ConnectionUriInvalid",
    "ConnectionsAmountIllegal",
    "ConnectivityCommandInvalid",
    "CursorInvalid",
    "DefinitionInvalid",
    "DeviceConflict",
    "DeviceIdInvalid",
    "DeviceNotFound",
    "DevicePasswordInvalid",
    "DuplicateHeaderField",
    "ErrorBody",
    "EventSendNotAllowed",
    "FeatureDefinitionEmpty",
    "FieldSelectorInvalid",
    "HeaderInvalid",
    "HeadersTooLarge",
    "HistoryAggregationInvalid",
    "HistoryCursorInvalid",
    "HistoryFleetTooLarge",
    "HistoryFormatInvalid",
    "HistoryLimitInvalid",
    "HistoryPathsInvalid",
    "HistoryStepInvalid",
    "HistoryTimeInvalid",
    "InternalError",
    "Invalid",
    "JsonFieldMissing",
    "JsonInvalid",
    "JsonKeyInvalid",
    "JsonParseInvalid",
    "JsonPointerInvalid",
    "JwtIssuerNotSupported",
    "LiveChannelConditionNotAllowed",
    "LiveResponseTimeout",
    "MediaTypeMissing",
    "MediaTypeUnsupported",
    "MessagePayloadTooLarge",
    "MessageSendNotAllowed",
    "MessageSubjectInvalid",
    "MetadataHeadersConflict",
    "MetadataNotModifiable",
    "MetadataWildcardInvalid",
    "MetadataWildcardTooBroad",
    "MethodNotAllowed",
    "NamespacesInvalid",
    "NotFound",
    "NotModifiable",
    "PlaceholderFunctionSignatureInvalid",
    "PlaceholderFunctionTooComplex",
    "PlaceholderFunctionUnknown",
    "PlaceholderNotResolvable",
    "PlaceholderReferenceNotSupported",
    "PlaceholderReferenceUnknownField",
    "PlaceholderUnresolved",
    "PolicyConflict",
    "PolicyEntryInvalid",
    "PolicyEntryModificationInvalid",
    "PolicyEntryReferenceConflict",
    "PolicyHistoryNotFound",
    "PolicyIdInvalid",
    "PolicyIdNotDeletable",
    "PolicyIdNotSettable",
    "PolicyImportInvalid",
    "PolicyImportReferenceConflict",
    "PolicyImportsTooLarge",
    "PolicyJsonInvalid",
    "PolicyLabelInvalid",
    "PolicyModificationInvalid",
    "PolicyNotAccessible",
    "PolicyNotCreatable",
    "PolicyNotModifiable",
    "PolicyResourceNotFound",
    "PolicyResourceNotModifiable",
    "PolicyTooLarge",
    "PolicyTooManyModifying",
    "PreconditionFailed",
    "ProtocolPathInvalid",
    "ProtocolPathUnknown",
    "RequestInvalid",
    "RequestTooLarge",
    "ResourceNotFound",
    "RqlInvalid",
    "RqlOptionInvalid",
    "ServiceUnavailable",
    "SkeletonGenerationFailed",
    "StreamingSubscriptionNotFound",
    "StreamingSubscriptionProtocolError",
    "SubjectAnnouncementInvalid",
    "SubjectExpiryInvalid",
    "SubjectIdInvalid",
    "SubscriptionNotFound",
    "SubscriptionProtocolError",
    "ThingConditionFailed",
    "ThingConditionInvalid",
    "ThingConflict",
    "ThingEqualitySkipped",
    "ThingHistoryNotFound",
    "ThingIdInvalid",
    "ThingIdNotDeletable",
    "ThingIdNotSettable",
    "ThingIdsMissing",
    "ThingInvalid",
    "ThingMergeInvalid",
    "ThingModelInvalid",
    "ThingModelNameInvalid",
    "ThingModelNotAccessible",
    "ThingModelNotStored",
    "ThingModelPlaceholderUnresolved",
    "ThingModelRefInvalid",
    "ThingNotAccessible",
    "ThingNotCreatable",
    "ThingNotDeletable",
    "ThingNotModifiable",
    "ThingNotModified",
    "ThingPoliciesConflicting",
    "ThingPolicyExisting",
    "ThingPolicyInvalid",
    "ThingPolicyMissing",
    "ThingPolicyNotAllowed",
    "ThingPolicyNotCreated",
    "ThingPreconditionFailed",
    "ThingResourceNotFound",
    "ThingTooLarge",
    "ThingTooManyModifying",
    "Throttled",
    "TimeoutInvalid",
    "TooLarge",
    "TooManyRequests",
    "TopicInvalid",
    "TopicPathUnknown",
    "TwinhubError",
    "Unauthenticated",
    "Unavailable",
    "WebSocketBufferOverflow",
    "WebSocketMessageInvalid",
    "WebSocketSessionExpired",
    "WebSocketSubjectChanged",
    "WotDefinitionInvalid",
    "WotPayloadInvalid",
]
