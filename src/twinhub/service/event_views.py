"""One committed thing event as its watchers see it: cut down to what each may READ, enriched with extra
fields, tested against each one's filter. The event hub (`twinhub.service.streaming`) builds one
`EventView` per event and asks it once per watcher; everything that depends only on the subjects (the
READ view, the extra fields, the filter's verdict) is computed once per distinct subjects and filter.

The filter sees the thing JSON Ditto forms from an event (`changed_thing`): the thing id, the readable
changed part at its path (a merge patch without its nulls), `_revision` and `_modified`, with the
readable extra fields merged below; placeholders name the event's topic, resource and entity.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final, TypeVar, cast

import orjson

from twinhub.model.events import PATCH_ACTIONS, Thing, ThingEvent, format_timestamp
from twinhub.model.fields import FieldSelector, select
from twinhub.model.metadata import METADATA_FIELD
from twinhub.model.pointer import get_at, set_at
from twinhub.model.points import Point, leaf_pointer
from twinhub.model.policy import READ
from twinhub.model.thing import SPECIAL_FIELDS
from twinhub.model.types import MISSING, JsonObject, JsonValue, Missing, Pointer
from twinhub.policy import Enforcer
from twinhub.rql import And, Comparison, In, Node, Not, Or, Placeholder, matches, resolve_placeholders
from twinhub.service.enforcement import metadata_view
from twinhub.service.event_documents import changed_thing, event_placeholders, merge_extra

__all__ = [
    "EVENT_PLACEHOLDERS",
    "Delivery",
    "EventFilter",
    "EventView",
    "Interest",
    "Renderings",
    "may_read_leaf",
    "readable_extra",
]

# The placeholders an event filter may name as properties (Ditto's topic, resource and entity resolvers);
# `event_placeholders` gives their values.
EVENT_PLACEHOLDERS: Final = frozenset({
    "topic:full", "topic:namespace", "topic:entityName", "topic:group", "topic:channel", "topic:criterion",
    "topic:action", "topic:subject", "topic:action-subject", "resource:type", "resource:path",
    "entity:id", "entity:namespace", "entity:name", "thing:id", "thing:namespace", "thing:name",
})


@dataclass(frozen=True, slots=True)
class EventFilter:
    """What a watcher wants; every part narrows (None: no restriction)."""

    namespaces: frozenset[str] | None = None
    thing_ids: frozenset[str] | None = None
    path: Pointer = ()  # only events touching it: at, above or below
    filter: Node | None = None  # parsed and validated (`twinhub.service.streaming.parse_event_filter`)
    filter_text: str | None = None
    extra_fields: FieldSelector | None = None
    # Live history: the leaf paths (as points name them) whose committed points are wanted, in place of the
    # event's value; None for a watcher of events.
    points: frozenset[str] | None = None


_Rendered = TypeVar("_Rendered")


class Renderings:
    """What edges render of one event, shared by all of its deliveries: a frame is encoded once per
    distinct view and way of rendering, not once per watcher (and its bytes are held once)."""

    __slots__ = ("_entries",)

    def __init__(self) -> None:
        # Keyed by the ids of the view's objects, which each entry keeps alive so the ids stay theirs.
        self._entries: dict[tuple[int, int, Hashable], tuple[object, object, object]] = {}

    def get(self, value: object, extra: object, how: Hashable, render: Callable[[], _Rendered]) -> _Rendered:
        key = (id(value), id(extra), how)
        entry = self._entries.get(key)
        if entry is None:
            entry = self._entries[key] = (value, extra, render())
        return cast(_Rendered, entry[2])


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event for one watcher: the event as committed (with its command's headers), its value reduced to
    what the watcher may READ (MISSING for deletions), the READ-filtered extra fields (None if none were
    asked for), and the thing at or after the event's revision (None when it was deleted).

    Watchers who see the same view share its `value` and `extra` objects and the event's `renderings`."""

    event: ThingEvent
    value: JsonValue | Missing
    extra: JsonObject | None
    thing: Thing | None
    renderings: Renderings = field(default_factory=Renderings, compare=False, repr=False)
    points: tuple[Point, ...] = ()  # for a watcher of points: those of its paths it may READ (value MISSING)
    metadata: JsonObject | None = None  # the event's metadata as the watcher may READ it (kept by its EventView)

    def rendered(self, how: Hashable, render: Callable[[], _Rendered]) -> _Rendered:
        """`render()`, computed once for every delivery of this event with the same view and `how` (which
        names the rendering and its parameters, e.g. `("ws",)` or `("sse", path, fields)`). A watcher of points
        sees its points: watchers of the same paths with the same subjects share them, and so their rendering."""
        if self.event.metadata is not None:  # the metadata view is part of the view (its EventView keeps it alive)
            how = (how, id(self.metadata))
        return self.renderings.get(self.points or self.value, self.extra, how, render)

    @property
    def size(self) -> int:
        """Roughly the bytes the delivery costs a watcher's buffer: its value and extra fields as JSON."""
        if self.points:
            return self.rendered(_SIZE, lambda: sum(_POINT_SIZE + len(point.path) + len(str(point.value))
                                                    for point in self.points))
        return self.rendered(_SIZE, lambda: _json_size(self.value) + _json_size(self.extra))


