"""What validation reads of a resolved Thing Model (plain TM JSON, `tm:extends`/`tm:ref` already resolved)."""

from __future__ import annotations

from twinhub.model.types import JsonObject, JsonValue

__all__ = ["DITTO_EXTENSION", "affordances", "categories", "feature_model", "is_model_url", "optional_names",
           "properties", "required_names", "submodels"]

PROPERTIES_PREFIX = "/properties/"


def is_model_url(definition: object) -> bool:
    """Whether a thing or feature definition entry links a Thing Model (an http(s) URL, not `ns:name:version`)."""
    return isinstance(definition, str) and definition.startswith(("http://", "https://"))


def feature_model(feature: JsonValue) -> str | None:
    """The Thing Model URL a feature's definition starts with (Ditto reads a feature's model from its first
    definition entry), or None."""
    definition = feature.get("definition") if isinstance(feature, dict) else None
    first = definition[0] if isinstance(definition, list) and definition else None
    return first if isinstance(first, str) and is_model_url(first) else None


def affordances(model: JsonObject, kind: str) -> dict[str, JsonObject]:
    """The model's `properties`, `actions` or `events`, by name (entries that are no object are left out)."""
    found = model.get(kind)
    if not isinstance(found, dict):
        return {}
    return {name: value for name, value in found.items() if isinstance(value, dict)}


def properties(model: JsonObject) -> dict[str, JsonObject]:
    return affordances(model, "properties")


def optional_names(model: JsonObject) -> set[str] | None:
    """The properties `tm:optional` names; None when the model has no `tm:optional` at all (Ditto tells the two
    apart: `InternalValidation.isTmPropertyRequired`)."""
    listed = model.get("tm:optional")
    if not isinstance(listed, list):
        return None
    return {entry[len(PROPERTIES_PREFIX):] for entry in listed
            if isinstance(entry, str) and entry.startswith(PROPERTIES_PREFIX)}


def required_names(model: JsonObject) -> list[str]:
    """The properties that must be present: all but those `tm:optional` names."""
    optional = optional_names(model) or set()
    return [name for name in properties(model) if name not in optional]


def submodels(model: JsonObject) -> dict[str, str]:
    """The model's `tm:submodel` links: instance name (the feature id) -> the submodel's URL."""
    links = model.get("links")
    found: dict[str, str] = {}
    if isinstance(links, list):
        for link in links:
            if isinstance(link, dict) and link.get("rel") == "tm:submodel":
                name, href = link.get("instanceName"), link.get("href")
                if isinstance(name, str) and isinstance(href, str):
                    found[name] = href
    return found


DITTO_EXTENSION = "https://ditto.eclipseprojects.io/wot/ditto-extension#"


def categories(model: JsonObject) -> dict[str, str]:
    """Property name -> its Ditto category (`"ditto:category": "status"`, the prefix being whatever the model's
    `@context` binds to the Ditto WoT extension); properties without one are left out."""
    context = model.get("@context")
    prefix = None
    for entry in context if isinstance(context, list) else [context]:
        if isinstance(entry, dict):
            prefix = next((name for name, iri in entry.items() if iri == DITTO_EXTENSION), prefix)
    if prefix is None:
        return {}
    key = f"{prefix}:category"
    return {name: category for name, schema in properties(model).items()
            if isinstance(category := schema.get(key), str)}
