from __future__ import annotations

import asyncio

import pytest

from twinhub.bus.cutoff import CutOffQueue


def test_items_come_out_in_order_and_the_stream_ends_after_close() -> None:
    async def run() -> list[int]:
        queue: CutOffQueue[int] = CutOffQueue(3)
        for item in (1, 2, 3):
            queue.offer(item)
        queue.close()
        return [item async for item in queue]

    assert asyncio.run(run()) == [1, 2, 3]


def test_a_subscriber_that_falls_behind_is_cut_off_not_grown() -> None:
    async def run() -> tuple[list[int], bool]:
        closed: list[bool] = []
        queue: CutOffQueue[int] = CutOffQueue(2, on_close=lambda: closed.append(True))
        for item in range(5):
            queue.offer(item)
        assert closed == [True]
        return [item async for item in queue], queue.overflowed

    assert asyncio.run(run()) == ([0, 1], True)


def test_close_can_drop_what_is_pending_and_is_idempotent() -> None:
    async def run() -> list[int]:
        calls: list[int] = []
        queue: CutOffQueue[int] = CutOffQueue(5, on_close=lambda: calls.append(1))
        queue.offer(1)
        queue.close(drop_pending=True)
        queue.close()
        queue.offer(2)
        assert calls == [1]
        return [item async for item in queue]

    assert asyncio.run(run()) == []


def test_a_cancelled_wait_loses_nothing() -> None:
    async def run() -> int | None:
        queue: CutOffQueue[int] = CutOffQueue(1)
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(queue.next(), 0.01)
        queue.offer(7)
        return await queue.next()

    assert asyncio.run(run()) == 7


def test_capacity_must_be_positive() -> None:
    with pytest.raises(ValueError):
        CutOffQueue(0)
