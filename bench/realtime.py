"""The real-time benchmark: event latency from a PUT to its delivery at many WebSocket subscribers, and live
message round trips per second — each beside a floor measured on the same server in the same run.

- **events**: N sessions (default 1,000) send `START-SEND-EVENTS`; one sender PUTs a property at a steady
  rate, its value carrying the sender's `perf_counter_ns()`; every session records receive time minus that
  (sender and subscribers share this process, so one clock). The floor is the same with one subscriber: the
  latency of a PUT and one delivery, without fan-out.
- **messages**: one WebSocket session answers every message at once (`START-SEND-MESSAGES`); wrk POSTs
  `/inbox/messages/ping` (each request waits for its answer); the floor is `GET /health` with the same wrk
  settings.

The subscribers and the responder run in this process, so their CPU is in the figures too (the report
gives it). Results: `bench/results/<date>-realtime.md` and `.json`.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from bench.basic_user import AUTH_HEADER, sign_in
from bench.http_things import CpuUse, accounted_wrk
from bench.machine import MachineInfo, machine_info
from bench.realtime_routing import SENDERS, routing_runs
from bench.realtime_sessions import (
    LatencyRun,
    open_session,
    open_sessions,
    own_cpu,
    percentile,
    rss_kib,
    server_cpu,
    updates,
)
from bench.served import served
from bench.wrk import WrkResult
from twinhub.testing import Server

NAMESPACE = "bench.rt"
THING = f"{NAMESPACE}:thing-0"
PROPERTY = "/features/f/properties/t"
SETTLE_S = 5.0  # how long to wait for the last deliveries after the sender stopped


@dataclass(frozen=True, slots=True)
class RealtimeOptions:
    subscribers: int = 1000
    rate: float = 5.0  # updates per second: rate x subscribers frames/s must stay within what this process parses
    routing_rate: float = 1000.0  # updates per second in total of the routing scenario (one session each)
    duration_s: int = 10
    warmup_s: int = 2
    connections: int = 32  # wrk, for the message round trips
    threads: int = 2
    keep_data: bool = False


@dataclass
class RealtimeReport:
    started_at: str
    machine: MachineInfo
    options: RealtimeOptions
    memory_kib: dict[str, int] = field(default_factory=dict)
    floor_latency: LatencyRun | None = None
    latency: LatencyRun | None = None
    routing_floor: LatencyRun | None = None
    routing: LatencyRun | None = None
    messages: dict[str, Any] = field(default_factory=dict)
    health: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    setup_failed: bool = False
    server_exit: str = ""
    server_log: dict[str, Any] = field(default_factory=dict)


async def _measure_latency(server: Server, sockets: list[ClientConnection], options: RealtimeOptions) -> LatencyRun:
    latencies: list[float] = []
    seen: list[set[int]] = [set() for _ in sockets]
    duplicates = 0
    cut_off = 0
    warmup_updates = round(options.warmup_s * options.rate)

    async def receive(index: int, socket: ClientConnection) -> None:
        nonlocal duplicates, cut_off
        try:
            async for update in updates(socket, PROPERTY):
                if update.seq in seen[index]:
                    duplicates += 1
                seen[index].add(update.seq)
                if update.seq >= warmup_updates:
                    latencies.append(update.latency_ms)
        except ConnectionClosed:  # the server cut the session off: counted, not fatal
            cut_off += 1

    receivers = [asyncio.create_task(receive(index, socket)) for index, socket in enumerate(sockets)]
    total = warmup_updates + round(options.duration_s * options.rate)
    put_ms: list[float] = []
    cpu_before, own_before = server_cpu(server), own_cpu()
    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=server.base_url, headers={"Authorization": AUTH_HEADER},
                                 timeout=30) as client:
        for seq in range(total):
            await asyncio.sleep(max(0.0, started + seq / options.rate - time.perf_counter()))
            sent = time.perf_counter_ns()
            response = await client.put(f"/api/2/things/{THING}{PROPERTY}", json={"t": sent, "seq": seq})
            if response.status_code != 204:
                raise RuntimeError(f"PUT answered {response.status_code}: {response.text}")
            if seq >= warmup_updates:
                put_ms.append((time.perf_counter_ns() - sent) / 1e6)
    elapsed = time.perf_counter() - started  # frames/s over the sending time
    await asyncio.sleep(SETTLE_S)
    cpu_after, own_after = server_cpu(server), own_cpu()
    for task in receivers:
        task.cancel()
    await asyncio.gather(*receivers, return_exceptions=True)
    measured = total - warmup_updates
    received = sum(len([seq for seq in seen_by if seq >= warmup_updates]) for seen_by in seen)
    frames = sum(len(seen_by) for seen_by in seen)
    return LatencyRun(
        subscribers=len(sockets), updates=measured, expected=measured * len(sockets), received=received,
        duplicates=duplicates, p50_ms=percentile(latencies, 0.5), p90_ms=percentile(latencies, 0.9),
        p99_ms=percentile(latencies, 0.99), max_ms=max(latencies, default=0.0),
        put_p50_ms=statistics.median(put_ms) if put_ms else 0.0, put_p99_ms=percentile(put_ms, 0.99),
        frames_per_s=frames / elapsed, server_cpu_us_per_frame=(cpu_after - cpu_before) * 1e6 / max(frames, 1),
        client_cpu_s=own_after - own_before, cut_off=cut_off)


async def _latency_runs(server: Server, options: RealtimeOptions, report: RealtimeReport) -> None:
    floor_socket = await open_sessions(server, [f"START-SEND-EVENTS?namespaces={NAMESPACE}"])
    report.floor_latency = await _measure_latency(server, floor_socket, options)
    await floor_socket[0].close()
    before = rss_kib(server)
    sockets = await open_sessions(server, [f"START-SEND-EVENTS?namespaces={NAMESPACE}"] * options.subscribers)
    report.memory_kib["before_subscribers"] = before
    report.memory_kib["with_subscribers"] = rss_kib(server)
    report.latency = await _measure_latency(server, sockets, options)
    report.memory_kib["after_latency_run"] = rss_kib(server)
    await asyncio.gather(*(socket.close() for socket in sockets))


_LUA_MESSAGE = f"""
wrk.method = "POST"
wrk.headers["Authorization"] = "{AUTH_HEADER}"
wrk.headers["Content-Type"] = "text/plain"
request = function()
  return wrk.format("POST", "/api/2/things/{THING}/inbox/messages/ping?timeout=10", nil, "ping")
