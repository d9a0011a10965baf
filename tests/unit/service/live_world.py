"""Workers for live-hub tests: each with its own policy and thing services (caches) on one SQLite store,
and its own signal bus (one in-process bus shared by all, or one NATS connection each)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from twinhub.bus.inprocess import InProcessBus
from twinhub.bus.signals import SignalBus
from twinhub.model.commands import ThingCommand
from twinhub.model.events import ThingEvent
from twinhub.model.live import LiveMessage, LiveResponse, LiveSignal
from twinhub.model.policy import PolicyCommand
from twinhub.model.types import JsonObject
from twinhub.service.live import LiveHub, LiveReceiver
from twinhub.service.policies import PolicyService
from twinhub.service.things import ThingService
from twinhub.store.sqlite import open_sqlite_store

OWNER, READER, STRANGER, PINGER = ("nginx:owner",), ("nginx:reader",), ("nginx:stranger",), ("nginx:pinger",)
THING_ID = "org.twinhub.test:lamp"
ALL = ["READ", "WRITE"]


def entry(subject: str, resources: dict[str, dict[str, list[str]]]) -> JsonObject:
    return {"subjects": {subject: {"type": "test"}}, "resources": resources}  # type: ignore[dict-item]


# The owner may do anything; the reader may READ the thing and receive the `public` messages only; the
# pinger may send `ping` messages and nothing else; the stranger has no permission at all.
POLICY: JsonObject = {"entries": {
    "owner": entry("nginx:owner", {"thing:/": {"grant": ALL}, "policy:/": {"grant": ALL},
                                   "message:/": {"grant": ALL}}),
    "reader": entry("nginx:reader", {"thing:/": {"grant": ["READ"]},
                                     "thing:/attributes/secret": {"revoke": ["READ"]},
                                     "message:/inbox/messages/public": {"grant": ["READ"]}}),
    "pinger": entry("nginx:pinger", {"message:/inbox/messages/ping": {"grant": ["WRITE"]}}),
}}
THING: JsonObject = {"attributes": {"model": "T1", "secret": "s3cr3t", "polling": True}}


@dataclass
class Worker:
    hub: LiveHub
    things: ThingService


@contextlib.asynccontextmanager
async def live_workers(path: Path, buses: list[SignalBus]) -> AsyncIterator[list[Worker]]:
    """One worker per bus, all on the SQLite store at `path`, with THING_ID created under POLICY."""
    events = InProcessBus()
    async with open_sqlite_store(path) as store, contextlib.AsyncExitStack() as stack:
        workers = []
        for bus in buses:
            policies = PolicyService(store, events)
            things = ThingService(store, events, policies)
            hub = await stack.enter_async_context(LiveHub(bus, things))
            workers.append(Worker(hub, things))
        policies = PolicyService(store, events)
        await policies.execute(PolicyCommand("modify", THING_ID, (), POLICY), OWNER)
        await ThingService(store, events, policies).execute(
            ThingCommand("modify", THING_ID, (), {**THING, "policyId": THING_ID}), OWNER)
        yield workers
        await events.aclose()


async def next_signal(receiver: LiveReceiver, within: float = 5.0) -> LiveSignal:
    async with asyncio.timeout(within):
        signal = await receiver.next()
    assert signal is not None, "the receiver ended"
    return signal


async def nothing_for(receiver: LiveReceiver, seconds: float = 0.2) -> bool:
    """True when the receiver gets nothing within `seconds` (check after a receiver that does got it)."""
    try:
        async with asyncio.timeout(seconds):
            return await receiver.next() is None
    except TimeoutError:
        return True


def message(subject: str = "public", payload: bytes = b"hello", **headers: str) -> LiveMessage:
    return LiveMessage(THING_ID, subject, "inbox", payload=payload, content_type="text/plain",
                       headers={name.replace("_", "-"): value for name, value in headers.items()})


def responder(hub: LiveHub, receiver: LiveReceiver,
              answer: Callable[[LiveSignal], LiveResponse | None]) -> asyncio.Task[None]:
    """A task answering each signal `receiver` (made with receipts) gets with `answer(signal)` (None: none)."""
    receipts = receiver.receipts
    assert receipts is not None, "a responder answers what it received: give its receiver receipts"

    async def run() -> None:
        async for signal in receiver:
            response = answer(signal)
            if response is not None:
                await hub.respond(response, receipts)

    return asyncio.create_task(run())


def event_requesting(label: str, correlation_id: str = "c-ack", thing_id: str = THING_ID) -> ThingEvent:
    """A twin event whose writer requested an acknowledgement of `label`."""
    return ThingEvent(thing_id, "modified", ("attributes", "model"), "T2", 2, datetime(2024, 5, 1, 12, tzinfo=UTC),
                      headers={"correlation-id": correlation_id, "requested-acks": f'["{label}"]'})
