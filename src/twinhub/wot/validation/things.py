"""A write to a thing checked against the Thing Models its definitions link, before it is committed.

Ditto validates per command (`things/service/.../strategies/commands/*Strategy.java` call
`WotThingModelValidator`); twinhub checks the thing the command produced, scoped by the command's path, which
gives Ditto's answers for each command: a whole thing (create, modify, a merge touching parts of it or its
definition), the definition, the attributes or one of them, the features, a feature, its definition, its
(desired) properties or one of them, and their deletions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from twinhub.model.errors import WotPayloadInvalid
from twinhub.model.types import JsonObject, JsonValue, Pointer
from twinhub.wot.validation.config import ValidationConfig
from twinhub.wot.validation.containers import Container, check_container, check_container_deletion, check_member
from twinhub.wot.validation.model_parts import feature_model, is_model_url, submodels

__all__ = ["Models", "attributes_container", "check_thing_write", "feature_model_url", "properties_container"]


@dataclass(frozen=True, slots=True)
class Models:
    """The resolved models a write is checked against: the thing's (of its definition after the write) and the
    features' (by feature id: of the feature's own definition URL, else of the thing model's submodel)."""

    thing: JsonObject | None = None
    features: Mapping[str, JsonObject] = field(default_factory=dict)


def feature_model_url(feature: JsonValue, thing_model: JsonObject | None, feature_id: str) -> str | None:
    """The URL of the model a feature is checked against: the first URL of its definition, else the submodel
    its id names in the thing's model (Ditto `DefaultWotThingModelValidator.doValidateFeature`)."""
    own = feature_model(feature)
    if own is not None:
        return own
    return submodels(thing_model).get(feature_id) if thing_model is not None else None


def attributes_container(config: ValidationConfig) -> Container:
    return Container("Thing's attributes", "Thing's attribute", "all Thing attributes", "Thing attribute",
                     ("attributes",), forbid_non_modeled=config.on("thing.forbid.non-modeled-attributes"))


def properties_container(feature_id: str, desired: bool, config: ValidationConfig) -> Container:
    kind = "desiredProperties" if desired else "properties"
    prefix = f"Feature <{feature_id}>'s " + ("desired " if desired else "")
    forbid = "feature.forbid.non-modeled-" + ("desired-properties" if desired else "properties")
    return Container(prefix + "properties", prefix + "property", f"all Feature <{feature_id}> {kind}",
                     f"Feature <{feature_id}> property", ("features", feature_id, kind), required=not desired,
                     forbid_non_modeled=config.on(forbid), categorized=True, owner=f"Feature <{feature_id}>")


def check_thing_write(models: Models, config: ValidationConfig, *, action: str, path: Pointer,
                      before: JsonObject | None, after: JsonObject | None, patch: JsonValue = None) -> None:
    """Raise WotPayloadInvalid when the write (`action` at `path`, `before` -> `after`, `patch` the value of a
    merge) breaks the models."""
    if action == "delete":
        _check_deletion(models, config, path, before or {})
        return
    if after is None:
        return
    if action == "merge":
        _check_merge(models, config, path, before, after, patch)
        return
    if not path:
        _check_whole_thing(models, config, before, after)
        return
    head, rest = path[0], path[1:]
    if head == "definition":
        if config.on("thing.enforce.thing-description-modification"):
            _check_whole_thing(models, config, before, after)
    elif head == "attributes":
        _check_attributes(models, config, after, rest)
    elif head == "features":
        if not rest:
            _check_features(models, config, before, after)
        else:
            _check_feature_write(models, config, before, after, rest[0], rest[1:])


def _check_merge(models: Models, config: ValidationConfig, path: Pointer, before: JsonObject | None,
                 after: JsonObject, patch: JsonValue) -> None:
    """Ditto `doValidateMergeThing`: the whole thing when the merge changes the definition, else the attributes
    if it touches them and each feature it touches, as merged."""
    whole: JsonValue = patch
    for key in reversed(path):
        whole = {key: whole}
    if not isinstance(whole, dict):
        return
    if "definition" in whole and whole["definition"] != (before or {}).get("definition"):
        if not path or config.on("thing.enforce.thing-description-modification"):
            _check_whole_thing(models, config, before, after)
        return
    if "attributes" in whole:
        _check_attributes(models, config, after)
    if "features" in whole:
        touched = whole["features"]
        _check_features(models, config, before, after, only=set(touched) if isinstance(touched, dict) else None)


def _check_whole_thing(models: Models, config: ValidationConfig, before: JsonObject | None, after: JsonObject) -> None:
    if before is not None and is_model_url(before.get("definition")) and not after.get("definition") \
            and config.on("thing.forbid.thing-description-deletion"):
        raise WotPayloadInvalid("Deleting the Thing's <definition> is not allowed")
    _check_attributes(models, config, after)
    _check_features(models, config, before, after)


def _check_attributes(models: Models, config: ValidationConfig, after: JsonObject, inner: Pointer = ()) -> None:
    if models.thing is None or not config.on("thing.enforce.attributes"):
        return
    attributes = after.get("attributes")
    attributes = attributes if isinstance(attributes, dict) else {}
    container = attributes_container(config)
    if inner:
        check_member(models.thing, container, inner[0], inner[1:], attributes.get(inner[0]))
    else:
        check_container(models.thing, container, attributes)


