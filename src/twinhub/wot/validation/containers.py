"""A container of TM-modelled values (thing attributes, feature properties or desired properties) checked
against the model's `properties`, in Ditto's words (`wot/validation/.../InternalValidation.java`).

Feature (desired) properties may be grouped by the Ditto WoT extension's `ditto:category`: a property of category
`status` lives at `status/<name>` (Ditto's `handleDittoCategory`); thing attributes never are.
"""

from __future__ import annotations

from dataclasses import dataclass

from twinhub.model.errors import WotPayloadInvalid
from twinhub.model.types import MISSING, JsonObject, JsonValue, Missing, Pointer
from twinhub.wot.validation.model_parts import categories, optional_names, properties, required_names
from twinhub.wot.validation.schema_check import schema_failures

__all__ = ["Container", "check_container", "check_container_deletion", "check_member"]


@dataclass(frozen=True, slots=True)
class Container:
    """Where the values live and how Ditto names them: `plural` "Thing's attributes", `singular` "Thing's
    attribute", `deleted` / `deleted_one` as its deletion errors say them, `pointer` its place in the thing."""

    plural: str
    singular: str
    deleted: str
    deleted_one: str
    pointer: Pointer
    required: bool = True  # whether non-optional properties must be present (not for desired properties)
    forbid_non_modeled: bool = True
    categorized: bool = False  # whether `ditto:category` groups the values (features, not thing attributes)
    owner: str = ""  # "Feature <id>", as the deletion of a category names it


def _path(pointer: Pointer) -> str:
    return "".join("/" + key for key in pointer)


def _java_set(names: list[str]) -> str:
    return "[" + ", ".join(names) + "]"


def check_container(model: JsonObject, container: Container, values: JsonObject) -> None:
    """Raise WotPayloadInvalid when `values` (the whole container) misses a non-optional property, holds one the
    model does not define, or holds a value its schema refuses (Ditto `enforceThingAttributes`,
    `enforceFeatureProperties`)."""
    modelled = properties(model)
    if not modelled:
        return  # a model without properties constrains nothing (Ditto: `thingModel.getProperties()` empty)
    grouped = categories(model) if container.categorized else {}
    if container.required:
        missing = [name for name in required_names(model) if _at(values, name, grouped) is MISSING]
        if missing:
            raise WotPayloadInvalid(
                f"Required JSON fields were missing from the {container.plural}",
                {_path((*container.pointer, *_place(name, grouped))): [
                    f"{container.singular} <{name}> is non optional and must be provided"] for name in missing})
    if container.forbid_non_modeled:
        extra = _non_modelled(modelled, grouped, values)
        if extra:
            raise WotPayloadInvalid(f"The {container.plural} contained JSON fields which were not defined in the "
                                    f"model: {_java_set(extra)}")
    details = {_path((*container.pointer, *_place(name, grouped))): failures
               for name, schema in modelled.items() if (value := _at(values, name, grouped)) is not MISSING
               if (failures := schema_failures(schema, value, required_fields=container.required))}
    if details:
        raise WotPayloadInvalid(f"The {container.plural} contained validation errors, check the validation details.",
                                details)


def _place(name: str, grouped: dict[str, str]) -> Pointer:
    """Where a property lives in its container: under its category, if it has one."""
    return (grouped[name], name) if name in grouped else (name,)


def _at(values: JsonObject, name: str, grouped: dict[str, str]) -> JsonValue | Missing:
    if name not in grouped:
        return values.get(name, MISSING)
    group = values.get(grouped[name])
    return group.get(name, MISSING) if isinstance(group, dict) else MISSING


def _non_modelled(modelled: dict[str, JsonObject], grouped: dict[str, str], values: JsonObject) -> list[str]:
    """The keys of `values` (`category/key` inside a category) no property of the model takes (Ditto
    `ensureOnlyDefinedProperties`)."""
    names = set(grouped.values())
    available = list(values)
    for group_name in names:
        group = values.get(group_name)
        if isinstance(group, dict):
            available += [f"{group_name}/{key}" for key in group]
    for name in modelled:
        category = grouped.get(name)
        if _at(values, name, grouped) is not MISSING:
            available = [key for key in available if key not in ("/".join(_place(name, grouped)), category)]
        elif category is not None and category in values:
            available = [key for key in available if key != category]
    return available


