"""The WoT routes besides the Thing Descriptions of things (those are in `twinhub.api.wot`):

    GET|HEAD /.well-known/wot                  the Thing Directory's TD (Ditto 3.9; public unless
                                               `wot_directory_auth`)
    GET      /api/2/wot/models                 the names of the models kept in twinhub     (twinhub extension)
    GET      /api/2/wot/models/{name}          one model, as stored (application/tm+json)  (any authenticated)
    PUT      /api/2/wot/models/{name}          store or replace it: 201 / 204               (admins)
    DELETE   /api/2/wot/models/{name}          204                                          (admins)

Admins are `admin_subjects` (in development mode any authenticated subject), as for connections; anyone else
gets 401 `gateway:authentication.failed`, as Ditto answers a subject that is not a devops subject.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from twinhub.api.admins import is_admin
from twinhub.api.body import read_body, require_json
from twinhub.api.responses import empty_response, json_response
from twinhub.auth import AuthContext, Authenticator
from twinhub.config import Settings
from twinhub.model.errors import AuthenticationFailed, MethodNotAllowed
from twinhub.model.json import dumps
from twinhub.model.types import JsonObject
from twinhub.wot.directory import thing_directory
from twinhub.wot.models import LocalModels

__all__ = ["STATE_KEY", "WotContext", "routes"]

STATE_KEY: Final = "twinhub.wot"
TD_JSON: Final = "application/td+json"
TM_JSON: Final = "application/tm+json"


@dataclass(frozen=True, slots=True)
class WotContext:
    settings: Settings
    authenticator: Authenticator
    models: LocalModels
    directory_template: JsonObject

    async def authenticate(self, request: Request) -> AuthContext:
        return await self.authenticator.authenticate(request.headers, request.query_params)

    async def authorize_admin(self, request: Request) -> None:
        auth = await self.authenticate(request)
        if not is_admin(self.settings, auth):
            raise AuthenticationFailed("Only admins may change the Thing Models kept in twinhub.")


def _context(request: Request) -> WotContext:
    context: WotContext = request.scope["state"][STATE_KEY]
    return context


async def well_known_wot(request: Request) -> Response:
    ctx = _context(request)
    if ctx.settings.wot_directory_auth:
        await ctx.authenticate(request)
    base = ctx.settings.wot_base_prefix or f"{request.url.scheme}://{request.url.netloc}"
    body = dumps(thing_directory(base, ctx.directory_template))
    if request.method == "HEAD":
        return Response(b"", 200, headers={"content-length": str(len(body))}, media_type=TD_JSON)
    return Response(body, 200, media_type=TD_JSON)


async def model_names(request: Request) -> Response:
    ctx = _context(request)
    await ctx.authenticate(request)
    return json_response(list(await ctx.models.names()))


async def model(request: Request) -> Response:
    ctx = _context(request)
    name = request.path_params["name"]
    if request.method in ("GET", "HEAD"):
        await ctx.authenticate(request)
        document = await ctx.models.get(name)
        return Response(b"" if request.method == "HEAD" else document, 200, media_type=TM_JSON)
    await ctx.authorize_admin(request)
    if request.method == "PUT":
        require_json(request)
        created = await ctx.models.put(name, await read_body(request, ctx.settings.max_request_size))
        if created:
            location = f"{request.url.scheme}://{request.url.netloc}/api/2/wot/models/{name}"
            return empty_response(201, {"Location": location})
        return empty_response(204)
    if request.method == "DELETE":
        await ctx.models.delete(name)
        return empty_response(204)
    raise MethodNotAllowed(request.method, ["GET", "HEAD", "PUT", "DELETE"])


routes = [
    Route("/.well-known/wot", well_known_wot, methods=["GET", "HEAD"]),
    Route("/.well-known/wot/", well_known_wot, methods=["GET", "HEAD"]),
    Route("/api/2/wot/models", model_names, methods=["GET"]),
    Route("/api/2/wot/models/{name:path}", model, methods=["GET", "HEAD", "PUT", "DELETE", "POST", "PATCH"]),
]
