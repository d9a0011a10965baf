"""JSON responses (orjson, any depth: see `twinhub.model.json.dumps`) and the one place a TwinhubError becomes
an HTTP response."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import Response

from twinhub.model.errors import (
    MethodNotAllowed,
    ThingNotModified,
    ThingPreconditionFailed,
    TooManyRequests,
    TwinhubError,
)
from twinhub.model.json import dumps
from twinhub.model.types import JsonValue

JSON = "application/json"


def json_response(value: JsonValue, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(dumps(value), status_code=status, headers=headers, media_type=JSON)


def empty_response(status: int, headers: Mapping[str, str] | None = None) -> Response:
    return Response(status_code=status, headers=headers)


def error_response(error: TwinhubError, correlation_id: str | None = None) -> Response:
    headers: dict[str, str] = {}
    if correlation_id:
        headers["correlation-id"] = correlation_id
    if isinstance(error, ThingNotModified):
        headers["ETag"] = error.etag
        return empty_response(304, headers)
    if isinstance(error, ThingPreconditionFailed) and error.etag is not None:
        headers["ETag"] = error.etag
    if isinstance(error, MethodNotAllowed):
        headers["Allow"] = ", ".join(error.allowed)
    if isinstance(error, TooManyRequests) and error.retry_after is not None:
        headers["Retry-After"] = str(error.retry_after)
    return json_response(error.to_json(), error.status, headers)  # type: ignore[arg-type]
