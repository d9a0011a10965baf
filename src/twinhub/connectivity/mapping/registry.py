"""The mappers of one connection, built from its `mappingDefinitions`, and the mapping of a source's or a
target's messages through its `payloadMapping` list, as Ditto's message mapping processors do.

    registry = MapperRegistry("conn-1", connection["mappingDefinitions"])   # MapperConfigurationInvalid
    registry.check_payload_mapping(source["payloadMapping"])                # when the connection is saved
    outcome = registry.map_inbound(message, source["payloadMapping"])       # outcome.envelopes, .failures
    outcome = registry.map_outbound(envelope, target["payloadMapping"])     # outcome.messages, .failures
    registry.mappers(source["payloadMapping"])   # or: one PayloadMapper per entry, conditions applied inside
    registry.close()                                                        # with the connection

A `payloadMapping` entry names a mapping definition or, for an engine that needs no options, the engine
itself (`Ditto`, `Normalized`, ...); an empty list means `Ditto`. Each mapper's `incomingConditions` /
`outgoingConditions` (`fn:filter(...)` over the message's placeholders) must all hold for it to run. The
results of the mappers are concatenated in order; a failing mapper is reported in `failures` and does not
stop the others (Ditto maps each mapper separately).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from twinhub.connectivity.external import ExternalMessage
from twinhub.connectivity.mapping.base import (
    MapperConfigurationInvalid,
    MapperContext,
    MappingFailed,
    PayloadMapper,
)
from twinhub.connectivity.mapping.cloud_events import CloudEventsMapper
from twinhub.connectivity.mapping.connection_status import ConnectionStatusMapper
from twinhub.connectivity.mapping.ditto import DittoMapper
from twinhub.connectivity.mapping.implicit_thing import ImplicitThingCreationMapper
from twinhub.connectivity.mapping.javascript import DEFAULT_LIMITS, JavaScriptMapper, ScriptLimits
from twinhub.connectivity.mapping.live_response import UpdateTwinWithLiveResponseMapper
from twinhub.connectivity.mapping.normalized import NormalizedMapper
from twinhub.connectivity.mapping.raw_message import RawMessageMapper
from twinhub.connectivity.mapping.support import MAX_PAYLOAD_SIZE
from twinhub.connectivity.model import FALLBACK_MAPPERS
from twinhub.connectivity.placeholders import (
    INBOUND_PREFIXES,
    TARGET_PREFIXES,
    condition_holds,
    envelope_placeholders,
    message_placeholders,
    validate,
)
from twinhub.model.errors import TwinhubError
from twinhub.model.types import JsonObject, JsonValue
from twinhub.protocol import Envelope, envelope_from_json

__all__ = ["DEFAULT_MAPPER", "ENGINES", "InboundOutcome", "MapperRegistry", "OutboundOutcome"]

DEFAULT_MAPPER: Final = "Ditto"
MAX_DEFINITIONS: Final = 32
MAX_CONDITIONS: Final = 16  # incoming or outgoing conditions of one mapper
ENGINES: Final[dict[str, Callable[[MapperContext], PayloadMapper]]] = {
    "Ditto": DittoMapper,
    "Normalized": NormalizedMapper,
    "ConnectionStatus": ConnectionStatusMapper,
    "RawMessage": RawMessageMapper,
    "ImplicitThingCreation": ImplicitThingCreationMapper,
    "UpdateTwinWithLiveResponse": UpdateTwinWithLiveResponseMapper,
    "CloudEvents": CloudEventsMapper,
    "JavaScript": JavaScriptMapper,
}
# Hono's notifications carry no Ditto Protocol: the mappers that read Ditto Protocol skip them by default
# (Ditto's `contentTypeBlocklist` option, comma-separated; ConnectionStatus is the one that wants them).
CONTENT_TYPE_BLOCKLIST: Final = "contentTypeBlocklist"
HONO_NOTIFICATIONS: Final = frozenset({
    "application/vnd.eclipse-hono-empty-notification", "application/vnd.eclipse-hono-device-provisioning-notification",
    "application/vnd.eclipse-hono-dc-notification+json",
    "application/vnd.eclipse-hono-delivery-failure-notification+json"})
_BLOCKING_BY_DEFAULT: Final = frozenset({"Ditto", "RawMessage", "UpdateTwinWithLiveResponse"})


@dataclass(slots=True)
class InboundOutcome:
    envelopes: list[Envelope] = field(default_factory=list)
    failures: list[tuple[str, MappingFailed]] = field(default_factory=list)  # (mapper id, why)


@dataclass(slots=True)
class OutboundOutcome:
    messages: list[ExternalMessage] = field(default_factory=list)
    failures: list[tuple[str, MappingFailed]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Configured:
    mapper: PayloadMapper
    incoming_conditions: tuple[str, ...]
    outgoing_conditions: tuple[str, ...]
    blocked_content_types: frozenset[str] = frozenset()  # inbound messages of these types skip the mapper


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class MapperRegistry:
    def __init__(self, connection_id: str, mapping_definitions: Mapping[str, JsonValue] | None = None, *,
                 clock: Callable[[], dt.datetime] = _utc_now, script_limits: ScriptLimits = DEFAULT_LIMITS) -> None:
        self.connection_id = connection_id
        self._clock = clock
        self._script_limits = script_limits
        self._mappers: dict[str, _Configured] = {}
        self._closed = False
        definitions = mapping_definitions or {}
        if len(definitions) > MAX_DEFINITIONS:
            raise MapperConfigurationInvalid(f"A connection may define at most {MAX_DEFINITIONS} mappers.")
        try:
            for mapper_id, definition in definitions.items():
                self._mappers[mapper_id] = self._build(mapper_id, definition)
        except BaseException:
            self.close()
            raise

    def _build(self, mapper_id: str, definition: JsonValue) -> _Configured:
        if not isinstance(definition, dict):
            raise MapperConfigurationInvalid(f"The mapping definition <{mapper_id}> is no JSON object.")
        engine = definition.get("mappingEngine")
        if not isinstance(engine, str) or engine not in ENGINES:
            raise MapperConfigurationInvalid(f"The mapping engine <{engine}> of <{mapper_id}> is unknown; known "
                                             f"are {', '.join(ENGINES)}.")
        options = definition.get("options", {})
        if not isinstance(options, dict):
            raise MapperConfigurationInvalid(f"The options of the mapping definition <{mapper_id}> are no JSON object.")
        incoming = _conditions(mapper_id, definition.get("incomingConditions"), INBOUND_PREFIXES)
        outgoing = _conditions(mapper_id, definition.get("outgoingConditions"), TARGET_PREFIXES)
        return _Configured(self._engine(engine, mapper_id, options), incoming, outgoing,
                           _blocklist(engine, options.get(CONTENT_TYPE_BLOCKLIST)))

    def _engine(self, engine: str, mapper_id: str, options: JsonObject) -> PayloadMapper:
        context = MapperContext(self.connection_id, mapper_id, options, self._clock)
        if engine == "JavaScript":
            return JavaScriptMapper(context, limits=self._script_limits)
        return ENGINES[engine](context)

    def _mapper(self, mapper_id: str) -> _Configured:
        if self._closed:
            raise RuntimeError(f"The mappers of connection <{self.connection_id}> are closed.")
        configured = self._mappers.get(mapper_id)
        if configured is None:
            if mapper_id not in FALLBACK_MAPPERS:  # the engines that run without options (the model's list)
                raise MapperConfigurationInvalid(f"The payload mapping <{mapper_id}> names neither a mapping "
                                                 f"definition nor an engine that needs no options.")
            configured = _Configured(self._engine(mapper_id, mapper_id, {}), (), (), _blocklist(mapper_id, None))
            self._mappers[mapper_id] = configured
        return configured

    def check_payload_mapping(self, payload_mapping: Sequence[str]) -> None:
        """Raise MapperConfigurationInvalid for an entry that names no mapper."""
        for mapper_id in payload_mapping:
            self._mapper(mapper_id)

    def mappers(self, payload_mapping: Sequence[str] = ()) -> list[PayloadMapper]:
        """One mapper per entry (`Ditto` for none) that applies its conditions and reads its envelopes back as
        `map_inbound` does, raising MappingFailed instead of collecting failures: for a runtime that runs the
        mappers of a source or target itself. They belong to the registry (their `close` does nothing)."""
        return [_Bound(self, mapper_id) for mapper_id in payload_mapping or (DEFAULT_MAPPER,)]

    def map_inbound(self, message: ExternalMessage, payload_mapping: Sequence[str] = ()) -> InboundOutcome:
        outcome = InboundOutcome()
        if len(message.payload) > MAX_PAYLOAD_SIZE:
            failure = MappingFailed(f"The payload has {len(message.payload)} bytes, more than {MAX_PAYLOAD_SIZE}.")
            outcome.failures.append((payload_mapping[0] if payload_mapping else DEFAULT_MAPPER, failure))
            return outcome
        subject = message.authorization_subjects[0] if message.authorization_subjects else None
        placeholders = message_placeholders(message, connection_id=self.connection_id, now=self._clock(),
                                            subject_id=subject)
        for mapper_id in payload_mapping or (DEFAULT_MAPPER,):
            configured = self._mapper(mapper_id)
            if _media_type(message) in configured.blocked_content_types:
                continue  # dropped by this mapper, as Ditto's content type blocklist does
            try:
                if all(condition_holds(condition, placeholders) for condition in configured.incoming_conditions):
                    # each envelope read back as the session will read it: headers and topic valid, or a failure
                    outcome.envelopes += [envelope_from_json(envelope.to_json())
                                          for envelope in configured.mapper.map_inbound(message)]
            except MappingFailed as failure:
                outcome.failures.append((mapper_id, failure))
            except TwinhubError as error:
                outcome.failures.append((mapper_id, _failure(error)))
        return outcome

    def map_outbound(self, envelope: Envelope, payload_mapping: Sequence[str] = ()) -> OutboundOutcome:
        outcome = OutboundOutcome()
        placeholders = envelope_placeholders(envelope, connection_id=self.connection_id, now=self._clock())
        for mapper_id in payload_mapping or (DEFAULT_MAPPER,):
            configured = self._mapper(mapper_id)
            try:
                if all(condition_holds(condition, placeholders) for condition in configured.outgoing_conditions):
                    for message in configured.mapper.map_outbound(envelope):
                        if len(message.payload) > MAX_PAYLOAD_SIZE:
                            raise MappingFailed(f"The mapped payload has {len(message.payload)} bytes, more than "
                                                f"{MAX_PAYLOAD_SIZE}.")
                        outcome.messages.append(message)
            except MappingFailed as failure:
                outcome.failures.append((mapper_id, failure))
            except TwinhubError as error:
                outcome.failures.append((mapper_id, _failure(error)))
        return outcome

    def close(self) -> None:
        """Close every mapper; the registry refuses use afterwards (closing again is harmless)."""
        self._closed = True
        for configured in self._mappers.values():
            configured.mapper.close()
        self._mappers.clear()


class _Bound:
    """One entry of a payloadMapping list as a PayloadMapper of its own (see `MapperRegistry.mappers`)."""

    def __init__(self, registry: MapperRegistry, mapper_id: str) -> None:
        self._registry = registry
        self._mapper_id = mapper_id
        registry.check_payload_mapping([mapper_id])

    def map_inbound(self, message: ExternalMessage) -> Sequence[Envelope]:
        outcome = self._registry.map_inbound(message, [self._mapper_id])
        if outcome.failures:
            raise outcome.failures[0][1]
        return outcome.envelopes

    def map_outbound(self, envelope: Envelope) -> Sequence[ExternalMessage]:
        outcome = self._registry.map_outbound(envelope, [self._mapper_id])
        if outcome.failures:
            raise outcome.failures[0][1]
        return outcome.messages

    def close(self) -> None:
        pass  # the registry closes its mappers


def _blocklist(engine: str, option: JsonValue) -> frozenset[str]:
    if option is None:
        return HONO_NOTIFICATIONS if engine in _BLOCKING_BY_DEFAULT else frozenset()
    if not isinstance(option, str):
        raise MapperConfigurationInvalid(f"The option <{CONTENT_TYPE_BLOCKLIST}> must be a comma-separated string.")
    return frozenset(part.strip().lower() for part in option.split(",") if part.strip())


def _media_type(message: ExternalMessage) -> str:
    return (message.content_type or message.header("content-type") or "").split(";", 1)[0].strip().lower()


def _failure(error: TwinhubError) -> MappingFailed:
    """A Ditto error raised while mapping (a placeholder error, say) as the mapper's failure."""
    failure = MappingFailed(error.message)
    failure.__cause__ = error
    return failure


def _conditions(mapper_id: str, conditions: JsonValue, prefixes: frozenset[str]) -> tuple[str, ...]:
    if conditions is None:
        return ()
    if not isinstance(conditions, dict) or not all(isinstance(value, str) for value in conditions.values()):
        raise MapperConfigurationInvalid(f"The conditions of <{mapper_id}> must be a JSON object of strings.")
    if len(conditions) > MAX_CONDITIONS:
        raise MapperConfigurationInvalid(f"A mapper may have at most {MAX_CONDITIONS} conditions each way.")
    texts = tuple(value for value in conditions.values() if isinstance(value, str))
    for text in texts:
        try:
            validate("{{ fn:default('true') | " + text + " }}", prefixes)
        except TwinhubError as error:
            raise MapperConfigurationInvalid(f"The condition <{text}> of <{mapper_id}> is invalid: "
                                             f"{error.message}") from error
    return texts
