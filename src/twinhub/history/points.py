"""The points of a committed change (pure): every scalar leaf that changed, with its new value.

Recorded are the leaves under `attributes` and under each feature's `properties` and `desiredProperties`.
A leaf is a number, a boolean or a string; arrays and objects are not leaves (an array's elements are not
recorded). A leaf that disappears (removed, set to null, or the thing deleted) records one point with the
value None, a deletion marker, so a series shows where its value ended.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from twinhub.model.points import Point, PointValue, leaf_path
from twinhub.model.types import JsonObject, JsonValue, Pointer

__all__ = ["Point", "PointValue", "changed_points", "may_hold_points"]

_Leaves = dict[tuple[str, ...], bool | int | float | str]

_FEATURE_SECTIONS = ("properties", "desiredProperties")


def may_hold_points(path: Pointer) -> bool:
    """Whether a leaf at `path` is recorded: one below `attributes` or a feature's (desired) properties."""
    if path[:1] == ("attributes",):
        return len(path) >= 2
    return len(path) >= 4 and path[0] == "features" and path[2] in _FEATURE_SECTIONS


def changed_points(thing_id: str, before: JsonObject | None, after: JsonObject | None, *, time: datetime,
                   revision: int, under: Pointer = ()) -> tuple[Point, ...]:
    """The points of the change from `before` to `after` (None: no thing, as before a creation or after a
    deletion): each recorded leaf whose value or JSON type changed, then each that disappeared (value
    None), in document order.

    `under`: the path of the command, when the documents differ nowhere else; then only that branch is
    compared (a write of one property of a large thing does not walk all of its leaves twice)."""
    old, new = _leaves(_branch(before, under)), _leaves(_branch(after, under))
    points = [Point(thing_id, leaf_path(keys), time, value, revision)
              for keys, value in new.items() if not _same(old.get(keys), value)]
    points.extend(Point(thing_id, leaf_path(keys), time, None, revision) for keys in old if keys not in new)
    return tuple(points)


def _same(old: bool | int | float | str | None, new: bool | int | float | str) -> bool:
    # By type too: True == 1 == 1.0 in Python, but a series that turns from 1 to true changed.
    return type(old) is type(new) and old == new


def _branch(doc: JsonObject | None, path: Pointer) -> JsonObject | None:
    """`doc` cut down to its branch at `path`. Where the path runs through a scalar or an array, the branch is
    that value: a write below it replaces it (so its deletion is a point too)."""
    if doc is None or not path:
        return doc
    node: JsonValue = doc
    for depth, key in enumerate(path):
        if not isinstance(node, dict):
            return _nest(path[:depth], node)
        if key not in node:
            return {}
        node = node[key]
    return _nest(path, node)


def _nest(path: Pointer, value: JsonValue) -> JsonObject:
    for key in reversed(path):
        value = {key: value}
    assert isinstance(value, dict)
    return value


def _leaves(doc: JsonObject | None) -> _Leaves:
    leaves: _Leaves = {}
    if doc is None:
        return leaves
    attributes = doc.get("attributes")
    if isinstance(attributes, dict):
        leaves.update(_walk(("attributes",), attributes))
    features = doc.get("features")
    if isinstance(features, dict):
        for feature_id, feature in features.items():
            if not isinstance(feature, dict):
                continue
            for section in _FEATURE_SECTIONS:
                properties = feature.get(section)
                if isinstance(properties, dict):
                    leaves.update(_walk(("features", feature_id, section), properties))
    return leaves


def _walk(prefix: tuple[str, ...], value: JsonValue) -> Iterator[tuple[tuple[str, ...], bool | int | float | str]]:
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _walk((*prefix, key), child)
    elif isinstance(value, bool | int | float | str):
        yield prefix, value
