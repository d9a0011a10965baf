"""`POST /api/2/checkPermissions`: may the caller do this, for a batch of resources at once."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from twinhub.api.body import read_json, require_json
from twinhub.api.context import Context, context_of
from twinhub.api.responses import json_response
from twinhub.model.errors import ThingInvalid, TwinhubError
from twinhub.model.ids import parse_policy_id, parse_thing_id
from twinhub.model.pointer import parse_pointer
from twinhub.model.policy import PERMISSIONS, RESOURCE_TYPES
from twinhub.model.types import JsonObject, JsonValue


async def check_permissions(request: Request) -> Response:
    ctx = context_of(request)
    try:
        auth = await ctx.authenticate(request)
        require_json(request)
        body = await read_json(request, ctx.settings.max_request_size)
        if not isinstance(body, dict):
            raise ThingInvalid("The body of checkPermissions must be a JSON object of named checks.")
        result: JsonObject = {}
        for name, check in body.items():
            result[name] = await _check(ctx, auth.subjects, check)
        return json_response(result)
    except TwinhubError as error:
        return ctx.render_error(error, request)


async def _check(ctx: Context, subjects: tuple[str, ...], check: JsonValue) -> bool:
    """True when the subjects hold every permission, unrestricted, on the resource of the entity."""
    if not isinstance(check, dict):
        raise ThingInvalid("Each permission check must be an object with resource, entityId, hasPermissions.")
    resource, entity_id, permissions = check.get("resource"), check.get("entityId"), check.get("hasPermissions")
    if not isinstance(resource, str) or not isinstance(entity_id, str) or not isinstance(permissions, list):
        raise ThingInvalid("A permission check needs 'resource', 'entityId' and 'hasPermissions'.")
    resource_type, sep, path_text = resource.partition(":")
    if not sep or resource_type not in RESOURCE_TYPES or not path_text.startswith("/"):
        raise ThingInvalid(f"The resource '{resource}' is not '<thing|message|policy>:/<path>'.")
    if not permissions or any(permission not in PERMISSIONS for permission in permissions):
        raise ThingInvalid(f"'hasPermissions' must list some of {', '.join(PERMISSIONS)}.")
    path = parse_pointer(path_text)
    if resource_type == "policy":
        enforcer = await ctx.policies.enforcer(str(parse_policy_id(entity_id)))
    else:
        enforcer = await ctx.things.enforcer(str(parse_thing_id(entity_id)))
    wanted = [str(permission) for permission in permissions]
    return enforcer is not None and enforcer.has_unrestricted(subjects, resource_type, path, wanted)


routes = [Route("/api/2/checkPermissions", check_permissions, methods=["POST"])]
