"""What a sender of a live message or command learns when no response came (`Unanswered`), and the
correlation-ids the live hub gives signals that have none."""

from __future__ import annotations

import enum

from twinhub.model.errors import LiveResponseTimeout
from twinhub.model.random_ids import random_uuid

__all__ = ["Unanswered", "new_correlation_id"]


class Unanswered(enum.Enum):
    """Why a message or live command got no response."""

    NOT_AWAITED = "not awaited"  # timeout 0: fire and forget
    NO_RECEIVER = "no receiver"  # nobody could receive it (knowable on a single worker only)
    TIMED_OUT = "timed out"  # received, maybe, but not answered in time (or the hub closed meanwhile)

    def error(self, timeout: float, what: str) -> LiveResponseTimeout:
        """Ditto's 408 `command.timeout` for it; `what` names the signal ("message", "live command")."""
        return LiveResponseTimeout(round(timeout * 1000), unreceived=what if self is Unanswered.NO_RECEIVER else None)


def new_correlation_id() -> str:
    return random_uuid()
