"""The devices API, `/api/2/devices`: the identities the MQTT device endpoint logs devices in with (a twinhub
extension; Ditto has no device registry, Hono's is the model):

    GET    /api/2/devices[?limit=N][&from=ID]      device ids after `from`, sorted; `nextFrom` while more follow
    GET    /api/2/devices/{deviceId}               one device
    PUT    /api/2/devices/{deviceId}               register it: 201 with its password, shown only then
    POST   /api/2/devices/{deviceId}/password      a new password (200, shown only then); the old one fails at once
    DELETE /api/2/devices/{deviceId}               remove it (204): it can log in no more

A device is `{"deviceId": "<thingId>", "subject": "device:<thingId>"}`. PUT and POST generate the password
(as `twinhub device add` does) unless the body chooses one, `{"password": "..."}`; an answer carrying a
password is `Cache-Control: no-store`, and the password is nowhere else (the store keeps its argon2 hash).
Only admins may (`twinhub.api.admins`), as for connections.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from twinhub.api.admins import authorize_admin
from twinhub.api.body import read_json, require_json
from twinhub.api.responses import empty_response, json_response
from twinhub.auth import Authenticator
from twinhub.config import Settings
from twinhub.model.errors import DevicePasswordInvalid, JsonInvalid, MethodNotAllowed, RequestInvalid
from twinhub.model.ids import MAX_ID_LENGTH
from twinhub.model.types import JsonObject
from twinhub.service.devices import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Device, DeviceService, IssuedCredentials

__all__ = ["MAX_BODY_BYTES", "STATE_KEY", "DevicesContext", "routes"]

STATE_KEY: Final = "twinhub.devices"
# `{"password": ...}` with the longest password (1024 characters), each escaped as `\uXXXX` at worst.
MAX_BODY_BYTES: Final = 8 * 1024
_NO_STORE: Final = {"Cache-Control": "no-store"}


@dataclass(frozen=True, slots=True)
class DevicesContext:
    settings: Settings
    authenticator: Authenticator
    service: DeviceService


def _context(request: Request) -> DevicesContext:
    context: DevicesContext = request.scope["state"][STATE_KEY]
    return context


async def _authorized(request: Request) -> DevicesContext:
    ctx = _context(request)
    await authorize_admin(ctx.authenticator, ctx.settings, request)
    return ctx


async def devices(request: Request) -> Response:
    ctx = await _authorized(request)
    page = await ctx.service.page(_from(request), _limit(request))
    listed: JsonObject = {"devices": [_view(device) for device in page.devices]}
    if page.next_from is not None:
        listed["nextFrom"] = page.next_from
    return json_response(listed, 200, _headers(request))


async def device(request: Request) -> Response:
    ctx = await _authorized(request)
    device_id = request.path_params["device_id"]
    if request.method in ("GET", "HEAD"):
        return json_response(_view(await ctx.service.retrieve(device_id)), 200, _headers(request))
    if request.method == "PUT":
        password = await _chosen_password(request)
        issued = await ctx.service.create(device_id, password)
        # The request's own path, still percent-encoded: a thing id may hold a space.
        location = f"{request.url.scheme}://{request.url.netloc}{request.scope['raw_path'].decode('latin-1')}"
        return _issued(request, issued, 201, Location=location)
    if request.method == "DELETE":
        await ctx.service.delete(device_id)
        return empty_response(204, _headers(request))
    raise MethodNotAllowed(request.method, ["GET", "HEAD", "PUT", "DELETE"])


async def password(request: Request) -> Response:
    ctx = await _authorized(request)
    chosen = await _chosen_password(request)
    return _issued(request, await ctx.service.reset_password(request.path_params["device_id"], chosen), 200)


def _view(device: Device) -> JsonObject:
    return {"deviceId": device.device_id, "subject": device.subject}


def _issued(request: Request, issued: IssuedCredentials, status: int, **headers: str) -> Response:
    body = {**_view(issued.device), "password": issued.password}
    return json_response(body, status, {**_headers(request), **_NO_STORE, **headers})


async def _chosen_password(request: Request) -> str | None:
    """The password a body `{"password": "..."}` chooses; None (generate one) for an empty body or `{}`."""
    require_json(request)
    body = await read_json(request, MAX_BODY_BYTES, empty={})
    if not isinstance(body, dict):
        raise JsonInvalid("The body must be a JSON object, {\"password\": \"...\"}, or empty.")
    unknown = sorted(set(body) - {"password"})
    if unknown:
        raise JsonInvalid(f"The body may only set 'password'; it also has '{unknown[0][:100]}'.")
    chosen = body.get("password")
    if chosen is not None and not isinstance(chosen, str):
        raise DevicePasswordInvalid("it is no string")
    return chosen


def _limit(request: Request) -> int:
    text = request.query_params.get("limit")
    if text is None:
        return DEFAULT_PAGE_SIZE
    if not (len(text) <= 3 and text.isascii() and text.isdigit() and 1 <= int(text) <= MAX_PAGE_SIZE):
        raise RequestInvalid(f"The query parameter 'limit' must be a number from 1 to {MAX_PAGE_SIZE}.",
                             f"It was '{text[:20]}'.")
    return int(text)


def _from(request: Request) -> str:
    after = request.query_params.get("from", "")
    if len(after) > MAX_ID_LENGTH:
        raise RequestInvalid(f"The query parameter 'from' must be a device ID, at most {MAX_ID_LENGTH} characters.")
    # No device id holds a control character, and PostgreSQL cannot compare a NUL: refused, not sent on.
    if any(character < " " or character == "\x7f" for character in after):
        raise RequestInvalid("The query parameter 'from' must be a device ID: it has a control character.")
    return after


def _headers(request: Request) -> dict[str, str]:
    """The request's correlation-id, echoed."""
    correlation_id = request.headers.get("correlation-id")
    return {"correlation-id": correlation_id} if correlation_id else {}


routes = [
    Route("/api/2/devices", devices, methods=["GET"]),
    Route("/api/2/devices/{device_id}", device, methods=["GET", "PUT", "DELETE"]),
    Route("/api/2/devices/{device_id}/password", password, methods=["POST"]),
]
