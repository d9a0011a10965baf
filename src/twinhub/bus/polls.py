"""Polls of every worker: a question asked of all workers of a deployment, their answers collected for a short,
bounded wait (the connectivity API asks for the status, metrics and logs of each worker's clients).

    async with open_nats_polls(url, subject_prefix=...) as polls:
        polls.answer("connections", handler)               # this worker answers (async JSON -> JSON)
        answers = await polls.ask("connections", question, wait=1.5)

`ask` returns each answer of a worker that answered within `wait` (its own included); a worker that is slow,
gone or whose answer is too large to travel is missing, never an error. It returns early once every worker
known to be alive answered: workers say hello when they open and every `HEARTBEAT` seconds after, and are
forgotten `3 * HEARTBEAT` seconds after they were last heard (or at once when they close).

Core NATS, no JetStream: polls are not stored. `InProcessPolls` (one worker) answers from its own handler at
once, never waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Final, Protocol

import nats.errors
import orjson
from nats.aio.client import Client
from nats.aio.msg import Msg

from twinhub.model.errors import ServiceUnavailable
from twinhub.model.random_ids import random_uuid_hex
from twinhub.model.types import JsonObject

__all__ = ["DEFAULT_POLL_WAIT", "HEARTBEAT", "Handler", "InProcessPolls", "NatsPolls", "WorkerPolls",
           "open_nats_polls"]

log = logging.getLogger(__name__)

DEFAULT_POLL_WAIT: Final = 1.5  # seconds
HEARTBEAT: Final = 5.0  # seconds between a worker's hellos
_CONNECT_TIMEOUT: Final = 10.0
_MAX_ANSWERING: Final = 64  # questions answered at once; more are left unanswered (a flood)
_MAX_WORKERS: Final = 4096  # other workers known at once; hellos of more are ignored (a flood)

_WORKER_ID: Final = re.compile(r"[0-9a-f]{32}")  # uuid4().hex

Handler = Callable[[JsonObject], Awaitable[JsonObject]]


class WorkerPolls(Protocol):
    # Whether other workers answer too (then `ask` waits for them).
    shared: bool

    def answer(self, topic: str, handler: Handler) -> None:
        """Answer the questions of `topic` with `handler` (one per topic and worker; a later one replaces it)."""
        ...

    async def ask(self, topic: str, question: JsonObject, *, wait: float = DEFAULT_POLL_WAIT) -> list[JsonObject]:
        """The answers of every worker that answered within `wait` seconds, this one's first."""
        ...


async def _answer_of(handlers: dict[str, Handler], topic: str, question: JsonObject) -> JsonObject | None:
    handler = handlers.get(topic)
    if handler is None:
        return None
    try:
        return await handler(question)
    except Exception:  # one worker's bug makes it missing from the answers, not the poll fail
        log.exception("answering a poll of %s failed", topic)
        return None


class InProcessPolls:
    """One worker: its own answer, at once."""

    shared = False

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    def answer(self, topic: str, handler: Handler) -> None:
        self._handlers[topic] = handler

    async def ask(self, topic: str, question: JsonObject, *, wait: float = DEFAULT_POLL_WAIT) -> list[JsonObject]:
        answer = await _answer_of(self._handlers, topic, question)
        return [] if answer is None else [answer]


