"""The Things API's paths (`/api/2/things`, every documented sub-resource, messages and claims), the search
and `whoami`, with the methods twinhub serves for each (as Ditto's `ditto-api-2.yml` lists them)."""

from __future__ import annotations

from twinhub.api.openapi.build import MERGE_PATCH, body, json_answer, operation, param, ref, schema
from twinhub.model.types import JsonObject, JsonValue

__all__ = ["search_paths", "things_paths"]

THINGS = "Things"
FEATURES = "Features"
MESSAGES = "Messages"
SEARCH = "Search"

_READ_PARAMS: list[JsonValue] = [param("fields"), param("condition"), param("liveChannelCondition"),
                                 param("channel"), param("timeout"), param("ifMatch"), param("ifNoneMatch"),
                                 param("correlationId"), param("getMetadata")]
_WRITE_PARAMS: list[JsonValue] = [param("condition"), param("timeout"), param("responseRequired"),
                                  param("ifMatch"), param("ifNoneMatch"), param("requestedAcks"),
                                  param("correlationId"), param("putMetadata"), param("deleteMetadata")]


def _resource(tag: str, noun: str, value: JsonObject, path_params: list[str], *, deletable: bool = True,
              creatable: bool = True, read: JsonObject | None = None) -> JsonObject:
    """GET, PUT, PATCH (a JSON merge patch) and DELETE of one part of a thing (`read`: what GET answers, if
    not `value`)."""
    params: list[JsonValue] = [param(name) for name in path_params]
    written: dict[str, JsonValue] = {
               "201": json_answer(f"Created the {noun}.", value, headers=("ETag", "Location")),
               "204": {"description": f"Modified the {noun}.", "headers": {"ETag": ref("headers", "ETag")}},
               "202": "Accepted", "403": "Error403", "404": "Error404", "412": "Error412", "413": "Error413"}
    if not creatable:
        del written["201"]
    item: JsonObject = {
        "parameters": params,
        "get": operation(tag, f"Retrieve the {noun}", {
            "200": json_answer(f"The {noun}.", read or value, headers=("ETag",)), "304": "NotModified",
            "404": "Error404", "412": "Error412"}, parameters=_READ_PARAMS),
        "put": operation(tag, f"Create or replace the {noun}", written, parameters=_WRITE_PARAMS,
                         request_body=body(value, f"The new {noun}.")),
        "patch": operation(tag, f"Merge a JSON merge patch (RFC 7396) into the {noun}",
                           {k: v for k, v in written.items() if k != "201"}, parameters=_WRITE_PARAMS,
                           request_body=body(value, "The merge patch: `null` removes a key.", media_type=MERGE_PATCH)),
    }
    if deletable:
        item["delete"] = operation(tag, f"Delete the {noun}", {
            "204": "Empty", "202": "Accepted", "403": "Error403", "404": "Error404", "412": "Error412"},
            parameters=_WRITE_PARAMS)
    return item


def _message(tag: str, summary: str, path_params: list[str]) -> JsonObject:
    return {"parameters": [param(name) for name in path_params],
            "post": operation(tag, summary, {
                "200": json_answer("The device's answer (any content type).", schema("Any")),
                "202": "Accepted", "403": "Error403", "404": "Error404",
                "408": json_answer("The device did not answer in time.", schema("Error"))},
                description="The body is sent as the message's payload, with its content type. The answer is the "
                            "device's answer, with the status it chose.",
                parameters=[param("timeout"), param("correlationId")],
                request_body=body(schema("Any"), "The payload (any content type).", required=False))}


def _migration(path_params: list[str]) -> JsonObject:
    """`POST .../migrateDefinition` (Ditto 3.7+, its `migrateThingDefinition*.yml`)."""
    request: JsonObject = {"type": "object", "required": ["thingDefinitionUrl"], "properties": {
        "thingDefinitionUrl": {"type": "string", "format": "uri"},
        "migrationPayload": {"type": "object", "description": "Attributes and features merged over the new "
                                                              "model's skeleton; `{{ thing-json:<pointer> }}` "
                                                              "placeholders take the thing's values."},
        "patchConditions": {"type": "object", "additionalProperties": {"type": "string"},
                            "description": "`thing:/<pointer>` -> RQL: a payload part applies only if it holds."},
        "initializeMissingPropertiesFromDefaults": {"type": "boolean", "default": False}}}
    answer: JsonObject = {"type": "object", "required": ["thingId", "patch", "mergeStatus"], "properties": {
        "thingId": {"type": "string"}, "patch": {"type": "object"},
        "mergeStatus": {"type": "string", "enum": ["APPLIED", "DRY_RUN"]}}}
    dry_run: JsonValue = {"name": "dry-run", "in": "query", "required": False, "schema": {"type": "boolean"},
                          "description": "true: answer the patch (202) and change nothing."}
    return {"parameters": [param(name) for name in path_params],
            "post": operation(THINGS, "Migrate the thing to another WoT Thing Model", {
                "200": json_answer("The migration was applied.", answer, headers=("ETag",)),
                "202": json_answer("The dry run's patch (nothing changed).", answer),
                "403": "Error403", "404": "Error404"},
                parameters=[dry_run, param("timeout"), param("correlationId")],
                request_body=body(request, "What to migrate to, and how."))}


