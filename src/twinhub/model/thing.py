"""Validation and normalization of thing JSON and its parts, by Ditto's rules."""

from __future__ import annotations

import re

from twinhub.model.errors import (
    DefinitionInvalid,
    FeatureDefinitionEmpty,
    PolicyIdNotDeletable,
    ThingIdNotSettable,
    ThingInvalid,
)
from twinhub.model.ids import parse_policy_id
from twinhub.model.pointer import validate_key
from twinhub.model.resources import Resource
from twinhub.model.types import JsonObject, JsonValue

# Ditto's DefinitionIdentifier: `namespace:name:version`, or an http(s) URL (a WoT Thing Model).
_DEFINITION_RE = re.compile(r"[_a-zA-Z0-9\-.]+:[_a-zA-Z0-9\-.]+:[_a-zA-Z0-9\-.]+")
_URL_RE = re.compile(r"https?://[^\s]+")

# The order Ditto renders the top-level fields of a thing in.
THING_FIELDS = ("thingId", "policyId", "definition", "attributes", "features")
# The special fields a `fields` selector may name beside the thing's own (Ditto's `_namespace`, ...).
SPECIAL_FIELDS = ("_namespace", "_revision", "_created", "_modified")
# The keys of a new thing's body that name its policy instead of being part of the thing.
INLINE_POLICY = "_policy"
COPY_POLICY_FROM = "_copyPolicyFrom"


def validate_keys(value: JsonValue) -> JsonValue:
    """Check every object key inside `value` recursively (arrays included); return `value`."""
    if isinstance(value, dict):
        for key, child in value.items():
            validate_key(key)
            validate_keys(child)
    elif isinstance(value, list):
        for child in value:
            validate_keys(child)
    return value


def validate_definition_identifier(value: JsonValue) -> str:
    if not isinstance(value, str) or not (_DEFINITION_RE.fullmatch(value) or _URL_RE.fullmatch(value)):
        raise DefinitionInvalid(str(value))
    return value


def _object(value: JsonValue, what: str) -> JsonObject:
    if not isinstance(value, dict):
        raise ThingInvalid(f"The value of {what} must be a JSON object.")
    validate_keys(value)
    return value


def _properties(value: JsonValue, what: str) -> JsonObject | None:
    """A feature's properties or desired properties; `null` is kept (Ditto's `NullFeatureProperties`)."""
    return None if value is None else _object(value, what)


def validate_feature_definition(value: JsonValue) -> list[JsonValue] | None:
    """A feature's definition; `null` is kept (Ditto's `NullFeatureDefinition`)."""
    if value is None:
        return None
    if not isinstance(value, list):
        raise ThingInvalid("A Feature Definition must be a JSON array of definition identifiers.")
    if not value:
        raise FeatureDefinitionEmpty()
    identifiers = [validate_definition_identifier(item) for item in value]
    if len(set(identifiers)) != len(identifiers):
        raise ThingInvalid("The identifiers of a Feature Definition must be unique.")
    return list(identifiers)


def validate_feature(value: JsonValue) -> JsonObject | None:
    """A feature object keeps `definition`, `properties` and `desiredProperties`.

    `null` is a valid value for the feature and for each of its parts, kept as sent (Ditto's `NullFeature`,
    `NullFeatureDefinition`, `NullFeatureProperties`, which render as JSON null).
    """
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ThingInvalid("A Feature must be a JSON object.")
    feature: JsonObject = {}
    if "definition" in value:
        feature["definition"] = validate_feature_definition(value["definition"])
    for part in ("properties", "desiredProperties"):
        if part in value:
            feature[part] = _properties(value[part], f"'{part}'")
    return feature


def validate_features(value: JsonValue) -> JsonObject | None:
    """The features of a thing; `null` is kept (Ditto's `NullFeatures`), as is a `null` feature."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ThingInvalid("The value of 'features' must be a JSON object.")
    features: JsonObject = {}
    for feature_id, feature in value.items():
        validate_key(feature_id)
        if feature_id == "*":
            raise ThingInvalid("The Feature ID '*' is reserved as wildcard and cannot be used.")
        features[feature_id] = validate_feature(feature)
    return features


def validate_policy_id(value: JsonValue, thing_id: str) -> str:
    if value is None:
        raise PolicyIdNotDeletable(thing_id)
    if not isinstance(value, str):
        raise ThingInvalid("The value of 'policyId' must be a string.")
    return str(parse_policy_id(value))


def validate_thing(value: JsonValue, thing_id: str, *, default_policy_id: str) -> JsonObject:
    """Normalize a whole thing for `thing_id`: known fields in Ditto's order, unknown ones dropped.

    Raises `things:id.notsettable` when the body names another thing id.
    """
    if not isinstance(value, dict):
        raise ThingInvalid("The Thing must be a JSON object.")
    if "thingId" in value and value["thingId"] != thing_id:
        raise ThingIdNotSettable()
    thing: JsonObject = {"thingId": thing_id}
    policy_id = value.get("policyId")
    thing["policyId"] = default_policy_id if policy_id is None else validate_policy_id(policy_id, thing_id)
    # `definition: null`, `attributes: null` and `features: null` are kept (Ditto's `NullThingDefinition`,
    # `NullAttributes`, `NullFeatures`).
    if "definition" in value:
        definition = value["definition"]
        thing["definition"] = None if definition is None else validate_definition_identifier(definition)
    if "attributes" in value:
        attributes = value["attributes"]
        thing["attributes"] = None if attributes is None else _object(attributes, "'attributes'")
    if "features" in value:
        thing["features"] = validate_features(value["features"])
    return thing


def validate_part(resource: Resource, value: JsonValue, thing_id: str) -> JsonValue:
    """Validate the new value of one part of a thing (the target of a PUT below the thing)."""
    if resource is Resource.POLICY_ID:
        return validate_policy_id(value, thing_id)
    if resource is Resource.DEFINITION:
        return None if value is None else validate_definition_identifier(value)
    if resource is Resource.ATTRIBUTES:
        return None if value is None else _object(value, f"'{resource.value}'")  # Ditto's `NullAttributes`
    if resource in (Resource.FEATURE_PROPERTIES, Resource.FEATURE_DESIRED_PROPERTIES):
        return _properties(value, f"'{resource.value}'")
    if resource is Resource.FEATURES:
        return validate_features(value)
    if resource is Resource.FEATURE:
        return validate_feature(value)
    if resource is Resource.FEATURE_DEFINITION:
        return validate_feature_definition(value)
    return validate_keys(value)


def ordered(thing: JsonObject) -> JsonObject:
    """The thing with its top-level fields in Ditto's order."""
    result: JsonObject = {key: thing[key] for key in THING_FIELDS if key in thing}
    for key, item in thing.items():
        if key not in result:
            result[key] = item
    return result
