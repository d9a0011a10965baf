"""The connection model's public surface, pinned."""

from __future__ import annotations

import twinhub.connectivity.model


def test_the_model_package_exports_exactly_its_public_surface() -> None:
    assert twinhub.connectivity.model.__all__ == [
        "CONNECTION_ID_PATTERN", "DEFAULT_EXPECTED_RESPONSE_TYPES", "FALLBACK_MAPPERS", "MAPPING_ENGINES",
        "MAX_MAPPERS", "MAX_SOURCES", "MAX_TARGETS", "RESPONSE_TYPES", "SCHEMES", "SUPPORTED_TYPES",
        "AcknowledgementRequests", "Connection", "ConnectionType", "ConnectionUri", "ConnectivityStatus",
        "Enforcement", "FilteredTopic", "MappingDefinition", "NatsConfig", "ReplyTarget", "Source",
        "SpecificConfigInvalid", "Target", "TopicKind", "http_push_parallelism", "parse_connection",
        "parse_connection_id", "parse_source", "parse_target", "parse_topic", "parse_uri", "validate",
        "validate_nats_subject", "validate_nats_uri",
    ]
    for name in twinhub.connectivity.model.__all__:
        assert hasattr(twinhub.connectivity.model, name), name
