"""Sessions per subject on a worker."""

from __future__ import annotations

import asyncio

import pytest

from twinhub.model.errors import TooManyRequests
from twinhub.service.session import SessionCounts

pytestmark = pytest.mark.anyio


def test_a_subject_holds_at_most_its_limit_of_sessions_and_others_are_not_affected() -> None:
    counts = SessionCounts(2)
    counts.admit("nginx:busy")
    counts.admit("nginx:busy")
    with pytest.raises(TooManyRequests) as refused:
        counts.admit("nginx:busy")
    assert refused.value.status == 429
    counts.admit("nginx:other")
    counts.leave("nginx:busy")
    counts.admit("nginx:busy")
    assert (counts.count("nginx:busy"), counts.count("nginx:other")) == (2, 1)
    counts.leave("nginx:other")
    assert counts.count("nginx:other") == 0


async def test_going_away_reaches_sessions_opened_before_and_after_and_drained_waits_for_the_last() -> None:
    counts = SessionCounts(2)
    counts.admit("nginx:a")
    counts.admit("nginx:b")
    waiting = asyncio.create_task(counts.gone_away())
    drained = asyncio.create_task(counts.drained())
    await asyncio.sleep(0)
    assert not waiting.done() and not drained.done()
    counts.go_away()
    await asyncio.wait_for(waiting, 1)
    await asyncio.wait_for(counts.gone_away(), 1)  # a session that comes later is asked at once
    counts.leave("nginx:a")
    await asyncio.sleep(0)
    assert not drained.done()
    counts.leave("nginx:b")
    await asyncio.wait_for(drained, 1)


async def test_drained_returns_at_once_when_no_session_is_open() -> None:
    await asyncio.wait_for(SessionCounts(1).drained(), 1)
