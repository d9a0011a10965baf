"""The history API, a twinhub extension beside Ditto's paths (plain Starlette; errors render through the HTTP
API's one handler). Handlers parse, await the history service and render; nothing else.

    GET /api/2/history/things/{thingId}/{path}[?from=&to=&limit=&cursor=]    raw points, paged
    GET /api/2/history/things/{thingId}[/{path}]?paths=a,b                     one series per path
    GET ...?step=1m&agg=mean                                                   buckets instead of points
    GET ...?format=csv|parquet|lp (or Accept: text/csv, application/vnd.apache.parquet,
                                                                              application/vnd.influx.line-protocol)
    GET /api/2/history/things/{thingId}[/{path}][?paths=&from=&to=] with Accept: text/event-stream
        live points (SSE); with `from`, the stored ones first; with `from` and `to`, only those
    GET /api/2/history/search?filter=&namespaces=&path=&from=&to=&step=&agg=&groupBy=   fleet aggregation
    GET /api/2/history/grafana/ and POST .../metrics, .../metric-payload-options, .../query   Grafana

Bodies are those of `twinhub.history.bodies`; an export holds one page, and a `Link` header with
`rel="next"` continues it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Final
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from twinhub.api import sse
from twinhub.api.paths import ALL_METHODS, decode_keys, decode_thing_id
from twinhub.api.responses import json_response
from twinhub.api.sse import accepts_event_stream
from twinhub.history.bodies import aggregated_body, bucket_rows, fleet_body, point_rows, raw_body
from twinhub.history.context import HistoryContext, context_of, response_headers
from twinhub.history.export import ExportFormat, choose_format, render_csv
from twinhub.history.fleet_query import parse_fleet_query
from twinhub.history.grafana_routes import grafana_routes
from twinhub.history.lineprotocol import render_line_protocol
from twinhub.history.live import stream_feed
from twinhub.history.query import parse_query, requested_paths
from twinhub.history.series import RecordedPoint
from twinhub.history.timespec import format_step, parse_range
from twinhub.model.errors import HistoryAggregationInvalid, MethodNotAllowed
from twinhub.model.ids import parse_thing_id
from twinhub.model.pointer import format_pointer, parse_pointer

__all__ = ["routes"]

PREFIX: Final = b"/api/2/history/things/"


def _parameters(request: Request) -> dict[str, str]:
    return dict(request.query_params)  # of a repeated parameter, the last


def _thing_path(request: Request) -> tuple[str, str | None]:
    """The thing id and the path (None: none) of a raw `/api/2/history/things/{thingId}[/{path}]` path, each
    segment decoded alone (so `%2F` stays inside its key)."""
    segments = request.scope["raw_path"][len(PREFIX):].decode("latin-1").split("/")
    thing_id = decode_thing_id(segments[0])
    parse_thing_id(thing_id)
    keys = decode_keys(segments[1:])
    if not keys or keys == [""]:
        return thing_id, None
    return thing_id, format_pointer(parse_pointer("/".join(keys)))


async def thing_history(request: Request) -> Response:
    ctx = context_of(request)
    auth = await ctx.authenticate(request)
    if request.method != "GET":
        raise MethodNotAllowed(request.method, ["GET"])
    thing_id, path = _thing_path(request)
    parameters = _parameters(request)
    if accepts_event_stream(request):  # live: each new point as it commits (after the stored ones `from` on)
        return await _stream(request, ctx, auth.subjects, thing_id, requested_paths(parameters, path), parameters)
    query = parse_query(parameters, ctx.service.clock(), path=path)
    export = choose_format(parameters.get("format"), request.headers.get("accept"))
    several = "paths" in parameters
    headers = response_headers(request)
    if query.step is not None and query.agg is not None:
        series = await ctx.service.aggregated(thing_id, query, auth.subjects)
        if export is not None:
            return _export(export, bucket_rows(thing_id, series), thing_id, headers)
        return json_response(aggregated_body(thing_id, series, query.agg, format_step(query.step),
                                             several=several), headers=headers)
    page = await ctx.service.raw(thing_id, query, auth.subjects)
    if export is not None:
        if page.cursor is not None:
            headers["Link"] = f'<{_next_url(request, parameters, page.cursor)}>; rel="next"'
        return _export(export, point_rows(page.points), thing_id, headers)
    return json_response(raw_body(thing_id, query.paths, page.points, page.cursor, several=several), headers=headers)


async def _stream(request: Request, ctx: HistoryContext, subjects: tuple[str, ...], thing_id: str,
                  paths: tuple[str, ...], parameters: Mapping[str, str]) -> Response:
    if "step" in parameters or "agg" in parameters:
        raise HistoryAggregationInvalid(parameters.get("agg", parameters.get("step", "")),
                                        "A stream sends raw points; drop step and agg (or ask without streaming).")
    stored = None if "from" not in parameters else parse_range(parameters["from"], parameters.get("to"),
                                                                 ctx.service.clock())
    feed = await ctx.feeds.open(thing_id, paths, subjects, stored=stored, live="to" not in parameters,
                                capacity=sse.WATCH_CAPACITY)
    return stream_feed(request, feed)


def _next_url(request: Request, parameters: Mapping[str, str], cursor: str) -> str:
    return str(request.url.replace(query=urlencode({**parameters, "cursor": cursor})))


_UNSAFE_IN_NAME = re.compile(r"[^A-Za-z0-9._-]")
_EXTENSIONS = {ExportFormat.CSV: "csv", ExportFormat.PARQUET: "parquet", ExportFormat.LINE_PROTOCOL: "lp"}


def _export(export: ExportFormat, rows: Sequence[RecordedPoint], name: str, headers: dict[str, str]) -> Response:
    """`rows` in the format asked, as a download named after `name` (an id: unsafe characters become `_`)."""
    if export is ExportFormat.PARQUET:
        from twinhub.history.parquet import render_parquet  # pyarrow only where a Parquet file is made

        content: bytes | str = render_parquet(rows)
    elif export is ExportFormat.CSV:
        content = "".join(render_csv(rows))
    else:
        content = "".join(render_line_protocol(rows))
    filename = f"history-{_UNSAFE_IN_NAME.sub('_', name)}.{_EXTENSIONS[export]}"
    headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    media_type = export.media_type if export is ExportFormat.PARQUET else f"{export.media_type}; charset=utf-8"
    return Response(content, headers=headers, media_type=media_type)


async def fleet_history(request: Request) -> Response:
    ctx = context_of(request)
    auth = await ctx.authenticate(request)
    if request.method != "GET":
        raise MethodNotAllowed(request.method, ["GET"])
    query = parse_fleet_query(_parameters(request), ctx.service.clock())
    series = await ctx.service.fleet(query, auth.subjects)
    body = fleet_body(query.path, format_step(query.step), query.agg, series)
    return json_response(body, headers=response_headers(request))


routes = [
    Route("/api/2/history/search", fleet_history, methods=ALL_METHODS),
    Route("/api/2/history/things/{rest:path}", thing_history, methods=ALL_METHODS),
    *grafana_routes,
]