end
"""
_LUA_HEALTH = """
request = function()
  return wrk.format("GET", "/health")
end
"""


def _wrk_json(result: WrkResult, cpu: CpuUse) -> dict[str, Any]:
    server_us = 1e6 * cpu.server_s / result.requests if result.requests else 0.0
    return {**result.to_json(), "cpu_seconds": asdict(cpu), "other_cpu_percent": round(cpu.other_percent, 1),
            "server_cpu_us_per_request": round(server_us, 1)}


async def _message_runs(server: Server, options: RealtimeOptions, report: RealtimeReport) -> None:
    responder = await open_session(server, "START-SEND-MESSAGES")
    answered = 0

    async def answer() -> None:
        nonlocal answered
        async for frame in responder:
            if isinstance(frame, str) and frame.startswith("{"):
                message = orjson.loads(frame)
                await responder.send(orjson.dumps({
                    "topic": message["topic"], "path": message["path"], "status": 200, "value": "pong",
                    "headers": {"correlation-id": message["headers"]["correlation-id"],
                                "content-type": "text/plain"}}).decode())
                answered += 1

    task = asyncio.create_task(answer())
    try:
        wrk = dict(duration_s=options.duration_s, connections=options.connections, threads=options.threads,
                   timeout_s=15)
        floor, floor_cpu, _ = await asyncio.to_thread(accounted_wrk, server, server.base_url, _LUA_HEALTH, **wrk)
        own_before = own_cpu()
        messages, cpu, _ = await asyncio.to_thread(accounted_wrk, server, server.base_url, _LUA_MESSAGE, **wrk)
        own = own_cpu() - own_before
        await asyncio.sleep(2.0)  # answer what wrk left in flight, or those requests wait out their timeout
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await responder.close()
    report.health = _wrk_json(floor, floor_cpu)
    report.messages = {**_wrk_json(messages, cpu), "answered": answered, "responder_cpu_s": round(own, 2),
                       "ratio_to_floor": messages.requests_per_s / floor.requests_per_s}
    if messages.non_2xx or any(messages.socket_errors.values()):
        report.problems.append(f"messages: {messages.non_2xx} non-2xx, socket errors {messages.socket_errors}")


def _check(report: RealtimeReport) -> None:
    for name, run in (("floor", report.floor_latency), ("fan-out", report.latency),
                      ("routing floor", report.routing_floor), ("routing", report.routing)):
        if run is None:
            continue
        if run.received != run.expected:
            report.problems.append(f"{name}: {run.expected - run.received} of {run.expected} deliveries missing")
        if run.duplicates:
            report.problems.append(f"{name}: {run.duplicates} duplicate deliveries")
        if run.cut_off:
            report.problems.append(f"{name}: the server closed {run.cut_off} sessions")


def run(options: RealtimeOptions) -> RealtimeReport:
    report = RealtimeReport(datetime.now(UTC).isoformat(timespec="seconds"), machine_info(), options)
    # One subject holds every session: the subscribers, the routing scenario's senders and the responder.
    sessions = str(options.subscribers + SENDERS + 10)
    with served("twinhub-bench-realtime-", report, keep_data=options.keep_data,
                env={"TWINHUB_MAX_SESSIONS_PER_SUBJECT": sessions}) as server:
        report.memory_kib["after_start"] = rss_kib(server)
        sign_in(server.base_url)
        created = httpx.put(f"{server.base_url}/api/2/things/{THING}", headers={"Authorization": AUTH_HEADER},
                            json={"features": {"f": {"properties": {"t": {}}}}}, timeout=30)
        if created.status_code not in (201, 204):
            report.setup_failed = True
            report.problems.append(f"creating the thing answered {created.status_code}")
            return report
        asyncio.run(_latency_runs(server, options, report))
        asyncio.run(routing_runs(server, options, report))
        asyncio.run(_message_runs(server, options, report))
        report.memory_kib["after_run"] = rss_kib(server)
        _check(report)
    return report


def to_json(report: RealtimeReport) -> dict[str, Any]:
    return {"benchmark": "realtime", "started_at": report.started_at, "machine": report.machine.to_json(),
            "options": asdict(report.options), "memory_kib": report.memory_kib,
            "floor_latency": asdict(report.floor_latency) if report.floor_latency else None,
            "latency": asdict(report.latency) if report.latency else None,
            "routing_floor": asdict(report.routing_floor) if report.routing_floor else None,
            "routing": asdict(report.routing) if report.routing else None,
            "messages": report.messages, "health": report.health, "problems": report.problems,
            "server_exit": report.server_exit, "server_log": report.server_log}


def _latency_table(update: str, runs: tuple[LatencyRun | None, ...]) -> list[str]:
    lines = ["| subscribers | updates | deliveries (expected) | duplicates | p50 ms | p90 ms | p99 ms | max ms | "
             f"{update} p50 / p99 ms | frames/s | server CPU µs/frame | client CPU s |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for run in runs:
        if run is not None:
            lines.append(f"| {run.subscribers:,} | {run.updates} | {run.received:,} ({run.expected:,}) | "
                         f"{run.duplicates} | {run.p50_ms:.1f} | {run.p90_ms:.1f} | {run.p99_ms:.1f} | "
                         f"{run.max_ms:.1f} | {run.put_p50_ms:.1f} / {run.put_p99_ms:.1f} | {run.frames_per_s:,.0f} | "
                         f"{run.server_cpu_us_per_frame:.0f} | {run.client_cpu_s:.1f} |")
    return lines


def to_markdown(report: RealtimeReport) -> str:
    options, floor, fan = report.options, report.floor_latency, report.latency
    lines = [f"# twinhub real-time benchmark — {report.started_at}", "",
             f"- machine: {report.machine.cpus_usable} CPUs usable, {report.machine.cpu_model}",
             f"- git commit: {report.machine.git_commit}",
             "- one server (`twinhub serve`, the real basic user `bench`, embedded store, 1 worker); the subscribers, "
             "the PUT sender and the "
             "message responder run in the benchmark's own process, wrk beside it: all share the machine's cores",
             "", "## Problems", ""]
    lines += [f"- {problem}" for problem in report.problems] or ["- none"]
    lines += ["", f"## Event latency: PUT → delivery, {options.rate:g} updates/s for {options.duration_s} s "
              f"(after {options.warmup_s} s warmup)", "",
              *_latency_table("PUT", (floor, fan))]
    if floor is not None and fan is not None and floor.p50_ms:
        lines += ["", f"**p50 at {fan.subscribers:,} subscribers ÷ p50 at 1 (the floor): "
                  f"{fan.p50_ms / floor.p50_ms:.1f}**; p99 ratio {fan.p99_ms / max(floor.p99_ms, 1e-9):.1f}. "
                  "The latency includes the subscribers' own parsing in this process (client CPU above)."]
    routing_floor, routing = report.routing_floor, report.routing
    if routing_floor is not None or routing is not None:
        lines += ["", f"## Event routing: command → delivery, {options.routing_rate:g} updates/s in total for "
                  f"{options.duration_s} s (after {options.warmup_s} s warmup)", "",
                  "Each of N sessions subscribed to its own thing (`filter=eq(thingId,...)`), the things modified "
                  f"round robin by {SENDERS} sender sessions (Ditto Protocol commands); the floor (1 subscriber) is "
                  "one session subscribed to the namespace, getting every update.", "",
                  *_latency_table("command", (routing_floor, routing))]
        if routing_floor is not None and routing is not None and routing_floor.p50_ms:
            lines += ["", f"**p50 at {routing.subscribers:,} per-thing subscribers ÷ the floor's: "
                      f"{routing.p50_ms / routing_floor.p50_ms:.1f}**; p99 ratio "
                      f"{routing.p99_ms / max(routing_floor.p99_ms, 1e-9):.1f}; server CPU µs/update ratio "
                      f"{routing.server_cpu_us_per_frame / max(routing_floor.server_cpu_us_per_frame, 1e-9):.2f}."]
    if report.messages:
        messages, health = report.messages, report.health
        lines += ["", f"## Live message round trips (wrk, {options.connections} connections, {options.threads} "
                  f"threads, {options.duration_s} s; one WebSocket responder)", "",
                  "| request | req/s | p50 ms | p99 ms | non-2xx | ratio to floor | server CPU µs/req | other CPU % |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|",
                  f"| floor `GET /health` | {health['requests_per_s']:,.0f} | {health['p50_ms']:.1f} | "
                  f"{health['p99_ms']:.1f} | {health['non_2xx']} | 1.000 | "
                  f"{health['server_cpu_us_per_request']:,.0f} | {health['other_cpu_percent']} |",
                  f"| `POST .../inbox/messages/ping` answered | {messages['requests_per_s']:,.0f} | "
                  f"{messages['p50_ms']:.1f} | {messages['p99_ms']:.1f} | {messages['non_2xx']} | "
                  f"{messages['ratio_to_floor']:.3f} | {messages['server_cpu_us_per_request']:,.0f} | "
                  f"{messages['other_cpu_percent']} |",
                  "", f"The responder answered {messages['answered']:,} messages using {messages['responder_cpu_s']} "
                  "CPU s of this process."]
    memory = report.memory_kib
    lines += ["", "## Server memory (RSS, all processes)", ""]
    lines += [f"- {name.replace('_', ' ')}: {kib / 1024:.1f} MiB" for name, kib in memory.items()]
    lines += ["", f"Server shutdown: {report.server_exit}.", ""]
    return "\n".join(lines)
