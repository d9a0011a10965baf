"""The paths beyond Ditto's things and policies: Ditto's connections API (devops in Ditto, admins here) and
twinhub's own: history, its Grafana data source, health, and this document."""

from __future__ import annotations

from twinhub.api.openapi.build import body, json_answer, operation, param, schema
from twinhub.model.types import JsonObject, JsonValue

__all__ = ["connections_paths", "history_paths", "service_paths"]

CONNECTIONS = "Connections"
HISTORY = "History"


def _query(name: str, description: str, example: str | None = None) -> JsonObject:
    result: JsonObject = {"name": name, "in": "query", "required": False, "description": description,
                          "schema": {"type": "string"}}
    if example is not None:
        result["example"] = example
    return result


def connections_paths() -> JsonObject:
    connection: list[JsonValue] = [param("connectionId")]
    admin = "Only admins (`TWINHUB_ADMIN_SUBJECTS`; anyone with `serve --dev`) may; others get 401."
    read: JsonObject = {"200": json_answer("What the connection runtime knows.", schema("Any")), "404": "Error404"}
    return {
        "/api/2/connections": {
            "get": operation(CONNECTIONS, "Retrieve every connection", {
                "200": json_answer("The connections (or, with ids-only, their ids).",
                                   {"type": "array", "items": schema("Connection")})}, description=admin,
                parameters=[_query("ids-only", "true: only the ids."), param("fields")]),
            "post": operation(CONNECTIONS, "Create a connection (its id generated), or test one", {
                "201": json_answer("Created the connection.", schema("Connection")),
                "200": json_answer("dry-run: the connection could connect.", schema("Any")), "409": "Error409"},
                description=admin, parameters=[_query("dry-run", "true: only test the connection.")],
                request_body=body(schema("Connection"), "The connection.")),
        },
        "/api/2/connections/{connectionId}": {
            "parameters": connection,
            "get": operation(CONNECTIONS, "Retrieve a connection", {
                "200": json_answer("The connection.", schema("Connection"), headers=("ETag",)), "404": "Error404"},
                description=admin, parameters=[param("fields")]),
            "put": operation(CONNECTIONS, "Modify a connection", {"204": "Empty", "404": "Error404"},
                             description=admin, request_body=body(schema("Connection"), "The connection.")),
            "delete": operation(CONNECTIONS, "Delete a connection", {"204": "Empty", "404": "Error404"},
                                description=admin),
        },
        "/api/2/connections/{connectionId}/command": {"parameters": connection, "post": operation(
            CONNECTIONS, "Send a command to a connection", {"200": "Empty", "404": "Error404"}, description=admin,
            request_body=body({"type": "string", "enum": [
                "connectivity.commands:openConnection", "connectivity.commands:closeConnection",
                "connectivity.commands:resetConnectionMetrics", "connectivity.commands:enableConnectionLogs",
                "connectivity.commands:resetConnectionLogs"]}, "The command.", media_type="text/plain"))},
        **{f"/api/2/connections/{{connectionId}}/{part}": {"parameters": connection, "get": operation(
            CONNECTIONS, f"Retrieve a connection's {part}", read, description=admin)}
           for part in ("status", "metrics", "logs")},
    }


_RANGE: list[JsonValue] = [
    _query("from", "Start: an ISO 8601 time or one relative to now (`-1h`).", "-1h"),
    _query("to", "End (default now).")]
_SERIES: list[JsonValue] = [
    *_RANGE, _query("paths", "Comma-separated pointers: one series per path."),
    _query("step", "Bucket width, with agg (`1m`, `1h`)."),
    _query("agg", "Aggregation of each bucket: mean, min, max, sum, count, first, last."),
    _query("limit", "Points per page."), _query("cursor", "Continues a page."),
    _query("format", "Export as csv, parquet or lp (InfluxDB line protocol) instead of JSON."),
]
_POINTS: JsonObject = {"200": json_answer("The points (or buckets), paged by `cursor`; exports continue with `Link`.",
                              schema("History"), headers=("Link",)), "404": "Error404"}
_STREAM = "With `Accept: text/event-stream`: each new point as it is recorded (after the stored ones from `from`)."


def history_paths() -> JsonObject:
    grafana = "/api/2/history/grafana"
    series: JsonObject = {"type": "array", "items": {"type": "object", "additionalProperties": True}}
    return {
        "/api/2/history/things/{thingId}": {"parameters": [param("thingId")], "get": operation(
            HISTORY, "Retrieve a thing's recorded values", _POINTS, description=_STREAM, parameters=_SERIES)},
        "/api/2/history/things/{thingId}/{path}": {"parameters": [param("thingId"), param("historyPath")],
                                                   "get": operation(HISTORY, "Retrieve one leaf's recorded values",
                                                                    _POINTS, description=_STREAM,
                                                                    parameters=_SERIES)},
        "/api/2/history/search": {"get": operation(HISTORY, "Aggregate a leaf over the things a filter matches", {
            "200": json_answer("One series (or one per group).", schema("History"))},
            parameters=[param("filter"), param("namespaces"),
                        _query("path", "The leaf aggregated.", "/features/t/properties/value"),
                        *_RANGE, _query("step", "Bucket width.", "5m"), _query("agg", "Aggregation.", "mean"),
                        _query("groupBy", "An attribute to group by: `attributes/site`.")])},
        **{path: {"get": operation(HISTORY, "Grafana JSON data source: check the connection", {
            "200": json_answer("The data source works.", {"type": "object"})})} for path in (grafana, grafana + "/")},
        f"{grafana}/metrics": {"post": operation(HISTORY, "Grafana: the series the caller may read", {
            "200": json_answer("Metrics.", series)},
            request_body=body({"type": "object"}, "What was typed: {metric}.", required=False))},
        f"{grafana}/metric-payload-options": {"post": operation(HISTORY, "Grafana: the aggregations of a metric", {
            "200": json_answer("Options.", series)}, request_body=body({"type": "object"}, "The metric.",
                                                                       required=False))},
        f"{grafana}/query": {"post": operation(HISTORY, "Grafana: buckets per target", {
            "200": json_answer("Datapoints per target.", series)},
            request_body=body({"type": "object"}, "Grafana's query: range, interval, targets."))},
    }


def service_paths() -> JsonObject:
    return {
        "/health": {"get": operation("Service", "Whether the server is up", {
            "200": json_answer("Up.", {"type": "object", "properties": {"status": {"type": "string"}}})},
            authenticated=False)},
        "/api/2/openapi.json": {"get": operation("Service", "This document", {
            "200": json_answer("twinhub's OpenAPI document.", {"type": "object"})}, authenticated=False)},
    }
