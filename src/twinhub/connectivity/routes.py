"""Ditto's connections API, `/api/2/connections` (plain Starlette; errors render through the HTTP API's one
handler):

    GET    /api/2/connections[?ids-only=true][&fields=...]     every connection (or their ids)
    POST   /api/2/connections[?dry-run=true]                   create (201, id generated) or test (200)
    GET    /api/2/connections/{id}[?fields=...]                one connection (ETag "rev:N")
    PUT    /api/2/connections/{id}                             modify an existing one (204)
    DELETE /api/2/connections/{id}                             delete (204)
    POST   /api/2/connections/{id}/command                     text/plain connectivity.commands:... (200)
    GET    /api/2/connections/{id}/status|metrics|logs         what the connection runtime knows

Only admins may (`admin_subjects`; in development mode any authenticated subject), as only Ditto's devops
subjects may; anyone else gets Ditto's answer, 401 `gateway:authentication.failed`. A connection is
returned as stored, credentials in its URI included (as Ditto does): it is for admins only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from twinhub.api.admins import authorize_admin
from twinhub.api.body import read_body, read_json, require_json
from twinhub.api.headers import parse_bool
from twinhub.api.responses import empty_response, json_response
from twinhub.auth import AuthContext, Authenticator
from twinhub.config import Settings
from twinhub.connectivity.model import Connection, parse_connection_id
from twinhub.connectivity.service import ConnectionService, etag
from twinhub.model.errors import MediaTypeUnsupported, MethodNotAllowed
from twinhub.model.etag import Preconditions
from twinhub.model.fields import FieldSelector, parse_fields, select
from twinhub.model.types import JsonObject, JsonValue

__all__ = ["STATE_KEY", "ConnectivityContext", "routes"]

STATE_KEY: Final = "twinhub.connectivity"
MAX_COMMAND_BYTES: Final = 1024  # the longest command is 46 characters


@dataclass(frozen=True, slots=True)
class ConnectivityContext:
    settings: Settings
    authenticator: Authenticator
    service: ConnectionService

    async def authorize(self, request: Request) -> AuthContext:
        """The request's subjects if they may manage connections (`twinhub.api.admins`)."""
        return await authorize_admin(self.authenticator, self.settings, request)


def _context(request: Request) -> ConnectivityContext:
    context: ConnectivityContext = request.scope["state"][STATE_KEY]
    return context


def _fields(request: Request) -> FieldSelector | None:
    texts = request.query_params.getlist("fields")
    return parse_fields(",".join(texts)) if texts else None


def _preconditions(request: Request) -> Preconditions:
    return Preconditions(request.headers.get("if-match"), request.headers.get("if-none-match"))


def _headers(request: Request, connection: Connection | None = None) -> dict[str, str]:
    """The response's headers: the request's correlation-id echoed, and the connection's ETag."""
    headers = _event_headers(request)
    if connection is not None:
        headers["ETag"] = etag(connection)
    return headers


def _view(connection: Connection, fields: FieldSelector | None) -> JsonObject:
    return connection.to_json() if fields is None else select(connection.to_json(special=True), fields)


_READS: Final = frozenset({"GET", "HEAD"})  # Starlette routes HEAD wherever GET is allowed


async def connections(request: Request) -> Response:
    ctx = _context(request)
    await ctx.authorize(request)
    if request.method in _READS:
        fields = _fields(request)
        ids_text = request.query_params.get("ids-only")
        # As Ditto: without `ids-only`, asking for the field `id` alone means ids only.
        ids_only = parse_bool("ids-only", ids_text) if ids_text is not None else (
            fields is not None and fields.pointers == (("id",),))
        listed: list[JsonValue]
        if ids_only:
            listed = list(await ctx.service.retrieve_ids())
        else:
            listed = [_view(connection, fields) for connection in await ctx.service.retrieve_all()]
        return json_response(listed, 200, _headers(request))
    require_json(request)
    value = await read_json(request, ctx.settings.max_request_size)
    if parse_bool("dry-run", request.query_params.get("dry-run", "false")):
        return json_response(await ctx.service.test(value), 200, _headers(request))
    created = await ctx.service.create(value, headers=_event_headers(request))
    location = f"{request.url.scheme}://{request.url.netloc}/api/2/connections/{created.id}"
    return json_response(created.to_json(), 201, {**_headers(request, created), "Location": location})


async def connection(request: Request) -> Response:
    ctx = _context(request)
    await ctx.authorize(request)
    connection_id = parse_connection_id(request.path_params["connection_id"])
    if request.method in _READS:
        found = await ctx.service.retrieve(connection_id, preconditions=_preconditions(request))
        return json_response(_view(found, _fields(request)), 200, _headers(request, found))
    if request.method == "PUT":
        require_json(request)
        value = await read_json(request, ctx.settings.max_request_size)
        modified = await ctx.service.modify(connection_id, value, preconditions=_preconditions(request),
                                            headers=_event_headers(request))
        return empty_response(204, _headers(request, modified))
    if request.method == "DELETE":
        await ctx.service.delete(connection_id, preconditions=_preconditions(request),
                                 headers=_event_headers(request))
        return empty_response(204, _headers(request))
    raise MethodNotAllowed(request.method, ["GET", "HEAD", "PUT", "DELETE"])  # never a change by default


async def command(request: Request) -> Response:
    ctx = _context(request)
    await ctx.authorize(request)
    connection_id = parse_connection_id(request.path_params["connection_id"])
    media_type = (request.headers.get("content-type") or "text/plain").split(";", 1)[0].strip().lower()
    if media_type != "text/plain":
        raise MediaTypeUnsupported(media_type, "text/plain")
    text = (await read_body(request, MAX_COMMAND_BYTES)).decode("utf-8", "replace")
    await ctx.service.command(connection_id, text, headers=_event_headers(request))
    return empty_response(200, _headers(request))


async def status(request: Request) -> Response:
    return await _report(request, ConnectionService.status)


async def metrics(request: Request) -> Response:
    return await _report(request, ConnectionService.metrics)


async def logs(request: Request) -> Response:
    return await _report(request, ConnectionService.logs)


async def _report(request: Request, read: Callable[[ConnectionService, str], Awaitable[JsonObject]]) -> Response:
    """What the runtime reports of one connection (its status, metrics or logs), as JSON."""
    ctx = _context(request)
    await ctx.authorize(request)
    answer = await read(ctx.service, parse_connection_id(request.path_params["connection_id"]))
    return json_response(answer, 200, _headers(request))


def _event_headers(request: Request) -> dict[str, str]:
    """The headers a change's event carries: the request's correlation-id."""
    correlation_id = request.headers.get("correlation-id")
    return {"correlation-id": correlation_id} if correlation_id else {}


routes = [
    Route("/api/2/connections", connections, methods=["GET", "POST"]),
    Route("/api/2/connections/{connection_id}", connection, methods=["GET", "PUT", "DELETE"]),
    Route("/api/2/connections/{connection_id}/command", command, methods=["POST"]),
    Route("/api/2/connections/{connection_id}/status", status, methods=["GET"]),
    Route("/api/2/connections/{connection_id}/metrics", metrics, methods=["GET"]),
    Route("/api/2/connections/{connection_id}/logs", logs, methods=["GET"]),
]
