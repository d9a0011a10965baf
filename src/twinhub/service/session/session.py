"""One Ditto Protocol session, with no transport in it: in the spirit of h11's `Connection`, which its
driver (httpcore) feeds bytes and asks for events, a `Session` is fed what its client sent and asked for
what to send back; its driver owns the connection and the loops.

    async with SessionTasks() as tasks:
        session = Session(services, auth, tasks=tasks, declared_acks=labels, refresh=authenticate_token)
        await session.open()
        # reading:  await session.receive_frame(text)     each frame: Ditto Protocol JSON or a control message
        # writing:  output = await session.next_output()  a frame to send, until the session's `Close`
        session.close()

* In: `receive_frame` takes a frame as Ditto's WebSocket carries it (a Ditto Protocol message, or a
  plain-text control message: START-/STOP-SEND-*, JWT-TOKEN); `receive` a decoded envelope (a connection
  that mapped its payload), `control` a decoded control message (a connection's configured streams).
  Every message is answered on its topic and with its correlation-id, errors included: nothing a client
  sends ends the session.
* Out: `next_output` gives the frames in order (Ditto Protocol JSON, or a control message's `:ACK`),
  from one bounded `Outbox`; once the session ended, its `Close` if it ended itself (credentials
  expired or replaced by another subject's, a label lost to another session, a client too slow to keep
  up), which the driver turns into its protocol's close (WebSocket 1008 or 1013). `wait_closed` lets a
  driver stop a write that a slow client blocks.
* Concurrency belongs to the driver, in the task group it passes in (`SessionTasks`): each message runs
  as a task of the group (at most `MAX_COMMANDS_IN_FLIGHT` at once; `receive_frame` waits for a slot,
  so a driver that reads one frame at a time pushes its client back), and so does the background work
  the session starts: its streams (events, live signals), search and history pages, the expiry of its
  credentials. Control messages take effect before `receive_frame` returns, in the order they came.
  The driver ends the work by leaving the group, after `close()`.
* The identity is fixed for connections (a set of subjects, no `refresh`); a WebSocket passes `refresh`
  to check a JWT-TOKEN's token, which must name the same subject.

Everything the session does, it does through the services (`SessionServices`): the same write path,
reads, search, event hub and live hub as HTTP, so a session is tested in process without a socket.
"""

from __future__ import annotations

import asyncio
import enum
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Final

from twinhub.auth.context import AuthContext
from twinhub.model.errors import (
    AcknowledgementLabelNotUnique,
    TwinhubError,
    WebSocketMessageInvalid,
    WebSocketSessionExpired,
    WebSocketSubjectChanged,
)
from twinhub.protocol import CHECK_PERMISSIONS, Envelope, Topic, error_envelope, parse_envelope
from twinhub.service.buffers import Budget
from twinhub.service.receipts import Receipts
from twinhub.service.session.control import Control, TokenRefresh, is_control, parse_control
from twinhub.service.session.live import acknowledgement, live_signal
from twinhub.service.session.outbox import DEFAULT_BUFFER, Close, CloseReason, Outbox
from twinhub.service.session.party import Party, SessionServices
from twinhub.service.session.permissions import check_permissions
from twinhub.service.session.reactive import ReactiveStreams
from twinhub.service.session.streams import start_stream, stop_stream
from twinhub.service.session.tasks import SessionTasks
from twinhub.service.session.twin import policy_command, thing_command

__all__ = ["DEFAULT_MAX_FRAME_SIZE", "Refresh", "Session", "SessionLimits"]

DEFAULT_MAX_FRAME_SIZE: Final = 1024 * 1024
_EXPIRY: Final = ("expiry",)

# Checks a JWT-TOKEN's token: the credentials it stands for, or Ditto's 401.
Refresh = Callable[[str], Awaitable[AuthContext]]


@dataclass(frozen=True, slots=True)
class SessionLimits:
    max_frame_size: int = DEFAULT_MAX_FRAME_SIZE  # a larger frame is answered with an error, not read
    buffer_frames: int = DEFAULT_BUFFER  # frames the client may fall behind before the session closes
    buffer_bytes: int | None = None  # the same in bytes (None: only the frames, and the budget, bound it)


