"""Ditto's connection model, pure: parse a connection's JSON, render it back, validate it.

    connection = parse_connection(json_value)            # JSON errors, ConnectionIdInvalid, TopicInvalid, RqlInvalid
    validate(connection)                                 # ConnectionConfigurationInvalid, ConnectionUriInvalid, ...
    connection.to_json()                                 # Ditto's JSON, in Ditto's field order

No I/O: the store keeps connections, the runtime runs them, the routes serve them.
"""

from __future__ import annotations

from twinhub.connectivity.model.connection import (
    CONNECTION_ID_PATTERN,
    Connection,
    ConnectionType,
    ConnectivityStatus,
    MappingDefinition,
    parse_connection,
    parse_connection_id,
)
from twinhub.connectivity.model.source import (
    DEFAULT_EXPECTED_RESPONSE_TYPES,
    RESPONSE_TYPES,
    AcknowledgementRequests,
    Enforcement,
    ReplyTarget,
    Source,
    parse_source,
)
from twinhub.connectivity.model.specific_config import (
    NatsConfig,
    SpecificConfigInvalid,
    http_push_parallelism,
    validate_nats_subject,
    validate_nats_uri,
)
from twinhub.connectivity.model.target import FilteredTopic, Target, TopicKind, parse_target, parse_topic
from twinhub.connectivity.model.uri import ConnectionUri, parse_uri
from twinhub.connectivity.model.validation import (
    FALLBACK_MAPPERS,
    MAPPING_ENGINES,
    MAX_MAPPERS,
    MAX_SOURCES,
    MAX_TARGETS,
    SCHEMES,
    SUPPORTED_TYPES,
    validate,
)

__all__ = [
    "CONNECTION_ID_PATTERN",
    "DEFAULT_EXPECTED_RESPONSE_TYPES",
    "FALLBACK_MAPPERS",
    "MAPPING_ENGINES",
    "MAX_MAPPERS",
    "MAX_SOURCES",
    "MAX_TARGETS",
    "RESPONSE_TYPES",
    "SCHEMES",
    "SUPPORTED_TYPES",
    "AcknowledgementRequests",
    "Connection",
    "ConnectionType",
    "ConnectionUri",
    "ConnectivityStatus",
    "Enforcement",
    "FilteredTopic",
    "MappingDefinition",
    "NatsConfig",
    "ReplyTarget",
    "Source",
    "SpecificConfigInvalid",
    "Target",
    "TopicKind",
    "http_push_parallelism",
    "parse_connection",
    "parse_connection_id",
    "parse_source",
    "parse_target",
    "parse_topic",
    "parse_uri",
    "validate",
    "validate_nats_subject",
    "validate_nats_uri",
]
