"""Thing Descriptions generated from a resolved Thing Model for a thing or one of its features (pure).

Ditto: `wot/api/.../generator/DefaultWotThingDescriptionGenerator.java`, following the W3C rules "Derivation of
Thing Description Instances": the TM's `tm:extends` links and `tm:optional` go, `tm:ThingModel` becomes `Thing`;
`id` is `urn:<thingId>[/features/<featureId>]`, `base` the thing's (or feature's) HTTP API URL; a `type` link names
the model (a feature's TD also links its thing as `collection`), `tm:submodel` links become `item` links to
`features/<instanceName>`; forms map properties to attributes (feature properties), actions to inbox messages,
events to outbox messages (SSE); the configured template (`securityDefinitions`, `security`, `support`) is set
over the top level; `{{PLACEHOLDER}}` strings are replaced from `model-placeholders`, then the configuration.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from twinhub.model.errors import ThingModelInvalid, ThingModelPlaceholderUnresolved
from twinhub.model.types import JsonObject, JsonValue
from twinhub.wot.documents import TM_EXTENDS, TM_SUBMODEL
from twinhub.wot.skeleton import DITTO_EXTENSION

__all__ = ["DEFAULT_TEMPLATE", "MODEL_PLACEHOLDERS", "DescriptionOptions", "Subject", "describe"]

TD_JSON = "application/td+json"
TM_JSON = "application/tm+json"
MODEL_PLACEHOLDERS = "model-placeholders"
# Ditto's `ditto.things.wot.to-thing-description.json-template` default.
DEFAULT_TEMPLATE: JsonObject = {
    "securityDefinitions": {"basic_sc": {"scheme": "basic", "in": "header"}},
    "security": "basic_sc",
    "support": "https://www.eclipse.dev/ditto/",
}
_PLACEHOLDER = re.compile(r"^.*[{]{2}(?P<pl>[ -~]+)[}]{2}.*$")
_ERROR_RESPONSES: list[JsonValue] = [{"success": False, "schema": "dittoError"}]
_DITTO_ERROR: JsonObject = {
    "type": "object",
    "title": "Ditto error.",
    "description": "Provides additional information about an occurred error and how to resolve it.",
    "properties": {
        "status": {"type": "integer", "title": "Status code.", "minimum": 400, "maximum": 599,
                   "description": "The status code of the error with HTTP status code semantics (e.g.: 4xx for "
                                  "user errors, 5xx for server errors)."},
        "error": {"type": "string", "title": "Error code identifier.",
                  "description": "The error code or identifier that uniquely identifies the error."},
        "message": {"type": "string", "title": "Error message.",
                    "description": "The human readable message that explains what went wrong during the execution "
                                   "of a command/message."},
        "description": {"type": "string", "title": "Error description.",
                        "description": "Contains further information about the error e.g. a hint what caused the "
                                       "problem and how to solve it."},
        "href": {"type": "string", "title": "Error link.", "format": "uri",
                 "description": "A link to further information about the error and how to fix it."},
    },
    "required": ["status", "error", "message"],
}


@dataclass(frozen=True, slots=True, kw_only=True)
class DescriptionOptions:
    """Ditto's `to-thing-description` config: `base-prefix`, `json-template`, `placeholders`, `add-created`,
    `add-modified`."""

    base_prefix: str = ""  # empty: the caller's (twinhub: the URL the request came to)
    template: JsonObject = field(default_factory=lambda: dict(DEFAULT_TEMPLATE))
    placeholders: Mapping[str, JsonValue] = field(default_factory=dict)
    add_created: bool = True
    add_modified: bool = False


@dataclass(frozen=True, slots=True)
class Subject:
    """What a TD describes: the thing (`feature_id` None) or one of its features, with the instance's
    `model-placeholders` and timestamps (ISO text, None when unknown)."""

    thing_id: str
    feature_id: str | None = None
    model_placeholders: JsonObject | None = None
    created: str | None = None
    modified: str | None = None


def describe(model: JsonObject, model_url: str, subject: Subject, options: DescriptionOptions) -> JsonObject:
    """The TD of `subject` from its resolved model. Raises ThingModelInvalid (`@type` without `tm:ThingModel`,
    a `tm:submodel` link without `instanceName`), ThingModelPlaceholderUnresolved."""
    td: JsonObject = {key: value for key, value in model.items() if key != "tm:optional"}
    td["@type"] = _thing_type(model.get("@type"), model_url)
    prefix = options.base_prefix.rstrip("/") or "http://localhost:8080"  # Ditto's default base-prefix
    thing_base = f"{prefix}/api/2/things/{subject.thing_id}/"
    if subject.feature_id is None:
        td["id"], td["base"] = f"urn:{subject.thing_id}", thing_base
    else:
        td["id"] = f"urn:{subject.thing_id}/features/{subject.feature_id}"
        td["base"] = f"{thing_base}features/{subject.feature_id}/"
    version = model.get("version")
    if isinstance(version, dict) and "model" in version:
        td["version"] = {**version, "instance": version["model"]}
    td["links"] = _links(model, model_url, subject, thing_base)
    td.update(options.template)
    if options.add_created and subject.created:
        td["created"] = subject.created
    if options.add_modified and subject.modified:
        td["modified"] = subject.modified
    _add_forms(td, model, "attributes" if subject.feature_id is None else "properties")
    td["schemaDefinitions"] = {"dittoError": _DITTO_ERROR}
    resolved = _resolve(td, subject.model_placeholders or {}, options.placeholders)
    assert isinstance(resolved, dict)
    return resolved


def _thing_type(at_type: JsonValue, model_url: str) -> JsonValue:
    if at_type == "tm:ThingModel":
        return "Thing"
    if isinstance(at_type, list) and "tm:ThingModel" in at_type:
        return ["Thing" if entry == "tm:ThingModel" else entry for entry in at_type]
    raise ThingModelInvalid(model_url, "The WoT ThingModel must contain one '@type' being 'tm:ThingModel'.")


def _links(model: JsonObject, model_url: str, subject: Subject, thing_base: str) -> list[JsonValue]:
    own = model.get("links")
    kept = [link for link in own if not (isinstance(link, dict) and link.get("rel") == TM_EXTENDS)] \
        if isinstance(own, list) else []
    links: list[JsonValue] = [{"rel": "type", "href": model_url, "type": TM_JSON}, *kept]
    if subject.feature_id is not None:
        links.insert(0, {"rel": "collection", "href": thing_base, "type": TD_JSON})
    out: list[JsonValue] = []
    for link in links:
        if isinstance(link, dict) and link.get("rel") == TM_SUBMODEL:
            name = link.get("instanceName")
            if not isinstance(name, str):
                raise ThingModelInvalid(model_url, "The required 'instanceName' field of the 'tm:submodel' link "
                                                   "was not provided.")
            link = {"rel": "item", "type": TD_JSON, "href": f"features/{name}"}
        out.append(link)
    return out


def _form(op: JsonValue, href: str, method: str, **extra: JsonValue) -> JsonObject:
    return {"op": op, "href": href, "htv:methodName": method, "contentType": "application/json", **extra,
            "additionalResponses": _ERROR_RESPONSES}


def _with_href(forms: list[JsonValue], href: str) -> list[JsonValue]:
    return [{**form, "href": href, "additionalResponses": _ERROR_RESPONSES} if isinstance(form, dict) else form
            for form in forms]


def _add_forms(td: JsonObject, model: JsonObject, properties_path: str) -> None:
    sse: dict[str, JsonValue] = {"subprotocol": "sse", "contentType": "text/event-stream"}
    root = model.get("forms")
    td["forms"] = _with_href(root, properties_path) if isinstance(root, list) else [
        _form("readallproperties", properties_path, "GET"),
        _form("readmultipleproperties", properties_path, "GET"),
        _form("writeallproperties", properties_path, "PUT"),
        _form("writemultipleproperties", properties_path, "PATCH", contentType="application/merge-patch+json"),
        _form(["observeallproperties", "unobserveallproperties"], properties_path, "GET", **sse),
        _form(["subscribeallevents", "unsubscribeallevents"], "outbox/messages", "GET", **sse),
    ]
    category_key = f"{prefix}:category" if (prefix := _extension_prefix(model)) else None
    properties = model.get("properties")
    if isinstance(properties, dict):
        described: JsonObject = {}
        for name, prop in properties.items():
            if not isinstance(prop, dict):
                described[name] = prop
                continue
            category = prop.get(category_key) if category_key else None
            href = f"{properties_path}/{category}/{name}" if isinstance(category, str) else f"{properties_path}/{name}"
            own = prop.get("forms")
            if isinstance(own, list):
                described[name] = {**prop, "forms": _with_href(own, href)}
                continue
            forms: list[JsonValue] = []
            if prop.get("writeOnly") is not True:
                forms.append(_form("readproperty", href, "GET"))
            if prop.get("readOnly") is not True:
                forms.append(_form("writeproperty", href, "PUT"))
                forms.append(_form("writeproperty", href, "PATCH", contentType="application/merge-patch+json"))
            observable = prop.get("observable", True)
            if observable is not False:
                forms.append(_form(["observeproperty", "unobserveproperty"], href, "GET", **sse))
            described[name] = {**prop, "observable": observable, "forms": forms}
        td["properties"] = described
    for kind, path, build in (("actions", "inbox/messages/", _action_forms), ("events", "outbox/messages/",
                                                                                _event_forms)):
        affordances = model.get(kind)
        if isinstance(affordances, dict):
            td[kind] = {name: build(affordance, path + name) if isinstance(affordance, dict) else affordance
                        for name, affordance in affordances.items()}


def _action_forms(action: JsonObject, href: str) -> JsonObject:
    own = action.get("forms")
    forms: list[JsonValue] = _with_href(own, href) if isinstance(own, list) else [_form("invokeaction", href, "POST")]
    return {**action, "synchronous": True, "forms": forms}


def _event_forms(event: JsonObject, href: str) -> JsonObject:
    own = event.get("forms")
    forms: list[JsonValue] = _with_href(own, href) if isinstance(own, list) else [
        _form("subscribeevent", href, "GET", subprotocol="sse", contentType="text/event-stream")]
    return {**event, "forms": forms}


def _extension_prefix(model: JsonObject) -> str | None:
    context = model.get("@context")
    for entry in context if isinstance(context, list) else [context]:
        if isinstance(entry, dict):
            for prefix, iri in entry.items():
                if iri == DITTO_EXTENSION:
                    return prefix
    return None


def _resolve(value: JsonValue, own: JsonObject, configured: Mapping[str, JsonValue]) -> JsonValue:
    """`value` with each string that holds a `{{name}}` replaced by the value of `name` (Ditto replaces the whole
    string, and resolves values, not keys)."""
    if isinstance(value, str):
        match = _PLACEHOLDER.fullmatch(value)
        if match is None:
            return value
        name = match.group("pl").strip()
        if name in own:
            return own[name]
        if name in configured:
            return configured[name]
        raise ThingModelPlaceholderUnresolved(value)
    if isinstance(value, dict):
        return {key: _resolve(item, own, configured) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolve(item, own, configured) for item in value]
    return value
