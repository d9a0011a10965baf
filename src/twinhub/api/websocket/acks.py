"""Requested acknowledgements of a twin command sent over the WebSocket: the built-in ones come from
the commit, custom ones from the sessions that declared their labels and received the event. The
answer is then Ditto's aggregated `…/things/twin/acks` message instead of the plain response."""

from __future__ import annotations

import asyncio

from twinhub.api.websocket.session import Session
from twinhub.model.headers import LIVE_RESPONSE
from twinhub.model.live import PERSISTED_LABELS, Acknowledgement, persisted, timed_out
from twinhub.protocol import Envelope, SignalHeaders, acks_envelope, reply_headers
from twinhub.service.live import AckWait, new_correlation_id


class AckCollector:
    """Started before the command runs (so no acknowledgement can arrive unseen), answered after."""

    def __init__(self, session: Session, steering: SignalHeaders, thing_id: str) -> None:
        self.labels = tuple(label for label in steering.requested_acks if label != LIVE_RESPONSE)
        self.custom = tuple(label for label in self.labels if label not in PERSISTED_LABELS)
        self.correlation_id = steering.correlation_id or new_correlation_id()
        self.thing_id = thing_id
        self._timeout = steering.timeout
        self._started = asyncio.get_running_loop().time()
        self._wait: AckWait | None = (session.ctx.live.expect_acks(self.correlation_id, self.custom,
                                                                   entity_id=thing_id) if self.custom else None)

    @staticmethod
    def needed(steering: SignalHeaders) -> bool:
        """Whether the answer is an aggregation: custom labels, or more than one label."""
        labels = [label for label in steering.requested_acks if label != LIVE_RESPONSE]
        return len(labels) > 1 or any(label not in PERSISTED_LABELS for label in labels)

    def close(self) -> None:
        if self._wait is not None:
            self._wait.close()

    async def answer(self, request: Envelope, response: Envelope) -> Envelope:
        """The aggregated acknowledgements, once every custom one came or the timeout passed."""
        received: dict[str, Acknowledgement] = {}
        if self._wait is not None:
            remaining = self._timeout - (asyncio.get_running_loop().time() - self._started)
            received = await self._wait.wait(max(remaining, 0.0))
        headers = reply_headers(request.headers)
        headers["correlation-id"] = self.correlation_id
        acks: list[Acknowledgement] = []
        for label in self.labels:
            if label in PERSISTED_LABELS:
                acks.append(persisted(label, self.thing_id, self.correlation_id, created=response.status == 201,
                                      value=response.value, headers={"correlation-id": self.correlation_id}))
            else:
                acks.append(received.get(label)
                            or timed_out(label, self.thing_id, self.correlation_id, self._timeout))
        return acks_envelope(self.thing_id, acks, headers=headers)
