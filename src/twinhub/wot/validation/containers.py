"""A container of TM-modelled values (thing attributes, feature properties or desired properties) checked
against the model's `properties`, in Ditto's words (`wot/validation/.../InternalValidation.java`)."""

from __future__ import annotations

from dataclasses import dataclass

from twinhub.model.errors import WotPayloadInvalid
from twinhub.model.types import JsonObject, JsonValue, Pointer
from twinhub.wot.validation.model_parts import optional_names, properties, required_names
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
    if container.required:
        missing = [name for name in required_names(model) if name not in values]
        if missing:
            raise WotPayloadInvalid(
                f"Required JSON fields were missing from the {container.plural}",
                {_path((*container.pointer, name)): [f"{container.singular} <{name}> is non optional and must be "
                                                     "provided"] for name in missing})
    if container.forbid_non_modeled:
        extra = [name for name in values if name not in modelled]
        if extra:
            raise WotPayloadInvalid(f"The {container.plural} contained JSON fields which were not defined in the "
                                    f"model: {_java_set(extra)}")
    details = {_path((*container.pointer, name)): failures for name, schema in modelled.items() if name in values
               if (failures := schema_failures(schema, values[name], required_fields=container.required))}
    if details:
        raise WotPayloadInvalid(f"The {container.plural} contained validation errors, check the validation details.",
                                details)


def check_member(model: JsonObject, container: Container, key: str, inner: Pointer, value: JsonValue) -> None:
    """Raise WotPayloadInvalid when the value of the container's property `key` (after a write at `key/inner`)
    is not modelled or breaks its schema (Ditto `enforceThingAttribute`, `enforceFeatureProperty`)."""
    modelled = properties(model)
    if not modelled:
        return
    schema = modelled.get(key)
    if schema is None:
        if container.forbid_non_modeled:
            raise WotPayloadInvalid(f"The {container.plural} contained JSON fields which were not defined in the "
                                    f"model: {_java_set([key])}")
        return
    failures = schema_failures(schema, value, required_fields=container.required)
    if failures:
        written = _path((key, *inner))
        raise WotPayloadInvalid(f"The {container.singular} <{written}> contained validation errors, check the "
                                "validation details.", {_path((*container.pointer, key, *inner)): failures})


def check_container_deletion(model: JsonObject, container: Container, inner: Pointer) -> None:
    """Raise WotPayloadInvalid when deleting the container (`inner` empty) or its part at `inner` would remove a
    non-optional property (Ditto `enforcePresenceOfRequiredPropertiesUponDeletion`)."""
    if not inner:
        if required_names(model):
            raise WotPayloadInvalid(f"Could not delete {container.deleted}, as there are some defined as "
                                    "non-optional in the model")
        return
    schema = properties(model).get(inner[0])
    if schema is None:
        return
    if len(inner) == 1:
        optional = optional_names(model)
        required = optional is not None and inner[0] not in optional  # no `tm:optional` at all: Ditto deletes
    else:
        required = _required_inside(schema, inner[1:])
    if required:
        raise WotPayloadInvalid(f"Could not delete {container.deleted_one} <{_path(inner)}> as it is defined as "
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
