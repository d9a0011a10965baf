"""The answer to a thing retrieve, as HTTP and the Ditto Protocol give it alike: the readable value at the path
(current or historical), with the special fields, `_metadata` and `_policy` a `fields` selection asks for, its tag,
and what `get-metadata` asks for (Ditto's `ditto-metadata`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from twinhub.model.etag import NO_PRECONDITIONS, Preconditions
from twinhub.model.fields import FieldSelector
from twinhub.model.metadata import METADATA_FIELD, MetadataHeaders, retrieved_metadata
from twinhub.model.types import JsonObject, JsonValue, Pointer
from twinhub.service.conditions import Condition
from twinhub.service.enforcement import with_metadata
from twinhub.service.views import inline_policies, project_value, wants_field, wants_policy, with_special_fields

if TYPE_CHECKING:
    from twinhub.service.policies import PolicyService
    from twinhub.service.things import ThingService

__all__ = ["RetrieveAnswer", "answer_retrieve"]


@dataclass(frozen=True, slots=True)
class RetrieveAnswer:
    value: JsonValue
    etag: str
    metadata: JsonObject | None  # the `ditto-metadata` answer to `get-metadata`; None when not asked


async def answer_retrieve(things: ThingService, policies: PolicyService, thing_id: str, path: Pointer,
                          subjects: tuple[str, ...], *, fields: FieldSelector | None,
                          metadata: MetadataHeaders | None, revision: int | None = None,
                          timestamp: datetime | None = None, preconditions: Preconditions = NO_PRECONDITIONS,
                          condition: Condition | None = None) -> RetrieveAnswer:
    """What the subjects get for a retrieve of `path` of the thing: as it is now, or as it was at `revision` or
    `timestamp` (Ditto's historical reads, which take no preconditions or condition)."""
    getting = metadata is not None and bool(metadata.get)
    wants_metadata = getting or wants_field(fields, METADATA_FIELD)  # only then is the metadata view computed
    if revision is not None or timestamp is not None:
        retrieved = await things.retrieve_historical(thing_id, path, subjects, revision=revision,
                                                     timestamp=timestamp, metadata=wants_metadata)
    else:
        retrieved = await things.retrieve(thing_id, path, subjects, preconditions=preconditions,
                                          condition=condition, metadata=wants_metadata)
    value = retrieved.value
    if not path and isinstance(value, dict):
        value = with_special_fields(retrieved.thing, with_metadata(value, retrieved.metadata), fields)
    value = project_value(value, fields)
    if not path and wants_policy(fields):
        [value] = await inline_policies(policies, [retrieved.thing], [value], subjects)
    answer = None
    if metadata is not None and metadata.get:
        answer = retrieved_metadata(retrieved.metadata, path, retrieved.value, metadata.get)
    return RetrieveAnswer(value, retrieved.etag, answer)
