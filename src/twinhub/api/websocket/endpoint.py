"""`/ws/2`: Ditto's WebSocket. Authenticated like HTTP (also `?access_token=` for browsers); Ditto
Protocol JSON in and out, plus plain-text control messages (`START-SEND-EVENTS`, `JWT-TOKEN`, ...)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from starlette.websockets import WebSocket, WebSocketDisconnect

from twinhub.api.context import Context, context_of
from twinhub.api.websocket.commands import dispatch, reply_error
from twinhub.api.websocket.control import StreamControl, TokenRefresh, is_control, parse_control
from twinhub.api.websocket.session import CLOSE_POLICY_VIOLATION, Session
from twinhub.api.websocket.streams import start_stream
from twinhub.auth.context import AuthContext
from twinhub.model.errors import (
    AcknowledgementLabelNotUnique,
    TooManyRequests,
    TwinhubError,
    WebSocketMessageInvalid,
    WebSocketSessionExpired,
    WebSocketSubjectChanged,
)

log = logging.getLogger(__name__)


async def endpoint(websocket: WebSocket) -> None:
    ctx = context_of(websocket)
    try:
        auth = await ctx.authenticate(websocket)
        declared = ctx.live.parse_declared_acks(websocket.query_params.get("declared-acks"))
    except TwinhubError as error:
        await _refuse(websocket, error)
        return
    subject = auth.default_subject
    limit = ctx.settings.max_sessions_per_subject
    if ctx.sessions.get(subject, 0) >= limit:
        await _refuse(websocket, TooManyRequests(
            f"Too many WebSocket sessions of the subject <{subject}>: at most {limit} may be open at once.",
            "Close another session of this subject first."))
        return
    ctx.sessions[subject] = ctx.sessions.get(subject, 0) + 1  # counted before the first await
    try:
        await _serve(websocket, ctx, auth, declared)
    finally:
        if (open_now := ctx.sessions[subject] - 1) > 0:
            ctx.sessions[subject] = open_now
        else:
            del ctx.sessions[subject]


async def _serve(websocket: WebSocket, ctx: Context, auth: AuthContext, declared: tuple[str, ...]) -> None:
    await websocket.accept()
    session = Session(websocket, ctx, auth, declared_acks=declared)
    try:
        declaration = session.declaration = await ctx.live.declare(
            declared, session, subject=auth.default_subject, on_lost=lambda: _lost_labels(session))
    except TwinhubError as error:  # a label another session holds, or another subject's: Ditto closes the socket
        await websocket.close(CLOSE_POLICY_VIOLATION, f"{error.code}: {error.message}"[:123])
        return
    _expire_with_credentials(session)
    writer = asyncio.create_task(session.write_loop())
    reader = asyncio.create_task(_read_loop(session))
    closing = asyncio.create_task(session.closed.wait())
    try:
        await asyncio.wait({writer, reader, closing}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        declaration.release()
        for task in (writer, reader, closing):
            task.cancel()
        for task in (writer, reader, closing):
            with contextlib.suppress(BaseException):
                await task
        await session.shutdown()


def _lost_labels(session: Session) -> None:
    """A session of another worker declared one of the labels earlier: this one goes, as in Ditto."""
    error = AcknowledgementLabelNotUnique()
    session.close(CLOSE_POLICY_VIOLATION, f"{error.code}: {error.message}")


async def _refuse(websocket: WebSocket, error: TwinhubError) -> None:
    """Answer the upgrade request with the Ditto error as an HTTP response where the server allows it;
    otherwise close before accepting (the client sees the handshake fail with 403)."""
    from twinhub.api.responses import error_response

    try:
        await websocket.send_denial_response(error_response(error))
    except RuntimeError:
        await websocket.close(CLOSE_POLICY_VIOLATION, f"{error.code}: {error.message}"[:123])


async def _read_loop(session: Session) -> None:
    websocket = session.websocket
    limit = session.ctx.settings.max_request_size
    with contextlib.suppress(WebSocketDisconnect):
        while not session.closed.is_set():
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            if text is None:
                data = message.get("bytes") or b""
                try:
                    text = data.decode()
                except UnicodeDecodeError:
                    reply_error(session, WebSocketMessageInvalid("Binary frames must hold UTF-8 text."), None)
                    continue
            if len(text) > limit:
                reply_error(session, WebSocketMessageInvalid(
                    f"The message of {len(text)} bytes is larger than the maximum of {limit} bytes."), None)
                continue
            if is_control(text):
                await _control(session, text)
            else:
                await session.spawn_command(lambda text=text: dispatch(session, text))  # type: ignore[misc]


async def _control(session: Session, text: str) -> None:
    control = parse_control(text)
    if control is None:
        reply_error(session, WebSocketMessageInvalid(f"Unknown control message <{text.strip()[:100]}>."), None)
        return
    if isinstance(control, TokenRefresh):
        await _refresh_token(session, control.token)
        return
    assert isinstance(control, StreamControl)
    if control.start:
        try:
            start_stream(session, control)
        except TwinhubError as error:
            reply_error(session, error, None)
            return
    else:
        session.stop_stream(control.stream)
    session.send(control.ack)


async def _refresh_token(session: Session, token: str) -> None:
    """`JWT-TOKEN?jwtToken=...`: a fresh token for the same subject keeps the session going."""
    try:
        auth = await session.ctx.authenticator.authenticate({"authorization": f"Bearer {token}"}, {})
    except TwinhubError as error:
        session.close(CLOSE_POLICY_VIOLATION, f"{error.code}: {error.message}")
        return
    if auth.default_subject != session.auth.default_subject:
        changed = WebSocketSubjectChanged(session.auth.default_subject, auth.default_subject)
        session.close(CLOSE_POLICY_VIOLATION, f"{changed.code}: {changed.message}")
        return
    session.auth = auth
    _expire_with_credentials(session)


def _expire_with_credentials(session: Session) -> None:
    """Close the session when its credentials (a JWT) expire; a `JWT-TOKEN` refresh moves the moment."""
    expires_at = session.auth.expires_at
    if expires_at is None:
        session.stop_timer()
        return

    async def expire() -> None:
        await asyncio.sleep(max(expires_at - time.time(), 0.0))
        error = WebSocketSessionExpired()
        session.close(CLOSE_POLICY_VIOLATION, f"{error.code}: {error.message}")

    session.start_timer(expire())
