"""Which subscriptions an event may concern, found without visiting the others.

A subscription's `Reach` is what an event must have to pass its filter at all: its thing id in a set, its
namespace in a set, or neither (any event may pass). It comes from the `thing_ids` and `namespaces` a
subscriber names and from what its RQL filter pins with `eq`/`in` on `thingId`, `_namespace` or the
`thing:`/`entity:`/`topic:` placeholders (as a Ditto client subscribes to one thing over the WebSocket:
`filter=eq(thingId,"ns:id")`). A reach only ever over-approximates: the full filter and the READ view are
still applied to every candidate, so indexing changes which subscriptions are visited, never who gets what.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Final, Generic, TypeVar

from twinhub.model.errors import RqlInvalid
from twinhub.rql import And, Comparison, In, Node, Or, Value
from twinhub.rql.fields import resolve_field

__all__ = ["Reach", "Subscriptions", "reach"]

# The event filter placeholders whose value is the event's thing id, or its namespace.
_THING_ID_PLACEHOLDERS: Final = frozenset({"thing:id", "entity:id"})
_NAMESPACE_PLACEHOLDERS: Final = frozenset({"topic:namespace", "thing:namespace", "entity:namespace"})

K = TypeVar("K")


@dataclass(frozen=True, slots=True)
class Reach:
    """The events a subscription may pass: with a thing id in `thing_ids` and a namespace in `namespaces`
    (None: any)."""

    thing_ids: frozenset[str] | None = None
    namespaces: frozenset[str] | None = None

    def __and__(self, other: Reach) -> Reach:
        return Reach(_both(self.thing_ids, other.thing_ids), _both(self.namespaces, other.namespaces))


def reach(*, thing_ids: frozenset[str] | None, namespaces: frozenset[str] | None, filter: Node | None) -> Reach:
    """The reach of a subscription to `thing_ids` in `namespaces` (None: any) with an event `filter`."""
    named = Reach(thing_ids, namespaces)
    return named if filter is None else named & _pinned(filter)


def _pinned(node: Node) -> Reach:
    """What `node` pins: an `and` what any child pins, an `or` what each child pins (or nothing)."""
    match node:
        case Comparison("eq", field, value):
            return _field_in(field, (value,))
        case In(field, values):
            return _field_in(field, values)
        case And(children):
            pinned = Reach()
            for child in children:
                pinned &= _pinned(child)
            return pinned
        case Or(children):
            reaches = [_pinned(child) for child in children]
            return Reach(_either(r.thing_ids for r in reaches), _either(r.namespaces for r in reaches))
    return Reach()  # not, ne, ranges, like, exists, empty: nothing pinned


def _field_in(field: str, values: tuple[Value, ...]) -> Reach:
    texts = frozenset(value for value in values if isinstance(value, str))
    if len(texts) != len(values):  # a number, null or time placeholder: never a thing id, but kept simple
        return Reach()
    if field in _THING_ID_PLACEHOLDERS:
        return Reach(thing_ids=texts)
    if field in _NAMESPACE_PLACEHOLDERS:
        return Reach(namespaces=texts)
    try:
        kind = resolve_field(field).kind
    except RqlInvalid:  # another placeholder
        return Reach()
    if kind == "thingId":
        return Reach(thing_ids=texts)
    if kind == "namespace":
        return Reach(namespaces=texts)
    return Reach()


def _both(first: frozenset[str] | None, second: frozenset[str] | None) -> frozenset[str] | None:
    if first is None:
        return second
    return first if second is None else first & second


def _either(sets: Iterable[frozenset[str] | None]) -> frozenset[str] | None:
    union: set[str] = set()
    for names in sets:
        if names is None:
            return None
        union |= names
    return frozenset(union)


class Subscriptions(Generic[K]):
    """Subscriptions filed by their reach: by thing id where it names thing ids, else by namespace where it
    names namespaces, else among those any event may concern. Each keeps its order of arrival."""

    def __init__(self) -> None:
        self._reaches: dict[K, Reach] = {}
        self._anywhere: dict[K, None] = {}
        self._by_thing: dict[str, dict[K, None]] = {}
        self._by_namespace: dict[str, dict[K, None]] = {}

    def __len__(self) -> int:
        return len(self._reaches)

    def __iter__(self) -> Iterator[K]:
        """Every subscription, in order of arrival (a snapshot: it may be changed meanwhile)."""
        return iter(list(self._reaches))

    def add(self, subscription: K, reach: Reach) -> None:
        self._reaches[subscription] = reach
        if reach.thing_ids is not None:  # an empty set: no event can pass, filed nowhere
            for thing_id in reach.thing_ids:
                self._by_thing.setdefault(thing_id, {})[subscription] = None
        elif reach.namespaces is not None:
            for namespace in reach.namespaces:
                self._by_namespace.setdefault(namespace, {})[subscription] = None
        else:
            self._anywhere[subscription] = None

    def remove(self, subscription: K) -> None:
        """Forget `subscription` (idempotent)."""
        reach = self._reaches.pop(subscription, None)
        if reach is None:
            return
        self._anywhere.pop(subscription, None)
        _unfile(self._by_thing, reach.thing_ids or (), subscription)
        if reach.thing_ids is None:
            _unfile(self._by_namespace, reach.namespaces or (), subscription)

    def candidates(self, thing_id: str) -> list[K]:
        """Every subscription an event of `thing_id` may pass (each once), and few others."""
        found = list(self._anywhere)
        namespace = thing_id.split(":", 1)[0]
        for filed in (self._by_namespace.get(namespace), self._by_thing.get(thing_id)):
            if filed:
                found += filed
        return found


def _unfile(index: dict[str, dict[K, None]], keys: Iterable[str], subscription: K) -> None:
    for key in keys:
        filed = index.get(key)
        if filed is not None:
            filed.pop(subscription, None)
            if not filed:
                del index[key]
