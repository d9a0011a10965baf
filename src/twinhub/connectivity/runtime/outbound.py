"""A target at work: the signals its topics subscribe to, as its subjects may READ them, mapped and published.

    session (acting as the target's authorizationContext; a START-SEND-* per topic with its namespaces,
    filter and extraFields) -> mappers (outbound) -> address and headerMapping resolved -> publish
    -> `issuedAcknowledgementLabel` answered once the broker has it

The session streams exactly what a WebSocket client with the same subjects and subscriptions would get, READ
filtered by the policies. An address or header that does not resolve for a signal (`{{ thing:id }}` of a
message without a thing, `fn:filter` that filters) drops that signal, as Ditto, counted and logged. A
failure to publish fails the acknowledgement the signal requested (so its sender knows), and is counted;
the client's failure ends the link (the connection reconnects). Where the endpoint answers (HTTP push), its
answer is the acknowledgement, as in Ditto: the response's status, and its body as the value (JSON inlined
when it is JSON, text otherwise); a refusal (non-2xx) fails that signal only, the link goes on. Without an
issued label, an answer in the Ditto Protocol (a live message's response) goes to the session instead.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Final

import orjson

from twinhub.connectivity.clients.base import ClientFailure, ConnectionClient, EndpointRejected, Reply
from twinhub.connectivity.external import ExternalMessage
from twinhub.connectivity.mapping.base import MappingFailed, PayloadMapper
from twinhub.connectivity.model import Connection, Target, TopicKind
from twinhub.connectivity.placeholders import (
    ConnectionPlaceholder,
    apply_or_delete,
    envelope_placeholders,
    placeholders_of,
)
from twinhub.connectivity.runtime.monitor import ConnectionMonitor
from twinhub.model.errors import TwinhubError
from twinhub.model.live import Acknowledgement
from twinhub.model.types import MISSING, JsonValue, Missing
from twinhub.protocol import Envelope, ack_envelope, header_text, parse_envelope
from twinhub.service.session import Session, StreamControl, StreamKind

__all__ = ["STREAMS", "TargetPublisher", "issued_label"]

log = logging.getLogger(__name__)

DITTO_PROTOCOL: Final = "application/vnd.eclipse.ditto+json"

STREAMS: Final[dict[TopicKind, tuple[str, StreamKind]]] = {
    TopicKind.TWIN_EVENTS: ("EVENTS", "events"),
    TopicKind.LIVE_MESSAGES: ("MESSAGES", "messages"),
    TopicKind.LIVE_COMMANDS: ("LIVE-COMMANDS", "live-commands"),
    TopicKind.LIVE_EVENTS: ("LIVE-EVENTS", "live-events"),
    TopicKind.POLICY_ANNOUNCEMENTS: ("POLICY-ANNOUNCEMENTS", "policy-announcements"),
    # connection announcements: twinhub announces no connection openings and closings (yet)
}


def issued_label(connection: Connection, target: Target) -> str | None:
    """The target's `issuedAcknowledgementLabel` with `{{ connection:id }}` resolved."""
    label = target.issued_acknowledgement_label
    if label is None:
        return None
    return apply_or_delete(label, placeholders_of(ConnectionPlaceholder(connection.id)))


