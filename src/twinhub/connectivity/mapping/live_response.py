"""`UpdateTwinWithLiveResponse` (inbound only): a live *retrieve* response of a thing (Ditto Protocol) becomes
a *merge* of the retrieved data into the twin, as Ditto's UpdateTwinWithLiveResponseMessageMapper; everything
else is dropped. Put it beside the mapper that forwards the response itself.

Option `dittoHeadersForMerge` (default `{"response-required": false, "if-match": "*"}`): the headers of the
merge; its strings may use `{{ header:... }}`, `{{ request:subjectId }}`, `{{ time:now }}` (an unresolvable
one is kept as written, as in Ditto). The correlation-id is the response's plus `-merge-into-twin`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from twinhub.connectivity.external import ExternalMessage
from twinhub.connectivity.mapping.base import MapperContext, MappingFailed
from twinhub.connectivity.mapping.support import inbound_placeholders, option_object, protocol_envelope, resolve_strings
from twinhub.model.random_ids import random_uuid
from twinhub.model.types import MISSING, JsonObject, JsonValue
from twinhub.protocol import Envelope, Topic

__all__ = ["UpdateTwinWithLiveResponseMapper"]

DEFAULT_HEADERS: Final[JsonObject] = {"response-required": False, "if-match": "*"}
CORRELATION_SUFFIX: Final = "-merge-into-twin"


class UpdateTwinWithLiveResponseMapper:
    def __init__(self, context: MapperContext) -> None:
        self.context = context
        self.headers = option_object(context, "dittoHeadersForMerge") or DEFAULT_HEADERS

    def map_inbound(self, message: ExternalMessage) -> Sequence[Envelope]:
        try:
            response = protocol_envelope(message)
        except MappingFailed:
            return []  # no Ditto Protocol: not for this mapper (Ditto drops it too)
        topic = response.topic
        if (topic.group != "things" or topic.channel != "live" or topic.criterion != "commands"
                or topic.action != "retrieve" or response.status is None or not 200 <= response.status < 300
                or response.value is MISSING or topic.name == "_"):
            return []
        resolved = resolve_strings(self.headers, inbound_placeholders(message, self.context), keep_unresolved=True)
        headers: dict[str, JsonValue] = dict(resolved) if isinstance(resolved, dict) else {}
        correlation = response.headers.get("correlation-id")
        headers["correlation-id"] = (correlation if isinstance(correlation, str) else random_uuid()) + (
            CORRELATION_SUFFIX)
        headers["content-type"] = "application/merge-patch+json"
        merge = Topic(topic.namespace, topic.name, "things", "twin", "commands", "merge")
        return [Envelope(topic=merge, headers=headers, path=response.path, value=response.value)]

    def map_outbound(self, envelope: Envelope) -> Sequence[ExternalMessage]:
        return []

    def close(self) -> None:
        pass
