"""The concurrent work of one session, in a small task group its driver owns and passes to the session.

    async with SessionTasks() as tasks:
        session = Session(services, auth, tasks=tasks)
        ...                                   # leaving the group cancels what is left, and waits for it

Commands run concurrently, at most `max_in_flight` at once: `run` waits for a slot, so a driver that
hands the session one frame at a time reads no more meanwhile and its client is pushed back (TCP). The
rest runs in the background until done, replaced by work with the same key (a START-SEND-* repeated
with new parameters) or cancelled by key (a STOP-SEND-*): the streams, search and history pages, the
expiry of the session's credentials, weak acknowledgements.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Hashable
from functools import partial
from types import TracebackType
from typing import Any, Final

__all__ = ["MAX_COMMANDS_IN_FLIGHT", "SessionTasks", "Work"]

log = logging.getLogger(__name__)

MAX_COMMANDS_IN_FLIGHT: Final = 100  # per session; more wait to be read (TCP pushes back on the client)

Work = Coroutine[Any, Any, None]


class SessionTasks:
    def __init__(self, *, max_in_flight: int = MAX_COMMANDS_IN_FLIGHT) -> None:
        self._in_flight = asyncio.Semaphore(max_in_flight)
        self._tasks: set[asyncio.Task[None]] = set()
        self._keyed: dict[Hashable, asyncio.Task[None]] = {}
        self._closed = False

    async def __aenter__(self) -> SessionTasks:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.aclose()

    async def run(self, work: Work) -> None:
        """Run `work` (a command) concurrently with the others, once fewer than `max_in_flight` run."""
        try:
            await self._in_flight.acquire()
        except asyncio.CancelledError:
            work.close()
            raise
        if self.start(work, on_done=self._release) is None:
            self._in_flight.release()

    def start(self, work: Work, *, key: Hashable | None = None,
              on_done: Callable[[asyncio.Task[None]], None] | None = None) -> asyncio.Task[None] | None:
        """Run `work` in the background, replacing (cancelling) the work started with the same `key`; the
        task, or None once the group is closed (the work of an ended session is dropped). `on_done` is called
        once the task ended, however (cancelled before it began too)."""
        if self._closed:
            work.close()
            return None
        if key is not None:
            self.cancel(key)
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(partial(self._done, key))
        if on_done is not None:
            task.add_done_callback(on_done)
        if key is not None:
            self._keyed[key] = task
        return task

    def cancel(self, key: Hashable) -> None:
        """Cancel the work started with `key`, if it still runs."""
        task = self._keyed.pop(key, None)
        if task is not None:
            task.cancel()

    async def aclose(self) -> None:
        """Cancel everything and wait until it ended; the group takes no more work. Idempotent."""
        self._closed = True
        while self._tasks:
            tasks = list(self._tasks)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    def _release(self, _task: asyncio.Task[None]) -> None:
        self._in_flight.release()

    def _done(self, key: Hashable | None, task: asyncio.Task[None]) -> None:
        # A task cancelled before its first step never ran its coroutine: closed here, it is not reported as
        # "never awaited" (a no-op for one that ran).
        coroutine = task.get_coro()
        if coroutine is not None:
            coroutine.close()
        self._tasks.discard(task)
        if key is not None and self._keyed.get(key) is task:
            del self._keyed[key]
        if not task.cancelled() and (error := task.exception()) is not None:
            log.error("session task failed", exc_info=error)
