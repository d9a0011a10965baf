"""Running the `wrk` load generator with a Lua script and reading back its figures.

Every script gets the same `done()` hook appended: it prints one line, `BENCH_JSON {...}`, with the
request count, the run's duration, the latency percentiles (from wrk's own HDR histogram, in
microseconds) and wrk's error counters. The human-readable part of wrk's output is kept as well and
cross-checked for the "Non-2xx or 3xx responses" count.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

MARKER = "BENCH_JSON "

# Appended to every scenario script. `setup` numbers the threads so that `init` can seed each
# thread's random generator differently (every thread has its own Lua state, all seeded alike).
COMMON_LUA = r"""
local bench_threads = 0

function setup(thread)
  bench_threads = bench_threads + 1
  thread:set("bench_thread_index", bench_threads)
end

function init(args)
  math.randomseed(os.time() + 7919 * (bench_thread_index or 0))
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%.0f,"duration_us":%.0f,"bytes":%.0f,' ..
    '"p50_us":%.0f,"p90_us":%.0f,"p99_us":%.0f,"max_us":%.0f,"mean_us":%.1f,' ..
    '"connect":%.0f,"read":%.0f,"write":%.0f,"status":%.0f,"timeout":%.0f}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
    e.connect, e.read, e.write, e.status, e.timeout))
end
"""

_NON_2XX_RE = re.compile(r"Non-2xx or 3xx responses:\s*(\d+)")


class WrkError(RuntimeError):
    pass


@dataclass(frozen=True, slots=True)
class WrkResult:
    requests: int
    duration_s: float
    requests_per_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float
    # wrk counts a response as an error when its status is above 399 (it prints them as
    # "Non-2xx or 3xx responses", but 3xx are not counted); socket errors are separate.
    non_2xx: int
    socket_errors: dict[str, int]
    bytes_read: int

    @property
    def ok_requests(self) -> int:
        return self.requests - self.non_2xx

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def wrk_version() -> str:
    """wrk's version line ("wrk debian/4.1.0-3+b2 [epoll] ..."), or "missing"."""
    if shutil.which("wrk") is None:
        return "missing"
    completed = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    first = (completed.stdout or completed.stderr).strip().splitlines()
    return first[0].split(" Copyright")[0] if first else "unknown"


def parse_output(stdout: str) -> WrkResult:
    """The figures of one wrk run from its stdout (which must include the `BENCH_JSON` line)."""
    lines = [line for line in stdout.splitlines() if line.startswith(MARKER)]
    if not lines:
        raise WrkError(f"wrk printed no {MARKER.strip()} line:\n{stdout}")
    data: dict[str, float] = json.loads(lines[-1][len(MARKER):])
    duration_s = data["duration_us"] / 1e6
    requests = int(data["requests"])
    non_2xx = int(data["status"])
    printed = _NON_2XX_RE.search(stdout)
    if printed is not None:
        non_2xx = max(non_2xx, int(printed[1]))
    return WrkResult(
        requests=requests,
        duration_s=round(duration_s, 3),
        requests_per_s=round(requests / duration_s, 1) if duration_s > 0 else 0.0,
        p50_ms=round(data["p50_us"] / 1000, 3),
        p90_ms=round(data["p90_us"] / 1000, 3),
        p99_ms=round(data["p99_us"] / 1000, 3),
        max_ms=round(data["max_us"] / 1000, 3),
        mean_ms=round(data["mean_us"] / 1000, 3),
        non_2xx=non_2xx,
        socket_errors={key: int(data[key]) for key in ("connect", "read", "write", "timeout")},
        bytes_read=int(data["bytes"]),
    )


def run_wrk(url: str, script: str, *, duration_s: int, connections: int, threads: int,
            timeout_s: int = 10) -> tuple[WrkResult, str]:
    """Run wrk against `url` (loopback only) with `script` plus the common hooks.

    Returns the parsed figures and wrk's raw stdout. `timeout_s` is wrk's per-request timeout: a
    response slower than that counts as a timeout error and not in the latency histogram.
    """
    if not url.startswith(("http://127.0.0.1:", "http://localhost:", "http://[::1]:")):
        raise WrkError(f"refusing to load anything but loopback: {url}")
    if connections < threads:
        raise WrkError(f"wrk needs at least one connection per thread ({connections} < {threads})")
    with tempfile.TemporaryDirectory(prefix="twinhub-wrk-") as tmp:
        script_path = Path(tmp) / "scenario.lua"
        script_path.write_text(script + "\n" + COMMON_LUA)
        command = ["wrk", "--latency", "-t", str(threads), "-c", str(connections), "-d", f"{duration_s}s",
                   "--timeout", f"{timeout_s}s", "-s", str(script_path), url]
        try:
            completed = subprocess.run(command, capture_output=True, text=True, timeout=duration_s + 60,
                                       check=False)
        except subprocess.TimeoutExpired as exc:
            raise WrkError(f"wrk did not finish within {duration_s + 60}s") from exc
    if completed.returncode != 0:
        raise WrkError(f"wrk exited with {completed.returncode}:\n{completed.stdout}\n{completed.stderr}")
    return parse_output(completed.stdout), completed.stdout
