"""Ditto's OpenAPI document for the conformance tests: where it lives, which of its operations twinhub
serves, and checking one HTTP exchange against what the document says about it.

The document is Ditto's (`documentation/src/main/resources/openapi/ditto-api-2.yml` in eclipse-ditto/ditto), kept
outside this repository in `../shared/conformance/` beside the checkout (CI has it there); set
`TWINHUB_DITTO_SPEC` to use another copy. Without it the tests that need it are skipped, saying so.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import schemathesis
from schemathesis.errors import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

AUTH = ("ditto", "ditto")  # dev mode: any HTTP basic user
SPEC_ENV = "TWINHUB_DITTO_SPEC"
SPEC_IN_SHARED = Path("shared", "conformance", "ditto-api-2.yml")
SPEC_IN_DITTO = "documentation/src/main/resources/openapi/ditto-api-2.yml"
DITTO_REPOSITORY = "https://github.com/eclipse-ditto/ditto"

# The operations twinhub serves so far: the Things API, whoami, the Policies API and checkPermissions.
# Messages, claim and definition migration live under /things too, the token integration actions under
# /policies; they are not walked here (definition migration: tests/api/test_migrate_definition.py).
IN_SCOPE_PATHS = r"^/api/2/(things|whoami|policies|checkPermissions)(/|$)"
NOT_BUILT_PATHS = r"/(inbox|outbox)/|/migrateDefinition$|/actions/(activate|deactivate)TokenIntegration$"
# The two parts of the scope, each walked by a scripted scenario of its own.
THINGS_API_PATHS = r"^/api/2/(things|whoami)(/|$)"
POLICIES_API_PATHS = r"^/api/2/(policies|checkPermissions)(/|$)"

# Headers documented for a response that twinhub must always send with it (Ditto always does); other
# documented headers (`channel`, `live-channel-condition-matched`) only come with live-channel reads.
ALWAYS_SENT_HEADERS = ("etag", "location")


class SpecNotFound(Exception):
    pass


def repo_root() -> Path:
    """The checkout this file is in: the nearest ancestor holding `pyproject.toml` and `src/twinhub`."""
    here = Path(__file__).resolve()
    for directory in here.parents:
        if (directory / "pyproject.toml").is_file() and (directory / "src" / "twinhub").is_dir():
            return directory
    raise SpecNotFound(f"cannot find the twinhub checkout above {here}")


def locate_spec() -> Path:
    """Ditto's OpenAPI document: `$TWINHUB_DITTO_SPEC`, else `../shared/conformance/ditto-api-2.yml` relative
    to the checkout's root; raises SpecNotFound, saying where the document comes from, when neither is there."""
    override = os.environ.get(SPEC_ENV)
    if override:
        path = Path(override).expanduser().resolve()
        if not path.is_file():
            raise SpecNotFound(f"${SPEC_ENV} names {path}, which is not a file")
        return path
    root = repo_root()
    candidate = root.parent / SPEC_IN_SHARED
    if candidate.is_file():
        return candidate
    raise SpecNotFound(
        f"Ditto's OpenAPI document is not at {candidate} (the `shared/` folder beside the checkout {root}). It is "
        f"Ditto's published document, `{SPEC_IN_DITTO}` in {DITTO_REPOSITORY}: copy it to ../shared/conformance/ "
        f"or point ${SPEC_ENV} at a copy. It is deliberately not part of this repository."
    )


def load_spec(path: Path) -> Any:
    """Ditto's document as a schemathesis schema, with the default configuration (no project config file)."""
    return schemathesis.openapi.from_path(path, config=schemathesis.Config())


def in_scope(path: str, within: str = IN_SCOPE_PATHS) -> bool:
    return (re.search(IN_SCOPE_PATHS, path) is not None and re.search(within, path) is not None
            and re.search(NOT_BUILT_PATHS, path) is None)


def in_scope_operations(schema: Any, within: str = IN_SCOPE_PATHS) -> set[str]:
    """Labels (`METHOD /path`) of every operation the document lists for the paths twinhub serves (and that
    match `within`, e.g. `POLICIES_API_PATHS`)."""
    labels = set()
    for result in schema.get_all_operations():
        operation = result.ok()
        if in_scope(operation.path, within):
            labels.add(operation.label)
    return labels


