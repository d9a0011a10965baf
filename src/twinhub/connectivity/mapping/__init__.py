"""Payload mappers between a broker's messages and Ditto Protocol envelopes (see `base`), and the registry
that builds a connection's mappers and runs a source's or target's `payloadMapping` (see `registry`).

    ditto                    Ditto            in/out   Ditto Protocol JSON (the default)
    normalized               Normalized       out      thing events as normalized thing JSON
    connection_status        ConnectionStatus in       Hono's ttd/creation-time headers -> a feature
    raw_message              RawMessage       in/out   live message payloads as they are
    implicit_thing           ImplicitThingCreation in  create a thing from a template
    live_response            UpdateTwinWithLiveResponse in  a live retrieve response -> merge into the twin
    cloud_events             CloudEvents      in/out   CloudEvents 1.0 around Ditto Protocol
    javascript/              JavaScript       in/out   Ditto users' mapping scripts on V8
"""

from twinhub.connectivity.mapping.base import (
    MapperConfigurationInvalid,
    MapperContext,
    MappingFailed,
    PayloadMapper,
)
from twinhub.connectivity.mapping.registry import (
    DEFAULT_MAPPER,
    ENGINES,
    InboundOutcome,
    MapperRegistry,
    OutboundOutcome,
)

__all__ = [
    "DEFAULT_MAPPER",
    "ENGINES",
    "InboundOutcome",
    "MapperConfigurationInvalid",
    "MapperContext",
    "MapperRegistry",
    "MappingFailed",
    "OutboundOutcome",
    "PayloadMapper",
]
