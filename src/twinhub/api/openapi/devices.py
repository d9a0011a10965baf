"""The devices API (twinhub: the identities of the MQTT device endpoint, managed by admins; Ditto has none)."""

from __future__ import annotations

from twinhub.api.openapi.build import body, json_answer, operation
from twinhub.model.types import JsonObject

__all__ = ["DEVICES", "devices_paths"]

DEVICES = "Devices"
_ADMIN = "Only admins (`TWINHUB_ADMIN_SUBJECTS`; anyone with `serve --dev`) may; others get 401."
_ID: JsonObject = {"name": "deviceId", "in": "path", "required": True, "schema": {"type": "string"},
                   "description": "The device's ID: the ID of its thing (`<namespace>:<name>`), its MQTT username."}
_DEVICE_PROPERTIES: JsonObject = {
    "deviceId": {"type": "string", "example": "org.example:sensor-1"},
    "subject": {"type": "string", "description": "The subject it acts as: `device:<deviceId>`.",
                "example": "device:org.example:sensor-1"}}
_DEVICE: JsonObject = {"type": "object", "required": ["deviceId", "subject"], "properties": _DEVICE_PROPERTIES}
_CREDENTIALS: JsonObject = {"type": "object", "required": ["deviceId", "subject", "password"], "properties": {
    **_DEVICE_PROPERTIES,
    "password": {"type": "string", "description": "Its MQTT password: shown only in this answer (twinhub keeps "
                                                  "its hash)."}}}
_CHOSEN: JsonObject = {"type": "object", "additionalProperties": False, "properties": {
    "password": {"type": "string", "minLength": 1, "maxLength": 1024,
                 "description": "A chosen password; left out, one is generated."}}}


def _issued(text: str) -> JsonObject:
    answer = json_answer(text, _CREDENTIALS)
    answer["headers"] = {"Cache-Control": {"description": "`no-store`: the answer carries a password.",
                                           "schema": {"type": "string"}}}
    return answer


def _query(name: str, description: str, kind: JsonObject) -> JsonObject:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": kind}


def devices_paths() -> JsonObject:
    chosen = body(_CHOSEN, "Empty (a generated password), or a chosen one.", required=False)
    return {
        "/api/2/devices": {"get": operation(DEVICES, "Retrieve a page of the devices", {
            "200": json_answer("The devices, sorted by ID; `nextFrom`, while more follow, is the next page's `from`.",
                               {"type": "object", "required": ["devices"], "properties": {
                                   "devices": {"type": "array", "items": _DEVICE},
                                   "nextFrom": {"type": "string"}}})},
            description=_ADMIN, parameters=[
                _query("limit", "At most this many (default and most: 200).",
                       {"type": "integer", "minimum": 1, "maximum": 200}),
                _query("from", "Only devices whose ID sorts after this one.", {"type": "string"})])},
        "/api/2/devices/{deviceId}": {
            "parameters": [_ID],
            "get": operation(DEVICES, "Retrieve a device", {"200": json_answer("The device.", _DEVICE),
                                                            "404": "Error404"}, description=_ADMIN),
            "put": operation(DEVICES, "Register a device", {
                "201": _issued("Registered; its password is shown only now."), "409": "Error409", "413": "Error413"},
                description=_ADMIN, request_body=chosen),
            "delete": operation(DEVICES, "Remove a device (it can no longer log in)",
                                {"204": "Empty", "404": "Error404"}, description=_ADMIN),
        },
        "/api/2/devices/{deviceId}/password": {"parameters": [_ID], "post": operation(
            DEVICES, "Give a device a new password (the old one stops working at once)", {
                "200": _issued("The new password, shown only now."), "404": "Error404", "413": "Error413"},
            description=_ADMIN, request_body=chosen)},
    }