class NatsPolls:
    """`WorkerPolls` on core NATS, on a connection of its own. Open it once with `async with`."""

    shared = True

    def __init__(self, url: str, *, subject_prefix: str, heartbeat: float = HEARTBEAT,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._url = url
        self._prefix = subject_prefix
        self._heartbeat = heartbeat
        self._clock = clock
        self.worker = random_uuid_hex()
        self._handlers: dict[str, Handler] = {}
        self._seen: dict[str, float] = {}  # worker -> when last heard
        self._client: Client | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._beating: asyncio.Task[None] | None = None

    async def __aenter__(self) -> NatsPolls:
        client = Client()
        try:
            async with asyncio.timeout(_CONNECT_TIMEOUT):
                await client.connect(self._url, name="twinhub-polls", max_reconnect_attempts=-1,
                                     reconnect_time_wait=2, error_cb=self._on_error)
            await client.subscribe(f"{self._prefix}.ask.*", cb=self._asked)
            await client.subscribe(f"{self._prefix}.hello", cb=self._hello)
            await client.subscribe(f"{self._prefix}.bye", cb=self._bye)
            await client.flush()
        except (TimeoutError, nats.errors.Error, OSError) as exc:
            await client.close()
            where = self._url.rpartition("@")[2]  # never log credentials
            raise ServiceUnavailable(f"The worker polls at {where} are unreachable.") from exc
        self._client = client
        self._beating = asyncio.create_task(self._beat())
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        client, self._client = self._client, None
        for task in (self._beating, *self._tasks):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if client is not None:
            with contextlib.suppress(nats.errors.Error, OSError):
                await client.publish(f"{self._prefix}.bye", self.worker.encode())
            with contextlib.suppress(nats.errors.Error):
                await client.drain()

    def answer(self, topic: str, handler: Handler) -> None:
        self._handlers[topic] = handler

    def alive(self) -> set[str]:
        """The workers heard of lately (this one included)."""
        oldest = self._clock() - 3 * self._heartbeat
        return {worker for worker, heard in self._seen.items() if heard >= oldest} | {self.worker}

    async def ask(self, topic: str, question: JsonObject, *, wait: float = DEFAULT_POLL_WAIT) -> list[JsonObject]:
        client = self._client
        own = await _answer_of(self._handlers, topic, question)
        answers = [] if own is None else [own]
        expected = self.alive() - {self.worker}
        if client is None or not expected:
            return answers
        inbox = client.new_inbox()
        replies: asyncio.Queue[Msg] = asyncio.Queue(maxsize=1024)

        async def collect(msg: Msg) -> None:
            with contextlib.suppress(asyncio.QueueFull):  # more workers than that: the rest are missing
                replies.put_nowait(msg)

        answered: set[str] = set()
        subscription = None
        try:
            subscription = await client.subscribe(inbox, cb=collect)
            data = orjson.dumps({"from": self.worker, "question": question})
            await client.publish(f"{self._prefix}.ask.{topic}", data, reply=inbox)
            async with asyncio.timeout(wait):
                while not expected <= answered:
                    reply = _decoded((await replies.get()).data)
                    worker, answer = reply.get("worker"), reply.get("answer")
                    if isinstance(worker, str) and worker not in answered and isinstance(answer, dict):
                        answered.add(worker)
                        answers.append(answer)
        except TimeoutError:
            log.info("polling %s: %d of %d workers answered in time", topic, len(answered), len(expected))
        except (nats.errors.Error, OSError) as exc:  # what answered so far is the answer
            log.warning("polling %s failed: %r", topic, exc)
        finally:
            if subscription is not None:
                with contextlib.suppress(nats.errors.Error):
                    await subscription.unsubscribe()
        return answers

    async def _asked(self, msg: Msg) -> None:
        request = _decoded(msg.data)
        question, sender = request.get("question"), request.get("from")
        if sender == self.worker or not msg.reply or not isinstance(question, dict) or \
                len(self._tasks) >= _MAX_ANSWERING:
            return
        topic = msg.subject.rpartition(".")[2]
        task = asyncio.create_task(self._reply(topic, question, msg.reply))  # a slow answer holds no other
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _reply(self, topic: str, question: JsonObject, reply: str) -> None:
        answer = await _answer_of(self._handlers, topic, question)
        client = self._client
        if answer is None or client is None:
            return
        data = orjson.dumps({"worker": self.worker, "answer": answer})
        if len(data) > client.max_payload:
            log.warning("an answer to a poll of %s is too large to travel (%d bytes)", topic, len(data))
            return
        with contextlib.suppress(nats.errors.Error, OSError):
            await client.publish(reply, data)

    async def _hello(self, msg: Msg) -> None:
        worker = msg.data.decode(errors="replace")
        if worker == self.worker or not _WORKER_ID.fullmatch(worker):
            return
        new = worker not in self._seen
        if new and len(self._seen) >= _MAX_WORKERS:
            return
        self._seen[worker] = self._clock()
        if new and self._client is not None:  # a newcomer learns of us at once
            with contextlib.suppress(nats.errors.Error, OSError):
                await self._client.publish(f"{self._prefix}.hello", self.worker.encode())

    async def _bye(self, msg: Msg) -> None:
        self._seen.pop(msg.data.decode(errors="replace"), None)

    async def _beat(self) -> None:
        while True:
            client = self._client
            if client is not None:
                with contextlib.suppress(nats.errors.Error, OSError):
                    await client.publish(f"{self._prefix}.hello", self.worker.encode())
            oldest = self._clock() - 3 * self._heartbeat
            for worker in [worker for worker, heard in self._seen.items() if heard < oldest]:
                del self._seen[worker]
            await asyncio.sleep(self._heartbeat)

    async def _on_error(self, exc: Exception) -> None:
        log.warning("NATS worker polls: %r", exc)


def _decoded(data: bytes) -> JsonObject:
    try:
        value = orjson.loads(data)  # nesting beyond 1024 levels is an error, not a crash
    except orjson.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def open_nats_polls(url: str, *, subject_prefix: str, heartbeat: float = HEARTBEAT) -> NatsPolls:
    return NatsPolls(url, subject_prefix=subject_prefix, heartbeat=heartbeat)
