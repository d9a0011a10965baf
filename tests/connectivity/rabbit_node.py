"""A RabbitMQ node of the tests' own, for AMQP 1.0 and for broker outages, never the machine's shared node.

The node gets its own name, AMQP and distribution ports, and a temporary directory for its database, logs,
Erlang cookie (HOME), configuration and enabled plugins (`rabbitmq_amqp1_0`, for this node only); it serves
AMQP 0.9.1 and 1.0 on one port. `start()`, `stop()` (graceful), `kill()` (SIGKILL) and `pause()` / `resume()`
(SIGSTOP / SIGCONT) may be called again and again: the database stays, so durable queues and persistent
messages outlive a restart (tests that kill it use the queues of `durable_queue()`). The session fixture
`rabbit_node` (tests/connectivity/conftest.py) starts one per xdist worker and removes it afterwards
(`running_node` starts or resumes it for each test); tests that use it keep to one worker with
`pytest.mark.xdist_group("rabbit_node")`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import aio_pika
import pytest

SERVER = Path("/usr/lib/rabbitmq/bin/rabbitmq-server")
CTL = SERVER.with_name("rabbitmqctl")  # not /usr/sbin's wrapper, which runs as the rabbitmq user (its cookie)
START_TIMEOUT = 90.0  # seconds; a node boots in about 5 s on an idle machine, much slower on a busy one
_AMQP_HEADER = b"AMQP\x00\x00\x09\x01"


def require_server() -> None:
    """Fail (in CI) or skip unless RabbitMQ's server scripts are installed."""
    if not SERVER.exists():
        message = f"RabbitMQ's server is not at {SERVER}; install rabbitmq-server (3.10 or later)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


