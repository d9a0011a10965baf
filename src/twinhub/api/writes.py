"""Running a write for an HTTP request: timeout, response-required, acknowledgements and Ditto's statuses."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from starlette.responses import Response

from twinhub.api.context import Context
from twinhub.api.headers import TWIN_PERSISTED, RequestHeaders
from twinhub.api.responses import empty_response, json_response
from twinhub.model.errors import CommandTimeout
from twinhub.model.headers import LIVE_RESPONSE
from twinhub.model.live import PERSISTED_LABELS, Acknowledgement, aggregate_acknowledgements, persisted, timed_out
from twinhub.model.types import MISSING, JsonValue
from twinhub.service.live import AckWait


@dataclass(frozen=True, slots=True)
class WriteOutcome:
    """What a write answers: whether it created its target (then with `value`) and the new ETag."""

    created: bool
    value: JsonValue
    etag: str | None


async def run_write(ctx: Context, write: Coroutine[Any, Any, WriteOutcome], headers: RequestHeaders, *,
                    location: str, subscriber_acks: bool = False, entity_id: str = "") -> Response:
    """Await `write`; 201 with body and Location when it created something, else 204 (202 if no
    response is required). The write is shielded: a timeout or a dropped client never cancels it.

    Requested acknowledgements other than the built-in ones are answered by subscribers of the write's
    event (`subscriber_acks`, thing writes) within the same `timeout`; where nobody receives the event
    (policy writes) they time out at once. Then the answer is Ditto's aggregation of all of them."""
    # The twin channel has no live response (Ditto drops the label from twin commands).
    requested = tuple(label for label in headers.requested_acks if label != LIVE_RESPONSE)
    from_subscribers = [label for label in requested if label not in PERSISTED_LABELS]
    correlation_id = headers.correlation_id or ""
    waiting: AckWait | None = (ctx.live.expect_acks(correlation_id, from_subscribers, entity_id=entity_id)
               if from_subscribers and subscriber_acks else None)  # before the event can be published
    try:
        started = asyncio.get_running_loop().time()
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
        if from_subscribers or len(requested) > 1:
            remaining = headers.timeout - (asyncio.get_running_loop().time() - started)
            received = await waiting.wait(remaining, requested_timeout=headers.timeout) if waiting else {}
            acks = _acknowledgements(requested, outcome, received, headers, entity_id, location, base)
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
        if waiting is not None:
            waiting.close()


def _acknowledgements(requested: tuple[str, ...], outcome: WriteOutcome, received: dict[str, Acknowledgement],
                      headers: RequestHeaders, entity_id: str, location: str,
                      base: dict[str, str]) -> dict[str, Acknowledgement]:
    """Each requested label's acknowledgement: the built-in ones from the commit (`twin-persisted` with the
    response's ETag and Location), the others as issued (or 408 `acknowledgement:request.timeout`)."""
    correlation_id = headers.correlation_id or ""
    twin_headers = dict(base)
    if outcome.etag is not None:
        twin_headers["etag"] = outcome.etag
    if outcome.created:
        twin_headers["location"] = location
    acks: dict[str, Acknowledgement] = {}
    for label in requested:
        if label in PERSISTED_LABELS:
            acks[label] = persisted(label, entity_id, correlation_id, created=outcome.created, value=outcome.value,
                                    headers=twin_headers if label == TWIN_PERSISTED else base)
        else:
            acks[label] = received.get(label) or timed_out(label, entity_id, correlation_id, headers.timeout)
    return acks


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
