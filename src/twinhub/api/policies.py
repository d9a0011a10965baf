"""The Policies API of Ditto HTTP API v2: `/api/2/policies/{policyId}` and its sub-resources.

A resource key such as `thing:/features/lamp` spans several URL segments but is one key of the policy
(`entries/{label}/resources/{type:/path}`); everything else is one key per segment.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from twinhub.api.body import read_json, require_json
from twinhub.api.context import Context, context_of
from twinhub.api.headers import RequestHeaders, allows_policy_lockout, parse_headers
from twinhub.api.paths import ALL_METHODS, check_route_segments, decode_keys, decode_policy_id
from twinhub.api.responses import json_response
from twinhub.api.writes import run_write
from twinhub.auth.context import AuthContext
from twinhub.model.errors import MethodNotAllowed, PolicyIdNotSettable
from twinhub.model.fields import select
from twinhub.model.ids import generate_policy_id, parse_policy_id
from twinhub.model.policy import PolicyCommand, normalize_policy_path, parse_policy_path, policy_route_keys
from twinhub.model.types import Pointer
from twinhub.service.requested_acks import WriteOutcome

PREFIX = b"/api/2/policies/"


def split_policy_path(raw_path: bytes) -> tuple[str, Pointer]:
    """Policy id and pointer from a raw `/api/2/policies/{policyId}/...` path; an empty segment where Ditto's
    routes expect one (`/policies//x`, `{policyId}//entries`, `entries//subjects`) is 404
    `gateway:resource.notfound` (`check_route_segments`)."""
    segments = raw_path[len(PREFIX):].decode("latin-1").split("/")
    check_route_segments(raw_path, segments, 1 + policy_route_keys(segments[1:]))
    policy_id = decode_policy_id(segments[0])
    parse_policy_id(policy_id)
    return policy_id, normalize_policy_path(parse_policy_path("/".join(decode_keys(segments[1:]))))


async def policies_root(request: Request) -> Response:
    """`/api/2/policies` (one trailing slash too: PoliciesRoute.policies, `pathEndOrSingleSlash`) takes a POST only,
    which creates the policy in its body under a generated id (`:<uuid>`, PolicyId.generateRandom)."""
    ctx = context_of(request)
    auth = await ctx.authenticate(request)
    if request.method != "POST":
        raise MethodNotAllowed(request.method, ["POST"])
    headers = parse_headers(request)
    require_json(request)
    value = await read_json(request, ctx.settings.max_request_size)
    if isinstance(value, dict) and "policyId" in value:
        raise PolicyIdNotSettable(for_post=True)
    policy_id = str(generate_policy_id())
    command = PolicyCommand("modify", policy_id, (), value, allows_policy_lockout(request))
    return await run_write(ctx, _execute(ctx, command, auth, headers), headers, request=request,
                           location_path="/api/2/policies/" + quote(policy_id, safe=":"))


async def policy_resource(request: Request) -> Response:
    if request.scope["raw_path"] == PREFIX:
        return await policies_root(request)
    ctx = context_of(request)
    auth = await ctx.authenticate(request)
    policy_id, path = split_policy_path(request.scope["raw_path"])
    headers = parse_headers(request)
    if request.method == "GET":
        return await _retrieve(ctx, auth, policy_id, path, headers)
    if request.method == "PUT":
        require_json(request)
        value = await read_json(request, ctx.settings.max_request_size)
        lockout = allows_policy_lockout(request)
        command = PolicyCommand("modify", policy_id, path, value, lockout)
    elif request.method == "DELETE":
        command = PolicyCommand("delete", policy_id, path)
    else:
        raise MethodNotAllowed(request.method, ["GET", "PUT", "DELETE"])
    return await run_write(ctx, _execute(ctx, command, auth, headers), headers, request=request)


async def _execute(ctx: Context, command: PolicyCommand, auth: AuthContext, headers: RequestHeaders) -> WriteOutcome:
    result = await ctx.policies.execute(command, auth.subjects, preconditions=headers.preconditions)
    return WriteOutcome(result.created, result.value, result.etag)


async def _retrieve(ctx: Context, auth: AuthContext, policy_id: str, path: Pointer,
                    headers: RequestHeaders) -> Response:
    _policy, value, etag = await ctx.policies.retrieve(policy_id, path, auth.subjects,
                                                       preconditions=headers.preconditions,
                                                       revision=headers.at_revision, timestamp=headers.at_timestamp)
    if headers.fields is not None and isinstance(value, dict):
        value = select(value, headers.fields)
    response_headers = {"ETag": etag}
    if headers.correlation_id:
        response_headers["correlation-id"] = headers.correlation_id
    return json_response(value, 200, response_headers)


routes = [
    Route("/api/2/policies", policies_root, methods=ALL_METHODS),
    Route("/api/2/policies/{rest:path}", policy_resource, methods=ALL_METHODS),
]
