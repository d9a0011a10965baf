"""The "foundation" HTTP benchmarks: the /health floor, GET a thing, PUT a feature property.

One fresh server on a fresh data dir serves every scenario of a run, so the figures compare with
each other and, above all, with the floor measured on the same server minutes apart.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import resource
import shutil
import signal
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx

from bench.basic_user import AUTH_HEADER, add_basic_user, sign_in
from bench.machine import (
    MachineInfo,
    ProcessMemory,
    SystemCpu,
    all_process_cpu,
    filesystem_of,
    machine_info,
    process_cpu_seconds,
    process_tree_memory,
    system_cpu,
    top_consumers,
)
from bench.wrk import WrkResult, run_wrk
from twinhub.testing import Server, start_server

NAMESPACE = "bench"
PRELOAD_CONCURRENCY = 32

_T = TypeVar("_T")


class ServerStartError(RuntimeError):
    pass


def thing_id(index: int) -> str:
    return f"{NAMESPACE}:thing-{index}"


def thing_body(index: int) -> dict[str, Any]:
    """Two attributes and one feature with one property: the shape of Ditto's own HTTP benchmark."""
    return {
        "attributes": {"manufacturer": "ACME", "serialNumber": f"SN-{index:06d}"},
        "features": {"f": {"properties": {"p": 0}}},
    }


@dataclass(frozen=True, slots=True)
class Options:
    duration_s: int = 10
    warmup_s: int = 2
    connections: int = 64
    threads: int = 2
    things: int = 1000
    wrk_timeout_s: int = 10
    only: tuple[str, ...] = ()
    keep_data: bool = False


# --- the Lua side of each scenario ---------------------------------------------------------------
# Every script builds each request in Lua (`request()`), the floor included, so that the client-side
# cost per request is alike in all of them: wrk shares the CPU with the server.

def _lua_floor(options: Options) -> str:
    return f"""
local n = {options.things}
request = function()
  local _ = math.random(0, n - 1)
  return wrk.format("GET", "/health")
end
"""


def _lua_get_thing(options: Options) -> str:
    return f"""
local n = {options.things}
wrk.headers["Authorization"] = "{AUTH_HEADER}"
request = function()
  return wrk.format("GET", string.format("/api/2/things/{NAMESPACE}:thing-%d", math.random(0, n - 1)))
end
"""


def _lua_put_property(options: Options) -> str:
    return f"""
local n = {options.things}
wrk.headers["Authorization"] = "{AUTH_HEADER}"
wrk.headers["Content-Type"] = "application/json"
request = function()
  local path = string.format("/api/2/things/{NAMESPACE}:thing-%d/features/f/properties/p", math.random(0, n - 1))
  return wrk.format("PUT", path, nil, tostring(math.random(0, 1000000)))
end
"""


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    request: str
    measures: str
    lua: Callable[[Options], str]
    writes: bool = False
    dev: bool = False  # measured on the second server, in development mode (`--dev`), beside its own floor


FLOOR = Scenario("floor", "GET /health", "the server + wrk ceiling: no auth, no store, a constant body",
                 _lua_floor)
# What the development-mode rows leave out: the same requests, but `--dev` takes any basic user unchecked.
_DEV = ("; in development mode (`--dev`: any basic user, no password check, no user store), so the difference "
        "to {name} is what authenticating a real user costs")
SCENARIOS: dict[str, Scenario] = {
    scenario.name: scenario
    for scenario in (
        Scenario("get-thing", "GET /api/2/things/{id}",
                 "read path: basic auth, routing, id parsing, cache/store lookup, JSON render + ETag",
                 _lua_get_thing),
        Scenario("put-property", "PUT /api/2/things/{id}/features/f/properties/p",
                 "write path: every request a durable write (journal + thing) through the group commit",
                 _lua_put_property, writes=True),
        Scenario("get-thing-dev", "GET /api/2/things/{id}",
                 "read path" + _DEV.format(name="get-thing"), _lua_get_thing, dev=True),
        Scenario("put-property-dev", "PUT /api/2/things/{id}/features/f/properties/p",
                 "write path" + _DEV.format(name="put-property"), _lua_put_property, writes=True, dev=True),
    )
}


# --- talking to the server (setup and checks, not measured by wrk) --------------------------------

