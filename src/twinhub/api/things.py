"""The Things API of Ditto HTTP API v2: `/api/2/things` and every sub-resource at any depth.

Handlers parse the request into a command or query, await the thing service and render the result;
nothing else. Paths are split on the raw (still percent-encoded) path so that `%2F` stays inside its
segment until the segment is decoded.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import Scope

from twinhub.api.body import read_json, require_json, require_merge_patch
from twinhub.api.context import Context, context_of
from twinhub.api.headers import RequestHeaders, allows_policy_lockout, ditto_header, event_headers, parse_headers
from twinhub.api.messages import is_live, live_command
from twinhub.api.migration import MIGRATE_PATH, migrate_definition
from twinhub.api.paths import ALL_METHODS, check_route_segments, decode_keys, decode_thing_id, query_values
from twinhub.api.responses import json_response
from twinhub.api.search import list_things
from twinhub.api.sse import accepts_event_stream, stream_things
from twinhub.api.wot import thing_description, wants_description
from twinhub.api.writes import run_write
from twinhub.auth.context import AuthContext
from twinhub.model.commands import ThingCommand
from twinhub.model.errors import (
    MethodNotAllowed,
    ThingIdInvalid,
    ThingIdNotSettable,
    ThingIdsMissing,
)
from twinhub.model.ids import generate_thing_id, is_valid_namespace, parse_thing_id
from twinhub.model.json import dumps
from twinhub.model.metadata import DITTO_METADATA
from twinhub.model.patches import check_http_patch
from twinhub.model.pointer import parse_pointer
from twinhub.model.resources import classify
from twinhub.model.types import Pointer
from twinhub.service.patch_conditions import PATCH_CONDITIONS_HEADER, PatchCondition, parse_patch_conditions
from twinhub.service.requested_acks import WriteOutcome
from twinhub.service.thing_reads import read_thing
from twinhub.service.views import (
    project_things,
)

PREFIX = b"/api/2/things/"


# Under these keys the rest of the path is a JSON pointer into the value (400 `json.pointer.invalid` when it has
# an empty key); above them each segment is a route of Ditto's ThingsRoute / FeaturesRoute.
_POINTER_PARENTS = ("attributes", "properties", "desiredProperties")


def _route_keys(keys: list[str]) -> list[str]:
    """The leading `keys` (after the thing id) that Ditto's routes match segment by segment."""
    if keys[:1] == ["attributes"]:
        return keys[:1]
    if keys[:1] == ["features"] and len(keys) > 2 and keys[2] in _POINTER_PARENTS:
        return keys[:3]
    return keys


def parse_thing_path(raw_path: bytes) -> tuple[str, Pointer]:
    """Thing id and pointer from a raw `/api/2/things/{thingId}/...` path, each segment decoded alone.

    An empty segment where Ditto's routes expect one (`/things//x`, `.../features//`, `{thingId}//attributes`)
    is 404 `gateway:resource.notfound` (`check_route_segments`)."""
    segments = raw_path[len(PREFIX):].decode("latin-1").split("/")
    check_route_segments(raw_path, segments, 1 + len(_route_keys(segments[1:])))
    thing_id = decode_thing_id(segments[0])
    parse_thing_id(thing_id)
    return thing_id, parse_pointer("/".join(decode_keys(segments[1:])))


async def things_root(request: Request) -> Response:
    ctx = context_of(request)
    auth = await ctx.authenticate(request)
    if request.method == "GET" and accepts_event_stream(request):
        return await stream_things(request, ctx, auth, None, ())
    headers = parse_headers(request)
    if request.method == "GET":
        return await _retrieve_many(request, ctx, auth, headers)
    if request.method == "POST":
        return await _create_with_generated_id(request, ctx, auth, headers)
    raise MethodNotAllowed(request.method, ["GET", "POST"])


async def _retrieve_many(request: Request, ctx: Context, auth: AuthContext, headers: RequestHeaders) -> Response:
    if "ids" not in request.query_params:
        return await list_things(request, ctx, auth.subjects, headers.fields)
    text = query_values(request, "ids", ThingIdInvalid)[-1]
    ids = [thing_id.strip() for thing_id in text.split(",") if thing_id.strip()]
    if not ids:
        raise ThingIdsMissing()
    for thing_id in ids:
        parse_thing_id(thing_id)
    found = await ctx.things.retrieve_many(ids, auth.subjects)
    return json_response(await project_things(ctx.policies, found, headers.fields, auth.subjects))


