"""The Ditto Protocol session, sans I/O: envelopes and control messages in, frames and a close out.
Every transport drives it (the WebSocket now; MQTT, AMQP, NATS and HTTP-push connections next); see
`twinhub.service.session.session` for the design.

    async with SessionTasks() as tasks:
        session = Session(services, auth, tasks=tasks)
        await session.open()
"""

from twinhub.service.session.admission import SessionCounts
from twinhub.service.session.control import Control, StreamControl, StreamKind, TokenRefresh, parse_control
from twinhub.service.session.outbox import DEFAULT_BUFFER, Close, CloseReason
from twinhub.service.session.party import SessionServices
from twinhub.service.session.session import DEFAULT_MAX_FRAME_SIZE, Refresh, Session, SessionLimits
from twinhub.service.session.tasks import MAX_COMMANDS_IN_FLIGHT, SessionTasks

__all__ = [
    "DEFAULT_BUFFER",
    "DEFAULT_MAX_FRAME_SIZE",
    "MAX_COMMANDS_IN_FLIGHT",
    "Close",
    "CloseReason",
    "Control",
    "Refresh",
    "Session",
    "SessionCounts",
    "SessionLimits",
    "SessionServices",
    "SessionTasks",
    "StreamControl",
    "StreamKind",
    "TokenRefresh",
    "parse_control",
]
