"""What the real-time benchmark's scenarios share: opening WebSocket sessions as the benchmark's basic user, one
latency run's figures, percentiles and the CPU of the server and of this process."""

from __future__ import annotations

import asyncio
import resource
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Final

import orjson
from websockets.asyncio.client import ClientConnection, connect

from bench.basic_user import AUTH_HEADER
from bench.machine import process_cpu_seconds, process_tree_memory
from twinhub.testing import Server

__all__ = ["LatencyRun", "Update", "open_session", "open_sessions", "own_cpu", "percentile", "rss_kib", "server_cpu",
           "updates"]

OPEN_CONCURRENCY: Final = 50  # sessions opened at once


@dataclass
class LatencyRun:
    subscribers: int
    updates: int  # measured updates (after the warmup)
    expected: int  # deliveries expected of them
    received: int
    duplicates: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    put_p50_ms: float  # the update's own round trip (an HTTP PUT, or a Ditto Protocol command)
    put_p99_ms: float
    frames_per_s: float
    server_cpu_us_per_frame: float
    client_cpu_s: float
    cut_off: int  # sessions the server closed


def percentile(values: list[float], fraction: float) -> float:
    """The value below which `fraction` of `values` lie (nearest rank); 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def rss_kib(server: Server) -> int:
    return sum(process.rss_kib for process in process_tree_memory(server.process.pid))


def server_cpu(server: Server) -> float:
    return process_cpu_seconds([process.pid for process in process_tree_memory(server.process.pid)])


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _ws_url(server: Server) -> str:
    return server.base_url.replace("http://", "ws://") + "/ws/2"


async def open_session(server: Server, control: str | None = None) -> ClientConnection:
    """A session of the basic user; with `control` (a `START-SEND-*`) once the server acknowledged it."""
    socket = await connect(_ws_url(server), additional_headers={"Authorization": AUTH_HEADER}, max_queue=None,
                           open_timeout=30)
    if control is None:
        return socket
    await socket.send(control)
    while (frame := await socket.recv()) != f"{control.partition('?')[0]}:ACK":
        if isinstance(frame, str) and frame.startswith("{"):
            raise RuntimeError(f"{control} was answered with {frame}")
    return socket


async def open_sessions(server: Server, controls: Sequence[str]) -> list[ClientConnection]:
    """One session per control message, `OPEN_CONCURRENCY` opening at a time."""
    sockets: list[ClientConnection] = []
    for start in range(0, len(controls), OPEN_CONCURRENCY):
        batch = controls[start:start + OPEN_CONCURRENCY]
        sockets += await asyncio.gather(*(open_session(server, control) for control in batch))
    return sockets


@dataclass(frozen=True, slots=True)
class Update:
    """A benchmark update as a session received it: its sequence number, the sender's send time and the
    receive time (`perf_counter_ns`), and the event's topic."""

    seq: int
    sent_ns: int
    received_ns: int
    topic: str

    @property
    def latency_ms(self) -> float:
        return (self.received_ns - self.sent_ns) / 1e6


async def updates(socket: ClientConnection, path: str) -> AsyncIterator[Update]:
    """The events at `path` a session receives (other frames skipped), until the connection closes (which
    raises `ConnectionClosed` when the server closed it)."""
    async for frame in socket:
        now = time.perf_counter_ns()
        if not isinstance(frame, str) or not frame.startswith("{"):
            continue
        event = orjson.loads(frame)
        if event.get("path") == path:
            yield Update(event["value"]["seq"], event["value"]["t"], now, event["topic"])
