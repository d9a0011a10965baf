"""Thing Descriptions over HTTP: `GET /api/2/things/{thingId}` and `.../features/{featureId}` with
`Accept: application/td+json` (Ditto: `RetrieveThingStrategy` / `RetrieveFeatureStrategy` answer
`RetrieveWotThingDescriptionResponse`; `ThingCommandEnforcement` asks partial READ, then scopes the TD).

Ditto matches the `Accept` header exactly; it applies no preconditions and sends no ETag for a TD.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from twinhub.api.context import Context
from twinhub.api.headers import http_header
from twinhub.auth.context import AuthContext
from twinhub.model.json import dumps
from twinhub.model.types import Pointer

__all__ = ["TD_JSON", "thing_description", "wants_description"]

TD_JSON = "application/td+json"


def wants_description(request: Request, path: Pointer) -> bool:
    """A GET of the thing or of one feature that asks for its Thing Description."""
    return (not path or (len(path) == 2 and path[0] == "features")) \
        and (http_header(request, "accept") or "").strip() == TD_JSON


async def thing_description(request: Request, ctx: Context, auth: AuthContext, thing_id: str,
                            path: Pointer) -> Response:
    retrieved = await ctx.things.retrieve(thing_id, path, auth.subjects)  # 404 unless partly readable
    enforcer = await ctx.things.enforcer(retrieved.thing)
    base = f"{request.url.scheme}://{request.url.netloc}"
    td = await ctx.wot.thing_description(retrieved.thing, path[1] if path else None, enforcer, auth.subjects,
                                         base_prefix=base)
    return Response(dumps(td), 200, media_type=TD_JSON)
