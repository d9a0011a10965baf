"""Twin commands in a session: the same thing and policy services as HTTP, answered in Ditto Protocol
(`create` 201, `modify` 201 or 204, `merge` 204 or 201, `retrieve` 200, `delete` 204), or with Ditto's
aggregated `…/things/twin/acks` message when the command requested acknowledgements to wait for."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime

from twinhub.history import HISTORY_TIMESTAMP_HEADER, parse_device_time
from twinhub.model.errors import ThingConflict, ThingPreconditionFailed, TopicPathUnknown
from twinhub.model.etag import Preconditions
from twinhub.model.headers import TWIN_PERSISTED, parse_bool, parse_historical_revision, parse_timestamp
from twinhub.model.metadata import (
    DELETE_METADATA,
    DITTO_METADATA,
    GET_METADATA,
    PUT_METADATA,
    MetadataHeaders,
    parse_metadata_headers,
)
from twinhub.model.policy import PolicyCommand
from twinhub.model.types import MISSING, JsonValue, Missing
from twinhub.protocol import (
    Envelope,
    ModifyThing,
    RetrieveThing,
    RetrieveThings,
    SignalHeaders,
    acks_envelope,
    header_text,
    migrate_command,
    policy_response,
    reply_headers,
    signal_headers,
    thing_response,
)
from twinhub.protocol import policy_command as parse_policy_command
from twinhub.protocol import thing_command as parse_thing_command
from twinhub.service.conditions import Condition, parse_condition
from twinhub.service.event_headers import ORIGIN_HEADER, carried_headers
from twinhub.service.live import new_correlation_id
from twinhub.service.patch_conditions import PATCH_CONDITIONS_HEADER, PatchCondition, parse_patch_conditions
from twinhub.service.requested_acks import RequestedAcks, WriteOutcome
from twinhub.service.session.party import Party
from twinhub.service.thing_reads import read_thing
from twinhub.service.views import (
    project_things,
    project_value,
)

__all__ = ["policy_command", "thing_command"]


def _preconditions(headers: Mapping[str, JsonValue]) -> Preconditions:
    return Preconditions(header_text(headers, "if-match"), header_text(headers, "if-none-match"))


def _history_time(headers: Mapping[str, JsonValue]) -> datetime | None:
    text = header_text(headers, HISTORY_TIMESTAMP_HEADER)
    return None if text is None else parse_device_time(text)


def _historical(headers: Mapping[str, JsonValue]) -> tuple[int | None, datetime | None]:
    """`at-historical-revision` and `at-historical-timestamp` (400 `header.invalid` when they do not parse)."""
    revision = header_text(headers, "at-historical-revision")
    timestamp = header_text(headers, "at-historical-timestamp")
    return (None if revision is None else parse_historical_revision(revision),
            None if timestamp is None else parse_timestamp("at-historical-timestamp", timestamp))


def _condition(headers: Mapping[str, JsonValue]) -> Condition | None:
    text = header_text(headers, "condition")
    return parse_condition(text) if text else None


def _patch_conditions(headers: Mapping[str, JsonValue]) -> tuple[PatchCondition, ...]:
    text = header_text(headers, PATCH_CONDITIONS_HEADER)
    return () if text is None else parse_patch_conditions(text)


def _metadata(headers: Mapping[str, JsonValue], *, query: bool) -> MetadataHeaders | None:
    """The command's `put-metadata` (a JSON array, as text or as JSON), `get-metadata` or `delete-metadata`."""
    return parse_metadata_headers(header_text(headers, PUT_METADATA), header_text(headers, GET_METADATA),
                                  header_text(headers, DELETE_METADATA), query=query)


def _allow_policy_lockout(headers: Mapping[str, JsonValue]) -> bool:
    """Ditto's `allow-policy-lockout` header: a thing may be created with a policy that does not let its creator
    write that policy (as HTTP's `allow-policy-lockout` parameter)."""
    text = header_text(headers, "allow-policy-lockout")
    return text is not None and parse_bool("allow-policy-lockout", text)


def _event_headers(party: Party, steering: SignalHeaders) -> dict[str, str]:
    carried = carried_headers(party.auth.default_subject, steering.correlation_id, steering.requested_acks)
    carried[ORIGIN_HEADER] = party.id
    return carried


async def thing_command(party: Party, envelope: Envelope) -> None:
    if envelope.topic.action == "migrate":
        await _migrate(party, envelope)
        return
    signal = parse_thing_command(envelope)
    steering = signal_headers(envelope.headers, default_acks=(TWIN_PERSISTED,))
    if isinstance(signal, ModifyThing):
        await _modify(party, envelope, signal, steering)
        return
    value, extra = await _retrieve(party, envelope, signal)
    if steering.response_required:
        party.send(thing_response(envelope, 200, value, headers=reply_headers(envelope.headers, extra=extra)))


async def _retrieve(party: Party, envelope: Envelope,
                    signal: RetrieveThing | RetrieveThings) -> tuple[JsonValue, dict[str, JsonValue]]:
    """The answer to a retrieve and its extra headers; `fields=_policy` inlines the thing's policy, as Ditto's
    SupervisorInlinePolicyEnrichment does for every RetrieveThing(s), over HTTP or the Ditto Protocol."""
    services = party.services
    if isinstance(signal, RetrieveThings):
        found = await services.things.retrieve_many(signal.thing_ids, party.subjects)
        return await project_things(services.policies, found, signal.fields, party.subjects), {}
    revision, timestamp = _historical(envelope.headers)
    read = await read_thing(services.things, services.policies, signal.thing_id, signal.path, party.subjects,
                            fields=signal.fields, metadata=_metadata(envelope.headers, query=True),
                            preconditions=_preconditions(envelope.headers), condition=_condition(envelope.headers),
                            revision=revision, timestamp=timestamp)
    extra: dict[str, JsonValue] = {"etag": read.etag}
    if read.metadata is not None:
        extra[DITTO_METADATA] = read.metadata
    return read.value, extra


