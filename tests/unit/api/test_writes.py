"""Waiting for an HTTP write's task: neither the request's timeout nor its cancellation (a dropped client) ever
cancels the write itself."""

from __future__ import annotations

import asyncio

import pytest

from twinhub.api.writes import outcome_within
from twinhub.model.errors import CommandTimeout
from twinhub.service.requested_acks import WriteOutcome

pytestmark = pytest.mark.anyio

DONE = WriteOutcome(created=False, value=None, etag='"rev:2"')


async def _write(gate: asyncio.Event) -> WriteOutcome:
    await gate.wait()
    return DONE


async def test_the_outcome_of_a_write_that_finishes_in_time() -> None:
    gate = asyncio.Event()
    gate.set()
    assert await outcome_within(asyncio.create_task(_write(gate)), 10) == DONE


async def test_a_write_that_fails_raises_its_error() -> None:
    async def failing() -> WriteOutcome:
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        await outcome_within(asyncio.create_task(failing()), 10)


async def test_a_timeout_answers_408_and_the_write_goes_on() -> None:
    gate = asyncio.Event()
    task = asyncio.create_task(_write(gate))
    with pytest.raises(CommandTimeout):
        await outcome_within(task, 0.01)
    assert not task.done()
    gate.set()
    assert await task == DONE


async def test_a_cancelled_request_leaves_the_write_running() -> None:
    gate = asyncio.Event()
    task = asyncio.create_task(_write(gate))
    waiting = asyncio.create_task(outcome_within(task, 10))
    await asyncio.sleep(0)  # the waiter is waiting
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert not task.cancelled()
    gate.set()
    assert await task == DONE
