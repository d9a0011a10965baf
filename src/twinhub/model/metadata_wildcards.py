"""The wildcards of the metadata headers (pure): which `*` keys a resource takes (Ditto's
`MetadataWildcardValidator`, its expressions matched against the key as `/a/b` text) and which keys of the
resource's value they stand for (`MetadataFieldsWildcardResolver`); see `twinhub.model.metadata`."""

from __future__ import annotations

import re
from typing import Final

from twinhub.model.errors import MetadataWildcardInvalid
from twinhub.model.pointer import format_pointer
from twinhub.model.types import JsonObject, JsonValue, Pointer

__all__ = ["expand", "has_wildcard"]

_PROPS = r"(properties|desiredProperties)"
_THING_FEATURES_AND_PROPERTIES = re.compile(rf"/?features/\*/{_PROPS}/\*/(?!\*).*")
_THING_FEATURES_WITH_ID_ONLY = re.compile(rf"/?features/\*/{_PROPS}/(?!\*).*/(?!\*).*")
_THING_FEATURES_WITH_PROPERTIES_ONLY = re.compile(rf"/?features/(?!\*).*/{_PROPS}/\*/(?!\*/).*")
_THING_FEATURES_DEFINITION = re.compile(r"/?features/\*/definition/(?!\*).*")
_ATTRIBUTES = re.compile(r"/?attributes/\*/(?!\*).*")
_LEAF = re.compile(r"/?\*/(?!\*/).*")
_FEATURES = re.compile(rf"/?\*/{_PROPS}/\*/(?!\*).*")
_FEATURES_WITH_ID_ONLY = re.compile(rf"/?\*/{_PROPS}/(?!\*).*/(?!\*).*")
_FEATURES_WITH_PROPERTIES_ONLY = re.compile(rf"/?(?!\*).*/{_PROPS}/\*/(?!\*).*")
_FEATURES_DEFINITION = re.compile(r"/?\*/definition/(?!\*).*")
_FEATURE_PROPERTY = re.compile(rf"/?{_PROPS}/\*/(?!\*).*")

_VALID: Final = {
    "thing": (_THING_FEATURES_AND_PROPERTIES, _THING_FEATURES_WITH_PROPERTIES_ONLY, _THING_FEATURES_WITH_ID_ONLY,
              _THING_FEATURES_DEFINITION, _ATTRIBUTES, _LEAF),
    "features": (_FEATURES, _FEATURES_WITH_PROPERTIES_ONLY, _FEATURES_WITH_ID_ONLY, _FEATURES_DEFINITION),
    "feature": (_FEATURE_PROPERTY, _FEATURES_WITH_ID_ONLY, _FEATURES_WITH_PROPERTIES_ONLY),
    "other": (_LEAF,),
}


def has_wildcard(key: Pointer) -> bool:
    return "/*/" in format_pointer(key)  # as Ditto: a trailing `*` is a plain key


def _level(path: Pointer) -> str:
    if not path:
        return "thing"
    if path == ("features",):
        return "features"
    if len(path) == 2 and path[0] == "features":
        return "feature"
    return "other"


def _validate(path: Pointer, key: Pointer, header: str) -> None:
    text = format_pointer(key)
    if not any(pattern.fullmatch(text) for pattern in _VALID[_level(path)]):
        raise MetadataWildcardInvalid(text, header)


def expand(path: Pointer, value: JsonValue, key: Pointer, header: str) -> list[Pointer]:
    """The keys (relative to `path`) a wildcard `key` stands for, given `value`, the resource's value the
    command writes (put) or holds (get, delete); raises `header.invalid` for a wildcard the resource refuses."""
    _validate(path, key, header)
    level = _level(path)
    if level == "thing" and isinstance(value, dict):
        return _expand_on_thing(value, key)
    if level == "features" and isinstance(value, dict):
        return _expand_on_features(value, key)
    if level == "feature" and isinstance(value, dict):
        return _expand_on_feature(value, key)
    if level == "other" and _LEAF.fullmatch(format_pointer(key)):
        return [leaf + key[1:2] for leaf in _leaves(value)]
    return []


def _objects(value: JsonValue) -> dict[str, JsonObject]:
    return {k: v for k, v in value.items() if isinstance(v, dict)} if isinstance(value, dict) else {}


def _expand_on_thing(thing: JsonObject, key: Pointer) -> list[Pointer]:
    text = format_pointer(key)
    features = _objects(thing.get("features"))
    if _THING_FEATURES_AND_PROPERTIES.fullmatch(text):
        return [("features", f, key[2], p, *key[4:]) for f, feature in features.items()
                for p in _objects_keys(feature.get(key[2]))]
    if _THING_FEATURES_WITH_ID_ONLY.fullmatch(text):
        return [("features", f, *key[2:]) for f in features]
    if _THING_FEATURES_WITH_PROPERTIES_ONLY.fullmatch(text):
        feature = features.get(key[1], {})
        return [("features", key[1], key[2], p, *key[4:]) for p in _objects_keys(feature.get(key[2]))]
    if _THING_FEATURES_DEFINITION.fullmatch(text):
        return [("features", f, "definition", *key[3:]) for f in features]
    if _ATTRIBUTES.fullmatch(text):
        return [("attributes", a, key[2]) for a in _objects_keys(thing.get("attributes"))]
    return [leaf + key[1:2] for leaf in _leaves(thing)]  # `*/k`


def _expand_on_features(features: JsonObject, key: Pointer) -> list[Pointer]:
    text = format_pointer(key)
    found = _objects(features)
    if _FEATURES.fullmatch(text):
        return [(f, key[1], p, *key[3:]) for f, feature in found.items() for p in _objects_keys(feature.get(key[1]))]
    if _FEATURES_WITH_ID_ONLY.fullmatch(text):
        return [(f, *key[1:]) for f in found]
    if _FEATURES_DEFINITION.fullmatch(text):
        return [(f, "definition", *key[2:]) for f in found]
    feature = found.get(key[0], {})  # `{feature}/properties/*/k`
    return [(key[0], key[1], p, *key[3:]) for p in _objects_keys(feature.get(key[1]))]


def _expand_on_feature(feature: JsonObject, key: Pointer) -> list[Pointer]:
    if _FEATURE_PROPERTY.fullmatch(format_pointer(key)):
        return [(key[0], p, *key[2:]) for p in _objects_keys(feature.get(key[0]))]
    return []  # the other expressions Ditto admits here resolve to nothing sensible


def _objects_keys(value: JsonValue) -> list[str]:
    return list(value) if isinstance(value, dict) else []


def _leaves(value: JsonValue, at: Pointer = ()) -> list[Pointer]:
    """The paths of the leaves of `value` (everything that is no object; a merge patch's nulls delete, they are
    no leaves written); a scalar value is its own leaf."""
    if not isinstance(value, dict):
        return [] if value is None and at else [at]
    found: list[Pointer] = []
    for key, child in value.items():
        if not key.startswith("_"):
            found.extend(_leaves(child, (*at, key)))
    return found
