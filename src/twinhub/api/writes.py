"""Running a write for an HTTP request: timeout, response-required, acknowledgements and Ditto's statuses."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from twinhub.api.context import Context
from twinhub.api.headers import RequestHeaders
from twinhub.api.responses import empty_response, json_response
from twinhub.model.errors import CommandTimeout
from twinhub.model.live import Acknowledgement, aggregate_acknowledgements
from twinhub.model.types import MISSING
from twinhub.service.requested_acks import RequestedAcks, WriteOutcome

__all__ = ["outcome_within", "run_write"]


async def run_write(ctx: Context, write: Coroutine[Any, Any, WriteOutcome], headers: RequestHeaders, *,
                    request: Request, location_path: str | None = None, subscriber_acks: bool = False,
                    entity_id: str = "") -> Response:
    """Await `write`; 201 with body and `Location` (the absolute URL of `location_path`, by default the request's
    own path) when it created something, else 204 (202 if no response is required). The write runs as a task
    of its own: neither a timeout nor a dropped client (the request cancelled) ever cancels it.

    Requested acknowledgements other than the built-in ones are answered by subscribers of the write's
    event (`subscriber_acks`, thing writes) within the same `timeout` (see `RequestedAcks`); then the
    answer is Ditto's aggregation of all of them."""
    requested = RequestedAcks(ctx.live, headers.requested_acks, correlation_id=headers.correlation_id or "",
                              entity_id=entity_id, timeout=headers.timeout, from_subscribers=subscriber_acks)
    try:
        task: asyncio.Task[WriteOutcome] = asyncio.get_running_loop().create_task(write)
        ctx.keep(task)  # type: ignore[arg-type]
        base: dict[str, str] = {}
        if headers.correlation_id:
            base["correlation-id"] = headers.correlation_id
        if headers.timeout == 0:
            return empty_response(202, base)
        outcome = await outcome_within(task, headers.timeout)
        if requested.aggregated:
            persisted_headers = {} if outcome.etag is None else {"etag": outcome.etag}
            if outcome.created:
                persisted_headers["location"] = _location(request, location_path)
            acks = await requested.collect(outcome, persisted_headers=persisted_headers)
            return _aggregated(acks, headers.response_required, base)
        if not headers.response_required:
            return empty_response(202, base)
        response_headers = dict(base)
        if outcome.etag is not None:
            response_headers["ETag"] = outcome.etag
        if outcome.created:
            response_headers["Location"] = _location(request, location_path)
            return json_response(outcome.value, 201, response_headers)
        return empty_response(204, response_headers)
    finally:
        requested.close()


async def outcome_within(task: asyncio.Task[WriteOutcome], seconds: float) -> WriteOutcome:
    """`task`'s result once it is done; 408 `CommandTimeout` after `seconds`. One future and one timer,
    where `wait_for(shield(task))` made two futures, a task and their callbacks: the waiter alone is cancelled
    with the request (a dropped client), never the task."""
    loop = asyncio.get_running_loop()
    waiter: asyncio.Future[None] = loop.create_future()

    def wake(_: object) -> None:
        if not waiter.done():
            waiter.set_result(None)

    timer = loop.call_later(seconds, wake, None)
    task.add_done_callback(wake)
    try:
        await waiter
    finally:
        timer.cancel()
        task.remove_done_callback(wake)
    if not task.done():
        raise CommandTimeout(int(seconds * 1000))
    return task.result()


def _location(request: Request, path: str | None) -> str:
    """An absolute URL of `path` (None: the request's own raw path) for a `Location` header, kept
    percent-encoded so that it is valid ASCII."""
    url = request.url
    return f"{url.scheme}://{url.netloc}{request.scope['raw_path'].decode('latin-1') if path is None else path}"


def _aggregated(acks: dict[str, Acknowledgement], response_required: bool, base: dict[str, str]) -> Response:
    """Ditto's answer: one acknowledgement answers with its status and payload; several with 200 when all
    succeeded, else 424 and `{label: {status, payload, headers}}`. Without a required response: 202 when
    all succeeded, else the failure with only the statuses."""
    status, body = aggregate_acknowledgements(acks)
    if not response_required:
        if 200 <= status < 300:
            return empty_response(202, base)
        if len(acks) > 1:
            body = {label: {"status": ack.status, "headers": {}} for label, ack in acks.items()}
        else:
            body = MISSING
    if body is MISSING or status in (204, 304):
        return empty_response(status, base)
    return json_response(body, status, base)
