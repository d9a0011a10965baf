"""A Mosquitto broker of the benchmark's own: on a free loopback port, its config and log in a temporary
directory, no persistence, stopped (and its directory removed) afterwards. The machine's broker is left alone,
and nothing else's traffic shares this one."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

MOSQUITTO = "/usr/sbin/mosquitto"

CONFIG = """\
listener {port} 127.0.0.1
allow_anonymous true
persistence false
max_inflight_messages 1000
max_queued_messages 100000
log_dest file {log}
log_type error
log_type warning
"""


class MosquittoError(RuntimeError):
    """The broker could not be started."""


@dataclass(frozen=True, slots=True)
class Mosquitto:
    port: int
    pid: int
    version: str
    log_path: Path

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def version() -> str:
    try:
        # `mosquitto -h` prints its version on the first line and exits with 3.
        output = subprocess.run([MOSQUITTO, "-h"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    first = output.splitlines()[0] if output else ""
    return first.split("version", 1)[1].strip().split()[0] if "version" in first else "unknown"


@contextmanager
def running_mosquitto(timeout_s: float = 10.0) -> Iterator[Mosquitto]:
    if shutil.which(MOSQUITTO) is None:
        raise MosquittoError(f"{MOSQUITTO} is not installed")
    directory = Path(tempfile.mkdtemp(prefix="twinhub-bench-mosquitto-"))
    log = directory / "mosquitto.log"
    for _ in range(5):  # the port may be taken between the probe and the broker's bind: try another
        port = _free_port()
        (directory / "mosquitto.conf").write_text(CONFIG.format(port=port, log=log))
        process = subprocess.Popen([MOSQUITTO, "-c", str(directory / "mosquitto.conf")],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.02)
        if process.poll() is None:
            break
    else:
        shutil.rmtree(directory, ignore_errors=True)
        raise MosquittoError(f"mosquitto did not start: {log.read_text() if log.exists() else 'no log'}")
    try:
        yield Mosquitto(port, process.pid, version(), log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(directory, ignore_errors=True)
