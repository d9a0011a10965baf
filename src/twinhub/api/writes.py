"""Running a write command for an HTTP request: timeout, response-required and the Ditto statuses."""

from __future__ import annotations

import asyncio

from starlette.responses import Response

from twinhub.api.context import Context
from twinhub.api.headers import RequestHeaders
from twinhub.api.responses import empty_response, json_response
from twinhub.model.commands import ThingCommand
from twinhub.model.errors import CommandTimeout
from twinhub.service.things import Executed


async def run_write(ctx: Context, command: ThingCommand, headers: RequestHeaders, *, location: str) -> Response:
    """Execute `command`; 201 with body and Location when it created something, else 204 (202 if no
    response is required). The write is shielded: a timeout or a dropped client never cancels it."""
    task: asyncio.Future[Executed] = asyncio.ensure_future(
        ctx.things.execute(command, preconditions=headers.preconditions))
    ctx.keep(task)  # type: ignore[arg-type]
    base: dict[str, str] = {}
    if headers.correlation_id:
        base["correlation-id"] = headers.correlation_id
    if headers.timeout == 0:
        return empty_response(202, base)
    try:
        executed = await asyncio.wait_for(asyncio.shield(task), headers.timeout)
    except TimeoutError:
        raise CommandTimeout(int(headers.timeout * 1000)) from None
    if not headers.response_required:
        return empty_response(202, base)
    response_headers = dict(base)
    if executed.etag is not None:
        response_headers["ETag"] = executed.etag
    applied = executed.applied
    if applied.created:
        response_headers["Location"] = location
        return json_response(applied.created_value, 201, response_headers)
    return empty_response(204, response_headers)
