"""Thing metadata (Ditto's `_metadata`): the tree beside a thing that mirrors its parts, written only through the
headers of the commands that change the thing (pure).

Ditto documents it in `basic-metadata.md`; its rules live in the things service
(`things/service/.../persistence/actors/strategies/commands/AbstractThingCommandStrategy.java`,
`MetadataFromCommand.java`, `MetadataWildcardValidator.java`, `MetadataFieldsWildcardResolver.java`,
`.../strategies/events/AbstractThingEventStrategy.java`) and in the headers model
(`base/model/.../headers/metadata/DefaultMetadataHeader(Key|s).java`):

* `put-metadata` is a JSON array of `{"key": <pointer relative to the resource>, "value": <json>}` (entries that are
  no object are skipped); a key `*/k` sets `k` beside every leaf the written value has, other `/*/` keys expand over
  the thing's features, properties or attributes as `expand` says. Wildcard keys apply first, specific keys after
  them, so a specific key overrides a wildcard one. The result replaces the metadata at the resource.
* `delete-metadata` and `get-metadata` are comma-separated pointers relative to the resource (`*` alone: all of it;
  wildcards expand over the existing thing). Deleting drops objects left empty.
* Only one of the three headers per command: 400 `things:metadata.headersconflict`.
* Metadata of removed data goes with it: deleting a part deletes its metadata, a merge patch's nulls delete the
  metadata at their paths, and modifying a part to `{}` empties the metadata at it (Ditto's event strategies).
  Beyond Ditto, which keeps it, the metadata of data that a modification or merge replaced away (a key the new
  value lacks, an object become a scalar) goes too, and so does that of nulls deeper than a patch's first level.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from twinhub.model.errors import (
    HeaderInvalid,
    JsonParseInvalid,
    MetadataHeadersConflict,
    MetadataWildcardTooBroad,
)
from twinhub.model.json import MAX_JSON_DEPTH, JsonTooDeep, check_depth, dumps, loads
from twinhub.model.metadata_wildcards import expand, has_wildcard
from twinhub.model.pointer import delete_at, format_pointer, get_at, set_at
from twinhub.model.types import MISSING, JsonObject, JsonValue, Missing, Pointer

__all__ = [
    "DELETE_METADATA",
    "DITTO_METADATA",
    "GET_METADATA",
    "METADATA_FIELD",
    "PUT_METADATA",
    "MetadataEntry",
    "MetadataHeaders",
    "changed_metadata",
    "check_metadata_depth",
    "parse_metadata_headers",
    "readable_metadata",
    "retrieved_metadata",
]

PUT_METADATA: Final = "put-metadata"
GET_METADATA: Final = "get-metadata"
DELETE_METADATA: Final = "delete-metadata"
DITTO_METADATA: Final = "ditto-metadata"  # the response header that answers `get-metadata`
METADATA_FIELD: Final = "_metadata"
WILDCARD: Final = "*"
# The metadata tree mirrors a thing (at most MAX_JSON_DEPTH levels) and adds the values of `put-metadata` below its
# parts: it may nest that deep twice, no deeper (a tree the stores and the bus could not serialize).
MAX_METADATA_DEPTH: Final = 2 * MAX_JSON_DEPTH
# The keys a header's wildcards may stand for at most (a `*/k` stands for one per leaf of the resource): some twenty
# thousand leaves fill a thing of the default 100 kB, so a few keys a leaf pass, while a header of a thousand `*/k`
# over such a thing (twenty million keys, minutes of one worker's time) is refused.
MAX_EXPANDED_KEYS: Final = 100_000


@dataclass(frozen=True, slots=True)
class MetadataEntry:
    """One `put-metadata` entry: `value` at `key` (relative to the command's resource)."""

    key: Pointer
    value: JsonValue

    @property
    def applies_to_all_leaves(self) -> bool:
        return self.key[0] == WILDCARD


@dataclass(frozen=True, slots=True)
class MetadataHeaders:
    """The metadata headers of one command; at most one of them is non-empty."""

    put: tuple[MetadataEntry, ...] = ()
    get: tuple[Pointer, ...] = ()
    delete: tuple[Pointer, ...] = ()


def parse_metadata_headers(put: str | None, get: str | None, delete: str | None, *,
                           query: bool) -> MetadataHeaders | None:
    """The metadata headers as sent (None where absent), or None when none is; raises 400 `header.invalid` for a
    malformed one and `things:metadata.headersconflict` when more than one comes (`query`: on a retrieve)."""
    if put is None and get is None and delete is None:
        return None
    if (put is not None) + (get is not None) + (delete is not None) > 1:
        raise MetadataHeadersConflict(query=query)
    return MetadataHeaders(
        put=() if put is None else _parse_put(put),
        get=() if get is None else _parse_pointers(GET_METADATA, get),
        delete=() if delete is None else _parse_pointers(DELETE_METADATA, delete),
    )


def _parse_put(text: str) -> tuple[MetadataEntry, ...]:
    if not text:
        return ()
    try:
        parsed = loads(text)
    except ValueError:
        raise HeaderInvalid(PUT_METADATA, text, "MetadataHeaders") from None
    if not isinstance(parsed, list):
        raise HeaderInvalid(PUT_METADATA, text, "MetadataHeaders")
    entries: dict[tuple[Pointer, str], MetadataEntry] = {}
    for item in parsed:
        if not isinstance(item, dict):  # Ditto filters what is not an object
            continue
        key, value = item.get("key", MISSING), item.get("value", MISSING)
        if not isinstance(key, str) or value is MISSING:
            raise HeaderInvalid(PUT_METADATA, text, "MetadataHeaders")
        pointer = _pointer(key)
        if not pointer:
            raise HeaderInvalid(PUT_METADATA, text, "MetadataHeaders")
        entries[(pointer, _value_text(value))] = MetadataEntry(pointer, value)
    # Ditto's order (DefaultMetadataHeaderKey.compareTo): wildcard keys before specific ones, each by key text,
    # equal keys by value text; applied in that order, so the last one wins.
    order = sorted(entries.items(), key=lambda item: (not item[1].applies_to_all_leaves,
                                                      format_pointer(item[1].key), item[0][1]))
    return tuple(entry for _, entry in order)


def _value_text(value: JsonValue) -> str:
    return value if isinstance(value, str) else dumps(value).decode()


def _parse_pointers(name: str, text: str) -> tuple[Pointer, ...]:
    pointers = [_pointer(part.strip()) for part in text.split(",") if part.strip()]
    if not pointers:
        raise HeaderInvalid(name, text, "comma separated list of JSON pointers")
    return tuple(dict.fromkeys(pointers))


def _pointer(text: str) -> Pointer:
    """A metadata pointer: Ditto's JsonPointer, leading and one trailing slash optional, `~0` for `~`."""
    body = text[1:] if text.startswith("/") else text
    if body.endswith("/"):
        body = body[:-1]
    if not body:
        return ()
    keys = body.split("/")
    if "" in keys or len(keys) > MAX_JSON_DEPTH:  # a pointer no thing could hold (and no recursion could follow)
        raise HeaderInvalid("metadata", text[:200], "JSON pointer")
    return tuple(key.replace("~0", "~") for key in keys)


# -- the metadata a command leaves --------------------------------------------------------------------------------


def changed_metadata(metadata: JsonObject | None, action: str, path: Pointer, value: JsonValue,
                     before: JsonValue | Missing, after: JsonValue | Missing,
                     headers: MetadataHeaders | None) -> JsonObject | None:
    """The thing's metadata after a command (`action` modify, merge or delete at `path` with `value`) given its
    `metadata` before (None: none), the data at the resource `before` and `after` it (MISSING: none) and the
    command's metadata `headers`; None when the thing has none."""
    relative = _relative(metadata, path)
    if headers is not None and headers.put and action != "delete" and not (value is None and action == "merge"):
        edit = _Edit(relative)
        for entry in _expanded(path, value, headers.put):
            edit.set(entry.key, entry.value)
        metadata = _put_at(metadata, path, edit.root)
    elif headers is not None and headers.delete and relative is not None:
        if headers.delete == ((WILDCARD,),):
            relative = {}
        else:
            edit = _Edit(relative)
            for pointer in _resolved(path, before, headers.delete, DELETE_METADATA):
                edit.delete(pointer)
            relative = _without_empty_objects(edit.root)
        metadata = _put_at(metadata, path, relative)
    if metadata is None:
        return None
    if action == "delete" or (action == "merge" and value is None):
        return (delete_at(metadata, path) if path else {}) or None
    if gone := [*_removed(before, after), *(_nulls(value) if action == "merge" else ())]:
        edit = _Edit(metadata)
        for pointer in gone:
            edit.delete(path + pointer)
        metadata = edit.root
    if action == "modify" and value == {}:
        metadata = _put_at(metadata, path, {})
    return metadata or None


class _Edit:
    """Edits of a copy of a metadata tree, each object on an edited path copied once however many edits pass
    through it: `set_at`/`delete_at` copy every object on the path at each call, which made a wildcard over the
    thousands of leaves of a big thing quadratic (seconds of the event loop for one header)."""

    def __init__(self, tree: JsonObject | None) -> None:
        self.root: JsonObject = dict(tree) if tree else {}
        self._copies: dict[int, JsonObject] = {id(self.root): self.root}  # keeps them alive, so ids stay theirs

    def _child(self, node: JsonObject, key: str) -> JsonObject:
        """`node[key]` as an object of this edit's own (a copy of it, or `{}` in place of a non-object)."""
        child = node.get(key)
        if not isinstance(child, dict) or id(child) not in self._copies:
            child = dict(child) if isinstance(child, dict) else {}
            self._copies[id(child)] = node[key] = child
        return child

    def set(self, pointer: Pointer, value: JsonValue) -> None:
        """`value` at `pointer` (not empty); missing or non-object parents become objects, as with `set_at`."""
        node = self.root
        for key in pointer[:-1]:
            node = self._child(node, key)
        node[pointer[-1]] = value

    def delete(self, pointer: Pointer) -> None:
        """Nothing at `pointer` any more (the empty pointer: nothing at all), as with `delete_at`."""
        if not pointer:
            self.root.clear()
            return
        node = self.root
        for key in pointer[:-1]:
            if not isinstance(node.get(key), dict):
                return
            node = self._child(node, key)
        node.pop(pointer[-1], None)


def check_metadata_depth(metadata: JsonObject | None) -> None:
    """Raise 400 `json.invalid` when `metadata` nests deeper than `MAX_METADATA_DEPTH` (a `put-metadata` value
    written below a deep key of a deep part)."""
    try:
        check_depth(metadata, MAX_METADATA_DEPTH)
    except JsonTooDeep:
        raise JsonParseInvalid(f"The metadata would nest the thing deeper than the limit of {MAX_METADATA_DEPTH} "
                               "levels.") from None


def _removed(before: JsonValue | Missing, after: JsonValue | Missing, at: Pointer = ()) -> list[Pointer]:
    """The keys of data in `before` that `after` no longer has (an object replaced by a scalar loses them all);
    beyond Ditto, which keeps the metadata of data a modification replaced away, their metadata goes with them."""
    if not isinstance(before, dict):
        return []
    if not isinstance(after, dict):
        return [(*at, key) for key in before]
    found: list[Pointer] = []
    for key, child in before.items():
        if key not in after:
            found.append((*at, key))
        elif isinstance(child, dict):
            found.extend(_removed(child, after[key], (*at, key)))
    return found


def _relative(metadata: JsonObject | None, path: Pointer) -> JsonObject | None:
    if metadata is None:
        return None
    found = get_at(metadata, path)
    return found if isinstance(found, dict) else None


def _put_at(metadata: JsonObject | None, path: Pointer, relative: JsonObject) -> JsonObject:
    return relative if not path else set_at(metadata or {}, path, relative)


def _expanded(path: Pointer, value: JsonValue, entries: tuple[MetadataEntry, ...]) -> list[MetadataEntry]:
    expanded: list[MetadataEntry] = []
    for entry in entries:
        if has_wildcard(entry.key):
            expanded.extend(MetadataEntry(key, entry.value) for key in expand(path, value, entry.key, PUT_METADATA))
            if len(expanded) > MAX_EXPANDED_KEYS:
                raise MetadataWildcardTooBroad(PUT_METADATA, MAX_EXPANDED_KEYS)
        else:
            expanded.append(entry)
    return expanded


def _resolved(path: Pointer, value: JsonValue | Missing, pointers: tuple[Pointer, ...], header: str) -> list[Pointer]:
    resolved: list[Pointer] = []
    for pointer in pointers:
        if has_wildcard(pointer):
            resolved.extend(expand(path, None if value is MISSING else value, pointer, header))
            if len(resolved) > MAX_EXPANDED_KEYS:
                raise MetadataWildcardTooBroad(header, MAX_EXPANDED_KEYS)
        else:
            resolved.append(pointer)
    return list(dict.fromkeys(resolved))


def _without_empty_objects(value: JsonObject) -> JsonObject:
    kept: JsonObject = {}
    for key, child in value.items():
        if isinstance(child, dict):
            child = _without_empty_objects(child)
            if not child:
                continue
        kept[key] = child
    return kept


def _nulls(patch: JsonValue, at: Pointer = ()) -> list[Pointer]:
    if not isinstance(patch, dict):
        return []
    found: list[Pointer] = []
    for key, child in patch.items():
        found.extend([(*at, key)] if child is None else _nulls(child, (*at, key)))
    return found


# -- reading ------------------------------------------------------------------------------------------------------


def retrieved_metadata(metadata: JsonObject | None, path: Pointer, value: JsonValue,
                       pointers: tuple[Pointer, ...]) -> JsonObject:
    """What `get-metadata` answers in `ditto-metadata` for the resource at `path` (holding `value`): the metadata
    at each pointer relative to it (`*` alone: all of it), `{}` when there is none."""
    relative = _relative(metadata, path)
    if relative is None:
        return {}
    if pointers == ((WILDCARD,),):
        return relative
    answer = _Edit(None)
    for pointer in _resolved(path, value, pointers, GET_METADATA):
        found = get_at(relative, pointer)
        if found is not MISSING:
            answer.set(pointer, found)
    return answer.root


def readable_metadata(metadata: JsonValue, visible: JsonValue) -> JsonValue:
    """`metadata` where both it and the data at the same path are readable: `metadata` is the READ view of the
    `_metadata` tree, `visible` the READ view of that same tree read as if it were thing data. So the metadata of
    a revoked path never shows, even where `thing:/_metadata` is granted."""
    if isinstance(metadata, dict) and isinstance(visible, dict):
        return {key: readable_metadata(child, visible[key]) for key, child in metadata.items() if key in visible}
    return metadata
