"""The real-time benchmark's event-routing scenario: N WebSocket sessions (default 1,000), each subscribed to its
own thing as a Ditto client does it (`START-SEND-EVENTS?filter=eq(thingId,"<its thing>")`), while a few
sender sessions modify those things round robin at `routing_rate` updates/s in total (default 1,000) as Ditto
Protocol commands; every update reaches exactly one session. Its value carries the sender's
`perf_counter_ns()`, so each session measures command-to-delivery on the sender's clock.

The floor, in the same run on the same server: the same commands at the same rate, all delivered to one session
subscribed to the namespace (the same writes and frames, one subscription instead of N).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

import httpx
import orjson
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from bench.basic_user import AUTH_HEADER
from bench.realtime_sessions import LatencyRun, open_session, open_sessions, own_cpu, percentile, server_cpu, updates
from twinhub.testing import Server

if TYPE_CHECKING:
    from bench.realtime import RealtimeOptions, RealtimeReport

__all__ = ["SENDERS", "routing_runs"]

NAMESPACE: Final = "bench.route"
PROPERTY: Final = "/features/f/properties/t"
SENDERS: Final = 4  # sender sessions, each with its commands in flight at once
CREATE_CONCURRENCY: Final = 20
SETTLE_S: Final = 5.0  # how long to wait for the last deliveries and responses after the senders stopped


def _thing(index: int) -> str:
    return f"{NAMESPACE}:thing-{index}"


@dataclass
class _Tally:
    """What the receiving sessions saw."""

    warmup: int
    latencies: list[float] = field(default_factory=list)
    seen: set[int] = field(default_factory=set)
    duplicates: int = 0
    misrouted: int = 0  # an update of another session's thing
    cut_off: int = 0

    async def receive(self, socket: ClientConnection, thing_id: str | None) -> None:
        try:
            async for update in updates(socket, PROPERTY):
                if thing_id is not None and not update.topic.startswith(thing_id.replace(":", "/", 1) + "/"):
                    self.misrouted += 1
                if update.seq in self.seen:
                    self.duplicates += 1
                self.seen.add(update.seq)
                if update.seq >= self.warmup:
                    self.latencies.append(update.latency_ms)
        except ConnectionClosed:  # the server cut the session off: counted, not fatal
            self.cut_off += 1


async def _answers(socket: ClientConnection, sent: dict[str, int], round_trips: list[float],
                   failures: list[str]) -> None:
    """The responses of one sender's commands: their round trip, and any that was not a success."""
    async for frame in socket:
        if not isinstance(frame, str) or not frame.startswith("{"):
            continue
        response = orjson.loads(frame)
        started = sent.pop(response.get("headers", {}).get("correlation-id", ""), None)
        if started is not None:
            round_trips.append((time.perf_counter_ns() - started) / 1e6)
        if not 200 <= response.get("status", 0) < 300:
            failures.append(frame[:300])


async def _send(senders: list[ClientConnection], things: int, options: RealtimeOptions,
                round_trips: list[float], failures: list[str]) -> float:
    """Send `routing_rate` modify commands a second, round robin over things and senders, for the warmup and
    the duration; the seconds it took."""
    total = round((options.warmup_s + options.duration_s) * options.routing_rate)
    warmup = round(options.warmup_s * options.routing_rate)
    sent: dict[str, int] = {}
    readers = [asyncio.create_task(_answers(socket, sent, round_trips, failures)) for socket in senders]
    started = time.perf_counter()
    seq = 0
    while seq < total:
        due = min(total, int((time.perf_counter() - started) * options.routing_rate) + 1)
        while seq < due:
            thing_id = _thing(seq % things)
            namespace, _, name = thing_id.partition(":")
            correlation_id = f"r{seq}"
            now = time.perf_counter_ns()
            if seq >= warmup:
                sent[correlation_id] = now
            await senders[seq % len(senders)].send(orjson.dumps({
                "topic": f"{namespace}/{name}/things/twin/commands/modify", "path": PROPERTY,
                "value": {"t": now, "seq": seq}, "headers": {"correlation-id": correlation_id}}).decode())
            seq += 1
        await asyncio.sleep(0.001)
    elapsed = time.perf_counter() - started
    await asyncio.sleep(SETTLE_S)
    for task in readers:
        task.cancel()
    await asyncio.gather(*readers, return_exceptions=True)
    if sent:
        failures.append(f"{len(sent)} commands unanswered")
    return elapsed