def _features(doc: JsonObject | None) -> JsonObject:
    features = doc.get("features") if doc is not None else None
    return features if isinstance(features, dict) else {}


def _check_features(models: Models, config: ValidationConfig, before: JsonObject | None, after: JsonObject,
                    only: set[str] | None = None) -> None:
    """The features of `after` against the thing's model (all of them present, none other) and each one's
    against its own; `only`: just the features a merge touched (their presence, themselves)."""
    features = _features(after)
    if models.thing is not None:
        modelled = submodels(models.thing)
        missing = [name for name in modelled if name not in features and (only is None or name in only)]
        if missing and config.on("feature.enforce.presence-of-modeled-features"):
            raise WotPayloadInvalid("Attempting to update the Thing with missing in the model defined features: "
                                    f"[{', '.join(missing)}]")
        extra = [name for name in features if name not in modelled and (only is None or name in only)]
        if extra and modelled and config.on("feature.forbid.non-modeled-features"):
            raise WotPayloadInvalid("Attempting to update the Thing with feature(s) which were not defined in the "
                                    f"model: [{', '.join(extra)}]")
    for feature_id, feature in features.items():
        if only is None or feature_id in only:
            _check_feature(models, config, _features(before).get(feature_id), feature_id, feature)


def _check_feature(models: Models, config: ValidationConfig, before: JsonValue, feature_id: str,
                   feature: JsonValue) -> None:
    if not isinstance(feature, dict):
        return
    if isinstance(before, dict) and _has_model_url(before) and not feature.get("definition") \
            and config.on("feature.forbid.feature-description-deletion"):
        raise WotPayloadInvalid(f"Deleting the Feature <{feature_id}>'s <definition> is not allowed")
    model = models.features.get(feature_id)
    if model is None:
        return
    for desired, aspect in ((False, "feature.enforce.properties"), (True, "feature.enforce.desired-properties")):
        values = feature.get("desiredProperties" if desired else "properties")
        if config.on(aspect) and (not desired or values is not None):
            check_container(model, properties_container(feature_id, desired, config),
                            values if isinstance(values, dict) else {})


def _has_model_url(feature: JsonObject) -> bool:
    definition = feature.get("definition")
    return isinstance(definition, list) and bool(definition) and is_model_url(definition[0])


def _check_feature_write(models: Models, config: ValidationConfig, before: JsonObject | None, after: JsonObject,
                         feature_id: str, inner: Pointer) -> None:
    feature = _features(after).get(feature_id)
    previous = _features(before).get(feature_id)
    if not inner:
        modelled = submodels(models.thing) if models.thing is not None else {}
        if modelled and feature_id not in modelled and config.on("feature.forbid.non-modeled-features"):
            raise WotPayloadInvalid("Attempting to update the Thing with a feature which is not defined in the "
                                    f"model: <{feature_id}>")
        _check_feature(models, config, previous, feature_id, feature)
        return
    if inner[0] == "definition":
        if config.on("feature.enforce.feature-description-modification"):
            _check_feature(models, config, previous, feature_id, feature)
        return
    model = models.features.get(feature_id)
    if model is None or inner[0] not in ("properties", "desiredProperties") or not isinstance(feature, dict):
        return
    desired = inner[0] == "desiredProperties"
    if not config.on("feature.enforce.desired-properties" if desired else "feature.enforce.properties"):
        return
    values = feature.get(inner[0])
    values = values if isinstance(values, dict) else {}
    container = properties_container(feature_id, desired, config)
    if len(inner) == 1:
        check_container(model, container, values)
    else:
        check_member(model, container, inner[1], inner[2:], values.get(inner[1]))


def _check_deletion(models: Models, config: ValidationConfig, path: Pointer, before: JsonObject) -> None:
    if not path:
        return
    head, rest = path[0], path[1:]
    if head == "definition":
        if is_model_url(before.get("definition")) and config.on("thing.forbid.thing-description-deletion"):
            raise WotPayloadInvalid("Deleting the Thing's <definition> is not allowed")
    elif head == "attributes":
        if models.thing is not None and config.on("thing.enforce.attributes"):
            check_container_deletion(models.thing, attributes_container(config), rest)
    elif head == "features":
        _check_feature_deletion(models, config, rest, before)


def _check_feature_deletion(models: Models, config: ValidationConfig, inner: Pointer, before: JsonObject) -> None:
    modelled = submodels(models.thing) if models.thing is not None else {}
    presence = config.on("feature.enforce.presence-of-modeled-features")
    if not inner:
        if modelled and presence:
            raise WotPayloadInvalid("Could not delete all Features, as there are submodels defined as in the "
                                    "Thing's model")
        return
    feature_id, rest = inner[0], inner[1:]
    if not rest:
        if feature_id in modelled and presence:
            raise WotPayloadInvalid(f"Could not delete Feature <{feature_id}>, as it is defined as submodel in the "
                                    "Thing's model")
        return
    if rest[0] == "definition":
        feature = _features(before).get(feature_id)
        if isinstance(feature, dict) and _has_model_url(feature) \
                and config.on("feature.forbid.feature-description-deletion"):
            raise WotPayloadInvalid(f"Deleting the Feature <{feature_id}>'s <definition> is not allowed")
        return
    model = models.features.get(feature_id)
    if model is not None and rest[0] == "properties" and config.on("feature.enforce.properties"):
        check_container_deletion(model, properties_container(feature_id, False, config), rest[1:])
