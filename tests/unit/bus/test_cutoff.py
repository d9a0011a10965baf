from __future__ import annotations

import asyncio

import pytest

from twinhub.bus.cutoff import Budget, CutOffQueue


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


def test_a_subscriber_more_than_max_bytes_behind_is_cut_off() -> None:
    async def run() -> tuple[list[bytes], bool, int]:
        queue: CutOffQueue[bytes] = CutOffQueue(100, max_bytes=10)
        for item in (b"aaaa", b"bbbb", b"cccc"):
            queue.offer(item, len(item))
        return [item async for item in queue], queue.overflowed, queue.queued_bytes

    assert asyncio.run(run()) == ([b"aaaa", b"bbbb"], True, 0)


def test_one_item_larger_than_max_bytes_passes_when_nothing_is_queued() -> None:
    async def run() -> tuple[int | None, bool]:
        queue: CutOffQueue[int] = CutOffQueue(10, max_bytes=10)
        queue.offer(1, 50)
        return await queue.next(), queue.overflowed

    assert asyncio.run(run()) == (1, False)


def test_bytes_are_released_as_items_are_taken() -> None:
    async def run() -> list[int]:
        queue: CutOffQueue[int] = CutOffQueue(100, max_bytes=10)
        taken = []
        for item in range(20):  # 6 bytes each: never more than one waits
            queue.offer(item, 6)
            taken.append(await queue.next())
        assert not queue.overflowed and queue.queued_bytes == 0
        return [item for item in taken if item is not None]

    assert asyncio.run(run()) == list(range(20))


def test_a_shared_budget_cuts_off_the_queues_holding_the_most_until_it_is_kept() -> None:
    async def run() -> None:
        budget = Budget(100)
        small, large, middle = (CutOffQueue[int](100, budget=budget) for _ in range(3))
        small.offer(1, 10)
        large.offer(1, 40)
        middle.offer(1, 30)
        assert budget.total == 80 and not any(queue.closed for queue in (small, large, middle))
        middle.offer(2, 30)  # 110: `middle` now holds the most (60) and goes; 50 remain
        assert middle.closed and middle.overflowed and middle.over_budget
        assert not large.closed and not small.closed
        assert budget.total == 50 and middle.queued_bytes == 0
        assert [item async for item in middle] == []  # dropped: the memory is what the budget is for
        large.offer(2, 60)  # 110 again: `large` (100) goes, `small` stays
        assert large.over_budget and not small.closed and budget.total == 10

    asyncio.run(run())


def test_closing_a_queue_returns_its_bytes_to_the_budget() -> None:
    async def run() -> int:
        budget = Budget(100)
        queue: CutOffQueue[int] = CutOffQueue(10, budget=budget)
        queue.offer(1, 30)
        queue.offer(2, 30)
        await queue.next()
        queue.close()
        assert [item async for item in queue] == [2]
        return budget.total

    assert asyncio.run(run()) == 0