async def preload(base_url: str, count: int) -> dict[str, Any]:
    statuses: dict[int, int] = {}
    semaphore = asyncio.Semaphore(PRELOAD_CONCURRENCY)
    headers = {"Authorization": AUTH_HEADER}
    limits = httpx.Limits(max_connections=PRELOAD_CONCURRENCY)
    async with httpx.AsyncClient(base_url=base_url, headers=headers, limits=limits, timeout=60) as client:

        async def create(index: int) -> None:
            async with semaphore:
                response = await client.put(f"/api/2/things/{thing_id(index)}", json=thing_body(index))
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

        started = time.perf_counter()
        await asyncio.gather(*(create(index) for index in range(count)))
        elapsed = time.perf_counter() - started
    return {
        "things": count,
        "concurrency": PRELOAD_CONCURRENCY,
        "seconds": round(elapsed, 3),
        "creates_per_s": round(count / elapsed, 1),
        "statuses": {str(status): n for status, n in sorted(statuses.items())},
    }


def revision_sum(base_url: str, count: int) -> tuple[int, int]:
    """(sum of the revisions of all benchmark things, how many were found), read 100 ids at a time."""
    total = found = 0
    with httpx.Client(base_url=base_url, headers={"Authorization": AUTH_HEADER}, timeout=60) as client:
        for start in range(0, count, 100):
            ids = ",".join(thing_id(index) for index in range(start, min(start + 100, count)))
            response = client.get("/api/2/things", params={"ids": ids, "fields": "thingId,_revision"})
            response.raise_for_status()
            for thing in response.json():
                total += int(thing["_revision"])
                found += 1
    return total, found


def settled(read: Callable[[], _T], *, timeout_s: float = 15.0, interval_s: float = 0.5) -> _T:
    """`read()` once it stops moving (or after `timeout_s`): writes wrk sent but did not wait for still land
    after it exits."""
    deadline = time.monotonic() + timeout_s
    previous = read()
    while time.monotonic() < deadline:
        time.sleep(interval_s)
        current = read()
        if current == previous:
            return current
        previous = current
    return previous


def settled_revision_sum(base_url: str, count: int, *, timeout_s: float = 15.0) -> tuple[int, int]:
    """`revision_sum` once it stops moving."""
    return settled(lambda: revision_sum(base_url, count), timeout_s=timeout_s)


def _check_read_back(base_url: str, report: Report) -> None:
    """One preloaded thing reads back as written: the GET scenario measures real responses."""
    index = 0
    response = httpx.get(f"{base_url}/api/2/things/{thing_id(index)}", headers={"Authorization": AUTH_HEADER},
                         timeout=10)
    expected = {"thingId": thing_id(index), **thing_body(index)}
    body = response.json() if response.status_code == 200 else None
    ok = isinstance(body, dict) and all(body.get(key) == value for key, value in expected.items())
    report.checks.append({"check": "a preloaded thing reads back as written", "ok": ok,
                          "detail": f"GET {thing_id(index)} -> {response.status_code} "
                                    f"({len(response.content)} bytes, ETag {response.headers.get('etag')})"})
    if not ok:
        report.problems.append(f"GET {thing_id(index)} returned {response.status_code}: {response.text[:300]}")


def reap_leftovers(pids: list[int], grace_s: float = 5.0) -> list[int]:
    """Which of the server's processes (started by this run) are still alive; SIGKILLs those."""
    deadline = time.monotonic() + grace_s
    while True:
        alive = [pid for pid in pids if _is_server_process(pid)]
        if not alive or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    for pid in alive:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return alive


