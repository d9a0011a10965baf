"""The connectivity benchmark: persisted, acknowledged twin updates per second from MQTT QoS 1 telemetry, and
their end-to-end latency, beside the broker's own relay rate for the same messages (the floor).

Every message comes from `twinhub simulate`'s library (paho-mqtt, QoS 1, at most `window` unacknowledged),
stamped with its send time, from `devices` simulated devices. Each path runs twice: a **throughput** run (as fast
as the publisher may: `messages` messages) and a **latency** run (a steady `rate` for `latency_messages`
messages, so that queues stay short and the latency is the path's, not a backlog's).

- **floor**: a Mosquitto of the benchmark's own relays them to a paho subscriber (QoS 1) in this process:
  the ceiling of this broker, this client library and this machine for the same messages.
- **device endpoint**: `twinhub serve --mqtt-port` (embedded store), the simulator logged in as a real basic
  user, publishing the readings as JSON objects to `devices/<thingId>/telemetry`; a PUBACK comes after the
  commit, so acknowledged = persisted.
- **connection, N workers**: `twinhub serve --workers N` on PostgreSQL + NATS, an `mqtt-5` connection created
  by a real basic user (the admin) through `/api/2/connections` with a source on the benchmark's Mosquitto (a
  shared subscription: each message to one worker), the readings as Ditto Protocol merge commands.
  Persisted = the things' revisions.

Updates/s = persisted updates (the rise of the things' revisions) ÷ (when the revisions reached their final sum,
polled every 0.25 s once the publisher is done − the first send); latency = the arrival of an update's event
at a WebSocket session − its message's send time. Checks: every message acknowledged, every one persisted
once (the revisions rose by exactly the messages sent), every update's event seen once.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from bench.basic_user import SUBJECT
from bench.connectivity_probe import EventWatcher, RelaySubscriber, revision_sum, wait_for
from bench.connectivity_setup import basic_user_server, pg_nats_server
from bench.http_things import busy_percent
from bench.machine import MachineInfo, machine_info, process_cpu_seconds, process_tree_memory
from bench.mosquitto import Mosquitto, running_mosquitto
from bench.realtime import percentile
from bench.scale_data import DEFAULT_POSTGRES
from bench.scale_out import DEFAULT_NATS
from twinhub.connectivity.simulate import Broker, Fleet, SimulationOptions, Stats, simulate
from twinhub.testing import Server

NAMESPACE = "bench.conn"
SETTLE_S = 60.0  # how long the last relayed messages may take to arrive after the last send
STALL_S = 30.0  # a twin path whose revisions rose for this long no more is done (or stuck)
EVENTS_S = 10.0  # how long the last events may take after the last update landed
POLL_S = 0.05
PERSIST_POLL_S = 0.25
# After the target is reached the sum is watched a little longer, so that a late extra update (a redelivered
# message applied twice) is counted in the leg that caused it rather than in the next one.
LATE_S = 3.0


@dataclass(frozen=True, slots=True)
class ConnectivityOptions:
    messages: int = 20_000  # per throughput run
    latency_messages: int = 500
    rate: float = 50.0  # messages/s of the latency runs: below what every path keeps up with
    devices: int = 100
    window: int = 100  # unacknowledged QoS 1 messages the publisher may have
    workers: tuple[int, ...] = (1, 2)
    postgres_url: str = DEFAULT_POSTGRES
    nats_url: str = DEFAULT_NATS
    keep_data: bool = False


@dataclass
class Leg:
    """One run of the simulator over one path."""

    sent: int = 0
    acked: int = 0  # PUBACKs the publisher got (device endpoint: persisted; Mosquitto: the broker has it)
    arrived: int = 0  # at the subscriber / as events (twin paths: the latency's sample)
    duplicates: int = 0
    persisted: int = -1  # the revisions' rise (-1: not a twin path)
    seconds: float = 0.0  # first send -> last arrival (twin paths: -> the last update persisted)
    per_s: float = 0.0
    events_cut_off: bool = False  # the server closed the event session (it fell behind): fewer latencies
    p50_ms: float = 0.0
    p90_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    puback_p50_ms: float = 0.0
    puback_p99_ms: float = 0.0
    server_cpu_us: float = 0.0  # server (+ PostgreSQL and NATS are not counted) CPU per persisted update


@dataclass
class PathRun:
    name: str
    workers: int
    store: str
    throughput: Leg | None = None
    latency: Leg | None = None
    skipped: str = ""  # why it was not measured
    log_path: str = ""


@dataclass
class ConnectivityReport:
    started_at: str
    machine: MachineInfo
    options: ConnectivityOptions
    mosquitto: str = ""
    busy_before_percent: float = 0.0  # how busy the machine was just before (others' work included)
    floor: PathRun | None = None
    runs: list[PathRun] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    setup_failed: bool = False


def _fleet(devices: int, topic: str, payload_format: str, seed: int) -> Fleet:
    return Fleet(devices, namespace=NAMESPACE, topic=topic, stamp=True, seed=seed, payload_format=payload_format)


def thing_ids(devices: int) -> list[str]:
    return [device.thing_id for device in Fleet(devices, namespace=NAMESPACE).devices]


def _publish(broker: Broker, fleet: Fleet, count: int, rate: float, window: int) -> Stats:
    return simulate(fleet, SimulationOptions(broker, rate=rate, count=count, qos=1, window=window,
                                             record_latency=True, client_id=f"bench-pub-{uuid.uuid4().hex[:8]}"))


def _leg(stats: Stats, arrivals: list[tuple[float, float]], duplicates: int, started_wall: float) -> Leg:
    latencies = [(arrived - sent) * 1000 for arrived, sent in arrivals]
    last = max((arrived for arrived, _ in arrivals), default=started_wall)
    seconds = max(last - started_wall, 1e-9)
    return Leg(sent=stats.sent, acked=stats.acked, arrived=len(arrivals), duplicates=duplicates, seconds=seconds,
               per_s=len(arrivals) / seconds, p50_ms=percentile(latencies, 0.5), p90_ms=percentile(latencies, 0.9),
               p99_ms=percentile(latencies, 0.99), max_ms=max(latencies, default=0.0),
               puback_p50_ms=percentile(stats.latencies, 0.5) * 1000,
               puback_p99_ms=percentile(stats.latencies, 0.99) * 1000)


def _relay_floor(broker: Mosquitto, options: ConnectivityOptions) -> PathRun:
    run = PathRun("floor: Mosquitto relay (publisher → subscriber)", 0, "none")
    prefix = f"bench-relay-{uuid.uuid4().hex[:8]}"
    fleet = _fleet(options.devices, prefix + "/{thingId}/telemetry", "flat", 1)
    with RelaySubscriber(broker.port, prefix) as subscriber:
        run.throughput = _relay_leg(broker, subscriber, fleet, options.messages, 1e9, options)
        run.latency = _relay_leg(broker, subscriber, fleet, options.latency_messages, options.rate, options)
    return run


def _relay_leg(broker: Mosquitto, subscriber: RelaySubscriber, fleet: Fleet, count: int, rate: float,
               options: ConnectivityOptions) -> Leg:
    started = time.time()
    stats = _publish(Broker.parse(broker.url), fleet, count, rate, options.window)
    wait_for(lambda: subscriber.arrivals.count_since(started) >= stats.sent, SETTLE_S)
    return _leg(stats, subscriber.arrivals.since(started), subscriber.arrivals.duplicates, started)


async def _until_persisted(server: Server, authorization: str, things: list[str], target: int) -> tuple[int, float]:
    """Poll the things' revision sum until it reaches `target` (then `LATE_S` more) or stops rising for
    `STALL_S`; (the sum, the wall time it reached the target or last rose). Polled only once the publisher is
    done, so the polls do not compete with it."""
    last_sum, last_rise = -1, time.time()
    while True:
        current = await asyncio.to_thread(revision_sum, server.base_url, authorization, things)
        if current != last_sum:
            last_sum, last_rise = current, time.time()
        if current >= target:
            await asyncio.sleep(LATE_S)
            return await asyncio.to_thread(revision_sum, server.base_url, authorization, things), last_rise
        if time.time() - last_rise > STALL_S:
            return current, last_rise
        await asyncio.sleep(PERSIST_POLL_S)


async def _twin_leg(server: Server, broker: Broker, authorization: str, fleet: Fleet, count: int, rate: float,
                    options: ConnectivityOptions, pids: list[int]) -> Leg:
    """Publish `count` messages at `rate`; the leg ends when every message is persisted (or nothing more lands);
    updates/s from the revisions, latency from the events that reached the WebSocket session."""
    things = thing_ids(options.devices)
    before = await asyncio.to_thread(revision_sum, server.base_url, authorization, things)
    async with EventWatcher(server.base_url, authorization, NAMESPACE) as watcher:
        cpu_before = process_cpu_seconds(pids)
        started = time.time()
        stats = await asyncio.to_thread(_publish, broker, fleet, count, rate, options.window)
        after, landed = await _until_persisted(server, authorization, things, before + stats.sent)
        cpu_after = process_cpu_seconds(pids)
        for _ in range(int(EVENTS_S / POLL_S)):  # the last events may still be on their way
            if watcher.arrivals.count_since(started) >= after - before or watcher.closed:
                break
            await asyncio.sleep(POLL_S)
        leg = _leg(stats, watcher.arrivals.since(started), watcher.arrivals.duplicates, started)
        leg.events_cut_off = watcher.closed
    leg.persisted = after - before
    leg.seconds = max(landed - started, 1e-9)
    leg.per_s = leg.persisted / leg.seconds
    leg.server_cpu_us = (cpu_after - cpu_before) * 1e6 / max(leg.persisted, 1)
    return leg


def _check(run: PathRun, report: ConnectivityReport) -> None:
    if run.skipped:
        report.problems.append(f"{run.name}: not measured: {run.skipped}")
    for kind, leg in (("throughput", run.throughput), ("latency", run.latency)):
        if leg is None:
            continue
        where = f"{run.name}, {kind}"
        if leg.acked != leg.sent:
            report.problems.append(f"{where}: {leg.sent - leg.acked} of {leg.sent} messages were not acknowledged")
        if leg.persisted >= 0 and leg.persisted != leg.sent:
            report.problems.append(f"{where}: the revisions rose by {leg.persisted}, {leg.sent} messages were sent")
        if leg.persisted < 0 and leg.arrived != leg.sent:
            report.problems.append(f"{where}: {leg.arrived} of {leg.sent} messages arrived")
        # Flat out, this process publishes on the cores the server uses and its event session may fall behind
        # and be cut off (a bounded session, as designed): the throughput run's latency is then a sample.
        cut_off_flat_out = kind == "throughput" and leg.events_cut_off
        if leg.persisted >= 0 and leg.arrived != leg.persisted and not cut_off_flat_out:
            why = "the server cut the event session off (it fell behind)" if leg.events_cut_off else "events missing"
            report.problems.append(f"{where}: {leg.arrived} events of {leg.persisted} updates: {why}")
        if leg.duplicates:
            report.problems.append(f"{where}: {leg.duplicates} arrived twice")


def _measure_twin_path(run: PathRun, server: Server, broker: Broker, authorization: str, payload_format: str,
                       topic: str, options: ConnectivityOptions) -> None:
    pids = [process.pid for process in process_tree_memory(server.process.pid)]

    async def legs() -> None:
        # Warm-up: each device's first message creates its thing; then the path runs as it will.
        warm = await _twin_leg(server, broker, authorization, _fleet(options.devices, topic, payload_format, 2),
                               options.devices, 1e9, options, pids)
        if warm.persisted != warm.sent:
            run.skipped = (f"the warm-up's {warm.sent} messages made {warm.persisted} updates (then none for "
                           f"{STALL_S:g} s): "
                           "the path does not deliver")
            return
        run.throughput = await _twin_leg(server, broker, authorization,
                                         _fleet(options.devices, topic, payload_format, 3), options.messages, 1e9,
                                         options, pids)
        run.latency = await _twin_leg(server, broker, authorization,
                                      _fleet(options.devices, topic, payload_format, 4), options.latency_messages,
                                      options.rate, options, pids)

    asyncio.run(legs())


def _device_endpoint(options: ConnectivityOptions, logs: Path) -> PathRun:
    run = PathRun("device endpoint (twinhub serve --mqtt-port)", 1, "embedded (SQLite)")
    with basic_user_server(logs / "device-endpoint") as (server, user, password, authorization):
        run.log_path = str(server.log_path)
        broker = Broker(host="127.0.0.1", port=server.mqtt_port, username=user, password=password)
        _measure_twin_path(run, server, broker, authorization, "flat", "devices/{thingId}/telemetry", options)
    return run


def _connection(broker: Mosquitto, workers: int, options: ConnectivityOptions, logs: Path) -> PathRun:
    run = PathRun(f"Mosquitto + mqtt-5 connection, {workers} worker{'s' if workers > 1 else ''}", workers,
                  "PostgreSQL + NATS")
    prefix = f"bench-conn-{uuid.uuid4().hex[:8]}"
    with pg_nats_server(logs / f"connection-{workers}", workers, options.postgres_url,
                        options.nats_url) as (server, authorization):
        run.log_path = str(server.log_path)
        connection = {"connectionType": "mqtt-5", "connectionStatus": "open", "uri": f"tcp://127.0.0.1:{broker.port}",
                      "sources": [{"addresses": [f"{prefix}/+/telemetry"], "qos": 1,
                                   "authorizationContext": [SUBJECT]}]}
        response = httpx.post(f"{server.base_url}/api/2/connections", json=connection, timeout=60,
                              headers={"Authorization": authorization})
        if response.status_code != 201:
            run.skipped = f"creating the connection was answered {response.status_code}: {response.text[:300]}"
            return run
        _measure_twin_path(run, server, Broker.parse(broker.url), authorization, "ditto",
                           prefix + "/{thingId}/telemetry", options)
    return run


def run(options: ConnectivityOptions) -> ConnectivityReport:
    report = ConnectivityReport(datetime.now(UTC).isoformat(timespec="seconds"), machine_info(), options)
    logs = Path(tempfile.mkdtemp(prefix="twinhub-bench-connectivity-"))
    try:
        report.busy_before_percent = busy_percent()
        with running_mosquitto() as broker:
            report.mosquitto = broker.version
            print("bench: connectivity: floor (Mosquitto relay) ...", flush=True)
            report.floor = _relay_floor(broker, options)
            _check(report.floor, report)
            paths: list[Callable[[], PathRun]] = [partial(_device_endpoint, options, logs)]
            paths += [partial(_connection, broker, workers, options, logs) for workers in options.workers]
            for path in paths:
                try:
                    path_run = path()
                except RuntimeError as error:  # a server that did not start: said, and the next path runs
                    report.problems.append(f"a server did not start: {str(error)[-1500:]}")
                    continue
                print(f"bench: connectivity: {path_run.name}: "
                      f"{path_run.skipped or 'measured'}", flush=True)
                report.runs.append(path_run)
                _check(path_run, report)
    except RuntimeError as error:
        report.problems.append(str(error))
        report.setup_failed = True
    finally:
        if not options.keep_data and not report.problems:
            shutil.rmtree(logs, ignore_errors=True)
    return report


def to_json(report: ConnectivityReport) -> dict[str, Any]:
    data = asdict(report)
    data["machine"] = report.machine.to_json()
    return data