@dataclass(frozen=True)
class SchemaViolation:
    """One JSON Schema violation in a response body: the `keyword` that failed ("type", "required", ...) and
    the property it is about: the one holding the value for "type" (None: the body itself), the missing one
    for "required". `null_only` narrows it to a JSON null value."""

    keyword: str
    property: str | None
    null_only: bool = False
    under: str | None = None  # the value lies anywhere inside this property (e.g. an item of `grant`)

    def matches(self, failure: AssertionError) -> bool:
        schema_path = list(getattr(failure, "schema_path", None) or [])
        if not schema_path or schema_path[-1] != self.keyword:
            return False
        if self.under is not None:
            return self.under in list(getattr(failure, "instance_path", None) or [])
        if self.keyword == "required":
            return f'"{self.property}" is a required property' in getattr(failure, "message", "")
        instance_path = list(getattr(failure, "instance_path", None) or [])
        if self.null_only and getattr(failure, "instance", ...) is not None:
            return False
        if self.property is None:
            return not instance_path
        return bool(instance_path) and instance_path[-1] == self.property


@dataclass(frozen=True)
class AcceptedDeviation:
    """A deliberate difference between twinhub and Ditto's document, with the reason."""

    operation: str  # its label, e.g. "GET /api/2/things/{thingId}"
    status: int
    title: str  # a part of the schemathesis failure title, e.g. "Response violates schema"
    reason: str
    with_query: str | None = None  # only for requests with this query parameter, e.g. "fields"
    # Only these schema violations (any of them); None accepts every failure with the title.
    violations: tuple[SchemaViolation, ...] | None = None


# `_revision` is a JSON number in Ditto's responses (`Thing.JsonFields.REVISION` is a Long field definition,
# `ThingRevision` a long); Ditto's document types it as a string. twinhub answers as Ditto does. The field is
# only in a response that selects it with `fields`.
_REVISION_IS_A_NUMBER = (
    "SPEC BUG: Ditto renders `_revision` as a number (Thing.JsonFields.REVISION is a Long field); its "
    "document says string. twinhub renders it as Ditto does.")
# With `fields`, Ditto returns only the selected fields (`thing.toJson(version, fieldSelector)`, likewise for
# policies): no `thingId`/`policyId` unless selected. The document's Thing and Policy schemas mark those
# required for every 200, field selection or not.
_FIELDS_SELECT_ONLY_THOSE = (
    "SPEC BUG: with `fields`, Ditto answers only the selected fields, so a selection without "
    "`thingId`/`policyId` (or `entries`) lacks them; the document's schema requires them regardless. twinhub "
    "answers as Ditto does.")
_THING_ID_PARTS = (SchemaViolation("required", "thingId"), SchemaViolation("required", "policyId"))
_POLICY_PARTS = (SchemaViolation("required", "policyId"), SchemaViolation("required", "entries"))

# Ditto keeps any string as a permission (ImmutableEffectedPermissions.fromJson: every string of `grant` and
# `revoke`; a name no check asks for grants nothing) and answers it back; the document's Permission enum lists
# READ and WRITE only. What a policy resource is answered with, wherever it is answered.
_ANY_PERMISSION_NAME = (
    "SPEC BUG: Ditto accepts and answers any permission name in `grant`/`revoke` (ImmutableEffectedPermissions "
    "keeps every string); the document's enum lists READ and WRITE. twinhub does as Ditto does.")
_POLICY_RESOURCE_ANSWERS = tuple(
    (f"{method} /api/2/policies/{{policyId}}{path}", status)
    for path in ("", "/entries", "/entries/{label}", "/entries/{label}/resources",
                 "/entries/{label}/resources/{resourcePath}")
    for method, status in (("PUT", 201), ("GET", 200)))