_SIZE: Final = ("size",)
_POINT_SIZE: Final = 120  # a point's JSON besides its path and value: thing id, time, revision, keys


def _json_size(value: JsonValue | Missing | None) -> int:
    return 0 if value is None or isinstance(value, Missing) else len(orjson.dumps(value))


class Interest:
    """A watcher's subjects and filter, prepared once: what each event asks about them."""

    __slots__ = ("event_filter", "filter_key", "subjects", "timed")

    def __init__(self, subjects: tuple[str, ...], event_filter: EventFilter) -> None:
        self.subjects = subjects
        self.event_filter = event_filter
        node = event_filter.filter
        self.timed = node is not None and _has_placeholder_values(node)  # time:now... resolved per event
        self.filter_key: object = event_filter.filter_text or node


class _Unreadable:
    """What a watcher gets of an event it may not read: nothing."""


_UNREADABLE: Final = _Unreadable()


@dataclass
class EventView:
    """One event, seen through `enforcer` (the thing's policy) by any number of watchers."""

    event: ThingEvent
    thing: Thing | None
    enforcer: Enforcer
    now: datetime
    # Per subjects: the READ view of the value, and of the extra fields. Watchers whose views are the very
    # same object (all who may read all of it: views share unrestricted parts) share documents and
    # verdicts, keyed by the views' ids; the views are kept here, so the ids stay theirs.
    _views: dict[tuple[str, ...], JsonValue | Missing | _Unreadable] = field(default_factory=dict)
    _extras: dict[tuple[tuple[str, ...], FieldSelector], JsonObject] = field(default_factory=dict)
    _selected: dict[FieldSelector, JsonObject] = field(default_factory=dict)
    _whole_extras: dict[FieldSelector, JsonObject] = field(default_factory=dict)
    _documents: dict[tuple[int, int], JsonObject] = field(default_factory=dict)
    _verdicts: dict[tuple[int, int, object], bool] = field(default_factory=dict)
    _whole_thing: JsonObject | None = None
    _points: dict[tuple[tuple[str, ...], frozenset[str]], tuple[Point, ...]] = field(default_factory=dict)
    _placeholders: dict[str, JsonValue] | None = None
    _metadata: dict[tuple[str, ...], JsonObject | None] = field(default_factory=dict)
    renderings: Renderings = field(default_factory=Renderings)

    def deliver(self, interest: Interest) -> Delivery | None:
        """What the watcher gets of the event, or None when nothing (unreadable, or filtered out)."""
        subjects = interest.subjects
        if interest.event_filter.points is not None:
            points = self._readable_points(subjects, interest.event_filter.points)
            return Delivery(self.event, MISSING, None, self.thing, self.renderings, points) if points else None
        if subjects in self._views:
            value = self._views[subjects]
        else:
            value = self._views[subjects] = self._view(subjects)
        if isinstance(value, _Unreadable):
            return None
        selector = interest.event_filter.extra_fields
        extra = None if selector is None else self._extra(subjects, selector)
        if interest.event_filter.filter is not None:
            key = (id(value), id(extra), interest.filter_key)
            verdict = self._verdicts.get(key)
            if verdict is None:
                verdict = self._verdicts[key] = self._passes(interest, value, extra)
            if not verdict:
                return None
        if self.event.metadata is None:
            return Delivery(self.event, value, extra, self.thing, self.renderings)
        if subjects not in self._metadata:
            self._metadata[subjects] = self._metadata_view(subjects)
        return Delivery(self.event, value, extra, self.thing, self.renderings, metadata=self._metadata[subjects])

    def _metadata_view(self, subjects: tuple[str, ...]) -> JsonObject | None:
        """The event's metadata (at its path) as the subjects may READ it (`metadata_view`)."""
        metadata, path = self.event.metadata, self.event.path
        assert metadata is not None
        whole = metadata_view(self.enforcer, subjects, set_at({}, path, metadata) if path else metadata)
        shown = None if whole is None else (get_at(whole, path) if path else whole)
        return shown if isinstance(shown, dict) else None

    def _readable_points(self, subjects: tuple[str, ...], paths: frozenset[str]) -> tuple[Point, ...]:
        """The event's points at `paths` that the subjects may READ there, as a GET of the leaf checks it
        (a deletion marker too: whoever could read the value learns that it ended)."""
        key = (subjects, paths)
        cached = self._points.get(key)
        if cached is None:
            cached = self._points[key] = tuple(
                point for point in self.event.points
                if point.path in paths and may_read_leaf(self.enforcer, subjects, leaf_pointer(point.path)))
        return cached

    def _view(self, subjects: tuple[str, ...]) -> JsonValue | Missing | _Unreadable:
        event, enforcer = self.event, self.enforcer
        patch = event.action in PATCH_ACTIONS  # a migration's thing is filtered as the merge patch it is
        if event.action == "deleted" or (patch and event.value is None):
            # Nothing to cut down: whoever could read something there learns it is gone.
            readable = enforcer.has_partial(subjects, "thing", event.path, [READ])
            return (MISSING if event.action == "deleted" else None) if readable else _UNREADABLE
        if event.action == "migrated" and isinstance(event.value, dict):
            return self._migrated_view(subjects, event.value)
        view = enforcer.view(subjects, "thing", event.path, event.value)
        if patch:
            view = _readable_patch(event.value, view)
        if view is MISSING:
            return _UNREADABLE
        if not event.path and not patch and isinstance(view, dict):
            # A whole readable thing keeps its id (Ditto's allow-list); a merge patch stays a patch.
            if view is event.value and self._whole_thing is not None:
                return self._whole_thing
            thing = {"thingId": event.thing_id, **{key: item for key, item in view.items() if key != "thingId"}}
            if view is event.value:
                self._whole_thing = thing
            return thing
        return view

    def _migrated_view(self, subjects: tuple[str, ...], thing: JsonObject) -> JsonValue | _Unreadable:
        """The readable part of a migration's patch, with the thing id (Ditto's allow-list) only when the watcher
        may read some of the change: the id alone is no event for it."""
        patch = {key: value for key, value in thing.items() if key != "thingId"}
        view = _readable_patch(patch, self.enforcer.view(subjects, "thing", (), patch))
        if not isinstance(view, dict):
            return _UNREADABLE
        return thing if view is patch else {"thingId": self.event.thing_id, **view}

    def _extra(self, subjects: tuple[str, ...], selector: FieldSelector) -> JsonObject:
        key = (subjects, selector)
        cached = self._extras.get(key)
        if cached is None:
            cached = self._extras[key] = self._readable_fields(subjects, selector)
        return cached

    def _readable_fields(self, subjects: tuple[str, ...], selector: FieldSelector) -> JsonObject:
        """The thing's fields `selector` picks, cut down to what the subjects may READ (the thing id and the
        `_` fields always, as Ditto's allow-list)."""
        thing = self.thing
        if thing is None:
            return {}
        selected = self._selected.get(selector)
        if selected is None:
            selected = self._selected[selector] = select(thing.doc, selector)
        if thing.metadata is not None and METADATA_FIELD in selector.top_level_keys():
            return self._with_readable_metadata(subjects, selector, thing, selected)
        view = self.enforcer.view(subjects, "thing", (), selected)
        if view is not selected:
            return _with_allowed_fields(thing, selected, view, selector)
        whole = self._whole_extras.get(selector)  # the same for all who may read all of it
        if whole is None:
            whole = self._whole_extras[selector] = _with_allowed_fields(thing, selected, view, selector)
        return whole

    def _with_readable_metadata(self, subjects: tuple[str, ...], selector: FieldSelector, thing: Thing,
                                selected: JsonObject) -> JsonObject:
        """The extra fields of a thing with metadata, `_metadata` among them (as enriching with a retrieve of the
        thing shows them in Ditto), each READ-filtered: computed per subjects, never shared (only the selection
        of the thing's fields, the same for all, is)."""
        fields = _with_allowed_fields(thing, selected, self.enforcer.view(subjects, "thing", (), selected), selector)
        readable = metadata_view(self.enforcer, subjects, thing.metadata)
        if readable is not None:
            fields.update(select({METADATA_FIELD: readable}, selector))
        return fields

    def _passes(self, interest: Interest, value: JsonValue | Missing, extra: JsonObject | None) -> bool:
        key = (id(value), id(extra))
        document = self._documents.get(key)
        if document is None:
            document = changed_thing(self.event, value)
            document["_revision"] = self.event.revision
            document["_modified"] = format_timestamp(self.event.timestamp)
            if extra:
                document = merge_extra(document, extra)
            self._documents[key] = document
        node = interest.event_filter.filter
        assert node is not None
        if interest.timed:
            node = resolve_placeholders(node, self.now)
        if self._placeholders is None:
            self._placeholders = event_placeholders(self.event)
        return matches(node, document, extra=self._placeholders)


