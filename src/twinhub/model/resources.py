"""Which part of a thing a path names, and Ditto's not-found error for each part."""

from __future__ import annotations

from enum import Enum

from twinhub.model.errors import (
    NotFound,
    NotModifiable,
    ResourceNotFound,
    ThingNotAccessible,
    ThingNotDeletable,
    ThingNotModifiable,
    ThingResourceNotFound,
)
from twinhub.model.types import JsonObject, Pointer


class Resource(Enum):
    THING = "thing"
    POLICY_ID = "policyId"
    DEFINITION = "definition"
    ATTRIBUTES = "attributes"
    ATTRIBUTE = "attribute"
    FEATURES = "features"
    FEATURE = "feature"
    FEATURE_DEFINITION = "feature.definition"
    FEATURE_PROPERTIES = "feature.properties"
    FEATURE_PROPERTY = "feature.property"
    FEATURE_DESIRED_PROPERTIES = "feature.desiredProperties"
    FEATURE_DESIRED_PROPERTY = "feature.desiredProperty"


_TOP = {
    "policyId": Resource.POLICY_ID,
    "definition": Resource.DEFINITION,
    "attributes": Resource.ATTRIBUTES,
    "features": Resource.FEATURES,
}
_FEATURE_PART = {
    "definition": Resource.FEATURE_DEFINITION,
    "properties": Resource.FEATURE_PROPERTIES,
    "desiredProperties": Resource.FEATURE_DESIRED_PROPERTIES,
}
_FEATURE_LEAF = {
    "properties": Resource.FEATURE_PROPERTY,
    "desiredProperties": Resource.FEATURE_DESIRED_PROPERTY,
}


def classify(path: Pointer) -> Resource:
    """The resource `path` names inside a thing; raises ResourceNotFound for paths Ditto has no route for."""
    if not path:
        return Resource.THING
    head = path[0]
    top = _TOP.get(head)
    if top is None:
        raise ResourceNotFound("/" + "/".join(path))
    if len(path) == 1:
        return top
    if top is Resource.ATTRIBUTES:
        return Resource.ATTRIBUTE
    if top is Resource.FEATURES:
        if len(path) == 2:
            return Resource.FEATURE
        part = path[2]
        if len(path) == 3 and part in _FEATURE_PART:
            return _FEATURE_PART[part]
        if len(path) > 3 and part in _FEATURE_LEAF:
            return _FEATURE_LEAF[part]
    raise ResourceNotFound("/" + "/".join(path))


def _sub(path: Pointer, start: int) -> str:
    return "/" + "/".join(path[start:])


def not_found(thing_id: str, path: Pointer) -> NotFound:
    """Ditto's 404 for a missing part of the thing `thing_id` (the thing itself exists)."""
    resource = classify(path)
    if resource is Resource.THING:
        return ThingNotAccessible(thing_id)
    suffix = " could not be found or requester had insufficient permissions to access it."
    on_thing = f" of the Thing with ID '{thing_id}'"
    feature = f"the Feature with ID '{path[1]}'" if len(path) > 1 and resource != Resource.ATTRIBUTE else ""
    messages: dict[Resource, str] = {
        Resource.POLICY_ID: f"The Policy ID{on_thing}",
        Resource.DEFINITION: f"The Definition{on_thing}",
        Resource.ATTRIBUTES: f"The Attributes{on_thing}",
        Resource.ATTRIBUTE: f"The attribute with key '{_sub(path, 1)}'{on_thing}",
        Resource.FEATURES: f"The Features{on_thing}",
        Resource.FEATURE: f"The Feature with ID '{path[-1]}'{on_thing}",
        Resource.FEATURE_DEFINITION: f"The Definition of {feature}{on_thing}",
        Resource.FEATURE_PROPERTIES: f"The Properties of {feature}{on_thing}",
        Resource.FEATURE_PROPERTY: f"The Property with JSON Pointer '{_sub(path, 3)}' of {feature}{on_thing}",
        Resource.FEATURE_DESIRED_PROPERTIES: f"The desired Properties of {feature}{on_thing}",
        Resource.FEATURE_DESIRED_PROPERTY: (
            f"The desired Property with JSON Pointer '{_sub(path, 3)}' of {feature}{on_thing}"
        ),
    }
    return ThingResourceNotFound(resource.value, messages[resource] + suffix)


def missing_part(doc: JsonObject, thing_id: str, path: Pointer) -> NotFound:
    """The 404 for `path` missing in `doc`: for parts of a feature that is itself missing, Ditto names
    the feature (`things:feature.notfound`)."""
    if len(path) > 2 and path[0] == "features":
        features = doc.get("features")
        if not isinstance(features, dict) or path[1] not in features:
            return not_found(thing_id, path[:2])
    return not_found(thing_id, path)


def not_modifiable(thing_id: str, path: Pointer, *, deleting: bool = False) -> NotModifiable:
    """Ditto's 403 for a write the requester may not make (it may read the thing, so existence is no secret)."""
    resource = classify(path)
    if resource is Resource.THING and deleting:
        return ThingNotDeletable(thing_id)
    return ThingNotModifiable(thing_id, resource.value, "/" + "/".join(path))
