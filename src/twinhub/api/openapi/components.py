"""The shared parts of the document (`components`): how a caller authenticates, the JSON shapes of things,
policies and errors, the parameters and headers of Ditto's API v2, and the error answers."""

from __future__ import annotations

from twinhub.api.openapi.build import JSON, json_answer, schema
from twinhub.model.types import JsonObject

__all__ = ["components"]

_ANY: JsonObject = {"description": "Any JSON value."}
_OBJECT: JsonObject = {"type": "object", "additionalProperties": True}


def _string(description: str, example: str | None = None, **extra: str) -> JsonObject:
    result: JsonObject = {"type": "string", "description": description, **extra}
    if example is not None:
        result["example"] = example
    return result


def _path_param(name: str, description: str, example: str) -> JsonObject:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": {"type": "string"}, "example": example}


def _query(name: str, description: str, value: JsonObject | None = None) -> JsonObject:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": value or {"type": "string"}}


def _header(name: str, description: str) -> JsonObject:
    return {"name": name, "in": "header", "required": False, "description": description, "schema": {"type": "string"}}


_SCHEMAS: JsonObject = {
    "Error": {
        "type": "object", "required": ["status", "error", "message"],
        "description": "Ditto's error body: every failure of the API answers one.",
        "properties": {"status": {"type": "integer", "example": 404},
                       "error": _string("The error code, `<domain>:<kind>` (as `things:thing.notfound`)."),
                       "message": {"type": "string"}, "description": {"type": "string"},
                       "href": {"type": "string"}}},
    "Attributes": {**_OBJECT, "description": "A thing's attributes: any JSON object."},
    "Definition": _string("A definition: `namespace:name:version` or a URL of a Thing Model.",
                          "org.eclipse.ditto:lamp:1.0.0"),
    "FeatureDefinition": {"type": "array", "items": schema("Definition"), "minItems": 1},
    "Properties": {**_OBJECT, "description": "A feature's (desired) properties: any JSON object."},
    "Feature": {"type": "object", "properties": {
        "definition": schema("FeatureDefinition"), "properties": schema("Properties"),
        "desiredProperties": schema("Properties")}},
    "Features": {"type": "object", "additionalProperties": schema("Feature"),
                 "description": "The features of a thing, by feature id."},
    "NewThing": {"type": "object", "description": "A thing to create or replace (its id is in the path).",
                 "properties": {"policyId": {"type": "string"}, "definition": schema("Definition"),
                                "attributes": schema("Attributes"), "features": schema("Features"),
                                "_policy": {**_OBJECT, "description": "An inline policy to create with the thing."},
                                "_copyPolicyFrom": _string("A policy id, or a thing's `{{ ref:things/<id>/policyId }}`,"
                                                           " whose policy the new thing gets a copy of.")}},
    "Thing": {"type": "object", "properties": {
        "thingId": _string("`namespace:name`", "org.eclipse.ditto:lamp-1"), "policyId": {"type": "string"},
        "definition": schema("Definition"), "attributes": schema("Attributes"), "features": schema("Features"),
        "_revision": {"type": "integer"}, "_created": {"type": "string"}, "_modified": {"type": "string"},
        "_metadata": _OBJECT}},
    "Things": {"type": "array", "items": schema("Thing")},
    "SearchResult": {"type": "object", "required": ["items"], "properties": {
        "items": schema("Things"), "cursor": _string("Continues the search: pass it as option=cursor(<cursor>).")}},
    "Policy": {"type": "object", "properties": {
        "policyId": {"type": "string"}, "entries": schema("PolicyEntries"), "imports": _OBJECT,
        "_revision": {"type": "integer"}, "_created": {"type": "string"}, "_modified": {"type": "string"}}},
    "PolicyEntries": {"type": "object", "additionalProperties": schema("PolicyEntry"),
                      "description": "The entries of a policy, by label."},
    "PolicyEntry": {"type": "object", "properties": {
        "subjects": schema("Subjects"), "resources": schema("Resources"),
        "importable": {"type": "string", "enum": ["implicit", "explicit", "never"]},
        "namespaces": {"type": "array", "items": {"type": "string"}}}},
    "Subjects": {"type": "object", "additionalProperties": schema("Subject"),
                 "description": "Subjects by id (`<issuer>:<subject>`, as `nginx:ditto`)."},
    "Subject": {"type": "object", "properties": {"type": {"type": "string"}, "expiry": {"type": "string"}}},
    "Resources": {"type": "object", "additionalProperties": schema("Resource"),
                  "description": "Resources by key (`thing:/`, `policy:/`, `message:/features/lamp`)."},
    "Resource": {"type": "object", "properties": {
        "grant": {"type": "array", "items": {"type": "string", "enum": ["READ", "WRITE", "EXECUTE"]}},
        "revoke": {"type": "array", "items": {"type": "string", "enum": ["READ", "WRITE", "EXECUTE"]}}}},
    "WhoAmI": {"type": "object", "properties": {"defaultSubject": {"type": "string"},
                                                "subjects": {"type": "array", "items": {"type": "string"}}}},
    "PermissionCheck": {"type": "object", "additionalProperties": {"type": "object", "properties": {
        "resource": _string("`thing:/features/lamp`"), "entityId": {"type": "string"},
        "hasPermissions": {"type": "array", "items": {"type": "string"}}}}},
    "PermissionResults": {"type": "object", "additionalProperties": {"type": "boolean"}},
    "Connection": {**_OBJECT, "description": "A connection: its type, uri, sources, targets, mapping ..."},
    "History": {**_OBJECT, "description": "Points or buckets of a thing's recorded values."},
    "Any": _ANY,
}

