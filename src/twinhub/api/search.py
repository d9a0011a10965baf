"""The search API: `/api/2/search/things` and `/count` (GET, and POST with a form body), and the listing
of `GET /api/2/things` without `ids` (options honoured, filters not, paged with `Link` headers)."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import parse_qsl, quote

from starlette.datastructures import ImmutableMultiDict
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from twinhub.api.body import read_body
from twinhub.api.context import Context, context_of
from twinhub.api.responses import json_response
from twinhub.api.sse import accepts_event_stream, stream_search
from twinhub.model.errors import MediaTypeUnsupported, MethodNotAllowed
from twinhub.model.fields import FieldSelector, parse_fields_parameter
from twinhub.model.types import JsonValue
from twinhub.rql import CursorOption, parse_options, render_options
from twinhub.service.search import SearchQuery
from twinhub.service.views import project_things

FORM = "application/x-www-form-urlencoded"


async def _parameters(request: Request, ctx: Context) -> ImmutableMultiDict[str, str]:
    """Query parameters (GET) or the form body (POST), as Ditto's search routes take them."""
    if request.method == "GET":
        return ImmutableMultiDict(request.query_params.multi_items())
    if request.method != "POST":
        raise MethodNotAllowed(request.method, ["GET", "POST"])
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != FORM:
        raise MediaTypeUnsupported(media_type or "<none>", FORM)
    body = await read_body(request, ctx.settings.max_request_size)
    pairs = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    return ImmutableMultiDict([*request.query_params.multi_items(), *pairs])


def _query(parameters: ImmutableMultiDict[str, str], *, with_filter: bool = True) -> SearchQuery:
    namespaces = parameters.get("namespaces")
    return SearchQuery(
        filters=parameters.getlist("filter") if with_filter else (),
        options=parameters.getlist("option"),
        namespaces=None if namespaces is None else [ns.strip() for ns in namespaces.split(",") if ns.strip()],
    )


def _fields(parameters: ImmutableMultiDict[str, str]) -> FieldSelector | None:
    text = parameters.get("fields")
    return None if text is None else parse_fields_parameter(text)


async def search_things(request: Request) -> Response:
    ctx = context_of(request)
    auth = await ctx.authenticate(request)
    if request.method == "GET" and accepts_event_stream(request):
        return await stream_search(request, ctx, auth)
    parameters = await _parameters(request, ctx)
    selector = _fields(parameters)
    page = await ctx.search.search(_query(parameters), auth.subjects)
    body: dict[str, JsonValue] = {"items": await project_things(ctx.policies, page.things, selector, auth.subjects)}
    if page.next_page_offset is not None:
        body["nextPageOffset"] = page.next_page_offset
    elif page.cursor is not None:
        body["cursor"] = page.cursor
    return json_response(body)


async def count_things(request: Request) -> Response:
    ctx = context_of(request)
    auth = await ctx.authenticate(request)
    parameters = await _parameters(request, ctx)
    return json_response(await ctx.search.count(_query(parameters), auth.subjects))


async def list_things(request: Request, ctx: Context, subjects: tuple[str, ...],
                      selector: FieldSelector | None) -> Response:
    """`GET /api/2/things` without `ids`: a page of the readable things, `Link`ed to the next one."""
    parameters = ImmutableMultiDict(request.query_params.multi_items())
    page = await ctx.search.search(_query(parameters, with_filter=False), subjects)
    base = f"{request.url.scheme}://{request.url.netloc}/api/2/things"
    links = [f'<{base}>; rel="canonical"']
    if page.cursor is not None:
        links.append(f'<{base}?option={quote(_next_options(parameters.getlist("option"), page.cursor))}>; rel="next"')
    items = await project_things(ctx.policies, page.things, selector, subjects)
    return json_response(items, headers={"Link": ", ".join(links)})


def _next_options(options: Sequence[str], cursor: str) -> str:
    given = ",".join(option for option in options if option.strip())
    kept = [option for option in parse_options(given) if not isinstance(option, CursorOption)] if given else []
    return render_options((*kept, CursorOption(cursor)))


_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
routes = [
    Route("/api/2/search/things", search_things, methods=_METHODS),
    Route("/api/2/search/things/count", count_things, methods=_METHODS),
]
