"""Twin commands over the WebSocket: the same thing and policy services as HTTP, answered in Ditto
Protocol (`create` 201, `modify` 201 or 204, `merge` 204 or 201, `retrieve` 200, `delete` 204)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from twinhub.api.headers import TWIN_PERSISTED, carried_headers, parse_condition
from twinhub.api.views import ORIGIN_HEADER, project_thing, project_value, with_special_fields
from twinhub.api.websocket.acks import AckCollector
from twinhub.api.websocket.session import Session
from twinhub.model.errors import ThingConflict, ThingPreconditionFailed
from twinhub.model.etag import Preconditions
from twinhub.model.types import MISSING, JsonValue, Missing
from twinhub.protocol import (
    Envelope,
    ModifyThing,
    RetrieveThing,
    RetrieveThings,
    SignalHeaders,
    header_text,
    policy_response,
    reply_headers,
    signal_headers,
    thing_response,
)
from twinhub.protocol import policy_command as parse_policy_command
from twinhub.protocol import thing_command as parse_thing_command
from twinhub.service.conditions import Condition
from twinhub.service.policies import PolicyCommand


def preconditions_of(headers: Mapping[str, JsonValue]) -> Preconditions:
    return Preconditions(header_text(headers, "if-match"), header_text(headers, "if-none-match"))


def condition_of(headers: Mapping[str, JsonValue]) -> Condition | None:
    text = header_text(headers, "condition")
    return parse_condition(text) if text else None


def event_headers(session: Session, steering: SignalHeaders) -> dict[str, str]:
    carried = carried_headers(session.auth.default_subject, steering.correlation_id, steering.requested_acks)
    carried[ORIGIN_HEADER] = session.id
    return carried


async def thing_command(session: Session, envelope: Envelope) -> None:
    signal = parse_thing_command(envelope)
    steering = signal_headers(envelope.headers, default_acks=(TWIN_PERSISTED,))
    if isinstance(signal, ModifyThing):
        await _modify(session, envelope, signal, steering)
        return
    value = await _retrieve(session, envelope, signal)
    if steering.response_required:
        session.send_envelope(thing_response(envelope, 200, value[0], headers=reply_headers(envelope.headers,
                                                                                       extra=value[1])))


async def _retrieve(session: Session, envelope: Envelope,
                    signal: RetrieveThing | RetrieveThings) -> tuple[JsonValue, dict[str, JsonValue]]:
    things = session.ctx.things
    if isinstance(signal, RetrieveThing):
        retrieved = await things.retrieve(signal.thing_id, signal.path, session.subjects,
                                          preconditions=preconditions_of(envelope.headers),
                                          condition=condition_of(envelope.headers))
        value = retrieved.value
        if not signal.path and isinstance(value, dict):
            value = with_special_fields(retrieved.thing, value, signal.fields)
        return project_value(value, signal.fields), {"etag": retrieved.etag}
    found = await things.retrieve_many(signal.thing_ids, session.subjects)
    return [project_thing(thing, view, signal.fields) for thing, view in found], {}


async def _modify(session: Session, envelope: Envelope, signal: ModifyThing, steering: SignalHeaders) -> None:
    preconditions = preconditions_of(envelope.headers)
    if signal.create_only:
        preconditions = Preconditions(preconditions.if_match, "*")
    collector = AckCollector(session, steering, signal.command.thing_id) if AckCollector.needed(steering) else None
    if collector is not None:  # the event must carry the correlation-id its acknowledgements answer
        steering = replace(steering, correlation_id=collector.correlation_id)
    try:
        executed = await session.ctx.things.execute(
            signal.command, session.subjects, preconditions=preconditions, condition=condition_of(envelope.headers),
            headers=event_headers(session, steering))
    except ThingPreconditionFailed:
        if collector is not None:
            collector.close()
        if signal.create_only and header_text(envelope.headers, "if-none-match") != "*":
            raise ThingConflict(signal.command.thing_id) from None
        raise
    except BaseException:
        if collector is not None:
            collector.close()
        raise
    created = executed.applied.created
    status = 201 if created else 204
    value: JsonValue | Missing = executed.applied.created_value if created else MISSING
    extra: dict[str, JsonValue] = {} if executed.etag is None else {"etag": executed.etag}
    response = thing_response(envelope, status, value, headers=reply_headers(envelope.headers, extra=extra))
    if collector is not None:
        aggregated = await collector.answer(envelope, response)
        if steering.response_required:
            session.send_envelope(aggregated)
    elif steering.response_required:
        session.send_envelope(response)


async def policy_command(session: Session, envelope: Envelope) -> None:
    signal = parse_policy_command(envelope)
    steering = signal_headers(envelope.headers, default_acks=(TWIN_PERSISTED,))
    policies = session.ctx.policies
    preconditions = preconditions_of(envelope.headers)
    if signal.action == "retrieve":
        _policy, value, etag = await policies.retrieve(signal.policy_id, signal.path, session.subjects,
                                                       preconditions=preconditions)
        if signal.fields is not None:
            value = project_value(value, signal.fields)
        if steering.response_required:
            session.send_envelope(policy_response(envelope, 200, value,
                                            headers=reply_headers(envelope.headers, extra={"etag": etag})))
        return
    if signal.action == "create":
        preconditions = Preconditions(preconditions.if_match, "*")
    command_value = None if isinstance(signal.value, Missing) else signal.value
    command = PolicyCommand("delete" if signal.action == "delete" else "modify", signal.policy_id, signal.path,
                            command_value)
    result = await policies.execute(command, session.subjects, preconditions=preconditions)
    if steering.response_required:
        extra: dict[str, JsonValue] = {} if result.etag is None else {"etag": result.etag}
        created: JsonValue | Missing = result.value if result.created else MISSING
        session.send_envelope(policy_response(envelope, 201 if result.created else 204, created,
                                              headers=reply_headers(envelope.headers, extra=extra)))

