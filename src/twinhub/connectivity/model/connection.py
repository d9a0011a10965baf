"""Ditto's connection: its JSON parsed into frozen values and rendered back field for field.

    {"id": "my-conn", "name": "...", "connectionType": "mqtt", "connectionStatus": "open",
     "uri": "tcp://user:pw@host:1883", "sources": [...], "targets": [...], "clientCount": 1,
     "failoverEnabled": true, "validateCertificates": true, "processorPoolSize": 1, "specificConfig": {...},
     "mappingDefinitions": {"js": {"mappingEngine": "JavaScript", "options": {...}}}, "credentials": {...},
     "ca": "...", "sshTunnel": {...}, "tags": [...]}

Connection types are Ditto's `mqtt`, `mqtt-5`, `amqp-091`, `amqp-10`, `http-push`, and twinhub's own `nats`
(a NATS server, core subjects with queue groups: `nats://host:4222`); Ditto's `kafka` and `hono` parse but are
refused by `twinhub.connectivity.model.validate` (no such broker is supported here). `credentials`, `ca` and
`sshTunnel` are kept as given and returned as stored, as Ditto does (the URI with its password too).

`_revision`, `_created` and `_modified` are Ditto's hidden fields: rendered only when asked for
(`to_json(special=True)`, for a `fields` selection that names them).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field, replace
from typing import Final

from twinhub.connectivity.model._json import (
    object_at,
    optional_bool,
    optional_int,
    optional_object,
    optional_str,
    or_default,
    required_str,
    string_list,
    string_map,
)
from twinhub.connectivity.model.source import Source, parse_source
from twinhub.connectivity.model.target import Target, parse_target
from twinhub.model.errors import ConnectionIdInvalid, JsonParseInvalid
from twinhub.model.json import dumps
from twinhub.model.types import JsonObject, JsonValue

__all__ = ["CONNECTION_ID_PATTERN", "Connection", "ConnectionType", "ConnectivityStatus", "MappingDefinition",
           "parse_connection", "parse_connection_id"]

CONNECTION_ID_PATTERN: Final = re.compile(r"[a-zA-Z0-9\-_:]{1,100}")


class ConnectionType(enum.Enum):
    AMQP_091 = "amqp-091"
    AMQP_10 = "amqp-10"
    MQTT = "mqtt"
    MQTT_5 = "mqtt-5"
    HTTP_PUSH = "http-push"
    NATS = "nats"  # twinhub's addition
    KAFKA = "kafka"  # Ditto's; parsed, refused by validation
    HONO = "hono"  # Ditto's; parsed, refused by validation


class ConnectivityStatus(enum.Enum):
    """What a connection is asked to be (`open`, `closed`) or, in `/status`, what it is."""

    OPEN = "open"
    CLOSED = "closed"
    FAILED = "failed"
    MISCONFIGURED = "misconfigured"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class MappingDefinition:
    """One entry of `mappingDefinitions`: a mapper's engine alias, its options and conditions."""

    mapping_engine: str
    options: JsonObject = field(default_factory=dict)
    incoming_conditions: dict[str, str] = field(default_factory=dict)
    outgoing_conditions: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> JsonObject:
        result: JsonObject = {"mappingEngine": self.mapping_engine, "options": self.options}
        if self.incoming_conditions:
            result["incomingConditions"] = dict(self.incoming_conditions)
        if self.outgoing_conditions:
            result["outgoingConditions"] = dict(self.outgoing_conditions)
        return result


@dataclass(frozen=True, slots=True)
class Connection:
    id: str
    connection_type: ConnectionType
    connection_status: ConnectivityStatus
    uri: str
    sources: tuple[Source, ...] = ()
    targets: tuple[Target, ...] = ()
    name: str | None = None
    client_count: int = 1
    failover_enabled: bool = True
    validate_certificates: bool = True
    processor_pool_size: int = 1
    specific_config: dict[str, str] = field(default_factory=dict)
    mapping_definitions: dict[str, MappingDefinition] = field(default_factory=dict)
    credentials: JsonObject | None = None
    ca: str | None = None
    ssh_tunnel: JsonObject | None = None
    tags: tuple[str, ...] = ()
    # Ditto's hidden fields, kept by the store.
    revision: int | None = None
    created: str | None = None
    modified: str | None = None

    def with_status(self, status: ConnectivityStatus) -> Connection:
        return replace(self, connection_status=status)

    def to_json(self, *, special: bool = False) -> JsonObject:
        """Ditto's JSON of the connection, in Ditto's field order; `special` adds `_revision`, `_modified`
        and `_created` when known."""
        result: JsonObject = {"id": self.id}
        if self.name is not None:
            result["name"] = self.name
        if special:
            for key, value in (("_revision", self.revision), ("_modified", self.modified),
                               ("_created", self.created)):
                if value is not None:
                    result[key] = value
        result.update({
            "connectionType": self.connection_type.value,
            "connectionStatus": self.connection_status.value,
            "uri": self.uri,
            "sources": [source.to_json() for source in self.sources],
            "targets": [target.to_json() for target in self.targets],
            "clientCount": self.client_count,
            "failoverEnabled": self.failover_enabled,
            "validateCertificates": self.validate_certificates,
            "processorPoolSize": self.processor_pool_size,
        })
        if self.specific_config:
            result["specificConfig"] = dict(self.specific_config)
        if self.mapping_definitions:
            result["mappingDefinitions"] = {alias: definition.to_json()
                                            for alias, definition in self.mapping_definitions.items()}
        if self.credentials is not None:
            result["credentials"] = self.credentials
        if self.ca is not None:
            result["ca"] = self.ca
        if self.ssh_tunnel is not None:
            result["sshTunnel"] = self.ssh_tunnel
        result["tags"] = list(self.tags)
        return result