class RabbitNode:
    """One RabbitMQ node in `directory` (see the module docstring)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = _stable_port()
        self.name = f"twinhub-test-{uuid.uuid4().hex[:8]}@localhost"
        self._dist_port = _stable_port()
        self._process: subprocess.Popen[bytes] | None = None
        self._paused = False
        self._durable_queues: list[str] = []
        (directory / "enabled_plugins").write_text("[rabbitmq_amqp1_0].\n")
        (directory / "rabbitmq.conf").write_text(f"listeners.tcp.default = 127.0.0.1:{self.port}\n")
        (directory / "rabbitmq-env.conf").write_text("")  # not the machine's /etc/rabbitmq/rabbitmq-env.conf

    def uri(self, scheme: str = "amqp", user: str = "guest", password: str = "guest") -> str:
        return f"{scheme}://{user}:{password}@127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Start the node and return once it accepts AMQP connections."""
        if self.running:
            self.resume()
            return
        d = self.directory
        environment = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(d), "LANG": "C.UTF-8",
            "RABBITMQ_CONF_ENV_FILE": str(d / "rabbitmq-env.conf"), "RABBITMQ_CONFIG_FILE": str(d / "rabbitmq.conf"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(d / "advanced.config"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(d / "enabled_plugins"), "RABBITMQ_NODENAME": self.name,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1", "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self._dist_port), "RABBITMQ_MNESIA_BASE": str(d / "mnesia"),
            "RABBITMQ_LOG_BASE": str(d / "log"), "RABBITMQ_PID_FILE": str(d / "pid"), "RABBITMQ_LOGS": "-",
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            # exec the Erlang VM in place of the script, without a shell: SIGTERM stops the node gracefully,
            # SIGKILL kills the broker itself
            "RUNNING_UNDER_SYSTEMD": "true",
        }
        log_start = (d / "node.log").stat().st_size if (d / "node.log").exists() else 0
        with (d / "node.log").open("ab") as log:
            self._process = subprocess.Popen([str(SERVER)], env=environment, stdout=log, stderr=subprocess.STDOUT,
                                             stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        while not (self._listening(log_start) and self._accepts_amqp()):
            if self._process.poll() is not None:
                raise RuntimeError(f"the RabbitMQ node exited with {self._process.returncode}:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"the RabbitMQ node did not start within {START_TIMEOUT} s:\n{self.log_tail()}")
            time.sleep(0.2)

    def _listening(self, log_start: int) -> bool:
        """Whether this start of the node opened its listener: whatever answers on the port then is this node
        (between a stop and a start, another process may have taken the port; the node then fails to start)."""
        with (self.directory / "node.log").open("rb") as log:
            log.seek(log_start)
            return f"started TCP listener on 127.0.0.1:{self.port}".encode() in log.read()

    def _accepts_amqp(self) -> bool:
        """Whether the node answers an AMQP 0.9.1 protocol header with connection.start (listeners are up)."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=2) as connection:
                connection.sendall(_AMQP_HEADER)
                return len(connection.recv(8)) > 0
        except OSError:
            return False

    def pause(self) -> None:
        """Freeze the node (SIGSTOP): its sockets stay open and say nothing, as behind a network partition."""
        if self._process is not None:
            self._process.send_signal(signal.SIGSTOP)
            self._paused = True

    def resume(self) -> None:
        if self._process is not None and self._paused:
            self._process.send_signal(signal.SIGCONT)
        self._paused = False

    def stop(self) -> None:
        """Stop the node gracefully (SIGTERM) and wait until it has."""
        self._end(signal.SIGTERM)

    def kill(self) -> None:
        """Kill the node (SIGKILL), as a crash or an OOM kill would."""
        self._end(signal.SIGKILL)

    def _end(self, how: signal.Signals) -> None:
        self.resume()  # a frozen node handles no SIGTERM
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(how)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)

    def ctl(self, *args: str) -> str:
        """`rabbitmqctl` against this node (with its Erlang cookie); returns what it printed."""
        environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(self.directory),
                       "LANG": "C.UTF-8", "RABBITMQ_CONF_ENV_FILE": str(self.directory / "rabbitmq-env.conf"),
                       "ERL_EPMD_ADDRESS": "127.0.0.1"}
        done = subprocess.run([str(CTL), "-n", self.name, *args], env=environment, capture_output=True, text=True,
                              timeout=60)
        if done.returncode != 0:
            raise RuntimeError(f"rabbitmqctl {' '.join(args)} failed ({done.returncode}): {done.stderr}")
        return done.stdout

    def prepare_durable_queues(self, count: int) -> None:
        """Declare `count` durable queues and restart the node in order, so that they are on disk for sure.

        A queue declared moments before the node is killed can be gone after the restart (RabbitMQ 3.10
        lost one here in roughly one of twenty kills, each right after the queue was declared), which is the
        broker's business, not the client's: the outage tests take their queues from these (`durable_queue`).
        """
        names = [f"durable-{uuid.uuid4().hex[:8]}" for _ in range(count)]

        async def declare() -> None:
            async with await aio_pika.connect(self.uri()) as connection:
                channel = await connection.channel()
                for name in names:
                    await channel.declare_queue(name, durable=True)

        # A thread of its own: the session fixture may be set up while an async test's loop is running.
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            pool.submit(lambda: asyncio.run(declare())).result(timeout=START_TIMEOUT)
        self.stop()
        self.start()
        self._durable_queues.extend(names)

    def durable_queue(self) -> str:
        """A durable queue that outlives a kill (see `prepare_durable_queues`), used by no other test."""
        if not self._durable_queues:
            raise RuntimeError("no durable queue left: prepare more in the rabbit_node fixture")
        return self._durable_queues.pop()

    def log_tail(self, lines: int = 30) -> str:
        text = (self.directory / "node.log").read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])


def _stable_port() -> int:
    """A free port below the kernel's ephemeral range (32768 and up here), so that programs asking the kernel
    for any port do not get it while the node is stopped between two starts."""
    for _ in range(100):
        port = random.randrange(20000, 32000)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port between 20000 and 32000")


def new_node() -> RabbitNode:
    """A node in a fresh temporary directory, not started; `remove(node)` when done."""
    return RabbitNode(Path(tempfile.mkdtemp(prefix="twinhub-rabbit-")))


def remove(node: RabbitNode) -> None:
    node.kill()
    shutil.rmtree(node.directory, ignore_errors=True)
