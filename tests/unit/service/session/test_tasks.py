"""The task group a session's driver passes in: commands bounded in flight, keyed background work."""

from __future__ import annotations

import asyncio
import gc
import logging
import warnings

import pytest

from twinhub.service.session import SessionTasks

pytestmark = pytest.mark.anyio


async def forever() -> None:
    await asyncio.Event().wait()


async def test_commands_beyond_the_bound_wait_for_a_slot() -> None:
    release, finished = asyncio.Event(), asyncio.Event()
    done: list[str] = []

    async def command(name: str) -> None:
        await release.wait()
        done.append(name)
        if len(done) == 2:
            finished.set()

    async with SessionTasks(max_in_flight=1) as tasks:
        await tasks.run(command("first"))
        second = asyncio.create_task(tasks.run(command("second")))
        for _ in range(5):
            await asyncio.sleep(0)
        assert not second.done()  # no slot while the first runs
        release.set()
        await second
        await finished.wait()
    assert done == ["first", "second"]


async def test_work_with_a_key_replaces_the_earlier_work_of_that_key() -> None:
    async with SessionTasks() as tasks:
        first = tasks.start(forever(), key="events")
        second = tasks.start(forever(), key="events")
        assert first is not None and second is not None
        await asyncio.gather(first, return_exceptions=True)
        assert first.cancelled() and not second.done()
        tasks.cancel("events")
        await asyncio.gather(second, return_exceptions=True)
        assert second.cancelled()


async def test_closing_cancels_everything_and_later_work_is_dropped() -> None:
    tasks = SessionTasks()
    running = tasks.start(forever())
    await tasks.aclose()
    assert running is not None and running.cancelled()
    assert tasks.start(forever()) is None  # closed, never awaited, no warning
    await tasks.run(forever())


async def test_a_command_cancelled_before_it_began_is_closed_and_frees_its_slot() -> None:
    """A session closed right after a frame arrived: the command's task never took a step. Its coroutine is closed
    (no "never awaited" warning, which the suite turns into a failure) and its slot is given back."""
    tasks = SessionTasks(max_in_flight=1)
    began: list[str] = []

    async def command() -> None:
        began.append("yes")

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        await tasks.run(command())  # started, not yet run: the loop had no turn
        await tasks.aclose()
        gc.collect()
    assert not began
    assert not [warning for warning in caught if "never awaited" in str(warning.message)]
    assert not tasks._in_flight.locked()  # private: the slot is the point


async def test_work_that_fails_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    async def broken() -> None:
        raise ValueError("a bug")

    with caplog.at_level(logging.ERROR):
        async with SessionTasks() as tasks:
            task = tasks.start(broken())
            assert task is not None
            await asyncio.gather(task, return_exceptions=True)
    assert "session task failed" in caplog.text