async def _create_with_generated_id(request: Request, ctx: Context, auth: AuthContext,
                                    headers: RequestHeaders) -> Response:
    require_json(request)
    body = await read_json(request, ctx.settings.max_request_size, empty={})
    if isinstance(body, dict) and "thingId" in body:
        raise ThingIdNotSettable("The Thing ID must not be set in the body when creating a Thing via POST.")
    namespace = request.query_params.get("namespace", ctx.settings.default_namespace)
    if not is_valid_namespace(namespace):
        raise ThingIdInvalid(f"{namespace}:<generated>")
    thing_id = str(generate_thing_id(namespace))
    command = ThingCommand("modify", thing_id, (), body, headers.if_equal)
    return await run_write(ctx, _execute(ctx, command, auth, headers, request), headers, request=request,
                           location_path="/api/2/things/" + quote(thing_id, safe=":"), subscriber_acks=True,
                           entity_id=thing_id)


async def thing_resource(request: Request) -> Response:
    if request.scope["raw_path"] == PREFIX:
        return await things_root(request)  # Ditto's `/things` route takes one trailing slash (pathEndOrSingleSlash)
    ctx = context_of(request)
    auth = await ctx.authenticate(request)
    thing_id, path = parse_thing_path(request.scope["raw_path"])
    if request.method == "GET" and accepts_event_stream(request):
        return await stream_things(request, ctx, auth, thing_id, path)
    headers = parse_headers(request)
    if path == MIGRATE_PATH:
        return await migrate_definition(request, ctx, auth, thing_id, headers)
    if is_live(request):
        return await live_command(request, ctx, auth, thing_id, path, headers,
                                  twin=lambda: _retrieve(ctx, auth, thing_id, path, headers))
    method = request.method
    patch_conditions: tuple[PatchCondition, ...] = ()
    if method == "GET":
        if wants_description(request, path):
            return await thing_description(request, ctx, auth, thing_id, path)
        return await _retrieve(ctx, auth, thing_id, path, headers)
    if method == "PUT":
        require_json(request)
        value = await read_json(request, ctx.settings.max_request_size)
        command = ThingCommand("modify", thing_id, path, value, headers.if_equal)
    elif method == "PATCH":
        require_merge_patch(request)
        value = await read_json(request, ctx.settings.max_request_size)
        check_http_patch(classify(path), value)
        command = ThingCommand("merge", thing_id, path, value, headers.if_equal)
        text = ditto_header(request, PATCH_CONDITIONS_HEADER)
        patch_conditions = () if text is None else parse_patch_conditions(text)
    elif method == "DELETE":
        command = ThingCommand("delete", thing_id, path)
    else:
        raise MethodNotAllowed(method, ["GET", "PUT", "PATCH", "DELETE"])
    return await run_write(ctx, _execute(ctx, command, auth, headers, request, patch_conditions), headers,
                           request=request, subscriber_acks=True, entity_id=thing_id)


async def _execute(ctx: Context, command: ThingCommand, auth: AuthContext, headers: RequestHeaders,
                   request: Request, patch_conditions: Sequence[PatchCondition] = ()) -> WriteOutcome:
    lockout = allows_policy_lockout(request)
    executed = await ctx.things.execute(command, auth.subjects, preconditions=headers.preconditions,
                                        allow_policy_lockout=lockout, condition=headers.condition,
                                        headers=event_headers(headers, auth), history_time=headers.history_time,
                                        patch_conditions=patch_conditions, metadata=headers.metadata)
    return WriteOutcome(executed.applied.created, executed.applied.created_value, executed.etag)


async def _retrieve(ctx: Context, auth: AuthContext, thing_id: str, path: Pointer,
                    headers: RequestHeaders) -> Response:
    read = await read_thing(ctx.things, ctx.policies, thing_id, path, auth.subjects, fields=headers.fields,
                            metadata=headers.metadata, preconditions=headers.preconditions,
                            condition=headers.condition, revision=headers.at_revision,
                            timestamp=headers.at_timestamp)
    response_headers = {"ETag": read.etag}
    if read.metadata is not None:
        response_headers[DITTO_METADATA] = dumps(read.metadata).decode()
    if headers.correlation_id:
        response_headers["correlation-id"] = headers.correlation_id
    return json_response(read.value, 200, response_headers)


class _ThingResourceShortcut(Route):
    """The route of `thing_resource`, for a path no route before it in the application can take: one without an
    `/inbox/` or `/outbox/` segment, which every route of the messages API has. Listed first, it spares the most
    common requests a dozen regular expressions; any other path falls through to the routes in their order."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        path: str = scope.get("path", "")
        if "/inbox/" in path or "/outbox/" in path:
            return Match.NONE, {}
        return super().matches(scope)


# Every method reaches the handlers, which answer Ditto's 405 for the ones a resource lacks.
RESOURCE_PATH = "/api/2/things/{rest:path}"
shortcut = _ThingResourceShortcut(RESOURCE_PATH, thing_resource, methods=ALL_METHODS)
routes = [
    Route("/api/2/things", things_root, methods=ALL_METHODS),
    Route(RESOURCE_PATH, thing_resource, methods=ALL_METHODS),
]