_PARAMETERS: JsonObject = {
    "thingId": _path_param("thingId", "The thing's id, `namespace:name`.", "org.eclipse.ditto:lamp-1"),
    "policyId": _path_param("policyId", "The policy's id, `namespace:name`.", "org.eclipse.ditto:lamp-1"),
    "featureId": _path_param("featureId", "The feature's id.", "lamp"),
    "attributePath": _path_param("attributePath", "A JSON pointer into the attributes (nested keys as path "
                                 "segments: `location/room`).", "location"),
    "propertyPath": _path_param("propertyPath", "A JSON pointer into the properties.", "on"),
    "label": _path_param("label", "The policy entry's label.", "owner"),
    "subjectId": _path_param("subjectId", "The subject's id, `<issuer>:<subject>`.", "nginx:ditto"),
    "resourcePath": _path_param("resourcePath", "The resource key, `<type>:<path>`.", "thing:/"),
    "importedPolicyId": _path_param("importedPolicyId", "The imported policy's id.", "org.eclipse.ditto:base"),
    "messageSubject": _path_param("messageSubject", "The message's subject.", "switch"),
    "connectionId": _path_param("connectionId", "The connection's id.", "mqtt-1"),
    "historyPath": _path_param("path", "A JSON pointer into the thing (`features/t/properties/value`).",
                               "features/lamp/properties/on"),
    "fields": _query("fields", "Select parts of the answer: `thingId,attributes/location,features/*/properties`."),
    "timeout": _query("timeout", "How long to wait for the answer or the requested acknowledgements (`10s`, "
                                 "`250ms`; `0`: do not wait).", {"type": "string", "example": "10s"}),
    "responseRequired": _query("response-required", "false: answer 202 at once, without the result.",
                               {"type": "boolean"}),
    "condition": _query("condition", "An RQL condition the thing must meet for the request to apply, "
                                     "`gt(attributes/counter,42)`."),
    "liveChannelCondition": _query("live-channel-condition", "An RQL condition under which the request goes to "
                                                             "the device (live channel) instead of the twin."),
    "channel": _query("channel", "`twin` (default) or `live`: ask the device instead of its twin.",
                      {"type": "string", "enum": ["twin", "live"]}),
    "filter": _query("filter", "An RQL filter: `and(eq(attributes/color,\"red\"),gt(attributes/size,3))`."),
    "namespaces": _query("namespaces", "Comma-separated namespaces to search in."),
    "option": _query("option", "Search options: `sort(+thingId),size(25),cursor(<cursor>)`."),
    "ifMatch": _header("If-Match", "Apply only if the resource's ETag is one of these (`*`: if it exists)."),
    "ifNoneMatch": _header("If-None-Match", "Apply only if the resource's ETag is none of these (`*`: if it "
                                            "does not exist)."),
    "requestedAcks": _header("requested-acks", "Acknowledgements to wait for: `twin-persisted,search-persisted` "
                                               "or custom labels."),
    "correlationId": _header("correlation-id", "An id echoed in the answer and every event of the request."),
    "putMetadata": _header("put-metadata", "Metadata to set with the write: a JSON array of `{\"key\": <pointer "
                                           "relative to the resource>, \"value\": <JSON>}`; a key `*/<name>` sets "
                                           "`<name>` beside every leaf written. Shown as `_metadata`."),
    "getMetadata": _header("get-metadata", "Comma-separated metadata pointers relative to the resource (`*`: all "
                                           "of it, `*/<name>` one level of wildcard), answered as JSON in the "
                                           "`ditto-metadata` response header."),
    "deleteMetadata": _header("delete-metadata", "Comma-separated metadata pointers relative to the resource to "
                                                 "remove with the write (`*`: all of it)."),
}

_HEADERS: JsonObject = {
    "ETag": {"description": "The resource's entity tag (`\"rev:<revision>\"`).", "schema": {"type": "string"}},
    "Location": {"description": "Where the created resource is.", "schema": {"type": "string"}},
    "Link": {"description": "The next page (`rel=\"next\"`).", "schema": {"type": "string"}},
}

_ERRORS: dict[str, str] = {
    "400": "The request is invalid: a bad id, JSON, parameter or header.",
    "401": "The request is not authenticated.",
    "403": "The caller may not do this (the policy grants no WRITE).",
    "404": "Not found, or the caller may not read it.",
    "409": "Conflict: the resource exists, or differs.",
    "412": "A precondition (If-Match, If-None-Match) failed.",
    "413": "The request or the resulting resource is too large.",
    "429": "Too many requests: retry after the `Retry-After` seconds.",
}


def components() -> JsonObject:
    responses: JsonObject = {f"Error{status}": json_answer(text, schema("Error")) for status, text in _ERRORS.items()}
    responses["NotModified"] = {"description": "Not modified: the resource's ETag matches If-None-Match."}
    responses["Empty"] = {"description": "Done; no content."}
    responses["Accepted"] = {"description": "Accepted (response-required=false, or timeout=0): the result is not "
                                            "awaited."}
    return {
        "securitySchemes": {
            "basic": {"type": "http", "scheme": "basic",
                      "description": "A user of `twinhub user add` (any user and password with `serve --dev`)."},
            "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                       "description": "A JSON Web Token of an OpenID Connect issuer the server trusts."},
        },
        "schemas": _SCHEMAS, "parameters": _PARAMETERS, "headers": _HEADERS, "responses": responses,
        "requestBodies": {"Json": {"description": "A JSON value.", "required": True,
                                   "content": {JSON: {"schema": schema("Any")}}}},
    }
