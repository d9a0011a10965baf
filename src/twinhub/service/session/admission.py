"""How many sessions each subject holds open on this worker, at most `per_subject` at once (a client that
keeps opening sessions costs its own subject its limit, not the worker its memory); and, when the worker
stops, the notice that asks every session to go (`go_away`) and the wait until they all went (`drained`)."""

from __future__ import annotations

import asyncio

from twinhub.model.errors import TooManyRequests

__all__ = ["SessionCounts"]


class SessionCounts:
    def __init__(self, per_subject: int) -> None:
        self.per_subject = per_subject
        self._open: dict[str, int] = {}
        self._going_away = asyncio.Event()
        self._none_open = asyncio.Event()
        self._none_open.set()

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
        self._none_open.clear()

    def leave(self, subject: str) -> None:
        """Count a session of `subject` out (it was admitted)."""
        if (still_open := self.count(subject) - 1) > 0:
            self._open[subject] = still_open
        else:
            self._open.pop(subject, None)
            if not self._open:
                self._none_open.set()

    def go_away(self) -> None:
        """Ask every session, open now or later, to end (the worker is stopping)."""
        self._going_away.set()

    async def gone_away(self) -> None:
        """Return once the sessions are asked to end (at once when they were asked already)."""
        await self._going_away.wait()

    async def drained(self) -> None:
        """Return once no session is open."""
        await self._none_open.wait()
