"""Running a write for an HTTP request: timeout, response-required and Ditto's statuses."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from starlette.responses import Response

from twinhub.api.context import Context
from twinhub.api.headers import RequestHeaders
from twinhub.api.responses import empty_response, json_response
from twinhub.model.errors import CommandTimeout
from twinhub.model.types import JsonValue


@dataclass(frozen=True, slots=True)
class WriteOutcome:
    """What a write answers: whether it created its target (then with `value`) and the new ETag."""

    created: bool
    value: JsonValue
    etag: str | None


async def run_write(ctx: Context, write: Coroutine[Any, Any, WriteOutcome], headers: RequestHeaders, *,
                    location: str) -> Response:
    """Await `write`; 201 with body and Location when it created something, else 204 (202 if no
    response is required). The write is shielded: a timeout or a dropped client never cancels it."""
    task: asyncio.Future[WriteOutcome] = asyncio.ensure_future(write)
    ctx.keep(task)  # type: ignore[arg-type]
    base: dict[str, str] = {}
    if headers.correlation_id:
        base["correlation-id"] = headers.correlation_id
    if headers.timeout == 0:
        return empty_response(202, base)
    try:
        outcome = await asyncio.wait_for(asyncio.shield(task), headers.timeout)
    except TimeoutError:
        raise CommandTimeout(int(headers.timeout * 1000)) from None
    if not headers.response_required:
        return empty_response(202, base)
    response_headers = dict(base)
    if outcome.etag is not None:
        response_headers["ETag"] = outcome.etag
    if outcome.created:
        response_headers["Location"] = location
        return json_response(outcome.value, 201, response_headers)
    return empty_response(204, response_headers)
