"""Running a write for an HTTP request: timeout, response-required and Ditto's statuses."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from starlette.responses import Response

from twinhub.api.context import Context
from twinhub.api.headers import SEARCH_PERSISTED, TWIN_PERSISTED, RequestHeaders
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
    if set(headers.requested_acks) - _AT_COMMIT or len(headers.requested_acks) > 1:
        return await _acknowledgements(outcome, headers, base)
    if not headers.response_required:
        return empty_response(202, base)
    response_headers = dict(base)
    if outcome.etag is not None:
        response_headers["ETag"] = outcome.etag
    if outcome.created:
        response_headers["Location"] = location
        return json_response(outcome.value, 201, response_headers)
    return empty_response(204, response_headers)


# Labels satisfied by the commit itself: the journal and the search index are one transaction.
_AT_COMMIT = {TWIN_PERSISTED, SEARCH_PERSISTED}


async def _acknowledgements(outcome: WriteOutcome, headers: RequestHeaders, base: dict[str, str]) -> Response:
    """Ditto's aggregated acknowledgements: 200 when all succeeded, 424 when any failed. Labels that only
    subscribers could issue fail as timed out at once: no session can declare a label yet (the WebSocket
    arrives later), so waiting out the `timeout` could change nothing."""
    acks: dict[str, JsonValue] = {}
    for label in headers.requested_acks:
        if label == TWIN_PERSISTED:
            ack: dict[str, JsonValue] = {"status": 201 if outcome.created else 204, "headers": dict(base)}
            if outcome.created:
                ack["payload"] = outcome.value
        elif label == SEARCH_PERSISTED:
            ack = {"status": 204, "headers": dict(base)}
        else:
            ack = {"status": 408, "payload": CommandTimeout(int(headers.timeout * 1000)).to_json(),  # type: ignore[dict-item]
                   "headers": dict(base)}
        acks[label] = ack
    # Ditto's combined status: a single ack's own status, else 200 if all succeeded, else 424.
    statuses = [int(ack["status"]) for ack in acks.values() if isinstance(ack, dict)]  # type: ignore[arg-type]
    status = statuses[0] if len(statuses) == 1 else (200 if all(s < 300 for s in statuses) else 424)
    return json_response(acks, status, base)
