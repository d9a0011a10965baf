"""One WebSocket session: who it is, what it subscribed to, and its bounded outbound buffer.

Everything the session sends (responses, events, messages, acks) goes through one queue drained by
one writer task, so frames never interleave and a slow client costs only its own buffer: when it
holds `DEFAULT_BUFFER` frames or `session_buffer_bytes`, or when all sessions and streams of the worker
together pass `buffer_budget_bytes` and this one holds the most, the session is closed (1013) with
a clear reason, never slowing the write path or the other sessions.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any, Final

from starlette.websockets import WebSocket, WebSocketState

from twinhub.api.context import Context
from twinhub.api.views import ORIGIN_HEADER
from twinhub.api.websocket.control import StreamKind
from twinhub.auth.context import AuthContext
from twinhub.protocol import Envelope, encode_envelope
from twinhub.service.buffers import CutOffQueue
from twinhub.service.live import Declaration, Receipts

log = logging.getLogger(__name__)

# Ditto does not publish a signal back to the session it came from (its "same origin" rule): signals a
# session issues carry its id in ORIGIN_HEADER, and its feeds skip them. Clients cannot set `ditto-*` headers.
DEFAULT_BUFFER: Final = 1024  # frames waiting to be written to a slow client before it is cut off
MAX_COMMANDS_IN_FLIGHT: Final = 100  # per session; more wait to be read (TCP pushes back on the client)

# RFC 6455 close codes used here.
CLOSE_POLICY_VIOLATION: Final = 1008
CLOSE_TRY_AGAIN_LATER: Final = 1013
# A session cut off for falling behind still gets this long to take its close frame (and reason).
CLOSE_WAIT: Final = 10.0


class SessionClosed(Exception):
    """Raised into work that outlives its session."""


class Session:
    def __init__(self, websocket: WebSocket, ctx: Context, auth: AuthContext, *,
                 declared_acks: tuple[str, ...] = (), buffer: int = DEFAULT_BUFFER) -> None:
        self.websocket = websocket
        self.ctx = ctx
        self.auth = auth
        self.declared_acks = declared_acks
        self.id = f"ws:{uuid.uuid4()}"
        self._buffer = buffer
        self._buffer_bytes = ctx.settings.session_buffer_bytes
        self._outbound: CutOffQueue[str] = CutOffQueue(buffer, max_bytes=self._buffer_bytes, budget=ctx.budget,
                                                       on_close=self._outbound_closed)
        self._streams: dict[StreamKind, asyncio.Task[None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._in_flight = asyncio.Semaphore(MAX_COMMANDS_IN_FLIGHT)
        self._close: tuple[int, str] | None = None
        self.closed = asyncio.Event()
        self._timer: asyncio.Task[None] | None = None
        self.declaration: Declaration | None = None  # the acknowledgement labels it may issue

    @property
    def subjects(self) -> tuple[str, ...]:
        return self.auth.subjects

    @property
    def receipts(self) -> Receipts:
        """What the session received and may answer (set up with its declaration, before any stream)."""
        assert self.declaration is not None, "a session streams only once it declared its labels"
        return self.declaration.receipts

    def issued(self, headers: Mapping[str, str]) -> bool:
        """Whether the signal with these headers came from this session (then it is not sent back)."""
        return headers.get(ORIGIN_HEADER) == self.id

    # -- sending -----------------------------------------------------------------------------------

    def send(self, frame: str) -> None:
        """Queue `frame` (shared with other sessions as it is: a str costs its bytes once); a session whose
        client does not keep up is closed instead of buffering more."""
        if not self.closed.is_set():
            self._outbound.offer(frame, len(frame))

    def _outbound_closed(self) -> None:
        if self._outbound.over_budget:
            self.close(CLOSE_TRY_AGAIN_LATER, "twinhub:websocket.buffer.overflow: the server's buffers for slow "
                                              "clients are full and this session held the most")
        elif self._outbound.overflowed:
            self.close(CLOSE_TRY_AGAIN_LATER, f"twinhub:websocket.buffer.overflow: the client fell more than "
                                              f"{self._buffer} messages or {self._buffer_bytes} bytes behind")

    def send_envelope(self, envelope: Envelope) -> None:
        self.send(encode_envelope(envelope).decode())

    def close(self, code: int, reason: str) -> None:
        """Close the session (once): the writer stops and the socket is closed with `code` and `reason`."""
        if self.closed.is_set():
            return
        self._close = (code, reason[:123])  # a close frame's reason holds at most 123 bytes
        self.closed.set()
        self._outbound.close(drop_pending=True)  # what a closing session has not written is never written

    async def write_loop(self) -> None:
        while (frame := await self._outbound.next()) is not None:
            await self.websocket.send_text(frame)

    # -- concurrent work ---------------------------------------------------------------------------

    async def spawn_command(self, work: Callable[[], Awaitable[None]]) -> None:
        """Run one incoming command concurrently with the others, at most MAX_COMMANDS_IN_FLIGHT at once."""
        await self._in_flight.acquire()

        async def run() -> None:
            try:
                await work()
            finally:
                self._in_flight.release()

        self._track(asyncio.create_task(run()))

    def _track(self, task: asyncio.Task[None]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None and not isinstance(error, SessionClosed):
            log.error("websocket session task failed", exc_info=error)

    def start_stream(self, kind: StreamKind, feed: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """(Re)start the stream `kind`: a START-SEND-* replaces the same stream's earlier parameters."""
        self.stop_stream(kind)
        task = asyncio.create_task(feed())
        self._streams[kind] = task
        self._track(task)

    def stop_stream(self, kind: StreamKind) -> None:
        task = self._streams.pop(kind, None)
        if task is not None:
            task.cancel()

    def start_timer(self, expiry: Coroutine[Any, Any, None]) -> None:
        """(Re)arm the session's one timer (the expiry of its credentials)."""
        self.stop_timer()
        self._timer = asyncio.create_task(expiry)
        self._track(self._timer)

    def stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def streaming(self, kind: StreamKind) -> bool:
        return kind in self._streams

    def track(self, task: asyncio.Task[None]) -> None:
        """Own a background task (search or history streams): cancelled when the session ends."""
        self._track(task)

    async def shutdown(self) -> None:
        """Cancel everything the session started and close the socket with the reason, if any."""
        self.closed.set()
        self._outbound.close(drop_pending=True)  # its bytes go back to the worker's budget
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(BaseException):
                await task
        if self._close is not None and self.websocket.application_state == WebSocketState.CONNECTED:
            code, reason = self._close
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.websocket.close(code, reason), CLOSE_WAIT)
