"""Grafana's JSON data source over history: the routes the simpod-json-datasource plugin calls, under
`/api/2/history/grafana` (its URL in Grafana's data source settings; Grafana sends the basic auth configured
there, and every route authenticates as the others do).

    GET  /                        200: the data source works
    POST /metrics                 the series the caller may read, as `{"label", "value", "payloads"}` (value: a
                                  target; its payload field `agg` chooses the aggregation)
    POST /metric-payload-options  the aggregations a target's payload may choose
    POST /query                   buckets per target, `[{"target", "refId", "datapoints": [[value, ms]]}]`
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from twinhub.api.body import read_json
from twinhub.api.paths import ALL_METHODS
from twinhub.api.responses import json_response
from twinhub.history.aggregate import Aggregation
from twinhub.history.context import context_of, response_headers
from twinhub.history.grafana import parse_grafana_query, render_grafana_series
from twinhub.model.errors import MethodNotAllowed
from twinhub.model.types import JsonValue

__all__ = ["MAX_QUERY_BYTES", "grafana_routes"]

MAX_QUERY_BYTES = 256 * 1024  # a /query or /metrics body


async def _post_body(request: Request) -> JsonValue:
    if request.method != "POST":
        raise MethodNotAllowed(request.method, ["POST"])
    return await read_json(request, MAX_QUERY_BYTES, empty={})


async def check_connection(request: Request) -> Response:
    await context_of(request).authenticate(request)
    if request.method != "GET":
        raise MethodNotAllowed(request.method, ["GET"])
    return json_response({"status": "ok"}, headers=response_headers(request))


async def metrics(request: Request) -> Response:
    ctx = context_of(request)
    auth = await ctx.authenticate(request)
    body = await _post_body(request)
    typed = body.get("metric") if isinstance(body, dict) else None
    targets = await ctx.service.metrics(auth.subjects, typed if isinstance(typed, str) else "")
    # each metric offers one payload field, the aggregation, as a select of the options below
    payloads: list[JsonValue] = [{"label": "Aggregation", "name": "agg", "type": "select", "placeholder": "mean",
                                  "options": _AGGREGATIONS}]
    return json_response([{"label": target, "value": target, "payloads": payloads} for target in targets],
                         headers=response_headers(request))


_AGGREGATIONS: list[JsonValue] = [{"label": agg.value, "value": agg.value} for agg in Aggregation]


async def payload_options(request: Request) -> Response:
    await context_of(request).authenticate(request)
    await _post_body(request)
    return json_response(_AGGREGATIONS, headers=response_headers(request))


async def query(request: Request) -> Response:
    ctx = context_of(request)
    auth = await ctx.authenticate(request)
    parsed = parse_grafana_query(await _post_body(request), ctx.service.clock())
    series = await ctx.service.grafana_series(parsed, auth.subjects)
    answer: list[JsonValue] = [render_grafana_series(target, buckets)
                               for target, buckets in zip(parsed.targets, series, strict=True)]
    return json_response(answer, headers=response_headers(request))


_BASE = "/api/2/history/grafana"
grafana_routes = [
    Route(_BASE, check_connection, methods=ALL_METHODS),
    Route(_BASE + "/", check_connection, methods=ALL_METHODS),
    Route(_BASE + "/metrics", metrics, methods=ALL_METHODS),
    Route(_BASE + "/metric-payload-options", payload_options, methods=ALL_METHODS),
    Route(_BASE + "/query", query, methods=ALL_METHODS),
]
