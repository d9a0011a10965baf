"""`CloudEvents`: CloudEvents 1.0 around Ditto Protocol, as Ditto's CloudEventsMapper.

Inbound, binary mode (`content-type: application/vnd.eclipse.ditto+json` with the headers `ce-id`,
`ce-source`, `ce-type`, `ce-specversion`) or structured mode (`content-type: application/cloudevents+json`, a
JSON object with `specversion`, `id`, `source`, `type` and the Ditto Protocol message in `data` or base64 in
`data_base64`); the event id becomes the correlation-id. Other content types are dropped; a message that
claims to be a CloudEvent but is none fails. Outbound: a structured CloudEvent with the envelope as `data`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Final

from twinhub.connectivity.external import ExternalMessage
from twinhub.connectivity.mapping.base import MapperContext, MappingFailed
from twinhub.connectivity.mapping.support import DITTO_PROTOCOL, MAX_PAYLOAD_SIZE, protocol_envelope
from twinhub.model.json import dumps, loads
from twinhub.model.random_ids import random_uuid
from twinhub.model.types import JsonObject
from twinhub.protocol import Envelope, ProtocolError, envelope_from_json, envelope_to_json

__all__ = ["CloudEventsMapper"]

STRUCTURED: Final = "application/cloudevents+json"
_BINARY_HEADERS: Final = ("ce-id", "ce-source", "ce-type", "ce-specversion")
_ATTRIBUTES: Final = ("specversion", "id", "source", "type")
_NOT_A_CLOUD_EVENT: Final = "This is not a CloudEvent"


class CloudEventsMapper:
    def __init__(self, context: MapperContext) -> None:
        self.context = context

    def map_inbound(self, message: ExternalMessage) -> Sequence[Envelope]:
        content_type = (message.content_type or message.header("content-type") or "").split(";")[0].strip()
        if content_type == DITTO_PROTOCOL:
            if not all(message.header(name) is not None for name in _BINARY_HEADERS):
                raise MappingFailed(_NOT_A_CLOUD_EVENT)
            envelope = protocol_envelope(message)
            return [_with_correlation(envelope, message.header("ce-id") or "")]
        if content_type != STRUCTURED:
            return []
        if len(message.payload) > MAX_PAYLOAD_SIZE:
            raise MappingFailed(f"The CloudEvent is larger than {MAX_PAYLOAD_SIZE} bytes.")
        try:
            event = loads(message.payload)
        except ValueError as error:
            raise MappingFailed(f"{_NOT_A_CLOUD_EVENT}: {error}") from error
        if not isinstance(event, dict) or not all(name in event for name in _ATTRIBUTES):
            raise MappingFailed(_NOT_A_CLOUD_EVENT)
        data = event.get("data")
        encoded = event.get("data_base64")
        try:
            if isinstance(encoded, str):
                data = loads(base64.b64decode(encoded, validate=True))
            elif data is None:
                raise MappingFailed(_NOT_A_CLOUD_EVENT)
            envelope = envelope_from_json(data)
        except (binascii.Error, ValueError) as error:
            raise MappingFailed(f"The data of the CloudEvent is no Ditto Protocol message: {error}") from error
        except ProtocolError as error:
            raise MappingFailed(f"The data of the CloudEvent is no Ditto Protocol message: {error.message}") from error
        event_id = event["id"]
        return [_with_correlation(envelope, event_id if isinstance(event_id, str) else "")]

    def map_outbound(self, envelope: Envelope) -> Sequence[ExternalMessage]:
        correlation = envelope.headers.get("correlation-id")
        topic = envelope.topic
        event: JsonObject = {
            "data": envelope_to_json(envelope),
            "specversion": "1.0",
            "id": correlation if isinstance(correlation, str) else random_uuid(),
            "source": "https://github.com/eclipse-ditto/ditto",
            "type": "org.eclipse.ditto.outbound:" + str(topic).split("/", 2)[2],
            "datacontenttype": DITTO_PROTOCOL,
            "time": envelope.timestamp or self.context.clock().strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "subject": topic.entity_id,
        }
        return [ExternalMessage(dumps(event), {"content-type": STRUCTURED}, STRUCTURED)]

    def close(self) -> None:
        pass


def _with_correlation(envelope: Envelope, correlation_id: str) -> Envelope:
    headers = {**envelope.headers, "correlation-id": correlation_id}
    return Envelope(envelope.topic, headers, envelope.path, envelope.value, envelope.fields, envelope.extra,
                    envelope.status, envelope.revision, envelope.timestamp)
