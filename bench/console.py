"""The web console benchmark: the console in headless Chromium against a real server and the real basic user
`bench` (not dev mode), each figure beside a floor measured from the same page (or process) in the same run.

- **first load**: navigation to the sign-in form being usable, and the bytes transferred, with a cold HTTP cache
  (a new browser context each time) and a warm one (a new tab in a context that loaded the console before);
  floor: `GET /health` fetched from the same page.
- **sign-in → things list**: submitting the form to the list showing its first page, 1,000 things in the
  store; floor: the list's own search request fetched again from the same page.
- **live update**: the thing's Overview open, PUTs of a property one at a time from the page (fetch), each from
  sending to the new value standing in the page's DOM (a MutationObserver, the page's clock); floor: the same PUTs
  to the same event at a raw WebSocket client (`START-SEND-EVENTS`) in this process (its clock).

Results: `bench/results/<date>-console.md` and `.json`.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from tests.e2e.browser import chromium_binary

from bench.basic_user import AUTH_HEADER, PASSWORD, USER, sign_in
from bench.console_page import FETCH_TIME, MARKS, PUT_UNTIL_SHOWN, SIGN_IN_TIMELINE, TRANSFERRED
from bench.http_things import busy_percent, preload
from bench.machine import MachineInfo, machine_info
from bench.realtime_sessions import open_session, percentile, server_cpu, updates
from bench.served import served
from twinhub.testing import Server

__all__ = ["CONSOLE", "ConsoleOptions", "ConsoleReport", "run"]

CONSOLE = "console"
NAMESPACE = "bench.console"
LIVE_THING = f"{NAMESPACE}:live"
FEATURE = "f"
PROPERTY = f"/features/{FEATURE}/properties/p"
LISTED_ROWS = 25  # the things list's default page size
TIMEOUT_MS = 30_000


@dataclass(frozen=True, slots=True)
class ConsoleOptions:
    things: int = 1000  # in the store while the list is measured
    loads: int = 5  # page loads per cache state, and sign-ins
    updates: int = 200  # live updates, in the page and at the floor each
    keep_data: bool = False


@dataclass
class ConsoleReport:
    started_at: str
    machine: MachineInfo
    options: ConsoleOptions
    chromium: str = ""
    busy_before_percent: float = 0.0  # the machine's CPU use in the second before the server started
    preload: dict[str, Any] = field(default_factory=dict)
    first_load: dict[str, Any] = field(default_factory=dict)  # "cold" and "warm"
    sign_in: dict[str, Any] = field(default_factory=dict)
    live: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    setup_failed: bool = False
    server_exit: str = ""
    server_log: dict[str, Any] = field(default_factory=dict)


def summary(values: list[float]) -> dict[str, Any]:
    """p50 / p95 / max in ms, and the samples."""
    return {"n": len(values), "p50_ms": round(percentile(values, 0.5), 2), "p95_ms": round(percentile(values, 0.95), 2),
            "max_ms": round(max(values, default=0.0), 2), "samples_ms": [round(value, 2) for value in values]}


def _ratio(figure: dict[str, Any], floor: dict[str, Any]) -> float:
    return round(figure["p50_ms"] / floor["p50_ms"], 1) if floor["p50_ms"] else 0.0


# --- the floor of live updates: a raw WebSocket subscriber in this process -----------------------------------

async def _floor_updates(server: Server, count: int) -> dict[str, Any]:
    """`count` PUTs one at a time, each after its event reached a raw `START-SEND-EVENTS` session."""
    socket = await open_session(server, f"START-SEND-EVENTS?namespaces={NAMESPACE}")
    events = updates(socket, PROPERTY)
    latencies: list[float] = []
    try:
        async with httpx.AsyncClient(base_url=server.base_url, headers={"Authorization": AUTH_HEADER},
                                     timeout=30) as client:
            cpu_before = server_cpu(server)
            for seq in range(count):
                sent = time.perf_counter_ns()
                response = await client.put(f"/api/2/things/{LIVE_THING}{PROPERTY}", json={"t": sent, "seq": seq})
                if response.status_code != 204:
                    raise RuntimeError(f"PUT answered {response.status_code}: {response.text}")
                while (update := await asyncio.wait_for(anext(events), 30)).seq != seq:
                    pass
                latencies.append(update.latency_ms)
            cpu = server_cpu(server) - cpu_before
    finally:
        await socket.close()
    return {**summary(latencies), "server_cpu_us_per_update": round(cpu * 1e6 / count)}


# --- the browser ------------------------------------------------------------------------------------------------

def _new_page(context: Any) -> Any:
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return page


def _load(context: Any, base_url: str, path: str = "/console/") -> tuple[Any, float]:
    """A new tab at `path`: the page, and its time from navigation to the sign-in form being usable."""
    page = _new_page(context)
    page.goto(base_url + path)
    page.wait_for_function("() => window.__bench.usable !== undefined")
    return page, float(page.evaluate("window.__bench.usable"))


def _health(page: Any) -> float:
    return float(page.evaluate(FETCH_TIME, {"url": "/health", "authorization": None}))


def _first_loads(browser: Any, server: Server, loads: int) -> dict[str, Any]:
    """Cold loads (a context each: an empty HTTP cache), then warm ones (new tabs in a context that loaded the
    console once, unmeasured); each load's `/health` fetch is the floor. The server's CPU is counted from the
    navigation to the load event, over the requests that reached it (not served from the cache)."""
    samples: dict[str, list[float]] = {"cold": [], "warm": []}
    health: list[float] = []
    sizes: dict[str, dict[str, int]] = {}
    cpu = {"cold": 0.0, "warm": 0.0}
    served = {"cold": 0, "warm": 0}

    def load(context: Any, state: str) -> None:
        before = server_cpu(server)
        page, usable = _load(context, server.base_url)
        page.wait_for_load_state("load")
        cpu[state] += server_cpu(server) - before
        samples[state].append(usable)
        sizes[state] = page.evaluate(TRANSFERRED)
        served[state] += sizes[state]["requests"] - sizes[state]["from_cache"]
        health.append(_health(page))
        page.close()

    for _ in range(loads):
        context = browser.new_context()
        context.add_init_script(MARKS)
        load(context, "cold")
        context.close()
    context = browser.new_context()
    context.add_init_script(MARKS)
    _load(context, server.base_url)[0].close()  # fills the cache
    for _ in range(loads):
        load(context, "warm")
    context.close()
    floor = summary(health)
    result: dict[str, Any] = {"floor_health_fetch": floor}
    for state, values in samples.items():
        figure = summary(values)
        result[state] = {**figure, "ratio_to_floor": _ratio(figure, floor), "bytes": sizes[state],
                         "server_cpu_us_per_request": round(cpu[state] * 1e6 / max(served[state], 1))}
    return result


def _sign_ins(browser: Any, server: Server, loads: int) -> dict[str, Any]:
    """Sign-ins in a context with a warm cache (one unmeasured first, which fetches the list's scripts); each
    from submitting the form to the list showing its first page."""
    context = browser.new_context()
    context.add_init_script(MARKS)
    times: list[float] = []
    floor: list[float] = []
    cpu = 0.0  # summed over the sign-ins: the server's CPU is counted in clock ticks (10 ms)
    api_requests: list[int] = []
    timeline: dict[str, Any] = {}
    for attempt in range(loads + 1):
        page, _ = _load(context, server.base_url)
        page.evaluate(f"window.__benchRows = {LISTED_ROWS}")
        searches: list[str] = []
        requested: list[str] = []
        page.on("request", lambda request, seen=requested: seen.append(request.url))
        page.on("request", lambda request, seen=searches: seen.append(request.url)
                if "/api/2/search/things?" in request.url else None)
        page.get_by_label("Username").fill(USER)
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        cpu_before = server_cpu(server)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_function("() => window.__bench.listed !== undefined")
        used = server_cpu(server) - cpu_before
        if attempt:
            marks = page.evaluate("window.__bench")
            times.append(marks["listed"] - marks["submitted"])
            # both before the floor's own request
            timeline = page.evaluate(SIGN_IN_TIMELINE)
            api_requests.append(sum(1 for url in requested if "/api/" in url))
            floor.append(float(page.evaluate(FETCH_TIME, {"url": searches[0], "authorization": AUTH_HEADER})))
            cpu += used
        page.close()
    context.close()
    figure, floor_figure = summary(times), summary(floor)
    return {**figure, "ratio_to_floor": _ratio(figure, floor_figure), "floor_search_fetch": floor_figure,
            "api_requests": api_requests, "last_timeline": timeline,
            "server_cpu_us_per_sign_in": round(cpu * 1e6 / loads),
            "server_cpu_us_per_api_request": round(cpu * 1e6 / max(sum(api_requests), 1))}


def _live_updates(browser: Any, server: Server, count: int) -> dict[str, Any]:
    context = browser.new_context()
    context.add_init_script(MARKS)
    page, _ = _load(context, server.base_url, f"/console/things/{quote(LIVE_THING, safe='')}/overview")
    page.get_by_label("Username").fill(USER)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("status", name="Live updates: Live").wait_for()  # the event stream runs
    page.get_by_role("table", name=f"Properties of {FEATURE}").wait_for()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    cpu_before = server_cpu(server)
    latencies = page.evaluate(PUT_UNTIL_SHOWN, {
        "url": f"/api/2/things/{quote(LIVE_THING, safe='')}{PROPERTY}", "authorization": AUTH_HEADER,
        "table": f"Properties of {FEATURE}", "leaf": "p/seq", "first": count, "count": count,
        "timeoutMs": TIMEOUT_MS})
    cpu = server_cpu(server) - cpu_before
    context.close()
    return {**summary([float(value) for value in latencies]), "server_cpu_us_per_update": round(cpu * 1e6 / count),
            "other_requests": len(requested) - count}


def _browse(server: Server, options: ConsoleOptions, report: ConsoleReport) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # root (CI, containers) cannot use Chromium's sandbox
        browser = playwright.chromium.launch(executable_path=report.chromium, headless=True, args=["--no-sandbox"])
        try:
            report.chromium = f"{report.chromium} {browser.version}"
            report.first_load = _first_loads(browser, server, options.loads)
            report.sign_in = _sign_ins(browser, server, options.loads)
            report.live["console"] = _live_updates(browser, server, options.updates)
        finally:
            browser.close()
    floor, console = report.live["floor"], report.live["console"]
    report.live["ratio_p50"] = _ratio(console, floor)
    report.live["ratio_p95"] = round(console["p95_ms"] / floor["p95_ms"], 1) if floor["p95_ms"] else 0.0


def run(options: ConsoleOptions) -> ConsoleReport:
    report = ConsoleReport(datetime.now(UTC).isoformat(timespec="seconds"), machine_info(), options)
    try:
        report.chromium = chromium_binary()
    except pytest.skip.Exception as missing:
        report.setup_failed = True
        report.problems.append(str(missing))
        return report
    report.busy_before_percent = busy_percent()
    with served("twinhub-bench-console-", report, keep_data=options.keep_data) as server:
        sign_in(server.base_url)  # the verified-credentials cache warm: no argon2 check in any figure
        report.preload = asyncio.run(preload(server.base_url, options.things))
        created = httpx.put(f"{server.base_url}/api/2/things/{LIVE_THING}", headers={"Authorization": AUTH_HEADER},
                            json={"features": {FEATURE: {"properties": {"p": {"t": 0, "seq": -1}}}}}, timeout=30)
        if report.preload["statuses"] != {"201": options.things} or created.status_code != 201:
            report.setup_failed = True
            report.problems.append(f"seeding answered {report.preload['statuses']}, {created.status_code}")
            return report
        report.live["floor"] = asyncio.run(_floor_updates(server, options.updates))
        _browse(server, options, report)
    return report
