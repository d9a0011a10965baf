"""How many sessions each subject holds open on this worker, at most `per_subject` at once (a client that
keeps opening sessions costs its own subject its limit, not the worker its memory)."""

from __future__ import annotations

from twinhub.model.errors import TooManyRequests

__all__ = ["SessionCounts"]


class SessionCounts:
    def __init__(self, per_subject: int) -> None:
        self.per_subject = per_subject
        self._open: dict[str, int] = {}

    def count(self, subject: str) -> int:
        return self._open.get(subject, 0)

    def admit(self, subject: str) -> None:
        """Count a new session of `subject` in; raises 429 (Ditto's TooManyRequests) when it holds the most
        it may. Counted at once, so concurrent upgrades cannot all pass the check before one counts."""
        if self.count(subject) >= self.per_subject:
            raise TooManyRequests(
                f"Too many WebSocket sessions of the subject <{subject}>: at most {self.per_subject} may be open "
                "at once.", "Close another session of this subject first.")
        self._open[subject] = self.count(subject) + 1

    def leave(self, subject: str) -> None:
        """Count a session of `subject` out (it was admitted)."""
        if (still_open := self.count(subject) - 1) > 0:
            self._open[subject] = still_open
        else:
            self._open.pop(subject, None)
