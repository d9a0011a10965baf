"""`POST /api/2/checkPermissions`: may the caller do this, for a batch of resources at once; and twinhub's
`POST /api/2/checkPermissions/subjects/{subjectId}`: may that subject, asked by one who may READ the policies."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from twinhub.api.body import read_json, require_json
from twinhub.api.context import context_of
from twinhub.api.responses import json_response
from twinhub.model.errors import ThingInvalid
from twinhub.model.types import JsonObject
from twinhub.service.permissions import parse_permission_checks


async def check_permissions(request: Request) -> Response:
    ctx = context_of(request)
    auth = await ctx.authenticate(request)
    require_json(request)
    checks = parse_permission_checks(await read_json(request, ctx.settings.max_request_size))
    verdicts: JsonObject = {**await ctx.permissions.check(checks, auth.subjects)}
    return json_response(verdicts)


async def check_subject_permissions(request: Request) -> Response:
    ctx = context_of(request)
    auth = await ctx.authenticate(request)
    subject = request.path_params["subject_id"]
    if not subject:
        raise ThingInvalid("The subject to check is missing: /api/2/checkPermissions/subjects/<subjectId>.")
    require_json(request)
    checks = parse_permission_checks(await read_json(request, ctx.settings.max_request_size))
    verdicts: JsonObject = {**await ctx.permissions.check_for(checks, subject, auth.subjects)}
    return json_response(verdicts)


routes = [
    Route("/api/2/checkPermissions", check_permissions, methods=["POST"]),
    Route("/api/2/checkPermissions/subjects/{subject_id:path}", check_subject_permissions, methods=["POST"]),
]
