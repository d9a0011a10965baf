"""Sessions in process, without a socket: the real services on a temporary SQLite store, an in-process
event bus and signal bus, and a client that drives a `Session` as a transport does."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import orjson

from tests.unit.service.live_world import OWNER, POLICY, THING, THING_ID
from twinhub.auth.context import AuthContext
from twinhub.bus.inprocess import InProcessBus
from twinhub.bus.signals import InProcessSignalBus
from twinhub.model.commands import ThingCommand
from twinhub.model.policy import PolicyCommand
from twinhub.model.types import JsonValue, Pointer
from twinhub.service.live import LiveHub
from twinhub.service.permissions import PermissionService
from twinhub.service.policies import PolicyService
from twinhub.service.search import SearchService
from twinhub.service.session import Close, Session, SessionServices, SessionTasks
from twinhub.service.streaming import EventHub
from twinhub.service.things import ThingService
from twinhub.store.sqlite import open_sqlite_store

Frame = dict[str, Any]
WITHIN = 10.0  # seconds any one output may take before a test fails instead of hanging


@contextlib.asynccontextmanager
async def services(path: Path) -> AsyncIterator[SessionServices]:
    """The services of one worker, with THING_ID created by OWNER under POLICY (see `live_world`)."""
    events_bus, signals = InProcessBus(), InProcessSignalBus()
    async with open_sqlite_store(path) as store:
        policies = PolicyService(store, events_bus)
        things = ThingService(store, events_bus, policies)
        await policies.execute(PolicyCommand("modify", THING_ID, (), POLICY), OWNER)
        await things.execute(ThingCommand("modify", THING_ID, (), {**THING, "policyId": THING_ID}), OWNER)
        events = EventHub(events_bus, things, policies=policies)
        async with LiveHub(signals, things) as live:
            hub = asyncio.create_task(events.run())
            await asyncio.sleep(0)  # the hub subscribes to the bus in its first step: no event is missed
            try:
                yield SessionServices(things, policies, SearchService(store, things), events, live,
                                      PermissionService(things, policies))
            finally:
                hub.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await hub
        await events_bus.aclose()
        await signals.aclose()


async def write(world: SessionServices, path: Pointer, value: JsonValue, *, thing_id: str = THING_ID,
                **headers: str) -> None:
    """A change by OWNER, as HTTP would make it (`headers` travel with its event)."""
    await world.things.execute(ThingCommand("modify", thing_id, path, value), OWNER, headers=headers)


class Client:
    """Drives a session as a transport does: frames in, frames out (JSON decoded, control texts as they are)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    async def send(self, message: Frame) -> None:
        await self.session.receive_frame(orjson.dumps(message).decode())

    async def send_text(self, text: str | bytes) -> None:
        await self.session.receive_frame(text)

    async def output(self) -> Frame | str | Close | None:
        async with asyncio.timeout(WITHIN):
            output = await self.session.next_output()
        return orjson.loads(output) if isinstance(output, str) and output.startswith("{") else output

    async def frame(self) -> Frame:
        """The next output, a Ditto Protocol message."""
        output = await self.output()
        assert isinstance(output, dict), output
        return output

    async def control(self, text: str) -> None:
        """Send a control message; its `:ACK` must be the next output."""
        await self.send_text(text)
        assert await self.output() == f"{text.partition('?')[0]}:ACK"

    async def request(self, message: Frame) -> Frame:
        """Send a message with a correlation-id; the next output must answer it."""
        correlation_id = message.setdefault("headers", {}).setdefault("correlation-id", "c-request")
        await self.send(message)
        answer = await self.frame()
        assert answer["headers"]["correlation-id"] == correlation_id, answer
        return answer

    async def closing(self) -> Close:
        """Wait until the session ends itself; why."""
        async with asyncio.timeout(WITHIN):
            await self.session.wait_closed()
        closing = await self.session.next_output()
        assert isinstance(closing, Close), closing
        return closing


@contextlib.asynccontextmanager
async def client(world: SessionServices, subjects: Sequence[str] = OWNER, *, in_flight: int = 1,
                 **options: Any) -> AsyncIterator[Client]:
    """An open session of `subjects`. One message at a time by default (`in_flight`), so that its
    answers come in the order of the messages."""
    async with SessionTasks(max_in_flight=in_flight) as tasks:
        session = Session(world, options.pop("auth", None) or AuthContext(tuple(subjects)), tasks=tasks, **options)
        await session.open()
        try:
            yield Client(session)
        finally:
            session.close()


def topic(rest: str, thing_id: str = THING_ID) -> str:
    namespace, name = thing_id.split(":", 1)
    return f"{namespace}/{name}/{rest}"