def check_member(model: JsonObject, container: Container, key: str, inner: Pointer, value: JsonValue) -> None:
    """Raise WotPayloadInvalid when the value of the container's property `key` (after a write at `key/inner`)
    is not modelled or breaks its schema (Ditto `enforceThingAttribute`, `enforceFeatureProperty`); `key` may be
    a category, `value` then the category's object."""
    modelled = properties(model)
    if not modelled:
        return
    grouped = categories(model) if container.categorized else {}
    if key in set(grouped.values()) and key not in modelled:
        members = {name: schema for name, schema in modelled.items() if grouped.get(name) == key}
        group = value if isinstance(value, dict) else {}
        if not inner:  # the whole category
            extra = [f"{key}/{name}" for name in group if name not in members]
            if extra and container.forbid_non_modeled:
                raise WotPayloadInvalid(f"The {container.plural} contained JSON fields which were not defined in "
                                        f"the model: {_java_set(extra)}")
            for name in members:
                if name in group:
                    _check_one(members[name], container, (key, name), group[name])
            return
        if inner[0] not in members:
            if container.forbid_non_modeled:
                raise WotPayloadInvalid(f"The {container.plural} contained JSON fields which were not defined in "
                                        f"the model: {_java_set([f'{key}/{inner[0]}'])}")
            return
        _check_one(members[inner[0]], container, (key, *inner), group.get(inner[0]))
        return
    schema = modelled.get(key)
    if schema is None:
        if container.forbid_non_modeled:
            raise WotPayloadInvalid(f"The {container.plural} contained JSON fields which were not defined in the "
                                    f"model: {_java_set([key])}")
        return
    _check_one(schema, container, (key, *inner), value)


def _check_one(schema: JsonObject, container: Container, written: Pointer, value: JsonValue) -> None:
    failures = schema_failures(schema, value, required_fields=container.required)
    if failures:
        raise WotPayloadInvalid(f"The {container.singular} <{_path(written)}> contained validation errors, check the "
                                "validation details.", {_path((*container.pointer, *written)): failures})


def check_container_deletion(model: JsonObject, container: Container, inner: Pointer) -> None:
    """Raise WotPayloadInvalid when deleting the container (`inner` empty) or its part at `inner` would remove a
    non-optional property (Ditto `enforcePresenceOfRequiredPropertiesUponDeletion`)."""
    if not inner:
        if required_names(model):
            raise WotPayloadInvalid(f"Could not delete {container.deleted}, as there are some defined as "
                                    "non-optional in the model")
        return
    modelled = properties(model)
    grouped = categories(model) if container.categorized else {}
    if inner[0] not in modelled and inner[0] in set(grouped.values()):
        members = [name for name, category in grouped.items() if category == inner[0]]
        if len(inner) == 1:
            if any(name in required_names(model) for name in members):
                raise WotPayloadInvalid(f"Could not delete {container.owner} properties category <{inner[0]}> as "
                                        "it contains non-optional properties")
            return
        if inner[1] not in members:
            return
        modelled, inner = {inner[1]: modelled[inner[1]]}, inner[1:]
        shown: Pointer = (grouped[inner[0]], *inner)
    else:
        shown = inner
    schema = modelled.get(inner[0])
    if schema is None:
        return
    if len(inner) == 1:
        optional = optional_names(model)
        required = optional is not None and inner[0] not in optional  # no `tm:optional` at all: Ditto deletes
    else:
        required = _required_inside(schema, inner[1:])
    if required:
        raise WotPayloadInvalid(f"Could not delete {container.deleted_one} <{_path(shown)}> as it is defined as "
                                "non-optional in the model")


def _required_inside(schema: JsonObject, inner: Pointer) -> bool:
    """Whether every step of `inner` is `required` by the object schemas it passes through."""
    required = schema.get("required")
    if not isinstance(required, list) or inner[0] not in required:
        return False
    if len(inner) == 1:
        return True
    sub = schema.get("properties", {})
    nested = sub.get(inner[0]) if isinstance(sub, dict) else None
    return isinstance(nested, dict) and _required_inside(nested, inner[1:])
