"""`POST /api/2/things/{thingId}/migrateDefinition` (Ditto 3.7+, `gateway/.../routes/things/ThingsRoute.java`
`thingsEntryMigrateDefinition`): 200 with `{"thingId", "patch", "mergeStatus": "APPLIED"}`, or for a dry run
(`dry-run` header or query parameter) 202 with `"mergeStatus": "DRY_RUN"` and nothing written
(`MigrateThingDefinitionResponse.applied` / `dryRun`)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from twinhub.api.body import read_json, require_json
from twinhub.api.context import Context
from twinhub.api.headers import RequestHeaders, ditto_header, event_headers
from twinhub.api.responses import empty_response, json_response
from twinhub.auth.context import AuthContext
from twinhub.model.errors import MethodNotAllowed, ResourceNotFound
from twinhub.model.headers import parse_bool

__all__ = ["MIGRATE_PATH", "migrate_definition"]

MIGRATE_PATH = ("migrateDefinition",)
DRY_RUN = "dry-run"


async def migrate_definition(request: Request, ctx: Context, auth: AuthContext, thing_id: str,
                             headers: RequestHeaders) -> Response:
    if ctx.migration is None:  # no Thing Model resolver in this deployment
        raise ResourceNotFound(request.url.path)
    if request.method != "POST":
        raise MethodNotAllowed(request.method, ["POST"])
    require_json(request)
    body = await read_json(request, ctx.settings.max_request_size)
    text = ditto_header(request, DRY_RUN)
    dry_run = parse_bool(DRY_RUN, text) if text is not None else False
    migrated = await ctx.migration.migrate(thing_id, body, auth.subjects, dry_run=dry_run,
                                           headers=event_headers(headers, auth), preconditions=headers.preconditions)
    response_headers: dict[str, str] = {}
    if headers.correlation_id:
        response_headers["correlation-id"] = headers.correlation_id
    if migrated.etag is not None:
        response_headers["ETag"] = migrated.etag
    status = 200 if migrated.applied else 202
    if not headers.response_required:
        return empty_response(202, response_headers)
    return json_response({"thingId": thing_id, "patch": migrated.patch,
                          "mergeStatus": "APPLIED" if migrated.applied else "DRY_RUN"}, status, response_headers)
