"""What every payload mapper is: Ditto's `MessageMapper`, both ways, pure.

Inbound, a mapper turns one `ExternalMessage` into zero or more Ditto Protocol envelopes (zero: dropped on
purpose); outbound, one envelope (an event, a response, a live message...) into zero or more external
messages (without `address`: the target's address is resolved by the runtime). Several mappers of a source or
target run side by side on the same message and their results are concatenated, as in Ditto.

A mapper is built once per connection from its `mappingDefinitions` entry (engine alias and `options`) and the
`MapperContext`; it raises `MappingFailed` (with a message fit for the connection's logs) for a message it
cannot map, and `MapperConfigurationInvalid` at build time for options it cannot take. `close` releases what it
holds (the JavaScript mapper's V8 context) when the connection closes. Mapping is synchronous and may take up
to a script's time limit (JavaScript): async code calls it from a worker thread.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from twinhub.connectivity.external import ExternalMessage
from twinhub.model.types import JsonObject
from twinhub.protocol import Envelope

__all__ = ["MapperConfigurationInvalid", "MapperContext", "MappingFailed", "PayloadMapper"]


class MappingFailed(Exception):
    """One message could not be mapped; the runtime logs it in the connection's logs and counts it."""


class MapperConfigurationInvalid(Exception):
    """A mapping definition's options are not usable (answered as Ditto's connection configuration error)."""


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True)
class MapperContext:
    """What a mapper is built from. `clock` gives `now` to the `time:` placeholders of mapper options (a
    mapper reads no clock itself, so that tests can fix the time)."""

    connection_id: str
    alias: str  # the name of the mapping definition ("Ditto", "javascript-1", ...)
    options: JsonObject
    clock: Callable[[], dt.datetime] = field(default=_utc_now)


class PayloadMapper(Protocol):
    def map_inbound(self, message: ExternalMessage) -> Sequence[Envelope]: ...

    def map_outbound(self, envelope: Envelope) -> Sequence[ExternalMessage]: ...

    def close(self) -> None:
        """Release what the mapper holds (a JavaScript engine); called when its connection closes."""
        ...
