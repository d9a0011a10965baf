"""A source at work: each delivery mapped to Ditto Protocol, checked, handed to the source's session, and
settled with its broker only once the session answered.

    delivery -> mappers (inbound) -> for each envelope: headerMapping, enforcement, acknowledgementRequests
             -> session (acting as the source's authorizationContext) -> response -> settle + replyTarget

* The session is the WebSocket's (`twinhub.service.session.Session`): the same write path, authorization by
  the policies, acknowledgements. A twin or policy command is always sent with `response-required` (the
  response is what says the change was committed); whether the device gets it is the source's reply target's
  business, and the device's own `response-required` (Ditto's rules).
* Settling: every command of the message answered 2xx -> ACCEPT; a 408, 429 or 5xx (the store is down, an
  acknowledgement timed out), or no answer in time -> REDELIVER; any other 4xx (not authorized, invalid,
  enforcement failed) or a payload no mapper can map -> REJECT, logged in the connection's logs and counted,
  so a poison message is never delivered again and again. Live signals (messages, live commands and events,
  acknowledgements) are at most once, as in Ditto: settled once the session took them.
* Bounded: at most `max_in_flight` deliveries of the source are processed at once; the next is not taken
  from the client before one is done (and the client's own window bounds what the broker sends).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Final

import orjson

from twinhub.connectivity.clients.base import ClientFailure, ConnectionClient, Delivery, Outcome, SourceSettings
from twinhub.connectivity.external import ExternalMessage
from twinhub.connectivity.mapping.base import MappingFailed, PayloadMapper
from twinhub.connectivity.model import Connection, Source
from twinhub.connectivity.placeholders import (
    Placeholders,
    apply_or_delete,
    envelope_placeholders,
    message_placeholders,
)
from twinhub.connectivity.runtime.monitor import ConnectionMonitor, MetricType
from twinhub.connectivity.runtime.parties import Answers, SourceParties
from twinhub.model.errors import ConnectionSignalIdEnforcementFailed, TwinhubError
from twinhub.model.random_ids import random_uuid
from twinhub.model.types import JsonValue
from twinhub.protocol import Envelope, error_envelope, header_text, signal_headers

__all__ = ["DEFAULT_MAX_IN_FLIGHT", "SourceConsumer", "outcome_of"]

log = logging.getLogger(__name__)

DEFAULT_MAX_IN_FLIGHT: Final = 64  # deliveries of one source processed at once on one worker
_GRACE: Final = 5.0  # seconds beyond a command's own timeout before its delivery is given back
_RETRYABLE: Final = frozenset({408, 429})

def outcome_of(response: Envelope) -> Outcome:
    """How a delivery is settled after this answer (see the module docstring)."""
    status = response.status or 500
    if 200 <= status < 300:
        return Outcome.ACCEPT
    if status == 424 and isinstance(response.value, dict):  # aggregated acknowledgements, some failed
        statuses = [entry.get("status") for entry in response.value.values() if isinstance(entry, dict)]
        failed = [code for code in statuses if isinstance(code, int) and not 200 <= code < 300]
        return Outcome.REDELIVER if any(code in _RETRYABLE or code >= 500 for code in failed) else Outcome.REJECT
    return Outcome.REDELIVER if status in _RETRYABLE or status >= 500 else Outcome.REJECT


def _response_type(response: Envelope) -> str:
    """Ditto's kind of a response for `expectedResponseTypes`: response, error or nack."""
    if response.topic.criterion == "acks":
        return "response" if (response.status or 500) < 300 else "nack"
    return "error" if response.topic.criterion == "errors" else "response"


def _combined(outcomes: Sequence[Outcome]) -> Outcome:
    if Outcome.REDELIVER in outcomes:
        return Outcome.REDELIVER
    return Outcome.REJECT if Outcome.REJECT in outcomes else Outcome.ACCEPT


def _awaits_answer(envelope: Envelope) -> bool:
    """Twin and policy commands: their answer says whether the change was committed."""
    topic = envelope.topic
    return topic.criterion == "commands" and (topic.group == "policies" or topic.channel == "twin")