async def _modify(party: Party, envelope: Envelope, signal: ModifyThing, steering: SignalHeaders) -> None:
    thing_id = signal.command.thing_id
    preconditions = _preconditions(envelope.headers)
    history_time = _history_time(envelope.headers)  # refused (400) before anything is written
    patch_conditions = _patch_conditions(envelope.headers) if signal.command.action == "merge" else ()
    metadata = _metadata(envelope.headers, query=False)
    if signal.create_only:
        preconditions = Preconditions(preconditions.if_match, "*")
    requested = RequestedAcks(party.services.live, steering.requested_acks,
                              correlation_id=steering.correlation_id or new_correlation_id(), entity_id=thing_id,
                              timeout=steering.timeout)
    if requested.aggregated:  # the event must carry the correlation-id its acknowledgements answer
        steering = replace(steering, correlation_id=requested.correlation_id)
    try:
        try:
            executed = await party.services.things.execute(
                signal.command, party.subjects, preconditions=preconditions,
                allow_policy_lockout=_allow_policy_lockout(envelope.headers),
                condition=_condition(envelope.headers), headers=_event_headers(party, steering),
                history_time=history_time, patch_conditions=patch_conditions, metadata=metadata)
        except ThingPreconditionFailed:
            if signal.create_only and header_text(envelope.headers, "if-none-match") != "*":
                raise ThingConflict(thing_id) from None
            raise
        created = executed.applied.created
        if requested.aggregated:
            acks = await requested.collect(WriteOutcome(created, executed.applied.created_value, executed.etag))
            if steering.response_required:
                headers = reply_headers(envelope.headers)
                headers["correlation-id"] = requested.correlation_id
                party.send(acks_envelope(thing_id, acks.values(), headers=headers))
            return
    finally:
        requested.close()
    if steering.response_required:
        value: JsonValue | Missing = executed.applied.created_value if created else MISSING
        extra: dict[str, JsonValue] = {} if executed.etag is None else {"etag": executed.etag}
        party.send(thing_response(envelope, 201 if created else 204, value,
                                  headers=reply_headers(envelope.headers, extra=extra)))


async def _migrate(party: Party, envelope: Envelope) -> None:
    """Ditto's `migrate` (MigrateThingDefinition): 200 `APPLIED` or, with `dry-run`, 202 `DRY_RUN`, the value
    `{thingId, patch, mergeStatus}` (protocol `ThingDefinitionMigrateResponseSignalMapper`)."""
    signal = migrate_command(envelope)
    migration = party.services.migration
    if migration is None:
        raise TopicPathUnknown(str(envelope.topic), "Thing definitions cannot be migrated here.")
    steering = signal_headers(envelope.headers, default_acks=(TWIN_PERSISTED,))
    dry_run_text = header_text(envelope.headers, "dry-run")
    migrated = await migration.migrate(signal.thing_id, signal.value, party.subjects,
                                       dry_run=dry_run_text is not None and parse_bool("dry-run", dry_run_text),
                                       headers=_event_headers(party, steering),
                                       preconditions=_preconditions(envelope.headers))
    if steering.response_required:
        value: JsonValue = {"thingId": signal.thing_id, "patch": migrated.patch,
                 "mergeStatus": "APPLIED" if migrated.applied else "DRY_RUN"}
        extra: dict[str, JsonValue] = {} if migrated.etag is None else {"etag": migrated.etag}
        party.send(thing_response(envelope, 200 if migrated.applied else 202, value,
                                  headers=reply_headers(envelope.headers, extra=extra)))


async def policy_command(party: Party, envelope: Envelope) -> None:
    signal = parse_policy_command(envelope)
    steering = signal_headers(envelope.headers, default_acks=(TWIN_PERSISTED,))
    policies = party.services.policies
    preconditions = _preconditions(envelope.headers)
    if signal.action == "retrieve":
        # As over HTTP: the policy as it was (Ditto's historical RetrievePolicy), authorized by the current policy.
        revision, timestamp = _historical(envelope.headers)
        _policy, value, etag = await policies.retrieve(signal.policy_id, signal.path, party.subjects,
                                                       preconditions=preconditions, revision=revision,
                                                       timestamp=timestamp)
        if steering.response_required:
            party.send(policy_response(envelope, 200, project_value(value, signal.fields),
                                       headers=reply_headers(envelope.headers, extra={"etag": etag})))
        return
    if signal.action == "create":
        preconditions = Preconditions(preconditions.if_match, "*")
    command_value = None if isinstance(signal.value, Missing) else signal.value
    command = PolicyCommand("delete" if signal.action == "delete" else "modify", signal.policy_id, signal.path,
                            command_value)
    result = await policies.execute(command, party.subjects, preconditions=preconditions)
    if steering.response_required:
        extra: dict[str, JsonValue] = {} if result.etag is None else {"etag": result.etag}
        created: JsonValue | Missing = result.value if result.created else MISSING
        party.send(policy_response(envelope, 201 if result.created else 204, created,
                                   headers=reply_headers(envelope.headers, extra=extra)))
