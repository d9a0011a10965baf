"""The few shapes every operation of the document is made of: references to the shared components, path
parameters, request bodies and the answers; `operation` puts them together (plain data, no I/O)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from twinhub.model.types import JsonObject, JsonValue

__all__ = ["JSON", "MERGE_PATCH", "body", "json_answer", "operation", "param", "ref", "schema"]

JSON = "application/json"
MERGE_PATCH = "application/merge-patch+json"

# What every authenticated operation may answer besides its own statuses.
_COMMON_ERRORS = ("400", "401", "429")


def ref(kind: str, name: str) -> JsonObject:
    """A reference to `components/<kind>/<name>`."""
    return {"$ref": f"#/components/{kind}/{name}"}


def schema(name: str) -> JsonObject:
    return ref("schemas", name)


def param(name: str) -> JsonObject:
    return ref("parameters", name)


def body(content: JsonObject, description: str, *, media_type: str = JSON, required: bool = True) -> JsonObject:
    return {"description": description, "required": required, "content": {media_type: {"schema": content}}}


def json_answer(description: str, content: JsonObject, *, headers: Iterable[str] = ()) -> JsonObject:
    """A response with a JSON body and the named `components/headers`."""
    answer: JsonObject = {"description": description, "content": {JSON: {"schema": content}}}
    if named := {name: ref("headers", name) for name in headers}:
        answer["headers"] = dict(named)
    return answer


def operation(tag: str, summary: str, responses: Mapping[str, JsonValue], *, description: str | None = None,
              parameters: Iterable[JsonValue] = (), request_body: JsonObject | None = None,
              authenticated: bool = True) -> JsonObject:
    """One operation: its own `responses` (status -> response, or a name of `components/responses`), plus the
    errors every authenticated operation may answer; unauthenticated ones opt out of the security schemes."""
    answers: JsonObject = {status: ref("responses", answer) if isinstance(answer, str) else answer
                           for status, answer in responses.items()}
    if authenticated:
        for status in _COMMON_ERRORS:
            answers.setdefault(status, ref("responses", f"Error{status}"))
    result: JsonObject = {"tags": [tag], "summary": summary, "responses": answers}
    if description:
        result["description"] = description
    if params := list(parameters):
        result["parameters"] = params
    if request_body is not None:
        result["requestBody"] = request_body
    if not authenticated:
        result["security"] = []
    return result