def _readable_patch(patch: JsonValue, view: JsonValue | Missing) -> JsonValue | Missing:
    """The READ view of a merge patch without the objects the view emptied (MISSING when nothing is left): an
    empty object in a patch creates one, an object emptied by the view stands for changes the watcher may not
    see, and a merge of nothing but those is no event for it (as a PUT of such a field is not)."""
    if view is patch or not isinstance(view, dict) or not isinstance(patch, dict) or not patch:
        return view
    kept: JsonObject = {}
    for key, item in view.items():  # a view only ever drops keys of the patch
        readable = _readable_patch(patch[key], item)
        if readable is not MISSING:
            kept[key] = readable
    return kept if kept else MISSING


def readable_extra(thing: Thing, enforcer: Enforcer, subjects: tuple[str, ...], selector: FieldSelector) -> JsonObject:
    """The extra fields `selector` picks of `thing`, cut down to what `subjects` may READ (the thing id and the
    `_` fields always, as Ditto's allow-list): for signals that are not twin events (live messages, commands
    and events), which `EventView` does not see."""
    selected = select(thing.doc, selector)
    return _with_allowed_fields(thing, selected, enforcer.view(subjects, "thing", (), selected), selector)


def _with_allowed_fields(thing: Thing, selected: JsonObject, view: JsonValue | Missing,
                         selector: FieldSelector) -> JsonObject:
    result: JsonObject = dict(view) if isinstance(view, dict) else {}
    if "thingId" in selected:
        result["thingId"] = thing.thing_id
    wanted = selector.top_level_keys()
    specials: dict[str, JsonValue] = {
        "_namespace": thing.thing_id.split(":", 1)[0], "_revision": thing.revision,
        "_created": format_timestamp(thing.created), "_modified": format_timestamp(thing.modified),
    }
    for name in SPECIAL_FIELDS:
        if name in wanted:
            result[name] = specials[name]
    return result


def _has_placeholder_values(node: Node) -> bool:
    match node:
        case Comparison(_, _, value):
            return isinstance(value, Placeholder)
        case In(_, values):
            return any(isinstance(value, Placeholder) for value in values)
        case And(children) | Or(children):
            return any(_has_placeholder_values(child) for child in children)
        case Not(child):
            return _has_placeholder_values(child)
    return False


def may_read_leaf(enforcer: Enforcer, subjects: tuple[str, ...], path: Pointer) -> bool:
    """Whether the subjects may READ the scalar leaf at `path` itself (what a GET of it shows; a grant somewhere
    below shows nothing of a scalar): the one rule of history's queries and of its live points."""
    return enforcer.has_permission(subjects, "thing", path, [READ])
