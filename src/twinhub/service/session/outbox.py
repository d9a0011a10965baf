"""What a session has for its client: a bounded buffer of frames, and the reason it ends, if it ends itself.

Everything a session sends (responses, events, messages, acknowledgements) waits here for its transport,
which takes the frames one at a time, so they never interleave and a slow client costs only its own
buffer: when it holds `frames` frames or `max_bytes` bytes, or when all sessions and streams of the
worker together pass their `Budget` and this one holds the most, the session closes (`TRY_AGAIN_LATER`)
with a clear reason, never slowing the write path or the other sessions. A frame is a `str`: an event's
frame, encoded once, is shared by every session that sees the same view and costs its bytes once.

A closing session's pending frames are dropped at once (their bytes go back to the budget); then the
transport gets the `Close` instead of frames, and ends the connection as its protocol says (a WebSocket
with close code 1008 or 1013).
"""

from __future__ import annotations

import asyncio
import enum
from dataclasses import dataclass
from typing import Final

from twinhub.bus.cutoff import Budget, CutOffQueue
from twinhub.model.errors import TwinhubError, WebSocketBufferOverflow

__all__ = ["DEFAULT_BUFFER", "Close", "CloseReason", "Outbox"]

DEFAULT_BUFFER: Final = 1024  # frames waiting to be written to a slow client before it is cut off


class CloseReason(enum.Enum):
    """Why a session ends itself (its WebSocket close code in brackets)."""

    POLICY_VIOLATION = "policy violation"  # its credentials expired or changed subject, a label was lost (1008)
    TRY_AGAIN_LATER = "try again later"  # it fell behind; the client may connect again (1013)


@dataclass(frozen=True, slots=True)
class Close:
    """The instruction to end the session's connection, telling the client why (`message`, starting with
    Ditto's error code)."""

    reason: CloseReason
    message: str

    @classmethod
    def because(cls, reason: CloseReason, error: TwinhubError) -> Close:
        """The close that tells the client `error`, as `<code>: <message>`."""
        return cls(reason, f"{error.code}: {error.message}")


class Outbox:
    def __init__(self, *, frames: int = DEFAULT_BUFFER, max_bytes: int | None = None,
                 budget: Budget | None = None) -> None:
        self._frames = frames
        self._max_bytes = max_bytes
        self._queue: CutOffQueue[str] = CutOffQueue(frames, max_bytes=max_bytes, budget=budget,
                                                    on_close=self._ended)
        self._closed = asyncio.Event()
        self.closing: Close | None = None  # why the session ended itself, if it did (the first reason wins)

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    async def wait_closed(self) -> None:
        await self._closed.wait()

    def put(self, frame: str) -> None:
        """Queue `frame` for the client; a session whose client does not keep up closes instead."""
        self._queue.offer(frame, len(frame))

    def close(self, closing: Close | None = None) -> None:
        """End the outbox (once), dropping what was not taken yet; `closing` says why, if the session ends
        itself."""
        if self.closed:
            return
        self.closing = closing
        self._queue.close(drop_pending=True)

    async def next(self) -> str | Close | None:
        """The next frame; once the outbox is closed, its `Close`, or None when it was closed without one
        (what was not taken by then is never taken)."""
        if not self.closed:
            frame = await self._queue.next()
            if frame is not None and not self.closed:
                return frame
        return self.closing

    def _ended(self) -> None:
        """The queue closed: by `close`, or cut off for falling behind (its frames stay queued, unsent)."""
        if self._queue.over_budget:
            self.closing = Close.because(CloseReason.TRY_AGAIN_LATER, WebSocketBufferOverflow(
                "the server's buffers for slow clients are full and this session held the most"))
        elif self._queue.overflowed:
            limits = f"{self._frames} messages" + ("" if self._max_bytes is None else f" or {self._max_bytes} bytes")
            self.closing = Close.because(CloseReason.TRY_AGAIN_LATER,
                                         WebSocketBufferOverflow(f"the client fell more than {limits} behind"))
        self._closed.set()
