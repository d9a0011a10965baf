"""Reading a JSON request body within limits, with Ditto's errors for every way it can be wrong."""

from __future__ import annotations

from starlette.requests import Request

from twinhub.model.errors import JsonInvalid, JsonParseInvalid, MediaTypeUnsupported, RequestTooLarge
from twinhub.model.json import JsonTooDeep, loads
from twinhub.model.types import JsonValue

MERGE_PATCH = "application/merge-patch+json"


def _media_type(request: Request) -> str | None:
    header = request.headers.get("content-type")
    return None if header is None else header.split(";", 1)[0].strip().lower()


def require_json(request: Request) -> None:
    """PUT and POST take JSON; a missing content type is read as JSON, as curl users expect."""
    media_type = _media_type(request)
    if media_type is not None and media_type != "application/json" and not media_type.endswith("+json"):
        raise MediaTypeUnsupported(media_type, "application/json")


def require_merge_patch(request: Request) -> None:
    media_type = _media_type(request)
    if media_type != MERGE_PATCH:
        raise MediaTypeUnsupported(media_type or "<none>", MERGE_PATCH)


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body; stops reading and raises 413 as soon as it exceeds `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise RequestTooLarge(int(declared), limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RequestTooLarge(size, limit)
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json(request: Request, limit: int, *, empty: JsonValue | None = None) -> JsonValue:
    """The body parsed as JSON; an empty body is `empty` if given, else 400 `json.format.invalid`. JSON
    nested deeper than `MAX_JSON_DEPTH` is 400 `json.invalid` (Ditto's parser fails on it like that)."""
    body = await read_body(request, limit)
    if not body.strip():
        if empty is not None:
            return empty
        raise JsonInvalid("The request body is empty, but a JSON value was expected.")
    try:
        return loads(body)
    except JsonTooDeep as exc:
        raise JsonParseInvalid(str(exc)) from None
    except ValueError as exc:
        raise JsonInvalid(f"Failed to parse JSON string '{body[:120].decode('utf-8', 'replace')}': {exc}") from exc
