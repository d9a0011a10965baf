"""Questions to every worker on a real NATS server: several `NatsPolls` (one connection each, one subject
prefix) stand for the workers of a deployment."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import uuid
from collections.abc import AsyncIterator

import nats
import pytest

from tests.connectivity.polling import until
from twinhub.bus.polls import Handler, InProcessPolls, NatsPolls, open_nats_polls
from twinhub.model.types import JsonObject

pytestmark = pytest.mark.anyio


def _named(name: str) -> Handler:
    async def answer(question: JsonObject) -> JsonObject:
        return {"worker": name, "echo": question}
    return answer


@contextlib.asynccontextmanager
async def _workers(url: str, count: int, prefix: str) -> AsyncIterator[list[NatsPolls]]:
    async with contextlib.AsyncExitStack() as stack:
        polls = [await stack.enter_async_context(open_nats_polls(url, subject_prefix=prefix)) for _ in range(count)]
        for each in polls:  # every worker knows every other (hello on open, hello back to a newcomer)
            await until(functools.partial(_known, each, count), "the workers know each other", within=10)
        yield polls


async def _known(polls: NatsPolls, count: int) -> bool:
    return len(polls.alive()) == count


@pytest.fixture
def prefix() -> str:
    return f"twinhub-polls-test.{uuid.uuid4().hex[:10]}"


async def test_every_worker_answers_and_the_asker_returns_once_all_did(nats_url: str, prefix: str) -> None:
    async with _workers(nats_url, 3, prefix) as polls:
        for n, each in enumerate(polls):
            each.answer("t", _named(f"w{n}"))
        # A long wait that ends as soon as the three answered (a hang would show as the test's timeout).
        answers = await asyncio.wait_for(polls[1].ask("t", {"q": 1}, wait=60), 20)
        assert answers[0]["worker"] == "w1"  # its own first
        assert sorted(str(answer["worker"]) for answer in answers) == ["w0", "w1", "w2"]
        assert all(answer["echo"] == {"q": 1} for answer in answers)


async def test_a_worker_that_does_not_answer_in_time_is_missing(nats_url: str, prefix: str) -> None:
    stuck = asyncio.Event()

    async def never(question: JsonObject) -> JsonObject:
        await stuck.wait()
        return {"worker": "late"}

    async with _workers(nats_url, 2, prefix) as polls:
        polls[0].answer("t", _named("w0"))
        polls[1].answer("t", never)
        answers = await polls[0].ask("t", {}, wait=0.5)
        assert [answer["worker"] for answer in answers] == ["w0"]
        stuck.set()


async def test_a_failing_or_too_large_answer_is_missing_and_the_answerer_goes_on(nats_url: str, prefix: str) -> None:
    async def failing(question: JsonObject) -> JsonObject:
        raise RuntimeError("a bug")

    async def huge(question: JsonObject) -> JsonObject:
        return {"worker": "huge", "blob": "x" * 2_000_000}

    async with _workers(nats_url, 3, prefix) as polls:
        polls[0].answer("t", _named("w0"))
        polls[1].answer("t", failing)
        polls[2].answer("t", huge)
        assert [answer["worker"] for answer in await polls[0].ask("t", {}, wait=0.5)] == ["w0"]
        polls[1].answer("t", _named("w1"))
        polls[2].answer("t", _named("w2"))
        answers = await polls[0].ask("t", {}, wait=20)
        assert sorted(str(answer["worker"]) for answer in answers) == ["w0", "w1", "w2"]


async def test_hostile_questions_on_the_wire_are_ignored(nats_url: str, prefix: str) -> None:
    async with _workers(nats_url, 2, prefix) as polls:
        polls[0].answer("t", _named("w0"))
        polls[1].answer("t", _named("w1"))
        async with await nats.connect(nats_url) as stranger:
            inbox = stranger.new_inbox()
            replies = await stranger.subscribe(inbox)
            for junk in (b"\xff\xfe", b"[1, 2]", b'{"question": 5}', b"{" * 100_000, b"[" * 100_000, b""):
                await stranger.publish(f"{prefix}.ask.t", junk, reply=inbox)
            await stranger.publish(f"{prefix}.ask.t", b'{"question": {}}')  # nowhere to answer
            await stranger.publish(f"{prefix}.hello", b"y" * 100_000)  # no phantom worker to wait for
            await stranger.flush()
            with pytest.raises(nats.errors.TimeoutError):
                await replies.next_msg(timeout=0.5)
        assert len(polls[0].alive()) == 2
        answers = await asyncio.wait_for(polls[0].ask("t", {}, wait=60), 20)
        assert sorted(str(answer["worker"]) for answer in answers) == ["w0", "w1"]


async def test_a_closed_worker_is_not_waited_for(nats_url: str, prefix: str) -> None:
    async with _workers(nats_url, 2, prefix) as polls:
        polls[0].answer("t", _named("w0"))
        await polls[1].aclose()
        await until(lambda: _known(polls[0], 1), "the closed worker forgotten", within=10)
        assert [answer["worker"] for answer in await asyncio.wait_for(polls[0].ask("t", {}, wait=60), 20)] == ["w0"]


async def test_one_worker_in_process_answers_itself_at_once() -> None:
    polls = InProcessPolls()
    assert await polls.ask("t", {}) == []
    polls.answer("t", _named("only"))
    assert await asyncio.wait_for(polls.ask("t", {"q": 2}, wait=60), 5) == [{"worker": "only", "echo": {"q": 2}}]