def _is_server_process(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return b"twinhub" in cmdline and state != "Z"


def server_alive(server: Server) -> bool:
    if server.process.poll() is not None:
        return False
    try:
        return httpx.get(f"{server.base_url}/health", timeout=5).status_code == 200
    except httpx.TransportError:
        return False


_NOTABLE = re.compile(r"Traceback|\b(ERROR|CRITICAL|FATAL|WARNING|WARN)\b|[Ee]xception|panick", re.ASCII)


# The warning a server in development mode logs at start: expected of the development-mode server only.
DEV_MODE_WARNING = "INSECURE development authentication is on"


def log_findings(log: str, limit: int = 40, *, expected: str | None = None) -> dict[str, Any]:
    """Notable server log lines (errors, warnings, tracebacks; dev mode's warning too, unless it is `expected`)."""
    lines = log.splitlines()
    notable = [index for index, line in enumerate(lines)
               if _NOTABLE.search(line) and not (expected is not None and expected in line)]
    excerpt: list[str] = []
    if notable:
        first = notable[0]
        excerpt = lines[first:first + limit]
    return {"log_lines": len(lines), "notable_lines": len(notable), "excerpt": excerpt}


# --- the run --------------------------------------------------------------------------------------

def busy_percent(seconds: float = 1.0) -> float:
    """How busy the machine's CPUs are (including hypervisor steal), measured over `seconds`."""
    before = system_cpu()
    time.sleep(seconds)
    after = system_cpu()
    if after.total_s <= before.total_s:
        return 0.0
    return round(100 * (after.busy_s - before.busy_s + after.steal_s - before.steal_s)
                 / (after.total_s - before.total_s), 1)


@dataclass(frozen=True, slots=True)
class CpuUse:
    """Where the machine's CPU went during one measured wrk run, in CPU seconds."""

    server_s: float
    wrk_s: float
    irq_s: float  # kernel interrupt/softirq time: mostly loopback networking, caused by the load itself
    other_s: float  # none of the above nor below: other work on the machine, i.e. noise
    steal_s: float
    capacity_s: float  # wall time x CPUs
    database_s: float = 0.0  # a database server's processes (PostgreSQL), when the server uses one
    bus_s: float = 0.0  # an event bus server's processes (NATS), when the server uses one

    @classmethod
    def between(cls, server_before: float, server_after: float, wrk_before: float, wrk_after: float,
                system_before: SystemCpu, system_after: SystemCpu, *, database_s: float = 0.0,
                bus_s: float = 0.0) -> CpuUse:
        server = server_after - server_before
        wrk = wrk_after - wrk_before
        irq = system_after.irq_s - system_before.irq_s
        busy = system_after.busy_s - system_before.busy_s
        other = max(busy - server - wrk - irq - database_s - bus_s, 0.0)
        return cls(round(server, 2), round(wrk, 2), round(irq, 2), round(other, 2),
                   round(system_after.steal_s - system_before.steal_s, 2),
                   round(system_after.total_s - system_before.total_s, 2), round(database_s, 2), round(bus_s, 2))

    @property
    def other_percent(self) -> float:
        """CPU used by neither server nor wrk (plus steal), as a share of the machine's capacity."""
        return 100 * (self.other_s + self.steal_s) / self.capacity_s if self.capacity_s else 0.0


@dataclass
class Row:
    scenario: str
    request: str
    result: WrkResult
    ratio_to_floor: float
    warmup_non_2xx: int
    cpu: CpuUse
    other_processes: list[dict[str, Any]]  # the biggest CPU users besides server and wrk (the noise)

    @property
    def server_us_per_request(self) -> float:
        """Server CPU time per request: much less sensitive to a busy machine than req/s."""
        return 1e6 * self.cpu.server_s / self.result.requests if self.result.requests else 0.0


@dataclass
class ServerRecord:
    """One server of a run: how it authenticates, its preload, memory, shutdown and log."""

    authentication: str  # "a basic user" or "development mode (--dev)"
    preload: dict[str, Any] = field(default_factory=dict)
    memory_after_preload: list[ProcessMemory] = field(default_factory=list)
    memory_after_run: list[ProcessMemory] = field(default_factory=list)
    exit: str = ""
    log: dict[str, Any] = field(default_factory=dict)


@dataclass
class Report:
    started_at: str
    machine: MachineInfo
    options: Options
    filesystem: str
    rows: list[Row] = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)
    servers: list[ServerRecord] = field(default_factory=list)  # the basic user's, then the development-mode one
    problems: list[str] = field(default_factory=list)
    data_dir: str = ""
    busy_before_percent: float = 0.0  # the machine's CPU use in the second before the server started
    setup_failed: bool = False  # nothing was measured: the things could not be created


# Which backend a process is (pid, command name -> "database", "bus" or None): their CPU is accounted apart.
BackendOf = Callable[[int, str], str | None]


