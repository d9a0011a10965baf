"""The acknowledgements a live message or live command requested (from a session or over HTTP),
aggregated as Ditto does for twin commands: `live-response` is the receiver's answer (its status, headers
and payload), each other label comes from a session that declared it and received the signal (408
`acknowledgement:request.timeout` when none came in time). The sender then gets Ditto's aggregation (on
`…/things/live/acks` over the Ditto Protocol) instead of the plain response; with `live-response` alone it
gets the response as before."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from twinhub.model.headers import LIVE_RESPONSE
from twinhub.model.live import Acknowledgement, LiveResponse, timed_out
from twinhub.model.types import MISSING
from twinhub.protocol import payload_from_bytes
from twinhub.service.live import LiveHub, Unanswered

__all__ = ["Send", "aggregates", "collect_live_acks"]

# Sends the signal and waits up to the given seconds for its response (0: none is awaited).
Send = Callable[[float], Awaitable[LiveResponse | Unanswered]]


def aggregates(labels: Sequence[str]) -> bool:
    """Whether the answer is the aggregation: for several labels, or any but `live-response`."""
    return len(labels) > 1 or any(label != LIVE_RESPONSE for label in labels)


async def collect_live_acks(live: LiveHub, labels: Sequence[str], send: Send, *, thing_id: str,
                            correlation_id: str, timeout: float) -> list[Acknowledgement]:  # noqa: ASYNC109
    """Send the signal (through `send`) and collect each requested label's acknowledgement, in the order
    requested, within `timeout` seconds. The signal must carry `correlation_id` and the `requested-acks`."""
    custom = tuple(label for label in labels if label != LIVE_RESPONSE)
    wait = live.expect_acks(correlation_id, custom, entity_id=thing_id)  # before it is sent
    try:
        response, received = await asyncio.gather(send(timeout if LIVE_RESPONSE in labels else 0),
                                                  wait.wait(timeout, requested_timeout=timeout))
    finally:
        wait.close()
    return [_live_response(response, thing_id, correlation_id, timeout) if label == LIVE_RESPONSE
            else received.get(label) or timed_out(label, thing_id, correlation_id, timeout) for label in labels]


def _live_response(response: LiveResponse | Unanswered, thing_id: str, correlation_id: str,
                   timeout: float) -> Acknowledgement:
    if isinstance(response, Unanswered):
        return timed_out(LIVE_RESPONSE, thing_id, correlation_id, timeout)
    payload = payload_from_bytes(response.payload, response.content_type) if response.payload else MISSING
    headers = {"correlation-id": correlation_id}
    if response.content_type:
        headers["content-type"] = response.content_type
    return Acknowledgement(LIVE_RESPONSE, thing_id, correlation_id, response.status, headers, payload)
