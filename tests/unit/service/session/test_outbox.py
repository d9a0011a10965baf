"""A session's outbox: frames in order, bounded, and the reason a session ends itself."""

from __future__ import annotations

import pytest

from twinhub.service.buffers import Budget
from twinhub.service.session import Close, CloseReason
from twinhub.service.session.outbox import Outbox

pytestmark = pytest.mark.anyio


async def test_frames_come_in_order_until_a_close_drops_the_rest() -> None:
    outbox = Outbox()
    for frame in ("a", "b", "c"):
        outbox.put(frame)
    assert [await outbox.next(), await outbox.next()] == ["a", "b"]
    outbox.close(Close(CloseReason.POLICY_VIOLATION, "gateway:websocket.session.expired: gone"))
    outbox.close(Close(CloseReason.TRY_AGAIN_LATER, "ignored"))  # the first reason wins
    outbox.put("d")
    assert await outbox.next() == Close(CloseReason.POLICY_VIOLATION, "gateway:websocket.session.expired: gone")


async def test_closed_without_a_reason_the_outbox_ends_with_none() -> None:
    outbox = Outbox()
    outbox.put("a")
    outbox.close()
    assert outbox.closed and await outbox.next() is None


async def test_a_client_more_bytes_behind_than_it_may_be_is_told_to_try_again_later() -> None:
    budget = Budget(1000)
    outbox = Outbox(max_bytes=10, budget=budget)
    outbox.put("12345678")
    outbox.put("123")
    assert outbox.closed
    assert await outbox.next() == Close(CloseReason.TRY_AGAIN_LATER, "twinhub:websocket.buffer.overflow: the client "
                                                                     "fell more than 1024 messages or 10 bytes behind")
    assert budget.total == 0
