"""The rules a connection must keep, general and per connection type, answered as Ditto's validators do.

`validate(connection)` raises the first rule broken, in Ditto's order: the connection type is one twinhub
supports; some source or target; every source and target has an authorization context; connection
announcements only with one client; limits on sources, targets and mappers; non-empty addresses; declared
and issued acknowledgement labels; the URI and its scheme; the type's own rules (MQTT QoS and topic filters,
HTTP push target addresses, no sources for HTTP push, its parallelism; NATS subjects and specificConfig as
the client reads them); every payload mapping known; every template valid.

Placeholders (`{{ thing:id }}`, `{{ header:x | fn:lower() }}`) in addresses, header mappings and
enforcement are checked with `twinhub.connectivity.placeholders`: each place takes the placeholders it is
resolved with (a target's address those of an outbound signal, an MQTT source's enforcement input only
`source:address`, ...); a wrong one is answered as Ditto does, a configuration error carrying the
placeholder error's message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

from twinhub.connectivity import placeholders
from twinhub.connectivity.model.connection import Connection, ConnectionType
from twinhub.connectivity.model.specific_config import (
    NatsConfig,
    SpecificConfigInvalid,
    http_push_parallelism,
    validate_nats_subject,
)
from twinhub.connectivity.model.target import TopicKind
from twinhub.connectivity.model.uri import parse_uri
from twinhub.model.errors import (
    AcknowledgementLabelInvalid,
    AcknowledgementLabelNotUnique,
    ConnectionConfigurationInvalid,
    ConnectionUriInvalid,
    TwinhubError,
)

__all__ = ["FALLBACK_MAPPERS", "MAPPING_ENGINES", "MAX_MAPPERS", "MAX_SOURCES", "MAX_TARGETS", "SCHEMES",
           "SUPPORTED_TYPES", "validate"]

SUPPORTED_TYPES: Final = (ConnectionType.MQTT, ConnectionType.MQTT_5, ConnectionType.AMQP_091,
                          ConnectionType.AMQP_10, ConnectionType.HTTP_PUSH, ConnectionType.NATS)

# (accepted, secure) URI schemes per connection type, as Ditto's protocol validators; NATS as its clients.
SCHEMES: Final[dict[ConnectionType, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    ConnectionType.MQTT: (("tcp", "ssl"), ("ssl",)),
    ConnectionType.MQTT_5: (("tcp", "ssl"), ("ssl",)),
    ConnectionType.AMQP_091: (("amqp", "amqps"), ("amqps",)),
    ConnectionType.AMQP_10: (("amqp", "amqps"), ("amqps",)),
    ConnectionType.HTTP_PUSH: (("http", "https"), ("https",)),
    ConnectionType.NATS: (("nats", "tls"), ("tls",)),
}
_PROTOCOL_NAMES: Final = {ConnectionType.MQTT: "MQTT 3.1.1", ConnectionType.MQTT_5: "MQTT 5",
                          ConnectionType.AMQP_091: "AMQP 0.9.1", ConnectionType.AMQP_10: "AMQP 1.0",
                          ConnectionType.HTTP_PUSH: "HTTP", ConnectionType.NATS: "NATS"}

# Mapping engines a `mappingDefinitions` entry may name, and those usable by name without a definition.
MAPPING_ENGINES: Final = ("Ditto", "JavaScript", "Normalized", "ImplicitThingCreation", "ConnectionStatus",
                          "RawMessage", "UpdateTwinWithLiveResponse", "CloudEvents")
FALLBACK_MAPPERS: Final = ("Ditto", "Normalized", "RawMessage", "UpdateTwinWithLiveResponse", "CloudEvents")

MAX_SOURCES: Final = 100
MAX_TARGETS: Final = 100
MAX_MAPPERS: Final = 10  # payload mappings per source or target

HTTP_METHODS: Final = ("PUT", "PATCH", "POST", "GET", "DELETE")
_CONNECTION_ID_PLACEHOLDER: Final = re.compile(r"\{\{\s*connection:id\s*}}")


# The placeholders an enforcement's input may use, per connection type (Ditto's protocol validators: MQTT 3
# only the source address, MQTT 5 also the headers, AMQP the headers); its filters are resolved on the thing.
_ENFORCEMENT_INPUT: Final = {ConnectionType.MQTT: ("source",), ConnectionType.MQTT_5: ("source", "header")}
_ENFORCEMENT_INPUT_DEFAULT: Final = ("header", "source")
_ENFORCEMENT_FILTERS: Final = ("thing", "policy", "entity", "feature")


def validate(connection: Connection) -> None:
    """Raise the first rule `connection` breaks (ConnectionConfigurationInvalid, ConnectionUriInvalid,
    AcknowledgementLabelInvalid, AcknowledgementLabelNotUnique)."""
    _supported(connection)
    _sources_and_targets(connection)
    _authorization_contexts(connection)
    _counts(connection)
    _addresses(connection)
    _acknowledgement_labels(connection)
    _uri(connection)
    _type_rules(connection)
    _payload_mappings(connection)
    _templates(connection)


def _supported(connection: Connection) -> None:
    kind = connection.connection_type
    if kind not in SUPPORTED_TYPES:
        raise ConnectionConfigurationInvalid(
            f"The connection type <{kind.value}> is not supported by twinhub.",
            f"No {'Kafka' if kind is ConnectionType.KAFKA else 'Hono'} broker is supported here; use one of: "
            + ", ".join(item.value for item in SUPPORTED_TYPES) + ".")


def _sources_and_targets(connection: Connection) -> None:
    if not connection.sources and not connection.targets:
        raise ConnectionConfigurationInvalid(
            "Either a source or a target must be specified in the configuration of a connection!")


def _java_set(items: Iterable[str]) -> str:
    return "[" + ", ".join(dict.fromkeys(items)) + "]"


def _authorization_contexts(connection: Connection) -> None:
    sources = [address for source in connection.sources if not source.authorization_context
               for address in source.addresses]
    sourceless = [source for source in connection.sources if not source.authorization_context]
    targets = [target.address for target in connection.targets if not target.authorization_context]
    if not sourceless and not targets:
        return
    parts = []
    if sourceless:
        parts.append(f"Sources {_java_set(sources)}")
    if targets:
        parts.append(f"Targets {_java_set(targets)}")
    raise ConnectionConfigurationInvalid(f"The {' and '.join(parts)} are missing an authorization context.")


def _counts(connection: Connection) -> None:
    if connection.client_count < 1:
        raise ConnectionConfigurationInvalid(f"Invalid value '{connection.client_count}' for configuration "
                                             "'clientCount': it must be at least 1.")
    if connection.processor_pool_size < 1:
        raise ConnectionConfigurationInvalid(f"Invalid value '{connection.processor_pool_size}' for "
                                             "configuration 'processorPoolSize': it must be at least 1.")
    if connection.client_count > 1 and any(topic.kind is TopicKind.CONNECTION_ANNOUNCEMENTS
                                           for target in connection.targets for topic in target.topics):
        raise ConnectionConfigurationInvalid(
            f"Connection announcements (topic {TopicKind.CONNECTION_ANNOUNCEMENTS.value}) can only be used with "
            "client count 1.")
    too_many = "The number of configured sources or targets within a connection exceeded."
    if len(connection.sources) > MAX_SOURCES:
        raise ConnectionConfigurationInvalid(too_many, f"The number of configured sources for connection: "
                                                       f"{connection.id} is above the limit of {MAX_SOURCES}.")
    if len(connection.targets) > MAX_TARGETS:
        raise ConnectionConfigurationInvalid(too_many, f"The number of configured targets for connection: "
                                                       f"{connection.id} is above the limit of {MAX_TARGETS}.")
    mappings = [("source", ",".join(source.addresses), source.payload_mapping) for source in connection.sources]
    mappings += [("target", target.address, target.payload_mapping) for target in connection.targets]
    for entity, address, payload_mapping in mappings:
        if len(payload_mapping) > MAX_MAPPERS:
            raise ConnectionConfigurationInvalid(
                "The number of configured payload mappings exceeded the limit.",
                f"The number of configured payload mappings for the {entity} with address {address} is above "
                f"the limit of {MAX_MAPPERS}.")
    for source in connection.sources:
        if source.consumer_count < 1:
            raise ConnectionConfigurationInvalid(
                f"Invalid value '{source.consumer_count}' for configuration 'consumerCount' in Source of index "
                f"{source.index} of connection '{connection.id}'")


def _addresses(connection: Connection) -> None:
    for source in connection.sources:
        if not source.addresses or "" in source.addresses:
            raise ConnectionConfigurationInvalid(
                f"Source {source.index} of connection <{connection.id}>: addresses may not be empty.")
    for target in connection.targets:
        if not target.address:
            raise ConnectionConfigurationInvalid(
                f"Targets of connection <{connection.id}>: addresses may not be empty.")


def _acknowledgement_labels(connection: Connection) -> None:
    prefix = connection.id + ":"

    def resolved(label: str) -> str:
        return _CONNECTION_ID_PLACEHOLDER.sub(connection.id, label)

    declared = [resolved(label) for source in connection.sources for label in source.declared_acks]
    issued = [resolved(target.issued_acknowledgement_label) for target in connection.targets
              if target.issued_acknowledgement_label is not None]
    for label in [*declared, *issued]:
        if not label.startswith(prefix) or not re.fullmatch(r"[a-zA-Z0-9\-_:]{3,165}", label):
            raise AcknowledgementLabelInvalid(label)
    if len(set(issued)) < len(issued):
        raise AcknowledgementLabelNotUnique(
            "An issued acknowledgement label may only be used for one target of the connection.",
            "Please choose unique suffixes for your configured issued acknowledgement labels.")


def _uri(connection: Connection) -> None:
    uri = parse_uri(connection.uri)
    accepted, secure = SCHEMES[connection.connection_type]
    if uri.scheme not in accepted:
        raise ConnectionUriInvalid(
            connection.uri,
            f"The URI scheme '{uri.scheme}' is not valid for {_PROTOCOL_NAMES[connection.connection_type]}.",
            f"Accepted URI schemes are: {', '.join(accepted)}")
    if connection.ca is not None and uri.scheme not in secure:
        raise ConnectionUriInvalid(
            connection.uri, "The connection has trusted certificates configured but uses an insecure protocol.",
            f"Either switch to a secure protocol ({_java_set(secure)}) or remove the trusted certificates.")


def _type_rules(connection: Connection) -> None:
    kind = connection.connection_type
    if kind in (ConnectionType.MQTT, ConnectionType.MQTT_5):
        _mqtt(connection)
    elif kind is ConnectionType.HTTP_PUSH:
        _http_push(connection)
    elif kind is ConnectionType.NATS:
        _nats(connection)


def _mqtt(connection: Connection) -> None:
    if connection.connection_type is ConnectionType.MQTT and connection.client_count > 1:
        raise ConnectionConfigurationInvalid(
            "Client count limited to 1 for MQTT 3.1.1 connections.",
            "MQTT 3.1.1 does not support load-balancing; starting more than 1 client will only result in "
            "duplicate incoming messages.")
    for source in connection.sources:
        where = f"Source of index {source.index} of connection '{connection.id}'"
        if source.qos is None:
            raise ConnectionConfigurationInvalid(f"MQTT Source <{where}> must contain QoS value.")
        # QoS 2 is refused on sources: twinhub acknowledges at least once, never exactly once.
        if source.qos not in (0, 1):
            raise ConnectionConfigurationInvalid(f"Invalid value '{source.qos}' for configuration 'qos' in {where}")
        for address in source.addresses:
            _mqtt_topic(address, wildcards=True)
    for target in connection.targets:
        where = f"Target of address '{target.address}' of connection '{connection.id}'"
        if target.qos is None:
            raise ConnectionConfigurationInvalid(f"MQTT Target <{where}> must contain QoS value.")
        if target.qos not in (0, 1, 2):
            raise ConnectionConfigurationInvalid(f"Invalid value '{target.qos}' for configuration 'qos' in {where}")
        _mqtt_topic(target.address, wildcards=False)


def _mqtt_topic(topic: str, *, wildcards: bool) -> None:
    """An MQTT topic filter (sources) or topic name (targets; placeholders may stand in a level)."""
    problem = None
    levels = topic.split("/")
    if "\0" in topic or len(topic.encode("utf-8")) > 65535:
        problem = "it contains a null character or is longer than 65535 bytes"
    elif not wildcards and ("+" in _without_placeholders(topic) or "#" in _without_placeholders(topic)):
        problem = "wildcards are not allowed in a target address"
    elif any(("#" in level and (level != "#" or index != len(levels) - 1)) for index, level in enumerate(levels)):
        problem = "the multi-level wildcard '#' must be the last level, alone"
    elif any("+" in level and level != "+" for level in levels):
        problem = "the single-level wildcard '+' must occupy a whole level"
    if problem is not None:
        raise ConnectionConfigurationInvalid(f"The provided topic '{topic}' is not valid: {problem}")


def _without_placeholders(text: str) -> str:
    return re.sub(r"\{\{.*?}}", "", text)


def _http_push(connection: Connection) -> None:
    if connection.sources:
        raise ConnectionConfigurationInvalid(
            f"A connection of type '{ConnectionType.HTTP_PUSH.value}' may not have any source.")
    methods = "Supported methods are: " + _java_set(HTTP_METHODS)
    for target in connection.targets:
        where = f"Target of address '{target.address}' of connection '{connection.id}'"
        method, sep, path = target.address.partition(":")
        if not sep or not path.startswith("/"):
            raise ConnectionConfigurationInvalid(
                f"{where}: Target address has invalid format. Expect '<VERB>:/<path>', for example 'POST:/api'.",
                methods)
        if method not in HTTP_METHODS:
            raise ConnectionConfigurationInvalid(f"{where}: The method '{method}' is not supported", methods)
    try:
        http_push_parallelism(connection.specific_config)
    except SpecificConfigInvalid as exc:
        raise ConnectionConfigurationInvalid(f"Connection '{connection.id}': {exc}") from exc


def _nats(connection: Connection) -> None:
    """The client's own reading of its specificConfig and subjects (placeholders stand for one token)."""
    try:
        NatsConfig.parse(connection.specific_config)
        for source in connection.sources:
            for address in source.addresses:
                validate_nats_subject(address, wildcards=True)
        for target in connection.targets:
            validate_nats_subject(re.sub(r"\{\{.*?}}", "x", target.address), wildcards=False)
    except SpecificConfigInvalid as exc:
        raise ConnectionConfigurationInvalid(f"Connection '{connection.id}': {exc}") from exc