def things_paths() -> JsonObject:
    thing, feature = ["thingId"], ["thingId", "featureId"]
    return {
        "/api/2/things": {
            "get": operation(THINGS, "Retrieve things", {
                "200": json_answer("The things of `ids` the caller may read (without `ids`: a page of them, "
                                   "`Link`ed to the next).", schema("Things"), headers=("Link",))},
                description="With `Accept: text/event-stream`: the changes of the things as server-sent events.",
                parameters=[{"name": "ids", "in": "query", "required": False, "schema": {"type": "string"},
                             "description": "Comma-separated thing ids.", "example": "org.eclipse.ditto:lamp-1"},
                            param("fields"), param("option"), param("correlationId")]),
            "post": operation(THINGS, "Create a thing with a generated id", {
                "201": json_answer("Created the thing.", schema("Thing"), headers=("ETag", "Location")),
                "202": "Accepted", "403": "Error403", "413": "Error413"},
                parameters=[{"name": "namespace", "in": "query", "required": False, "schema": {"type": "string"},
                             "description": "The namespace of the generated id."}, *_WRITE_PARAMS],
                request_body=body(schema("NewThing"), "The thing (without thingId).", required=False)),
        },
        "/api/2/things/{thingId}": _resource(THINGS, "thing", schema("NewThing"), thing, read=schema("Thing")),
        "/api/2/things/{thingId}/policyId": _resource(THINGS, "thing's policy id", {"type": "string"}, thing,
                                                      deletable=False, creatable=False),
        "/api/2/things/{thingId}/definition": _resource(THINGS, "thing's definition", schema("Definition"), thing),
        "/api/2/things/{thingId}/attributes": _resource(THINGS, "attributes", schema("Attributes"), thing),
        "/api/2/things/{thingId}/attributes/{attributePath}": _resource(
            THINGS, "attribute", schema("Any"), ["thingId", "attributePath"]),
        "/api/2/things/{thingId}/features": _resource(FEATURES, "features", schema("Features"), thing),
        "/api/2/things/{thingId}/features/{featureId}": _resource(FEATURES, "feature", schema("Feature"), feature),
        "/api/2/things/{thingId}/features/{featureId}/definition": _resource(
            FEATURES, "feature's definition", schema("FeatureDefinition"), feature),
        "/api/2/things/{thingId}/features/{featureId}/properties": _resource(
            FEATURES, "feature's properties", schema("Properties"), feature),
        "/api/2/things/{thingId}/features/{featureId}/properties/{propertyPath}": _resource(
            FEATURES, "property", schema("Any"), [*feature, "propertyPath"]),
        "/api/2/things/{thingId}/features/{featureId}/desiredProperties": _resource(
            FEATURES, "feature's desired properties", schema("Properties"), feature),
        "/api/2/things/{thingId}/features/{featureId}/desiredProperties/{propertyPath}": _resource(
            FEATURES, "desired property", schema("Any"), [*feature, "propertyPath"]),
        "/api/2/things/{thingId}/migrateDefinition": _migration(thing),
        "/api/2/things/{thingId}/inbox/claim": _message(MESSAGES, "Claim the thing (a message to its device)",
                                                        thing),
        "/api/2/things/{thingId}/inbox/messages/{messageSubject}": _message(
            MESSAGES, "Send a message to the thing", [*thing, "messageSubject"]),
        "/api/2/things/{thingId}/outbox/messages/{messageSubject}": _message(
            MESSAGES, "Send a message from the thing", [*thing, "messageSubject"]),
        "/api/2/things/{thingId}/features/{featureId}/inbox/messages/{messageSubject}": _message(
            MESSAGES, "Send a message to a feature", [*feature, "messageSubject"]),
        "/api/2/things/{thingId}/features/{featureId}/outbox/messages/{messageSubject}": _message(
            MESSAGES, "Send a message from a feature", [*feature, "messageSubject"]),
    }


def search_paths() -> JsonObject:
    query: list[JsonValue] = [param("filter"), param("namespaces"), param("correlationId")]
    form = body({"type": "object", "properties": {"filter": {"type": "string"}, "namespaces": {"type": "string"},
                                                  "option": {"type": "string"}, "fields": {"type": "string"}}},
                "The parameters as a form, for filters too long for a URL.",
                media_type="application/x-www-form-urlencoded", required=False)
    count = {"200": json_answer("How many things match that the caller may read.", {"type": "integer"})}
    found = {"200": json_answer("A page of the matching things the caller may read.", schema("SearchResult"))}
    return {
        "/api/2/search/things": {
            "get": operation(SEARCH, "Search things", found, parameters=[*query, param("option"), param("fields")]),
            "post": operation(SEARCH, "Search things (parameters in the body)", found, request_body=form),
        },
        "/api/2/search/things/count": {
            "get": operation(SEARCH, "Count things", count, parameters=query),
            "post": operation(SEARCH, "Count things (parameters in the body)", count, request_body=form),
        },
        "/api/2/whoami": {"get": operation("Authentication", "Who the caller is", {
            "200": json_answer("The caller's subjects.", schema("WhoAmI"))})},
    }
