"""Each worker's own part of a connection's status and metrics (the API answers them merged): asked over the
workers' polls (`twinhub.bus.polls`) as the worker that takes a request asks them, from the test."""

from __future__ import annotations

import asyncio
import json
import time

import nats
from nats.aio.client import Client

from tests.integration.services import NATS
from twinhub.model.types import JsonObject

_prefixes: dict[str, str] = {}


async def _prefix(client: Client, stream: str, within: float) -> str:
    """The polls' subject prefix of a deployment on `stream` (`twinhub-polls.<stream>.<epoch>`), from a
    worker's hello (each says one every few seconds)."""
    if stream not in _prefixes:
        hellos = await client.subscribe(f"twinhub-polls.{stream.lower()}.*.hello")
        try:
            hello = await hellos.next_msg(timeout=within)
        finally:
            await hellos.unsubscribe()
        _prefixes[stream] = hello.subject.rpartition(".")[0]
    return _prefixes[stream]


async def each_worker(stream: str, question: JsonObject, workers: int, *, within: float = 15.0) -> list[JsonObject]:
    """The answers of `workers` workers to a question of the connections' polls (fails when fewer answer)."""
    deadline = time.monotonic() + within
    async with await nats.connect(f"nats://{NATS[0]}:{NATS[1]}") as client:
        prefix = await _prefix(client, stream, within)
        inbox = client.new_inbox()
        replies = await client.subscribe(inbox)
        await client.publish(f"{prefix}.ask.connections",
                             json.dumps({"from": "a test", "question": question}).encode(), reply=inbox)
        answers: dict[str, JsonObject] = {}
        while len(answers) < workers:
            reply = json.loads((await replies.next_msg(timeout=max(0.01, deadline - time.monotonic()))).data)
            answers[reply["worker"]] = reply["answer"]
        return list(answers.values())


async def consumed_by_each(stream: str, connection_id: str, workers: int) -> list[int]:
    """What each worker's sources consumed successfully (in the last 24 hours)."""
    answers = await each_worker(stream, {"connectionId": connection_id, "ask": "metrics"}, workers)
    return [int(answer["connectionMetrics"]["inbound"]["consumed"]["success"]["PT24H"])  # type: ignore[index, call-overload, arg-type]
            for answer in answers]


def consumed_by_each_now(stream: str, connection_id: str, workers: int) -> list[int]:
    """`consumed_by_each` for tests outside an event loop."""
    return asyncio.run(consumed_by_each(stream, connection_id, workers))


def clients_open(status: JsonObject) -> int:
    """How many clients of a (merged) /status are open."""
    entries = status.get("clientStatus")
    return sum(1 for entry in entries if isinstance(entry, dict) and entry.get("status") == "open") \
        if isinstance(entries, list) else 0
