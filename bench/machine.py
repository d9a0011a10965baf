"""What the numbers were measured on: the machine, the software, and the server's memory."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.wrk import wrk_version

REPO = Path(__file__).resolve().parent.parent


def _git(*args: str) -> str | None:
    try:
        completed = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=False,
                                   timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return completed.stdout.strip() if completed.returncode == 0 else None


def git_commit() -> str:
    """`<sha>` (`+dirty` when the work tree differs), or a note when there is no commit."""
    sha = _git("rev-parse", "--short=12", "HEAD")
    if sha is None:
        return "none (no commit yet)"
    dirty = _git("status", "--porcelain", "--untracked-files=no")
    return f"{sha}+dirty" if dirty else sha


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "missing"


def filesystem_of(path: Path) -> str:
    """The type of the filesystem `path` lives on (from /proc/mounts), e.g. "ext4" or "tmpfs"."""
    try:
        mounts = [line.split() for line in Path("/proc/mounts").read_text().splitlines()]
    except OSError:
        return "unknown"
    resolved = str(path.resolve())
    best, kind = "", "unknown"
    for fields in mounts:
        if len(fields) < 3:
            continue
        mount_point = fields[1]
        inside = resolved == mount_point or resolved.startswith(mount_point.rstrip("/") + "/")
        if inside and len(mount_point) >= len(best):
            best, kind = mount_point, fields[2]
    return kind


@dataclass(frozen=True, slots=True)
class MachineInfo:
    nproc: int
    cpus_usable: int
    cpu_model: str
    kernel: str
    python: str
    granian: str
    starlette: str
    wrk: str
    git_commit: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def machine_info() -> MachineInfo:
    return MachineInfo(
        nproc=os.cpu_count() or 0,
        cpus_usable=len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 0),
        cpu_model=_cpu_model(),
        kernel=platform.release(),
        python=sys.version.split()[0],
        granian=_version("granian"),
        starlette=_version("starlette"),
        wrk=wrk_version(),
        git_commit=git_commit(),
    )


def _status_fields(pid: int) -> dict[str, str]:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return {}
    return {key: value.strip() for key, _, value in (line.partition(":") for line in text.splitlines())}


def _kib(value: str | None) -> int:
    return int(value.split()[0]) if value else 0


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        if _status_fields(int(entry.name)).get("PPid") == str(pid):
            found.append(int(entry.name))
    return found


@dataclass(frozen=True, slots=True)
class ProcessMemory:
    pid: int
    name: str
    rss_kib: int
    peak_rss_kib: int  # VmHWM: the high-water mark of the resident set


def process_tree_memory(root_pid: int) -> list[ProcessMemory]:
    """VmRSS and VmHWM of `root_pid` and all its descendants (granian runs its worker as a child)."""
    result: list[ProcessMemory] = []
    pending = [root_pid]
    while pending:
        pid = pending.pop(0)
        status = _status_fields(pid)
        if not status:
            continue
        result.append(ProcessMemory(pid, status.get("Name", "?"), _kib(status.get("VmRSS")),
                                    _kib(status.get("VmHWM"))))
        pending.extend(_children(pid))
    return result


def process_cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the given processes have used so far (fields 14 and 15 of /proc/<pid>/stat)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()  # after "(name)", which may contain spaces
        total += int(fields[11]) + int(fields[12])
    return total / ticks


@dataclass(frozen=True, slots=True)
class SystemCpu:
    """Machine-wide CPU seconds from the `cpu` line of /proc/stat (summed over all CPUs)."""

    busy_s: float  # user + nice + system + irq + softirq
    irq_s: float  # irq + softirq: mostly the loopback network stack, i.e. the load itself
    steal_s: float  # taken by the hypervisor for other guests
    total_s: float


def system_cpu() -> SystemCpu:
    ticks = os.sysconf("SC_CLK_TCK")
    try:
        first = Path("/proc/stat").read_text().splitlines()[0].split()
    except (OSError, IndexError):
        return SystemCpu(0.0, 0.0, 0.0, 0.0)
    values = [int(value) for value in first[1:9]]
    user, nice, system, idle, iowait, irq, softirq, steal = values
    busy = user + nice + system + irq + softirq
    return SystemCpu(busy / ticks, (irq + softirq) / ticks, steal / ticks, (busy + idle + iowait + steal) / ticks)


def all_process_cpu() -> dict[int, tuple[str, float]]:
    """pid -> (command name, CPU seconds so far) for every process on the machine."""
    ticks = os.sysconf("SC_CLK_TCK")
    found: dict[int, tuple[str, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat.rsplit(")", 1)[1].split()
        found[int(entry.name)] = (name, (int(fields[11]) + int(fields[12])) / ticks)
    return found


def top_consumers(before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]], *,
                  exclude: set[int], limit: int = 3, minimum_s: float = 0.2) -> list[dict[str, Any]]:
    """The processes (besides `exclude`) that used the most CPU between two `all_process_cpu` snapshots.

    Processes that started and ended between the snapshots are not seen.
    """
    used: list[tuple[float, int, str]] = []
    for pid, (name, seconds) in after.items():
        if pid in exclude:
            continue
        earlier = before.get(pid)
        delta = seconds - (earlier[1] if earlier else 0.0)  # by pid: kernel workers rename themselves
        if delta >= minimum_s:
            used.append((delta, pid, name))
    used.sort(reverse=True)
    return [{"pid": pid, "name": name, "cpu_s": round(delta, 2)} for delta, pid, name in used[:limit]]