def backend_cpu(before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]],
                backend_of: BackendOf) -> tuple[dict[str, float], set[int]]:
    """CPU seconds used between two `all_process_cpu` snapshots by each kind of backend process, and their
    pids (processes that ended in between are not seen)."""
    used: dict[str, float] = {}
    pids: set[int] = set()
    for pid, (name, seconds) in after.items():
        kind = backend_of(pid, name)
        if kind is None:
            continue
        earlier = before.get(pid)
        used[kind] = used.get(kind, 0.0) + seconds - (earlier[1] if earlier else 0.0)
        pids.add(pid)
    return used, pids


def accounted_wrk(server: Server, url: str, script: str, *, duration_s: int, connections: int, threads: int,
                  timeout_s: int, backend_of: BackendOf | None = None
                  ) -> tuple[WrkResult, CpuUse, list[dict[str, Any]]]:
    """One measured wrk run, with where the machine's CPU went during it and the biggest other CPU users;
    with `backend_of`, the CPU of the database and bus processes apart."""
    pids = [process.pid for process in process_tree_memory(server.process.pid)]
    server_before, system_before = process_cpu_seconds(pids), system_cpu()
    everyone_before = all_process_cpu()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    wrk_before = children.ru_utime + children.ru_stime
    result, _raw = run_wrk(url, script, duration_s=duration_s, connections=connections, threads=threads,
                           timeout_s=timeout_s)
    everyone_after = all_process_cpu()
    backends, backend_pids = backend_cpu(everyone_before, everyone_after, backend_of) if backend_of else ({}, set())
    others = top_consumers(everyone_before, everyone_after, exclude={*pids, *backend_pids, os.getpid()})
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = CpuUse.between(server_before, process_cpu_seconds(pids), wrk_before,
                         children.ru_utime + children.ru_stime, system_before, system_cpu(),
                         database_s=backends.get("database", 0.0), bus_s=backends.get("bus", 0.0))
    return result, cpu, others


@dataclass(frozen=True, slots=True)
class Shutdown:
    """How a server ended: its exit code after SIGINT, its log's findings, what went wrong."""

    code: int | None
    exit: str
    log: dict[str, Any]
    problems: list[str]


def shut_down(server: Server, started: list[int], *, expected_log: str | None = None) -> Shutdown:
    """Stop the server (SIGINT), read its log (`expected_log`: a line not to count as notable), kill any of its
    `started` processes that outlive it."""
    server.stop()
    code = server.process.returncode
    log = log_findings(server.log(), expected=expected_log)
    problems = []
    leftover = reap_leftovers(started)
    if leftover:
        problems.append(f"server process(es) {leftover} outlived the server's shutdown; killed them")
    if code != 0:
        problems.append(f"the server exited with {code} on SIGINT")
    if log.get("notable_lines"):
        problems.append(f"{log['notable_lines']} notable line(s) in the server log")
    return Shutdown(code, f"exit code {code} after SIGINT" if code is not None else "did not exit", log, problems)


def _measure(server: Server, scenario: Scenario, options: Options, floor_rps: float | None,
             report: Report, *, label: str = "") -> Row:
    script = scenario.lua(options)
    kwargs: dict[str, Any] = {"connections": options.connections, "threads": options.threads,
                              "timeout_s": options.wrk_timeout_s}
    path = "/health" if scenario is FLOOR else "/api/2/things"
    url = server.base_url + path
    warmup_non_2xx = 0
    if options.warmup_s > 0:
        warmup, _ = run_wrk(url, script, duration_s=options.warmup_s, **kwargs)
        warmup_non_2xx = warmup.non_2xx
    before = settled_revision_sum(server.base_url, options.things)[0] if scenario.writes else 0
    result, cpu, others = accounted_wrk(server, url, script, duration_s=options.duration_s, **kwargs)
    if scenario.writes:
        after, found = settled_revision_sum(server.base_url, options.things)
        delta = after - before
        acknowledged = result.ok_requests
        # Responses wrk had not read when it stopped may still have been applied: up to one per connection.
        ok = acknowledged <= delta <= acknowledged + options.connections and found == options.things
        report.checks.append({
            "check": f"{scenario.name}: acknowledged writes are all visible",
            "ok": ok,
            "detail": f"wrk counted {acknowledged} 2xx PUTs; the revisions of the {found} things rose by {delta} "
                      f"(expected between {acknowledged} and {acknowledged + options.connections})",
        })
        if not ok:
            report.problems.append(f"{scenario.name}: revision accounting does not match wrk's count")
    ratio = result.requests_per_s / floor_rps if floor_rps else 1.0
    return Row(scenario.name + label, scenario.request, result, round(ratio, 3), warmup_non_2xx, cpu, others)