ACCEPTED_DEVIATIONS: tuple[AcceptedDeviation, ...] = (
    *(AcceptedDeviation(operation, status, "Response violates schema", _ANY_PERMISSION_NAME,
                        violations=(SchemaViolation("enum", None, under="grant"),
                                    SchemaViolation("enum", None, under="revoke")))
      for operation, status in _POLICY_RESOURCE_ANSWERS),
    AcceptedDeviation("GET /api/2/things/{thingId}", 200, "Response violates schema", _REVISION_IS_A_NUMBER,
                      with_query="fields", violations=(SchemaViolation("type", "_revision"),)),
    AcceptedDeviation("GET /api/2/things", 200, "Response violates schema", _REVISION_IS_A_NUMBER,
                      with_query="fields", violations=(SchemaViolation("type", "_revision"),)),
    AcceptedDeviation("GET /api/2/things/{thingId}", 200, "Response violates schema", _FIELDS_SELECT_ONLY_THOSE,
                      with_query="fields", violations=_THING_ID_PARTS),
    AcceptedDeviation("GET /api/2/things", 200, "Response violates schema", _FIELDS_SELECT_ONLY_THOSE,
                      with_query="fields", violations=_THING_ID_PARTS),
    AcceptedDeviation("GET /api/2/policies/{policyId}", 200, "Response violates schema", _FIELDS_SELECT_ONLY_THOSE,
                      with_query="fields", violations=_POLICY_PARTS),
    # Ditto takes a `null` definition as "no definition" (ThingsRoute.getDefinitionFromJson: nullDefinition), so
    # PUT null on a thing without one "creates" it: 201 with the body `null`. The document's 201 schema is the
    # definition string.
    AcceptedDeviation("PUT /api/2/things/{thingId}/definition", 201, "Response violates schema",
                      "SPEC BUG: Ditto answers PUT null on a thing without a definition with 201 and body `null` "
                      "(its null definition); the document's schema is a string. twinhub answers as Ditto does.",
                      violations=(SchemaViolation("type", None, null_only=True),)),
    # A measurement that never counted has no last message: Ditto renders `lastMessageAt` null then
    # (ImmutableMeasurement.toJson: `getLastMessageAt().map(Object::toString).orElse(null)`); the document
    # types it as a required string.
    AcceptedDeviation("GET /api/2/connections/{connectionId}/metrics", 200, "Response violates schema",
                      "SPEC BUG: Ditto renders `lastMessageAt` null for a measurement that never counted; the "
                      "document says string. twinhub answers as Ditto does.",
                      violations=(SchemaViolation("type", "lastMessageAt", null_only=True),)),
    # The document lists only 200 and 401 for checkPermissions; Ditto answers a body that is not JSON, or
    # not an object of checks, with 400 (`json.invalid`, ...) as on every route, and so does twinhub.
    AcceptedDeviation("POST /api/2/checkPermissions", 400, "Undocumented",
                      "SPEC GAP: the document omits the 400 Ditto answers for an invalid checkPermissions body."),
)


def is_accepted(operation: str, status: int, failure: AssertionError, query: Mapping[str, Any]) -> bool:
    title = getattr(failure, "title", str(failure))
    return any(
        accepted.operation == operation and accepted.status == status and accepted.title in title
        and (accepted.with_query is None or accepted.with_query in query)
        and (accepted.violations is None or any(violation.matches(failure) for violation in accepted.violations))
        for accepted in ACCEPTED_DEVIATIONS
    )


def always_sent_headers(*, exempt: Collection[str] = ()) -> Callable[..., None]:
    """A check that the ETag / Location the document lists for the response's status are in it (schemathesis
    only validates documented headers that are present: the document does not mark them required).

    `exempt` names headers that cannot be sent, like the ETag of a 412 for a resource that does not exist.
    """

    def always_sent_headers_present(ctx: Any, response: Any, case: Any) -> None:
        definition = case.operation.responses.find_by_status_code(response.status_code)
        if definition is None:
            return
        missing = [name for name, _ in definition.headers.items()
                   if name.lower() in ALWAYS_SENT_HEADERS and name.lower() not in exempt
                   and name.lower() not in response.headers]
        if missing:
            raise AssertionError(f"Documented header(s) missing from the {response.status_code} response: "
                                 + ", ".join(missing))

    return always_sent_headers_present


SCHEMA_CHECKS: list[Callable[..., Any]] = [
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

NO_BODY = object()
MERGE_PATCH = "application/merge-patch+json"
# JSON pointers and policy resource keys (`thing:/features/lamp`): their slashes stay slashes in the URL, as in
# Ditto's documentation, unless `encode_slashes` is asked for.
_PATH_LIKE_PARAMETERS = {"attributePath", "propertyPath", "resourcePath"}


def expand(template: str, parameters: Mapping[str, str], *, encode_slashes: bool = False) -> str:
    def substitute(match: re.Match[str]) -> str:
        name = match[1]
        keep_slashes = name in _PATH_LIKE_PARAMETERS and not encode_slashes
        return quote(parameters[name], safe="/" if keep_slashes else "")

    return re.sub(r"\{(\w+)\}", substitute, template)


def error_code(response: httpx.Response) -> str | None:
    """The `error` of a Ditto error body, if the response has one."""
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("error") if isinstance(body, dict) and isinstance(body.get("error"), str) else None


def _shorten(text: str, limit: int = 600) -> str:
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} characters)"