class _State(enum.Enum):
    UNOPENED = "unopened"
    OPENED = "opened"
    CLOSED = "closed"


class Session:
    def __init__(self, services: SessionServices, auth: AuthContext, *, tasks: SessionTasks,
                 declared_acks: Sequence[str] = (), limits: SessionLimits = SessionLimits(),
                 budget: Budget | None = None, refresh: Refresh | None = None, receipts: Receipts | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        outbox = Outbox(frames=limits.buffer_frames, max_bytes=limits.buffer_bytes, budget=budget)
        self._party = Party(services, auth, tasks=tasks, outbox=outbox, declared_acks=tuple(declared_acks))
        self._limits = limits
        self._refresh = refresh
        # What the session received and may answer; sessions of one connection share theirs, so that a
        # device answers through a source what reached it through a target (None: the session's own).
        self._receipts = receipts
        self._clock = clock  # seconds since the epoch, as credentials expire
        self._reactive = ReactiveStreams(self._party)
        self._state = _State.UNOPENED

    @property
    def auth(self) -> AuthContext:
        """Who the session acts as now (a JWT-TOKEN may have refreshed the credentials)."""
        return self._party.auth

    @property
    def closing(self) -> Close | None:
        """Why the session ended itself, if it did."""
        return self._party.outbox.closing

    @property
    def closed(self) -> bool:
        return self._party.outbox.closed

    # -- lifecycle ---------------------------------------------------------------------------------

    async def open(self) -> None:
        """Declare the session's acknowledgement labels and watch its credentials' expiry. A label another
        session holds (or that is another subject's) ends the session at once, as in Ditto."""
        if self._state is not _State.UNOPENED:
            raise RuntimeError("a session can be opened only once")
        self._state = _State.OPENED
        party = self._party
        try:
            party.declaration = await party.services.live.declare(
                party.declared_acks, party, subject=party.auth.default_subject, receipts=self._receipts,
                on_lost=self._lost_labels)
        except TwinhubError as error:
            party.close(CloseReason.POLICY_VIOLATION, error)
            return
        self._expire_with_credentials()

    def close(self) -> None:
        """End the session (idempotent): its labels are released and its pending frames dropped; the work
        it started ends with the driver's task group."""
        if self._state is _State.CLOSED:
            return
        self._state = _State.CLOSED
        if self._party.declaration is not None:
            self._party.declaration.release()
        self._party.outbox.close()

    async def wait_closed(self) -> None:
        """Return once the session ended (it closed itself, or `close()` was called)."""
        await self._party.outbox.wait_closed()

    # -- in ----------------------------------------------------------------------------------------

    async def receive_frame(self, data: str | bytes) -> None:
        """Take one frame from the client: a control message takes effect before this returns, a Ditto
        Protocol message is handed to a task (waiting while too many are in flight). Bytes must be UTF-8."""
        if not self._receiving():
            return
        limit = self._limits.max_frame_size
        if (size := _utf8_size(data, limit)) > limit:
            self._party.reply_error(WebSocketMessageInvalid(
                f"The message of {size} bytes is larger than the maximum of {limit} bytes."), None)
            return
        if isinstance(data, bytes):
            try:
                data = data.decode()
            except UnicodeDecodeError:
                self._party.reply_error(WebSocketMessageInvalid("Binary frames must hold UTF-8 text."), None)
                return
        if not is_control(data):
            await self._party.tasks.run(self._dispatch(data))
        elif (control := parse_control(data)) is None:
            self._party.reply_error(WebSocketMessageInvalid(f"Unknown control message <{data.strip()[:100]}>."),
                                    None)
        else:
            await self.control(control)

    async def receive(self, envelope: Envelope) -> None:
        """Take one decoded Ditto Protocol message, handed to a task (waiting while too many are in flight)."""
        if self._receiving():
            await self._party.tasks.run(self._handle(envelope))

    async def control(self, control: Control) -> None:
        """Start or stop a stream (then `<NAME>:ACK` is sent), or refresh the credentials (JWT-TOKEN)."""
        if not self._receiving():
            return
        party = self._party
        if isinstance(control, TokenRefresh):
            await self._refresh_credentials(control.token)
            return
        if control.start:
            try:
                start_stream(party, control)
            except TwinhubError as error:
                party.reply_error(error, None)
                return
        else:
            stop_stream(party, control.stream)
        party.outbox.put(control.ack)

    def _receiving(self) -> bool:
        if self._state is _State.UNOPENED:
            raise RuntimeError("open the session before giving it messages")
        return self._state is _State.OPENED and not self.closed

    # -- out ---------------------------------------------------------------------------------------

    async def next_output(self) -> str | Close | None:
        """The next frame for the client; once the session ended, its `Close`, or None when `close()`
        ended it."""
        return await self._party.outbox.next()

    # -- Ditto Protocol messages -------------------------------------------------------------------

    async def _dispatch(self, text: str) -> None:
        try:
            envelope = parse_envelope(text)
        except TwinhubError as error:  # a ProtocolError knows the topic and headers it could read
            self._party.send(error_envelope(error))
            return
        await self._handle(envelope)

    async def _handle(self, envelope: Envelope) -> None:
        try:
            await self._route(envelope)
        except TwinhubError as error:
            self._party.reply_error(error, envelope)

    async def _route(self, envelope: Envelope) -> None:
        topic = envelope.topic
        if topic.group == "policies" and topic.criterion == "commands":
            if topic.action == CHECK_PERMISSIONS:
                await check_permissions(self._party, envelope)
            else:
                await policy_command(self._party, envelope)
        elif topic.group != "things":
            raise _unsupported(topic)
        elif topic.criterion == "search":
            await self._reactive.search(envelope)
        elif topic.criterion == "streaming":
            await self._reactive.history(envelope)
        elif topic.criterion == "acks":
            await acknowledgement(self._party, envelope)
        elif topic.channel == "live":
            await live_signal(self._party, envelope)
        elif topic.criterion == "commands":
            await thing_command(self._party, envelope)
        else:
            raise _unsupported(topic)

    # -- credentials -------------------------------------------------------------------------------

    async def _refresh_credentials(self, token: str) -> None:
        """JWT-TOKEN: a fresh token for the same subject keeps the session going."""
        party = self._party
        if self._refresh is None:
            party.reply_error(WebSocketMessageInvalid("This session takes no JWT-TOKEN."), None)
            return
        try:
            auth = await self._refresh(token)
        except TwinhubError as error:
            party.close(CloseReason.POLICY_VIOLATION, error)
            return
        if auth.default_subject != party.auth.default_subject:
            party.close(CloseReason.POLICY_VIOLATION,
                        WebSocketSubjectChanged(party.auth.default_subject, auth.default_subject))
            return
        party.auth = auth
        self._expire_with_credentials()

    def _expire_with_credentials(self) -> None:
        """Close the session when its credentials (a JWT) expire; a JWT-TOKEN refresh moves the moment."""
        expires_at = self._party.auth.expires_at
        if expires_at is None:
            self._party.tasks.cancel(_EXPIRY)
        else:
            self._party.tasks.start(self._expire(expires_at), key=_EXPIRY)

    async def _expire(self, expires_at: float) -> None:
        await asyncio.sleep(max(expires_at - self._clock(), 0.0))
        self._party.close(CloseReason.POLICY_VIOLATION, WebSocketSessionExpired())

    def _lost_labels(self) -> None:
        """A session of another worker declared one of the labels earlier: this one goes, as in Ditto."""
        self._party.close(CloseReason.POLICY_VIOLATION, AcknowledgementLabelNotUnique())


def _unsupported(topic: Topic) -> TwinhubError:
    return WebSocketMessageInvalid(f"Messages with the topic <{topic}> cannot be sent to twinhub.")


def _utf8_size(data: str | bytes, limit: int) -> int:
    """The frame's size in bytes as UTF-8, encoding a text only when its length alone cannot tell (a character
    takes 1 to 4 bytes): the limit is in bytes whatever the transport handed over."""
    if isinstance(data, bytes) or len(data) > limit or len(data) * 4 <= limit:
        return len(data)
    return len(data.encode("utf-8", "surrogatepass"))
