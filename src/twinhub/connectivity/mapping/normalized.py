"""`Normalized` (outbound only): a thing event as the thing's JSON with only what changed, as Ditto's
NormalizedMessageMapper writes it: `thingId`, the changed value at its path, `_modified`, `_revision`,
`_deleted` (thing deleted), optional `_deletedFields`, `_context` (topic, path, value, headers), the extra
fields merged in, then the `fields` option applied; merged events drop nulls and empty objects.

Options: `fields` (a field selector), `includeDeletedFields` (`"true"`: partial deletions too, in `_deletedFields`).
"""

from __future__ import annotations

from collections.abc import Sequence

from twinhub.connectivity.external import ExternalMessage
from twinhub.connectivity.mapping.base import MapperConfigurationInvalid, MapperContext
from twinhub.connectivity.mapping.support import option_bool, option_text
from twinhub.model.errors import TwinhubError
from twinhub.model.events import PATCH_ACTIONS
from twinhub.model.fields import FieldSelector, parse_fields, select
from twinhub.model.json import dumps
from twinhub.model.merge import regex_key_pattern
from twinhub.model.pointer import set_at
from twinhub.model.types import MISSING, JsonObject, JsonValue
from twinhub.protocol import Envelope
from twinhub.service.streaming import merge_extra

__all__ = ["NormalizedMapper"]

# A definition migration is mapped as the merge it is (Ditto's NormalizedMessageMapper predates the `migrated`
# event and drops it, so a normalized consumer would miss the thing's new definition and defaults).
_CHANGES = ("created", "modified", *PATCH_ACTIONS)


class NormalizedMapper:
    def __init__(self, context: MapperContext) -> None:
        fields = option_text(context, "fields")
        try:
            self.fields: FieldSelector | None = None if fields is None else parse_fields(fields)
        except TwinhubError as error:
            raise MapperConfigurationInvalid(f"The option <fields> is invalid: {error.message}") from error
        self.include_deleted_fields = option_bool(context, "includeDeletedFields", False)

    def map_inbound(self, message: ExternalMessage) -> Sequence[Envelope]:
        return []  # outbound only: every inbound message is dropped, as in Ditto

    def map_outbound(self, envelope: Envelope) -> Sequence[ExternalMessage]:
        topic = envelope.topic
        keys = tuple(key for key in envelope.path.split("/") if key)
        thing_deleted = topic.action == "deleted" and not keys
        removal = topic.action == "deleted" and (thing_deleted or self.include_deleted_fields)
        if topic.group != "things" or topic.criterion != "events" or not (topic.action in _CHANGES or removal):
            return []
        document: JsonObject = {"thingId": topic.entity_id}
        value = envelope.value
        if not keys and isinstance(value, dict):
            document.update(value)
        elif keys and value is not MISSING:
            document = set_at(document, keys, value)
        if envelope.timestamp is not None:
            document["_modified"] = envelope.timestamp
            if thing_deleted:
                document["_deleted"] = envelope.timestamp
        if envelope.revision is not None:
            document["_revision"] = envelope.revision
        if self.include_deleted_fields and envelope.timestamp is not None:
            deleted = _deleted_fields(topic.action, keys, value, envelope.timestamp)
            if deleted:
                document["_deletedFields"] = deleted
        context: JsonObject = {"topic": str(topic), "path": envelope.path,
                               "value": None if value is MISSING else value}
        if envelope.fields is not None:
            context["fields"] = envelope.fields
        context["headers"] = dict(envelope.headers)
        document["_context"] = context
        if envelope.extra is not None:
            document = merge_extra(document, envelope.extra)
        if self.fields is not None:
            document = select(document, self.fields)
        if topic.action in PATCH_ACTIONS:
            document = _without_nulls(document)
        return [ExternalMessage(dumps(document), {"content-type": "application/json"}, "application/json")]

    def close(self) -> None:
        pass


def _deleted_fields(action: str | None, keys: tuple[str, ...], value: JsonValue | object,
                    timestamp: str) -> JsonObject:
    deleted: JsonObject = {}
    if action == "deleted" and keys:
        deleted = set_at(deleted, keys, timestamp)
    elif action in PATCH_ACTIONS:
        if value is None and keys:
            deleted = set_at(deleted, keys, timestamp)
        elif isinstance(value, dict):
            for path in _null_paths(value, keys):
                deleted = set_at(deleted, path, timestamp)
    return deleted


def _null_paths(patch: JsonObject, base: tuple[str, ...]) -> list[tuple[str, ...]]:
    paths: list[tuple[str, ...]] = []
    for key, item in patch.items():
        if regex_key_pattern(key) is not None:
            continue  # a regex deletion key (`{{ ~regex~ }}`, as the merge read it) names no field
        if item is None:
            paths.append((*base, key))
        elif isinstance(item, dict):
            paths += _null_paths(item, (*base, key))
    return paths


def _without_nulls(document: JsonObject) -> JsonObject:
    result: JsonObject = {}
    for key, value in document.items():
        if value is None:
            continue
        if isinstance(value, dict):
            value = _without_nulls(value)
            if not value:
                continue
        result[key] = value
    return result