@dataclass(frozen=True, slots=True)
class _Received:
    """One Ditto Protocol message of a delivery, as given to the session."""

    envelope: Envelope
    correlation_id: str
    wants_response: bool  # the device's own response-required


@dataclass(slots=True)
class _Turn:
    """A delivery's place in the source's order: it waits for `previous`, then sets `done` once handed over."""

    previous: asyncio.Event | None
    done: asyncio.Event = field(default_factory=asyncio.Event)


class SourceConsumer:
    """One source of one connection on one worker, on a connected client."""

    def __init__(self, connection: Connection, source: Source, *, parties: SourceParties,
                 mappers: Sequence[PayloadMapper], monitor: ConnectionMonitor,
                 max_in_flight: int = DEFAULT_MAX_IN_FLIGHT, offload: bool = False) -> None:
        self._connection = connection
        self._source = source
        self._parties = parties
        self._mappers = tuple(mappers)
        self._offload = offload  # map in a thread (script mappers)
        self._monitor = monitor
        self._slots = asyncio.Semaphore(max_in_flight)
        self._last_turn: asyncio.Event | None = None  # set once the latest delivery was handed to the session
        self.address = ";".join(source.addresses)  # the source's name in metrics and logs

    @property
    def settings(self) -> SourceSettings:
        return SourceSettings(self._source.addresses, self._source.qos, self._source.consumer_count,
                              self._source.index)

    async def run(self, client: ConnectionClient) -> None:
        """Consume until the client fails (ClientFailure propagates) or the task is cancelled; replies go out
        with the same client."""
        async with asyncio.TaskGroup() as group:
            try:
                await self._parties.start()
                async for delivery in client.deliveries(self.settings):
                    await self._slots.acquire()
                    group.create_task(self._process(client, delivery))
            finally:
                await self._parties.aclose()

    # -- one delivery ------------------------------------------------------------------------------

    async def _process(self, client: ConnectionClient, delivery: Delivery) -> None:
        # Deliveries reach the session in the order they came (so a thing's changes commit in the order its
        # device sent them), while their answers are awaited side by side.
        turn = _Turn(self._last_turn)
        self._last_turn = turn.done
        try:
            try:
                outcome = await self._outcome(client, delivery.message, turn)
            except Exception:  # a bug: said loudly; the message is not lost but delivered again
                log.exception("connection %s: a delivery failed unexpectedly", self._connection.id)
                self._monitor.log("source", "other", "The message could not be processed (an internal error): it "
                                  "is delivered again.", address=delivery.message.address)
                outcome = Outcome.REDELIVER
            try:
                await delivery.settle(outcome)
            except ClientFailure:  # the link is gone (its iterator says so): the broker delivers it again
                self._monitor.count("inbound", self.address, "acknowledged", success=False)
                return
            self._monitor.count("inbound", self.address, "acknowledged", success=outcome is Outcome.ACCEPT)
        finally:
            turn.done.set()
            self._slots.release()

    async def _outcome(self, client: ConnectionClient, message: ExternalMessage, turn: _Turn) -> Outcome:
        monitor = self._monitor
        monitor.count("inbound", self.address, "consumed")
        try:
            envelopes = await asyncio.to_thread(self._map, message) if self._offload else self._map(message)
        except (MappingFailed, TwinhubError) as failure:
            monitor.count("inbound", self.address, "mapped", success=False)
            monitor.log("source", "mapped", f"The message could not be mapped: {failure}", address=message.address,
                        correlation_id=message.header("correlation-id"))
            return Outcome.REJECT
        monitor.count("inbound", self.address, "mapped")
        if not envelopes:
            monitor.count("inbound", self.address, "dropped")
            monitor.log("source", "dropped", "The mappers made nothing of the message.", success=True,
                        address=message.address)
            return Outcome.ACCEPT
        if turn.previous is not None:
            await turn.previous.wait()
        outcomes: list[Outcome] = []
        handed: list[tuple[_Received, Answers, asyncio.Future[Envelope]]] = []
        for envelope in envelopes:
            step = await self._hand(client, message, envelope)
            if isinstance(step, Outcome):
                outcomes.append(step)
            else:
                handed.append(step)
        turn.done.set()
        outcomes += await asyncio.gather(*(self._answered(client, message, received, answers, future)
                                           for received, answers, future in handed))
        return _combined(outcomes)

    def _map(self, message: ExternalMessage) -> list[Envelope]:
        return [envelope for mapper in self._mappers for envelope in mapper.map_inbound(message)]

    async def _hand(self, client: ConnectionClient, message: ExternalMessage,
                    envelope: Envelope) -> Outcome | tuple[_Received, Answers, asyncio.Future[Envelope]]:
        """Give the session one envelope of a message: its outcome when it is settled at once (refused, or a
        live signal), else what it was handed as and the future of its answer."""
        try:
            received = self._received(message, envelope)
            party = await self._parties.party(message)  # as whom (placeholders: the message's subjects)
        except TwinhubError as error:  # enforcement failed, headers that cannot steer a command, no subjects
            kind: MetricType = "enforced" if isinstance(error, ConnectionSignalIdEnforcementFailed) else "dropped"
            self._monitor.count("inbound", self.address, kind, success=False)
            self._monitor.log("source", kind, error.message, address=message.address,
                              correlation_id=header_text(envelope.headers, "correlation-id"),
                              entity_id=_entity_id(envelope))
            await self._reply(client, message, envelope, error_envelope(error, topic=envelope.topic,
                                                                headers=envelope.headers))
            return Outcome.REJECT
        self._monitor.count("inbound", self.address, "enforced")
        if not _awaits_answer(received.envelope):
            await party.session.receive(received.envelope)
            return Outcome.ACCEPT
        answers = party.answers
        while (earlier := answers.busy(received.correlation_id)) is not None:
            await asyncio.wait([earlier])  # the same correlation-id twice: one after the other
        future = answers.expect(received.correlation_id)
        try:
            await party.session.receive(received.envelope)
        except BaseException:
            answers.forget(received.correlation_id, future)
            future.cancel()
            raise
        return received, answers, future

    async def _answered(self, client: ConnectionClient, message: ExternalMessage, received: _Received,
                        answers: Answers, future: asyncio.Future[Envelope]) -> Outcome:
        try:
            timeout = signal_headers(received.envelope.headers).timeout + _GRACE
            async with asyncio.timeout(timeout):
                response = await future
        except TimeoutError:
            self._monitor.log("source", "acknowledged", "No answer came in time: the message is delivered again.",
                              address=message.address, correlation_id=received.correlation_id,
                              entity_id=_entity_id(received.envelope))
            return Outcome.REDELIVER
        finally:
            answers.forget(received.correlation_id, future)
            future.cancel()  # no-op once answered; frees whoever waits behind it
        outcome = outcome_of(response)
        if outcome is not Outcome.ACCEPT:
            detail = response.value.get("message") if isinstance(response.value, dict) else None
            self._monitor.log("source", "acknowledged",
                              f"The command was answered with {response.status}"
                              + (f": {detail}" if isinstance(detail, str) else "")
                              + ("; the message is delivered again." if outcome is Outcome.REDELIVER else "."),
                              address=message.address, correlation_id=received.correlation_id,
                              entity_id=_entity_id(received.envelope))
        else:
            self._monitor.log("source", "acknowledged", f"The command was answered with {response.status}.",
                              success=True, address=message.address, correlation_id=received.correlation_id,
                              entity_id=_entity_id(received.envelope))
        if received.wants_response:
            await self._reply(client, message, received.envelope, response)
        return outcome

    def _received(self, message: ExternalMessage, envelope: Envelope) -> _Received:
        """The envelope with the source's header mapping and acknowledgement requests applied, enforced, and
        ready to be answered; raises ConnectionSignalIdEnforcementFailed or Ditto's header errors."""
        source, connection_id = self._source, self._connection.id
        now = datetime.now(UTC)
        inbound = message_placeholders(message, connection_id=connection_id, now=now)
        headers: dict[str, JsonValue] = dict(envelope.headers)
        if "correlation-id" not in headers and (external := message.header("correlation-id")) is not None:
            headers["correlation-id"] = external  # MQTT 5 correlation data, an AMQP correlation id
        for name, template in source.header_mapping.items():
            if (value := apply_or_delete(template, inbound)) is not None:
                headers[name.lower()] = value
        if source.enforcement is not None:
            self._enforce(source, message, envelope, inbound)
        if (requests := source.acknowledgement_requests) is not None:
            wanted = requests.filter is None or apply_or_delete(
                "{{ fn:default('true') | " + requests.filter + " }}", inbound) is not None
            labels = [label for template in requests.includes
                      if (label := apply_or_delete(template, inbound)) is not None] if wanted else []
            headers["requested-acks"] = orjson.dumps(labels).decode()
        steering = signal_headers(headers)  # raises Ditto's 400s for headers that cannot steer a command
        correlation_id = steering.correlation_id or random_uuid()
        headers["correlation-id"] = correlation_id
        if _awaits_answer(envelope):
            if steering.timeout == 0:  # fire-and-forget for the device; the runtime still needs the answer
                headers.pop("timeout", None)
            headers["response-required"] = True
        return _Received(replace(envelope, headers=headers), correlation_id, steering.response_required)

    def _enforce(self, source: Source, message: ExternalMessage, envelope: Envelope,
                 inbound: Placeholders) -> None:
        assert source.enforcement is not None
        signal = envelope_placeholders(envelope, connection_id=self._connection.id, now=datetime.now(UTC))
        value = apply_or_delete(source.enforcement.input, inbound)
        allowed = {apply_or_delete(template, signal) for template in source.enforcement.filters}
        if value is None or value not in allowed:
            raise ConnectionSignalIdEnforcementFailed(_entity_id(envelope) or "")

    def _map_out(self, envelope: Envelope) -> list[ExternalMessage]:
        return [out for mapper in self._mappers for out in mapper.map_outbound(envelope)]

    async def _reply(self, client: ConnectionClient, message: ExternalMessage, request: Envelope,
                     response: Envelope) -> None:
        """Send `response` to the source's reply target, if it has one that expects this kind of response."""
        source = self._source
        target = source.reply_target
        if target is None or not source.reply_target_enabled or _response_type(response) not in \
                target.expected_response_types:
            return
        # What the placeholders see: the device's headers, the command's (after the source's header mapping),
        # then the response's.
        headers = {**message.headers,
                   **{name: value for name, value in request.headers.items() if isinstance(value, str)},
                   **{name: value for name, value in response.headers.items() if isinstance(value, str)}}
        now = datetime.now(UTC)
        placeholders = envelope_placeholders(replace(response, headers=dict(headers)),
                                             connection_id=self._connection.id, now=now)
        address = apply_or_delete(target.address, placeholders)
        if address is None:
            self._monitor.count("outbound", target.address, "dropped")
            self._monitor.log("response", "dropped", f"The reply target address <{target.address}> did not "
                              "resolve: the response was dropped.", success=True,
                              correlation_id=message.header("correlation-id"))
            return
        mapped_headers = {name.lower(): value for name, template in target.header_mapping.items()
                          if (value := apply_or_delete(template, placeholders)) is not None}
        try:
            outgoing = await asyncio.to_thread(self._map_out, response) if self._offload else self._map_out(response)
        except (MappingFailed, TwinhubError) as failure:
            self._monitor.count("outbound", target.address, "mapped", success=False)
            self._monitor.log("response", "mapped", f"The response could not be mapped: {failure}")
            return
        for out in outgoing:
            reply = replace(out, address=address, headers={**out.headers, **mapped_headers})
            try:
                await client.publish(reply)
            except ClientFailure as failure:  # the reply is lost, the command is not
                self._monitor.count("outbound", target.address, "published", success=False)
                self._monitor.log("response", "published", f"The response could not be published: {failure}",
                                  address=address)
            else:
                self._monitor.count("outbound", target.address, "published")


def _entity_id(envelope: Envelope) -> str | None:
    topic = envelope.topic
    return None if topic.name == "_" else topic.entity_id
