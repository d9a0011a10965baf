"""The Web of Things paths: Ditto 3.9's Thing Directory and twinhub's own store of Thing Models (the Thing
Descriptions of things and features are their GET with `Accept: application/td+json`, in `things`)."""

from __future__ import annotations

from twinhub.api.openapi.build import body, json_answer, operation
from twinhub.model.types import JsonObject

__all__ = ["wot_paths"]

WOT = "Web of Things"
_OBJECT: JsonObject = {"type": "object", "additionalProperties": True}
_NAME: JsonObject = {"name": "modelName", "in": "path", "required": True, "schema": {"type": "string"},
                     "description": "The model's name: a relative path (`acme/lamp-1.0.0.tm.jsonld`)."}


def wot_paths() -> JsonObject:
    admin = "Only admins (`TWINHUB_ADMIN_SUBJECTS`; anyone with `serve --dev`) may; others get 401."
    model: JsonObject = {"description": "The Thing Model, as stored.",
                         "content": {"application/tm+json": {"schema": _OBJECT}}}
    directory: JsonObject = {"description": "The Thing Directory's Thing Description.",
                             "content": {"application/td+json": {"schema": _OBJECT}}}
    return {
        **{path: {
            "get": operation(WOT, "The WoT Thing Directory (WoT Discovery)", {"200": directory},
                             authenticated=False),
            "head": operation(WOT, "The WoT Thing Directory's headers", {"200": directory}, authenticated=False),
        } for path in ("/.well-known/wot", "/.well-known/wot/")},
        "/api/2/wot/models": {"get": operation(WOT, "The names of the Thing Models kept in twinhub", {
            "200": json_answer("The names.", {"type": "array", "items": {"type": "string"}})})},
        "/api/2/wot/models/{modelName}": {
            "parameters": [_NAME],
            "get": operation(WOT, "Retrieve a Thing Model kept in twinhub", {"200": model, "404": "Error404"}),
            "put": operation(WOT, "Store or replace a Thing Model", {"201": "Empty", "204": "Empty"},
                             description=admin, request_body=body(_OBJECT, "The Thing Model (a JSON object).")),
            "delete": operation(WOT, "Delete a Thing Model", {"204": "Empty", "404": "Error404"}, description=admin),
        },
    }
