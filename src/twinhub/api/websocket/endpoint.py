"""`/ws/2`: Ditto's WebSocket. Authenticated like HTTP (also `?access_token=` and credentials offered as a
subprotocol, `twinhub.api.websocket.subprotocol`, for browsers); Ditto
Protocol JSON in and out, plus plain-text control messages (`START-SEND-EVENTS`, `JWT-TOKEN`, ...).

The endpoint only moves frames: it reads each one into the session (`twinhub.service.session`), writes
what the session has for the client, and closes the socket as the session says (1008 for a policy
violation, 1013 for a client that fell behind, with Ditto's error as the reason). A request the session
is refused for gets its Ditto error as the answer to the upgrade. A stopping worker asks its sessions to go
(`SessionCounts.go_away`): each closes with 1001 (going away).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable
from typing import Final

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from twinhub.api.context import Context, context_of
from twinhub.api.headers import ditto_header
from twinhub.api.responses import error_response
from twinhub.api.websocket.origin import check_origin
from twinhub.api.websocket.subprotocol import take_credentials
from twinhub.auth.context import AuthContext
from twinhub.model.errors import TwinhubError
from twinhub.service.session import (
    Close,
    CloseReason,
    Session,
    SessionLimits,
    SessionTasks,
)

__all__ = ["endpoint"]

log = logging.getLogger("twinhub.api.websocket")

# RFC 6455 close codes for the reasons a session ends itself.
CLOSE_CODES: Final = {CloseReason.POLICY_VIOLATION: 1008, CloseReason.TRY_AGAIN_LATER: 1013}
CLOSE_POLICY_VIOLATION: Final = CLOSE_CODES[CloseReason.POLICY_VIOLATION]
CLOSE_GOING_AWAY: Final = 1001
MAX_CLOSE_REASON: Final = 123  # bytes a close frame's reason may hold
# A session cut off for falling behind still gets this long to take its close frame (and reason).
CLOSE_WAIT: Final = 10.0


async def endpoint(websocket: WebSocket) -> None:
    ctx = context_of(websocket)
    try:
        subprotocol = take_credentials(websocket.scope)  # before anything reads the headers
        check_origin(websocket, ctx.settings.cors_origins)
        auth = await ctx.authenticate(websocket)
        # Divergent query and header values were refused with the request's other headers, by `authenticate`.
        declared = ctx.live.parse_declared_acks(ditto_header(websocket, "declared-acks"))
        ctx.sessions.admit(auth.default_subject)  # counted before the first await
    except TwinhubError as error:
        await _refuse(websocket, error)
        return
    try:
        await websocket.accept(subprotocol)
        async with SessionTasks() as tasks:
            session = Session(
                ctx.session_services, auth, tasks=tasks, declared_acks=declared, budget=ctx.budget,
                refresh=lambda token: _authenticate_token(ctx, token),
                limits=SessionLimits(max_frame_size=ctx.settings.max_request_size,
                                     buffer_bytes=ctx.settings.session_buffer_bytes))
            await session.open()
            await _serve(websocket, session, tasks, ctx.sessions.gone_away())
    finally:
        ctx.sessions.leave(auth.default_subject)


async def _serve(websocket: WebSocket, session: Session, tasks: SessionTasks, stopping: Awaitable[None]) -> None:
    """Read and write until the client goes, the session ends or the worker is `stopping`; then close as the
    session says, or with 1001 for a stopping worker."""
    writer = asyncio.create_task(_write(websocket, session))
    reader = asyncio.create_task(_read(websocket, session))
    ended = asyncio.create_task(session.wait_closed())
    going_away = asyncio.ensure_future(stopping)
    try:
        await asyncio.wait({writer, reader, ended, going_away}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        session.close()
        for task in (writer, reader, ended, going_away):
            task.cancel()
        for task in (writer, reader, ended, going_away):
            with contextlib.suppress(BaseException):
                await task
        await tasks.aclose()  # before the close frame: nothing the session started outlives it
    if session.closing is not None and websocket.application_state == WebSocketState.CONNECTED:
        # Operators see which clients are cut off (a client that falls behind learns it only from the frame).
        log.info("closing a WebSocket session (%d): %s", CLOSE_CODES[session.closing.reason], session.closing.message)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(_close(websocket, session.closing), CLOSE_WAIT)
    elif going_away.done() and not going_away.cancelled() and websocket.application_state == WebSocketState.CONNECTED:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(websocket.close(CLOSE_GOING_AWAY), CLOSE_WAIT)


async def _read(websocket: WebSocket, session: Session) -> None:
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            await session.receive_frame(text if text is not None else message.get("bytes") or b"")


async def _write(websocket: WebSocket, session: Session) -> None:
    while isinstance(frame := await session.next_output(), str):
        await websocket.send_text(frame)


async def _close(websocket: WebSocket, closing: Close) -> None:
    await websocket.close(CLOSE_CODES[closing.reason], _close_reason(closing.message))


def _close_reason(text: str) -> str:
    """`text` cut to what a close frame holds (whole characters only)."""
    return text.encode()[:MAX_CLOSE_REASON].decode(errors="ignore")


async def _authenticate_token(ctx: Context, token: str) -> AuthContext:
    """A JWT-TOKEN's token, checked as a bearer token of a request would be."""
    return await ctx.authenticator.authenticate({"authorization": f"Bearer {token}"}, {})


async def _refuse(websocket: WebSocket, error: TwinhubError) -> None:
    """Answer the upgrade request with the Ditto error as an HTTP response where the server allows it;
    otherwise close before accepting (the client sees the handshake fail with 403)."""
    try:
        await websocket.send_denial_response(error_response(error))
    except RuntimeError:
        await websocket.close(CLOSE_POLICY_VIOLATION, _close_reason(f"{error.code}: {error.message}"))
