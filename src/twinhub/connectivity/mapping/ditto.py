"""`Ditto`, the default mapper: the payload is Ditto Protocol JSON, both ways."""

from __future__ import annotations

from collections.abc import Sequence

from twinhub.connectivity.external import ExternalMessage
from twinhub.connectivity.mapping.base import MapperContext
from twinhub.connectivity.mapping.support import protocol_envelope, protocol_message
from twinhub.protocol import Envelope

__all__ = ["DittoMapper"]


class DittoMapper:
    """Inbound: one Ditto Protocol message per payload (anything else fails); outbound: the envelope's JSON
    with `content-type: application/vnd.eclipse.ditto+json` and its correlation-id."""

    def __init__(self, context: MapperContext | None = None) -> None:
        self.context = context

    def map_inbound(self, message: ExternalMessage) -> Sequence[Envelope]:
        return [protocol_envelope(message)]

    def map_outbound(self, envelope: Envelope) -> Sequence[ExternalMessage]:
        return [protocol_message(envelope)]

    def close(self) -> None:
        pass
