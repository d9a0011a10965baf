"""A read of one thing as every edge answers it (HTTP `GET /things/<id>[/<path>]`, the Ditto Protocol's
`things/twin/commands/retrieve`): the current thing, or the thing as it was (`at-historical-revision`,
`at-historical-timestamp`); its readable `_metadata` where `fields` or `get-metadata` ask for it; the special
fields and the selection of `fields`; the inline `_policy` (Ditto's SupervisorInlinePolicyEnrichment); and the
`ditto-metadata` answer. The edges only parse their request and render this."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from twinhub.model.etag import Preconditions
from twinhub.model.fields import FieldSelector
from twinhub.model.metadata import METADATA_FIELD, MetadataHeaders, retrieved_metadata
from twinhub.model.types import JsonObject, JsonValue, Pointer
from twinhub.service.conditions import Condition
from twinhub.service.enforcement import with_metadata
from twinhub.service.policies import PolicyService
from twinhub.service.things import ThingService
from twinhub.service.views import inline_policies, project_value, wants_field, wants_policy, with_special_fields

__all__ = ["ThingRead", "read_thing"]


@dataclass(frozen=True, slots=True)
class ThingRead:
    value: JsonValue
    etag: str
    metadata: JsonObject | None  # the `ditto-metadata` answer, when `get-metadata` asked for one


async def read_thing(things: ThingService, policies: PolicyService, thing_id: str, path: Pointer,
                     subjects: tuple[str, ...], *, fields: FieldSelector | None, metadata: MetadataHeaders | None,
                     preconditions: Preconditions, condition: Condition | None, revision: int | None,
                     timestamp: datetime | None) -> ThingRead:
    """What a retrieve of `thing_id` at `path` answers the subjects (Ditto's 404s, 412 or 304 raised)."""
    getting = metadata is not None and bool(metadata.get)
    wants_metadata = getting or wants_field(fields, METADATA_FIELD)
    if revision is not None or timestamp is not None:
        retrieved = await things.retrieve_historical(thing_id, path, subjects, revision=revision, timestamp=timestamp,
                                                     metadata=wants_metadata)
    else:
        retrieved = await things.retrieve(thing_id, path, subjects, preconditions=preconditions, condition=condition,
                                          metadata=wants_metadata)
    value = retrieved.value
    if not path and isinstance(value, dict):
        value = with_special_fields(retrieved.thing, with_metadata(value, retrieved.metadata), fields)
    value = project_value(value, fields)
    if not path and wants_policy(fields):
        [value] = await inline_policies(policies, [retrieved.thing], [value], subjects)
    answer = None
    if metadata is not None and metadata.get:
        answer = retrieved_metadata(retrieved.metadata, path, retrieved.value, metadata.get)
    return ThingRead(value, retrieved.etag, answer)