def describe_exchange(response: httpx.Response) -> str:
    request = response.request
    lines = [f"    request:  {request.method} {request.url}"]
    for name in ("content-type", "if-match", "if-none-match", "if-equal"):
        if name in request.headers:
            lines.append(f"              {name}: {request.headers[name]}")
    if "authorization" not in request.headers:
        lines.append("              (no credentials)")
    if request.content:
        lines.append(f"              body: {_shorten(request.content.decode('utf-8', 'replace'))}")
    lines.append(f"    response: {response.status_code}")
    for name in ("content-type", "etag", "location"):
        if name in response.headers:
            lines.append(f"              {name}: {response.headers[name]}")
    if response.content:
        lines.append(f"              body: {_shorten(response.content.decode('utf-8', 'replace'))}")
    return "\n".join(lines)


@dataclass
class SpecClient:
    """Sends the scenario's requests with httpx and checks every exchange against Ditto's document.

    Problems are collected, not raised, so that one run reports every deviation; `report()` lists them.
    """

    schema: Any
    http: httpx.Client
    exercised: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)

    def call(self, method: str, template: str, parameters: Mapping[str, str] | None = None, *, expect: int,
             body: Any = NO_BODY, raw: bytes | None = None, merge: bool = False,
             headers: Mapping[str, str] | None = None, query: Mapping[str, str] | None = None,
             anonymous: bool = False, target_missing: bool = False, error: str | None = None,
             encode_slashes: bool = False) -> httpx.Response:
        """`method template` with `parameters`; `body` is sent as JSON (merge patch if `merge`), `raw` as is.

        `expect` is the status the scenario means to provoke, `error` the Ditto error code it means to provoke
        (e.g. "policies:policy.modificationinvalid"); a different one is reported too.
        `target_missing` says the addressed resource does not exist, so a response cannot carry its ETag.
        `encode_slashes` percent-encodes the slashes of a resource path or JSON pointer parameter too.
        """
        parameters = dict(parameters or {})
        request_headers = dict(headers or {})
        content: bytes | None = raw
        if body is not NO_BODY:
            content = json.dumps(body).encode()
        if content is not None:
            request_headers.setdefault("Content-Type", MERGE_PATCH if merge else "application/json")
        url = expand(template, parameters, encode_slashes=encode_slashes)
        request = self.http.build_request(method, url, content=content,
                                          headers=request_headers, params=dict(query or {}))
        response = self.http.send(request, auth=None if anonymous else httpx.USE_CLIENT_DEFAULT)
        checks = [*SCHEMA_CHECKS, always_sent_headers(exempt=("etag",) if target_missing else ())]
        self.check(method, template, parameters, request_headers, dict(query or {}), response, expect, checks,
                   error=error)
        return response

    def check(self, method: str, template: str, parameters: dict[str, str], headers: dict[str, str],
              query: dict[str, str], response: httpx.Response, expect: int,
              checks: list[Callable[..., Any]], *, error: str | None = None) -> None:
        operation = self.schema[template][method]
        self.exercised.add(operation.label)
        found: list[str] = []
        if response.status_code != expect:
            found.append(f"scenario expected status {expect}, got {response.status_code}")
        if error is not None and (answered := error_code(response)) != error:
            found.append(f"scenario expected error {error!r}, got {answered!r}")
        case = operation.Case(path_parameters=parameters, headers=headers, query=query)
        try:
            case.validate_response(response, checks=checks)
        except FailureGroup as group:
            for failure in group.exceptions:
                if not is_accepted(operation.label, response.status_code, failure, query):
                    detail = failure.message.strip().replace("\n", "\n        ")
                    found.append(f"{failure.title}\n        {detail}")
        if found:
            problems = "\n".join(f"  * {item}" for item in found)
            self.problems.append(f"{operation.label} -> {response.status_code}\n{problems}\n"
                                 f"{describe_exchange(response)}")

    def call_undocumented(self, method: str, template: str, parameters: Mapping[str, str], *,
                          expect: int) -> httpx.Response:
        """A request the document has no operation for (like a method Ditto has no route for): only its
        status is checked."""
        response = self.http.request(method, expand(template, parameters))
        if response.status_code != expect:
            self.problems.append(f"{method} {template} (not in the document) -> {response.status_code}\n"
                                 f"  * scenario expected status {expect}, got {response.status_code}\n"
                                 f"{describe_exchange(response)}")
        return response

    def report(self) -> str:
        return f"{len(self.problems)} problem(s) against Ditto's OpenAPI document:\n\n" + "\n\n".join(
            self.problems)
