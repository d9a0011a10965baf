"""Running a write for an HTTP request: timeout, response-required, acknowledgements and Ditto's statuses."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from starlette.responses import Response

from twinhub.api.context import Context
from twinhub.api.headers import RequestHeaders
from twinhub.api.responses import empty_response, json_response
from twinhub.model.errors import CommandTimeout
from twinhub.model.live import Acknowledgement, aggregate_acknowledgements
from twinhub.model.types import MISSING
from twinhub.service.requested_acks import RequestedAcks, WriteOutcome

__all__ = ["run_write"]


async def run_write(ctx: Context, write: Coroutine[Any, Any, WriteOutcome], headers: RequestHeaders, *,
                    location: str, subscriber_acks: bool = False, entity_id: str = "") -> Response:
    """Await `write`; 201 with body and Location when it created something, else 204 (202 if no
    response is required). The write is shielded: a timeout or a dropped client never cancels it.

    Requested acknowledgements other than the built-in ones are answered by subscribers of the write's
    event (`subscriber_acks`, thing writes) within the same `timeout` (see `RequestedAcks`); then the
    answer is Ditto's aggregation of all of them."""
    requested = RequestedAcks(ctx.live, headers.requested_acks, correlation_id=headers.correlation_id or "",
                              entity_id=entity_id, timeout=headers.timeout, from_subscribers=subscriber_acks)
    try:
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
        if requested.aggregated:
            persisted_headers = {} if outcome.etag is None else {"etag": outcome.etag}
            if outcome.created:
                persisted_headers["location"] = location
            acks = await requested.collect(outcome, persisted_headers=persisted_headers)
            return _aggregated(acks, headers.response_required, base)
        if not headers.response_required:
            return empty_response(202, base)
        response_headers = dict(base)
        if outcome.etag is not None:
            response_headers["ETag"] = outcome.etag
        if outcome.created:
            response_headers["Location"] = location
            return json_response(outcome.value, 201, response_headers)
        return empty_response(204, response_headers)
    finally:
        requested.close()


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