async def _measure(server: Server, receivers: list[tuple[ClientConnection, str | None]], things: int,
                   options: RealtimeOptions, problems: list[str], name: str) -> LatencyRun:
    tally = _Tally(warmup=round(options.warmup_s * options.routing_rate))
    tasks = [asyncio.create_task(tally.receive(socket, thing_id)) for socket, thing_id in receivers]
    senders = [await open_session(server) for _ in range(SENDERS)]
    round_trips: list[float] = []
    failures: list[str] = []
    cpu_before, own_before = server_cpu(server), own_cpu()
    elapsed = await _send(senders, things, options, round_trips, failures)
    cpu_after, own_after = server_cpu(server), own_cpu()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await asyncio.gather(*(socket.close() for socket in senders))
    total = round((options.warmup_s + options.duration_s) * options.routing_rate)
    measured = total - tally.warmup
    problems += [f"{name}: command failed: {failure}" for failure in failures[:5]]
    if tally.misrouted:
        problems.append(f"{name}: {tally.misrouted} events reached a session subscribed to another thing")
    latencies = tally.latencies
    return LatencyRun(
        subscribers=len(receivers), updates=measured, expected=measured,
        received=len([seq for seq in tally.seen if seq >= tally.warmup]), duplicates=tally.duplicates,
        p50_ms=percentile(latencies, 0.5), p90_ms=percentile(latencies, 0.9), p99_ms=percentile(latencies, 0.99),
        max_ms=max(latencies, default=0.0),
        put_p50_ms=statistics.median(round_trips) if round_trips else 0.0, put_p99_ms=percentile(round_trips, 0.99),
        frames_per_s=len(tally.seen) / elapsed,
        server_cpu_us_per_frame=(cpu_after - cpu_before) * 1e6 / max(len(tally.seen), 1),
        client_cpu_s=own_after - own_before, cut_off=tally.cut_off)


async def _create_things(server: Server, count: int) -> None:
    limit = asyncio.Semaphore(CREATE_CONCURRENCY)
    async with httpx.AsyncClient(base_url=server.base_url, headers={"Authorization": AUTH_HEADER},
                                 timeout=60) as client:
        async def create(index: int) -> None:
            async with limit:
                response = await client.put(f"/api/2/things/{_thing(index)}",
                                            json={"features": {"f": {"properties": {"t": {}}}}})
                if response.status_code not in (201, 204):
                    raise RuntimeError(f"creating {_thing(index)} answered {response.status_code}: {response.text}")

        await asyncio.gather(*(create(index) for index in range(count)))


async def routing_runs(server: Server, options: RealtimeOptions, report: RealtimeReport) -> None:
    """The floor (one namespace subscriber), then N per-thing subscribers, into `report`."""
    things = options.subscribers
    await _create_things(server, things)
    floor = await open_session(server, f"START-SEND-EVENTS?namespaces={NAMESPACE}")
    report.routing_floor = await _measure(server, [(floor, None)], things, options, report.problems, "routing floor")
    await floor.close()
    controls = [f'START-SEND-EVENTS?filter=eq(thingId,"{_thing(index)}")' for index in range(things)]
    sockets = await open_sessions(server, controls)
    report.routing = await _measure(server, [(socket, _thing(index)) for index, socket in enumerate(sockets)],
                                    things, options, report.problems, "routing")
    await asyncio.gather(*(socket.close() for socket in sockets))