def _payload_mappings(connection: Connection) -> None:
    definitions = connection.mapping_definitions
    for alias, definition in definitions.items():
        if definition.mapping_engine not in MAPPING_ENGINES:
            raise ConnectionConfigurationInvalid(
                f"The mapper <{alias}> could not be loaded.",
                f"The mapping engine <{definition.mapping_engine}> is unknown; known ones are "
                f"{_java_set(MAPPING_ENGINES)}.")
    used = [alias for source in connection.sources for alias in source.payload_mapping]
    used += [alias for target in connection.targets for alias in target.payload_mapping]
    for alias in used:
        if alias not in definitions and alias not in FALLBACK_MAPPERS:
            raise ConnectionConfigurationInvalid(
                f"The mapper <{alias}> could not be loaded.",
                f"Make sure to only use either the specified mappingDefinitions names {_java_set(definitions)} "
                f"or fallback mapper names {_java_set(FALLBACK_MAPPERS)}.")


def _templates(connection: Connection) -> None:
    every, outbound = placeholders.ALL_PREFIXES, placeholders.TARGET_PREFIXES
    enforcement_input = _ENFORCEMENT_INPUT.get(connection.connection_type, _ENFORCEMENT_INPUT_DEFAULT)
    for source in connection.sources:
        if source.enforcement is not None:
            _template(source.enforcement.input, enforcement_input)
            for text in source.enforcement.filters:
                _template(text, _ENFORCEMENT_FILTERS)
        for text in source.header_mapping.values():
            _template(text, every)
        if source.reply_target is not None:
            _template(source.reply_target.address, every)
            for text in source.reply_target.header_mapping.values():
                _template(text, every)
    for target in connection.targets:
        _template(target.address, outbound)
        for text in target.header_mapping.values():
            _template(text, outbound)


def _template(text: str, prefixes: Iterable[str]) -> None:
    """As Ditto's `validateTemplate`: a placeholder error becomes a configuration error with its message."""
    try:
        placeholders.validate(text, prefixes)
    except TwinhubError as exc:
        raise ConnectionConfigurationInvalid(
            exc.message, exc.description or "Check the spelling and syntax of the placeholder.") from exc