class TargetPublisher:
    """One target of one connection on one worker: its session's stream, published with a client."""

    def __init__(self, connection: Connection, target: Target, *, session: Session,
                 mappers: Sequence[PayloadMapper], monitor: ConnectionMonitor, offload: bool = False) -> None:
        self._connection = connection
        self._target = target
        self._session = session
        self._mappers = tuple(mappers)
        self._offload = offload  # map in a thread (script mappers)
        self._monitor = monitor
        self._label = issued_label(connection, target)

    async def subscribe(self) -> None:
        """Start the session's streams, one per topic (with its namespaces, filter and extraFields)."""
        for topic in self._target.topics:
            stream = STREAMS.get(topic.kind)
            if stream is None:
                continue
            params: dict[str, str] = {}
            if topic.namespaces:
                params["namespaces"] = ",".join(topic.namespaces)
            if topic.filter is not None:
                params["filter"] = topic.filter
            if topic.extra_fields is not None:
                params["extraFields"] = topic.extra_fields
            await self._session.control(StreamControl(f"START-SEND-{stream[0]}", True, stream[1], params))

    async def run(self, client: ConnectionClient) -> None:
        """Publish what the session streams until it ends; ClientFailure propagates (the link is gone)."""
        while isinstance(frame := await self._session.next_output(), str):
            if not frame.startswith("{"):
                continue  # START-SEND-*:ACK
            try:
                envelope = parse_envelope(frame)
            except TwinhubError:
                log.exception("connection %s: a target's session sent an unreadable frame", self._connection.id)
                continue
            if envelope.topic.criterion == "errors":
                self._monitor.log("target", "dispatched", f"The target's session reported: {envelope.value}")
                continue
            await self._dispatch(client, envelope)

    async def _dispatch(self, client: ConnectionClient, envelope: Envelope) -> None:
        target, monitor, address = self._target, self._monitor, self._target.address
        correlation_id = header_text(envelope.headers, "correlation-id")
        entity_id = None if envelope.topic.name == "_" else envelope.topic.entity_id
        monitor.count("outbound", address, "dispatched")
        placeholders = envelope_placeholders(envelope, connection_id=self._connection.id, now=datetime.now(UTC))
        resolved = apply_or_delete(target.address, placeholders)
        if resolved is None:
            monitor.count("outbound", address, "dropped")
            monitor.log("target", "dropped", f"The target address <{address}> did not resolve for the signal: it "
                        "was dropped.", success=True, correlation_id=correlation_id, entity_id=entity_id)
            return
        headers = {name.lower(): value for name, template in target.header_mapping.items()
                   if (value := apply_or_delete(template, placeholders)) is not None}
        try:
            messages = await asyncio.to_thread(self._map, envelope) if self._offload else self._map(envelope)
        except (MappingFailed, TwinhubError) as failure:
            monitor.count("outbound", address, "mapped", success=False)
            monitor.log("target", "mapped", f"The signal could not be mapped: {failure}",
                        correlation_id=correlation_id, entity_id=entity_id)
            await self._acknowledge(envelope, 500, f"The signal could not be mapped: {failure}")
            return
        monitor.count("outbound", address, "mapped")
        reply: Reply | None = None
        for message in messages:
            outgoing = replace(message, address=resolved, headers={**message.headers, **headers})
            try:
                reply = await client.publish(outgoing, qos=target.qos)
            except EndpointRejected as rejected:  # the endpoint answered: the link is fine, the signal failed
                monitor.count("outbound", address, "published", success=False)
                monitor.log("target", "published", f"<{resolved}> refused the message: {rejected}",
                            address=resolved, correlation_id=correlation_id, entity_id=entity_id)
                await self._answered(envelope, rejected.reply)
                return
            except ClientFailure as failure:
                monitor.count("outbound", address, "published", success=False)
                monitor.log("target", "published", f"The message to <{resolved}> could not be published: {failure}",
                            address=resolved, correlation_id=correlation_id, entity_id=entity_id)
                await self._acknowledge(envelope, 503, str(failure))
                raise
            monitor.count("outbound", address, "published")
            monitor.log("target", "published", f"Published to <{resolved}>.", success=True, address=resolved,
                        correlation_id=correlation_id, entity_id=entity_id)
        if reply is not None:
            await self._answered(envelope, reply)
        else:
            await self._acknowledge(envelope, 200 if messages else 204, None)

    def _map(self, envelope: Envelope) -> list[ExternalMessage]:
        return [message for mapper in self._mappers for message in mapper.map_outbound(envelope)]

    async def _answered(self, envelope: Envelope, reply: Reply) -> None:
        """The endpoint's answer to the signal, as Ditto's HTTP binding reads it: without an issued label, a
        Ditto Protocol response or acknowledgement (`application/vnd.eclipse.ditto+json`) for the signal's
        correlation-id and entity goes to the session as a WebSocket client's would (so a webhook answers a live
        message); otherwise the answer is the issued acknowledgement."""
        answer = reply.message
        correlation_id = header_text(envelope.headers, "correlation-id")
        if self._label is not None or (answer.content_type or "").split(";", 1)[0].strip().lower() != DITTO_PROTOCOL:
            await self._acknowledge(envelope, reply.status, None, _reply_value(reply))
            return
        try:
            response = parse_envelope(answer.payload)
        except TwinhubError as error:
            self._monitor.log("target", "published", f"The endpoint's answer is no Ditto Protocol message: "
                              f"{error.message}", correlation_id=correlation_id)
            return
        if response.status is None or response.topic.entity_id != envelope.topic.entity_id or \
                header_text(response.headers, "correlation-id") != correlation_id:
            self._monitor.log("target", "published", "The endpoint's answer is no response to the signal (its "
                              "status, entity or correlation-id): it was dropped.", correlation_id=correlation_id)
            return
        await self._session.receive(response)

    async def _acknowledge(self, envelope: Envelope, status: int, problem: str | None,
                           value: JsonValue | Missing = MISSING) -> None:
        """Issue the target's acknowledgement label when the signal requested it (with `value`, else the
        problem's message, as its payload)."""
        label = self._label
        correlation_id = header_text(envelope.headers, "correlation-id")
        if label is None or correlation_id is None or envelope.topic.name == "_":
            return
        requested = envelope.headers.get("requested-acks")
        if isinstance(requested, str):  # as a header may carry it: a JSON array in text
            try:
                requested = orjson.loads(requested)
            except orjson.JSONDecodeError:
                return
        if not isinstance(requested, list) or label not in requested:
            return
        payload: JsonValue | Missing = value if problem is None else {"message": problem}
        ack = Acknowledgement(label, envelope.topic.entity_id, correlation_id, status,
                              {"correlation-id": correlation_id}, payload)
        await self._session.receive(ack_envelope(ack, channel=envelope.topic.channel or "twin"))


def _reply_value(reply: Reply) -> JsonValue | Missing:
    """An endpoint's answer as an acknowledgement's value: JSON inlined when it says it is JSON, else text."""
    if not reply.message.payload:
        return MISSING
    content_type = (reply.message.content_type or "").split(";", 1)[0].strip().lower()
    if content_type == "application/json" or content_type.endswith("+json"):
        try:
            value: JsonValue = orjson.loads(reply.message.payload)
            return value
        except orjson.JSONDecodeError:
            pass
    return reply.message.text if reply.message.text is not None else MISSING
