"""The Policies API's paths and `checkPermissions`, with the methods Ditto's `ditto-api-2.yml` lists for each."""

from __future__ import annotations

from twinhub.api.openapi.build import body, json_answer, operation, param, ref, schema
from twinhub.model.types import JsonObject, JsonValue

__all__ = ["policies_paths"]

POLICIES = "Policies"
_ENTRY = "/entries/{label}"
_IMPORT = "/imports/{importedPolicyId}"
_STRINGS: JsonObject = {"type": "array", "items": {"type": "string"}}

# Path below /api/2/policies/{policyId} -> (what it is, its JSON, its methods).
_PARTS: dict[str, tuple[str, JsonObject, str]] = {
    "": ("policy", schema("Policy"), "get put delete"),
    "/entries": ("policy's entries", schema("PolicyEntries"), "get put"),
    _ENTRY: ("policy entry", schema("PolicyEntry"), "get put delete"),
    _ENTRY + "/subjects": ("entry's subjects", schema("Subjects"), "get put"),
    _ENTRY + "/subjects/{subjectId}": ("subject", schema("Subject"), "get put delete"),
    _ENTRY + "/resources": ("entry's resources", schema("Resources"), "get put"),
    _ENTRY + "/resources/{resourcePath}": ("resource", schema("Resource"), "get put delete"),
    _ENTRY + "/allowedAdditions": ("entry's allowed additions", _STRINGS, "get put delete"),  # DELETE: Ditto 3.9
    _ENTRY + "/namespaces": ("entry's namespaces", _STRINGS, "get put"),
    _ENTRY + "/importable": ("entry's importable", {"type": "string", "enum": ["implicit", "explicit", "never"]},
                             "get put"),
    _ENTRY + "/references": ("entry's references", {"type": "array", "items": {"type": "object"}},
                             "get put delete"),
    "/imports": ("policy's imports", {"type": "object", "additionalProperties": True}, "get put delete"),
    _IMPORT: ("import", {"type": "object", "additionalProperties": True}, "get put delete"),
    _IMPORT + "/entries": ("labels imported", _STRINGS, "get put"),
    _IMPORT + "/transitiveImports": ("transitive imports", _STRINGS, "get put"),
}
# Writes that Ditto refuses with 409 when entry references would point nowhere (`policies:entry.referenceconflict`,
# `policies:import.referenceconflict`): deleting a referenced entry or import, narrowing or marking it so.
_REFERENCE_CONFLICTS = {(_ENTRY, "delete"), (_ENTRY + "/importable", "put"), ("/imports", "put"),
                        ("/imports", "delete"), (_IMPORT, "put"), (_IMPORT, "delete"), (_IMPORT + "/entries", "put")}


def _item(path: str, noun: str, value: JsonObject, methods: str) -> JsonObject:
    headers: list[JsonValue] = [param("ifMatch"), param("ifNoneMatch"), param("correlationId")]
    item: JsonObject = {"parameters": [param(name.strip("{}")) for name in ("{policyId}" + path).split("/")
                                       if name.startswith("{")]}
    answers: dict[str, dict[str, JsonValue]] = {
        "get": {"200": json_answer(f"The {noun}.", value, headers=("ETag",)), "304": "NotModified",
                "404": "Error404", "412": "Error412"},
        "put": {"201": json_answer(f"Created the {noun}.", value, headers=("ETag", "Location")),
                "204": {"description": f"Modified the {noun}.", "headers": {"ETag": ref("headers", "ETag")}},
                "403": "Error403", "404": "Error404", "412": "Error412", "413": "Error413"},
        "delete": {"204": "Empty", "403": "Error403", "404": "Error404", "412": "Error412"},
    }
    summaries = {"get": f"Retrieve the {noun}", "put": f"Create or replace the {noun}", "delete": f"Delete the {noun}"}
    for method in methods.split():
        conflict = {"409": "Error409"} if (path, method) in _REFERENCE_CONFLICTS else {}
        item[method] = operation(POLICIES, summaries[method], {**answers[method], **conflict},
                                 parameters=[param("fields"), *headers] if method == "get" else headers,
                                 request_body=body(value, f"The new {noun}.") if method == "put" else None)
    return item


def policies_paths() -> JsonObject:
    paths: JsonObject = {"/api/2/policies": {"post": operation(POLICIES, "Create a policy with a generated id", {
        "201": json_answer("Created the policy (its id: the empty namespace and a UUID).", schema("Policy"),
                           headers=("Location",)),
        "202": "Accepted", "403": "Error403", "413": "Error413"},
        parameters=[param("correlationId")],
        request_body=body(schema("Policy"), "The policy (without policyId)."))}}
    paths.update({f"/api/2/policies/{{policyId}}{path}": _item(path, *part) for path, part in _PARTS.items()})
    paths["/api/2/checkPermissions"] = {"post": operation(
        POLICIES, "Check permissions on resources of several entities", {
            "200": json_answer("For each named check: whether the caller has the permissions.",
                               schema("PermissionResults"))},
        request_body=body(schema("PermissionCheck"), "Named checks: a resource, its entity and permissions."))}
    paths["/api/2/checkPermissions/subjects/{subjectId}"] = {"parameters": [param("subjectId")], "post": operation(
        POLICIES, "Check another subject's permissions (twinhub)", {
            "200": json_answer("For each named check: whether the subject has the permissions.",
                               schema("PermissionResults")),
            "404": "Error404"},
        description="A twinhub extension: the checks of `/api/2/checkPermissions` evaluated for the subject "
        "`subjectId` alone. The caller must have READ on the `entries` of every policy concerned (the thing's "
        "for `thing:` and `message:` resources, and each policy it imports); otherwise 404 for that entity.",
        request_body=body(schema("PermissionCheck"), "Named checks: a resource, its entity and permissions."))}
    return paths
