"""`POST /api/2/checkPermissions`: may the caller do this, for a batch of resources at once."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from twinhub.api.body import read_json, require_json
from twinhub.api.context import context_of
from twinhub.api.responses import json_response
from twinhub.model.types import JsonObject
from twinhub.service.permissions import parse_permission_checks


async def check_permissions(request: Request) -> Response:
    ctx = context_of(request)
    auth = await ctx.authenticate(request)
    require_json(request)
    checks = parse_permission_checks(await read_json(request, ctx.settings.max_request_size))
    verdicts: JsonObject = {**await ctx.permissions.check(checks, auth.subjects)}
    return json_response(verdicts)


routes = [Route("/api/2/checkPermissions", check_permissions, methods=["POST"])]
