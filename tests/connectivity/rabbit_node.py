"""A RabbitMQ node of the tests' own, for AMQP 1.0 and for broker outages, never the machine's shared node.

The node gets its own name, AMQP and distribution ports, and a temporary directory for its database, logs,
Erlang cookie (HOME), configuration and enabled plugins (`rabbitmq_amqp1_0`, for this node only); it serves
AMQP 0.9.1 and 1.0 on one port. `start()`, `stop()` (graceful) and `kill()` (SIGKILL) may be called again and
again: the database stays, so durable queues and persistent messages outlive a restart. The session fixture
`rabbit_node` (tests/connectivity/conftest.py) starts one per xdist worker and removes it afterwards; tests
that use it keep to one worker with `pytest.mark.xdist_group("rabbit_node")`.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from twinhub.testing import free_port

SERVER = Path("/usr/lib/rabbitmq/bin/rabbitmq-server")
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
        self.port = free_port()
        self.name = f"twinhub-test-{uuid.uuid4().hex[:8]}@localhost"
        self._dist_port = free_port()
        self._process: subprocess.Popen[bytes] | None = None
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
        with (d / "node.log").open("ab") as log:
            self._process = subprocess.Popen([str(SERVER)], env=environment, stdout=log, stderr=subprocess.STDOUT,
                                             stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        while not self._accepts_amqp():
            if self._process.poll() is not None:
                raise RuntimeError(f"the RabbitMQ node exited with {self._process.returncode}:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"the RabbitMQ node did not start within {START_TIMEOUT} s:\n{self.log_tail()}")
            time.sleep(0.2)

    def _accepts_amqp(self) -> bool:
        """Whether the node answers an AMQP 0.9.1 protocol header with connection.start (listeners are up)."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=2) as connection:
                connection.sendall(_AMQP_HEADER)
                return len(connection.recv(8)) > 0
        except OSError:
            return False

    def stop(self) -> None:
        """Stop the node gracefully (SIGTERM) and wait until it has."""
        self._end(signal.SIGTERM)

    def kill(self) -> None:
        """Kill the node (SIGKILL), as a crash or an OOM kill would."""
        self._end(signal.SIGKILL)

    def _end(self, how: signal.Signals) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(how)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)

    def log_tail(self, lines: int = 30) -> str:
        text = (self.directory / "node.log").read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])


def new_node() -> RabbitNode:
    """A node in a fresh temporary directory, not started; `remove(node)` when done."""
    return RabbitNode(Path(tempfile.mkdtemp(prefix="twinhub-rabbit-")))


def remove(node: RabbitNode) -> None:
    node.kill()
    shutil.rmtree(node.directory, ignore_errors=True)