def _drive(server: Server, options: Options, selected: list[Scenario], report: Report, record: ServerRecord, *,
           mode: str = "") -> None:
    """Preload, then the floor, the scenarios and the floor again (the floor rows named with the server's `mode`,
    if any); records into `report` and the server's `record`."""
    label = f" ({mode})" if mode else ""
    record.preload = asyncio.run(preload(server.base_url, options.things))
    created = record.preload["statuses"].get("201", 0)
    record.memory_after_preload = process_tree_memory(server.process.pid)
    if created != options.things:
        report.problems.append(f"preload{label}: {created} of {options.things} creates returned 201 "
                               f"({record.preload['statuses']}); nothing was measured")
        report.setup_failed = True
        return
    _check_read_back(server.base_url, report)
    floor = _measure(server, FLOOR, options, None, report, label=label)
    report.rows.append(floor)
    for scenario in selected:
        report.rows.append(_measure(server, scenario, options, floor.result.requests_per_s, report))
        if not server_alive(server):
            report.problems.append(f"the server is not healthy after {scenario.name}")
            return
    if selected:
        again = _measure(server, FLOOR, options, floor.result.requests_per_s, report)
        again.scenario = f"floor ({mode + ', ' if mode else ''}again)"
        report.rows.append(again)
    record.memory_after_run = process_tree_memory(server.process.pid)


def run(options: Options) -> Report:
    """Start a fresh server on a fresh data dir with a real basic user and run everything selected on it, then
    (when a development-mode scenario is selected) a second one in development mode beside its own floor; stop
    each and collect what went wrong."""
    unknown = [name for name in options.only if name not in SCENARIOS and name != FLOOR.name]
    if unknown:
        raise ValueError(f"unknown scenario(s): {', '.join(unknown)}; known: {', '.join(SCENARIOS)}")
    selected = [SCENARIOS[name] for name in SCENARIOS if not options.only or name in options.only]
    basic = [scenario for scenario in selected if not scenario.dev]
    dev = [scenario for scenario in selected if scenario.dev]
    tmp = Path(tempfile.mkdtemp(prefix="twinhub-bench-"))
    report = Report(
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        machine=machine_info(),
        options=options,
        filesystem=filesystem_of(tmp),
        data_dir=str(tmp / "data"),
    )
    report.busy_before_percent = busy_percent()
    if basic or not dev:
        _serve(report, options, basic, tmp / "data", tmp)
    if dev and not report.setup_failed:
        _serve(report, options, dev, tmp / "data-dev", tmp, dev=True)
    for row in report.rows:
        if row.result.non_2xx or row.warmup_non_2xx:
            report.problems.append(f"{row.scenario}: {row.result.non_2xx} non-2xx responses "
                                   f"(+{row.warmup_non_2xx} in the warmup)")
        if any(row.result.socket_errors.values()):
            report.problems.append(f"{row.scenario}: socket errors {row.result.socket_errors}")
    if not options.keep_data and not report.problems:
        shutil.rmtree(tmp, ignore_errors=True)
    return report


def _serve(report: Report, options: Options, scenarios: list[Scenario], data_dir: Path, tmp: Path, *,
           dev: bool = False) -> None:
    """One server on `data_dir` (with the basic user `bench`, or in development mode) through `_drive`."""
    record = ServerRecord("development mode (--dev)" if dev else "a basic user")
    report.servers.append(record)
    try:
        if not dev:
            add_basic_user(data_dir)
        server = start_server(data_dir, args=("--dev",) if dev else ())
    except RuntimeError as error:
        raise ServerStartError(f"{error}\n(server log and data dir kept in {tmp})") from error
    started = [process.pid for process in process_tree_memory(server.process.pid)]
    try:
        sign_in(server.base_url)
        _drive(server, options, scenarios, report, record, mode="dev" if dev else "")
    finally:
        ended = shut_down(server, started, expected_log=DEV_MODE_WARNING if dev else None)
        record.exit, record.log = ended.exit, ended.log
    report.problems += ended.problems
