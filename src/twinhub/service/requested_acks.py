"""The acknowledgements a twin write requested, collected the same way for every edge (HTTP, a Ditto
Protocol session, later connections):

* `live-response` is dropped: the twin channel has none (Ditto drops the label from twin commands);
* the built-in labels (`twin-persisted`, `search-persisted`) are acknowledged by the commit itself;
* the others come from the sessions that declared them and received the write's event, through the live
  hub, within the request's timeout (408 `acknowledgement:request.timeout` for each one missing); for a
  write whose event no session receives (a policy write) they time out at once.

The answer is then Ditto's aggregation instead of the plain response (`aggregated`); rendering it, as an
HTTP response or a Ditto Protocol `acks` message, is the edge's part.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from twinhub.model.headers import LIVE_RESPONSE, TWIN_PERSISTED
from twinhub.model.live import PERSISTED_LABELS, Acknowledgement, persisted, timed_out
from twinhub.model.types import JsonValue
from twinhub.service.live import AckWait, LiveHub

__all__ = ["RequestedAcks", "WriteOutcome"]


@dataclass(frozen=True, slots=True)
class WriteOutcome:
    """What a write answers: whether it created its target (then with `value`) and the new ETag."""

    created: bool
    value: JsonValue
    etag: str | None


class RequestedAcks:
    """The requested acknowledgements of one write. Made before the write runs, so that no acknowledgement
    can arrive unseen; then `await collect(outcome)` once it committed, or `close()` when it failed."""

    def __init__(self, live: LiveHub, requested: Iterable[str], *, correlation_id: str, entity_id: str,
                 timeout: float, from_subscribers: bool = True) -> None:
        self.labels = tuple(label for label in requested if label != LIVE_RESPONSE)
        custom = [label for label in self.labels if label not in PERSISTED_LABELS]
        self.correlation_id = correlation_id
        self.entity_id = entity_id
        self.timeout = timeout
        # Ditto answers with the aggregation for custom labels or several labels, else the plain response.
        self.aggregated = len(self.labels) > 1 or bool(custom)
        self._started = asyncio.get_running_loop().time()
        self._wait: AckWait | None = (live.expect_acks(correlation_id, custom, entity_id=entity_id)
                                      if custom and from_subscribers else None)

    def close(self) -> None:
        """Stop waiting (the write failed, or its answer is no longer wanted); idempotent."""
        if self._wait is not None:
            self._wait.close()

    async def collect(self, outcome: WriteOutcome, *,
                      persisted_headers: Mapping[str, str] | None = None) -> dict[str, Acknowledgement]:
        """Each requested label's acknowledgement, in the order requested, once every custom one came or
        the request's timeout passed: the built-in ones from `outcome` (`twin-persisted` also with
        `persisted_headers`, e.g. the ETag and Location of an HTTP answer), the others as issued."""
        received: dict[str, Acknowledgement] = {}
        if self._wait is not None:
            elapsed = asyncio.get_running_loop().time() - self._started
            received = await self._wait.wait(self.timeout - elapsed, requested_timeout=self.timeout)
        base = {"correlation-id": self.correlation_id}
        acks: dict[str, Acknowledgement] = {}
        for label in self.labels:
            if label in PERSISTED_LABELS:
                headers = {**base, **persisted_headers} if persisted_headers and label == TWIN_PERSISTED else base
                acks[label] = persisted(label, self.entity_id, self.correlation_id, created=outcome.created,
                                        value=outcome.value, headers=headers)
            else:
                acks[label] = (received.get(label)
                               or timed_out(label, self.entity_id, self.correlation_id, self.timeout))
        return acks
