"""Start a real twinhub server process on a free loopback port: for tests and benchmarks, never used by
twinhub itself.

    with running_server(tmp_path / "data") as server:      # `twinhub serve --dev`, healthy on return
        httpx.get(f"{server.base_url}/api/2/things/org.example:a", auth=("ditto", "any"))

It ships with the package (as Starlette ships its TestClient) because two consumers of the package need it,
the test suite and the benchmarks, and neither should import the other. The server runs in its own process
group: `stop()` ends it gracefully, `kill()` as in a crash.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

# What `twinhub serve` prints once it listens (twinhub.launch.serve): the root URL of the bound port.
_ANNOUNCED = re.compile(r"serving the Ditto API v2 on (http://\S+)/api/2 ")
_MQTT_ANNOUNCED = re.compile(r"MQTT device endpoint \(MQTT 3\.1\.1\) listens on mqtt://\S+:(\d+)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def terminate(process: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    """SIGTERM `process` and wait for it; killed when it is still alive after `timeout` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base_url: str
    data_dir: Path
    log_path: Path

    @property
    def mqtt_port(self) -> int:
        """The port of the MQTT device endpoint (started with `--mqtt-port`), as the server announced it."""
        announced = _MQTT_ANNOUNCED.search(self.log())
        if announced is None:
            raise RuntimeError(f"the server announced no MQTT device endpoint:\n{self.log()}")
        return int(announced[1])

    def kill(self) -> None:
        """SIGKILL the server and its worker processes at once: no shutdown hook runs, as in a crash."""
        _signal_group(self.process, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """Graceful stop; anything of the server still alive after 15 s is killed."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=15)
        _signal_group(self.process, signal.SIGKILL)  # workers the server left behind, if any
        if self.process.poll() is None:
            self.process.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    # The server runs in its own session, so its process group holds it and the workers it spawned.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)


def start_server(data_dir: Path, *, args: tuple[str, ...] = ("--dev",), env: dict[str, str] | None = None,
                 timeout: float = 30.0) -> Server:
    """A server on `data_dir`; by default in dev authentication mode (any basic user is `nginx:<user>`).

    It listens on a port the kernel picks (`--port 0`) and announces: nothing can take the port between a
    free-port probe and the server's bind, however many test processes start servers at once."""
    data_dir.mkdir(parents=True, exist_ok=True)
    log_fd, log_name = tempfile.mkstemp(prefix="server-", suffix=".log", dir=data_dir.parent)
    log_path = Path(log_name)
    command = [sys.executable, "-m", "twinhub.cli", "serve", "--port", "0", "--data-dir", str(data_dir), *args]
    environment = {**os.environ, **(env or {})}
    with open(log_fd, "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=environment,
                                   start_new_session=True)
    server = Server(process, "", data_dir, log_path)  # the URL once the server has announced its port
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"twinhub exited with {process.returncode}:\n{server.log()}")
        if not server.base_url and (announced := _ANNOUNCED.search(server.log())):
            server.base_url = announced[1]
        with contextlib.suppress(httpx.TransportError):
            if server.base_url and httpx.get(f"{server.base_url}/health", timeout=1).status_code == 200:
                return server
        time.sleep(0.02)
    server.kill()
    raise RuntimeError(f"twinhub did not become healthy in {timeout}s:\n{server.log()}")


@contextmanager
def running_server(data_dir: Path, *, args: tuple[str, ...] = ("--dev",),
                   env: dict[str, str] | None = None) -> Iterator[Server]:
    server = start_server(data_dir, args=args, env=env)
    try:
        yield server
    finally:
        server.stop()