def parse_connection_id(text: str) -> str:
    """`text` if it is a valid connection id; raises `ConnectionIdInvalid`."""
    if not CONNECTION_ID_PATTERN.fullmatch(text):
        raise ConnectionIdInvalid(text)
    return text


def parse_connection(value: JsonValue, *, default_status: ConnectivityStatus | None = None) -> Connection:
    """A connection from its JSON. `default_status` stands in for a missing `connectionStatus` (Ditto: `unknown`
    on create); without it the field is required. Only the shape is checked here: the rules of the model
    and of each connection type are `validate`'s.

    Raises JsonParseInvalid / JsonFieldMissing for a wrong type or a missing field, ConnectionIdInvalid,
    TopicInvalid, RqlInvalid or FieldSelectorInvalid for a target's topics.
    """
    if not isinstance(value, dict):
        raise JsonParseInvalid("The connection is not a JSON object.")
    type_name = required_str(value, "connectionType", "")
    try:
        connection_type = ConnectionType(type_name)
    except ValueError:
        raise JsonParseInvalid(f"Connection type <{type_name[:100]}> is invalid!") from None
    status_name = optional_str(value, "connectionStatus", "")
    if status_name is None and default_status is None:
        status_name = required_str(value, "connectionStatus", "")
    try:
        status = default_status if status_name is None else ConnectivityStatus(status_name)
    except ValueError:
        raise JsonParseInvalid(f"Connection status <{(status_name or '')[:100]}> is invalid!") from None
    assert status is not None
    sources = _array(value, "sources")
    targets = _array(value, "targets")
    return Connection(
        id=parse_connection_id(required_str(value, "id", "")),
        connection_type=connection_type,
        connection_status=status,
        uri=required_str(value, "uri", ""),
        sources=tuple(parse_source(item, index) for index, item in enumerate(sources)),
        targets=tuple(parse_target(item, index) for index, item in enumerate(targets)),
        name=optional_str(value, "name", ""),
        client_count=or_default(optional_int(value, "clientCount", ""), 1),
        failover_enabled=or_default(optional_bool(value, "failoverEnabled", ""), True),
        validate_certificates=or_default(optional_bool(value, "validateCertificates", ""), True),
        processor_pool_size=or_default(optional_int(value, "processorPoolSize", ""), 1),
        specific_config=_specific_config(value),
        mapping_definitions=_mapping_definitions(value),
        credentials=optional_object(value, "credentials", ""),
        ca=optional_str(value, "ca", ""),
        ssh_tunnel=optional_object(value, "sshTunnel", ""),
        tags=string_list(value, "tags", ""),
        revision=optional_int(value, "_revision", ""),
        created=optional_str(value, "_created", ""),
        modified=optional_str(value, "_modified", ""),
    )


def _array(value: JsonObject, key: str) -> list[JsonValue]:
    items = value.get(key)
    if items is None:
        return []
    if not isinstance(items, list):
        raise JsonParseInvalid(f"Value for </{key}> is not of type <JsonArray>!")
    return items


def _specific_config(value: JsonObject) -> dict[str, str]:
    """As Ditto: every value becomes a string (a non-string one its JSON text)."""
    config = optional_object(value, "specificConfig", "") or {}
    return {key: item if isinstance(item, str) else dumps(item).decode("utf-8") for key, item in config.items()}


def _mapping_definitions(value: JsonObject) -> dict[str, MappingDefinition]:
    definitions = optional_object(value, "mappingDefinitions", "") or {}
    result: dict[str, MappingDefinition] = {}
    for alias, item in definitions.items():
        where = f"/mappingDefinitions/{alias}"
        definition = object_at(item, where)
        result[alias] = MappingDefinition(
            mapping_engine=required_str(definition, "mappingEngine", where),
            options=optional_object(definition, "options", where) or {},
            incoming_conditions=string_map(definition, "incomingConditions", where),
            outgoing_conditions=string_map(definition, "outgoingConditions", where),
        )
    return result
