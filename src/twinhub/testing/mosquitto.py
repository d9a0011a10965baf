"""A Mosquitto broker of the caller's own, for tests and benchmarks (never used by twinhub itself): on a free
loopback port, its config and log in a directory of the caller's; persistent there by default (QoS 1 sessions
and their unacknowledged messages survive `restart()`), optionally with users; stopped afterwards. The
machine's broker is left alone, and nothing else's traffic shares this one.

    with running_mosquitto(tmp_path / "mosquitto") as broker:      # started on return
        client.connect(broker.url)                                  # tcp://127.0.0.1:<port>
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping
from functools import cached_property
from pathlib import Path

from twinhub.testing import free_port, terminate

__all__ = ["MOSQUITTO", "Mosquitto", "MosquittoError", "running_mosquitto"]

MOSQUITTO = "/usr/sbin/mosquitto"
_PORT_ATTEMPTS = 5  # the port may be taken between the probe and the broker's bind: try another


class MosquittoError(RuntimeError):
    """The broker could not be started."""


class Mosquitto:
    """One broker process at a time on one port: `start()`, `stop()` (clean: a persistent broker writes its
    sessions and queued messages to disk), `restart()` on the same port."""

    def __init__(self, directory: Path, *, users: Mapping[str, str] | None = None, persistent: bool = True,
                 max_inflight: int = 20, max_queued: int = 0) -> None:
        self.directory = directory
        self.port = free_port()
        self.log_path = directory / "mosquitto.log"
        self.config = directory / "mosquitto.conf"
        self._process: subprocess.Popen[bytes] | None = None
        self._started = False
        self._settings = [f"persistence {'true' if persistent else 'false'}"]
        if persistent:
            self._settings += [f"persistence_location {directory}/",
                               "autosave_interval 0"]  # written on a clean stop, which `restart` does
        self._settings += [f"max_queued_messages {max_queued}", f"max_inflight_messages {max_inflight}",
                           f"log_dest file {self.log_path}", "log_type error", "log_type warning",
                           "log_type notice", "log_type information"]
        if os.geteuid() == 0:  # else it becomes the user `mosquitto`, who cannot enter the caller's directory
            self._settings.append("user root")
        if users:
            passwords = directory / "passwords"
            passwords.touch(mode=0o600)
            for user, password in users.items():
                subprocess.run(["mosquitto_passwd", "-b", str(passwords), user, password], check=True,
                               capture_output=True, timeout=30)
            self._settings += ["allow_anonymous false", f"password_file {passwords}"]
        else:
            self._settings.append("allow_anonymous true")
        self._write_config()

    @property
    def url(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    @cached_property
    def version(self) -> str:
        """The broker's version, as `mosquitto -h` prints it ("unknown" if it does not)."""
        try:
            # `mosquitto -h` prints its version on the first line and exits with 3.
            output = subprocess.run([MOSQUITTO, "-h"], capture_output=True, text=True, timeout=10).stdout
        except (OSError, subprocess.TimeoutExpired):
            return "unknown"
        first = output.splitlines()[0] if output else ""
        return first.split("version", 1)[1].strip().split()[0] if "version" in first else "unknown"

    def _write_config(self) -> None:
        self.config.write_text("\n".join([f"listener {self.port} 127.0.0.1", *self._settings]) + "\n")

    def start(self, timeout_s: float = 15.0) -> None:
        """Start the broker and wait until it accepts connections; raises MosquittoError. The first start
        moves to another free port when its port was taken meanwhile; later ones keep the port."""
        assert self._process is None, "already running"
        for attempt in range(_PORT_ATTEMPTS if not self._started else 1):
            if attempt:
                self.port = free_port()
                self._write_config()
            if self._start_once(timeout_s):
                self._started = True
                return
        log = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        raise MosquittoError(f"mosquitto did not start on port {self.port}: {log[-2000:]}")

    def _start_once(self, timeout_s: float) -> bool:
        process = subprocess.Popen([MOSQUITTO, "-c", str(self.config)], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout_s
        while process.poll() is None and time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1):
                self._process = process
                return True
            time.sleep(0.02)
        if process.poll() is None:
            process.kill()
            process.wait(timeout=15)
        return False

    def stop(self) -> None:
        """A clean stop (a persistent broker writes its sessions and queued messages to disk); killed after 15 s."""
        process, self._process = self._process, None
        if process is not None:
            terminate(process)

    def restart(self) -> None:
        self.stop()
        self.start()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None


@contextlib.contextmanager
def running_mosquitto(directory: Path, *, users: Mapping[str, str] | None = None, persistent: bool = True,
                      max_inflight: int = 20, max_queued: int = 0) -> Iterator[Mosquitto]:
    """A started `Mosquitto` in `directory` (created if missing), stopped afterwards; raises MosquittoError when
    the broker is not installed or does not start."""
    if not os.path.exists(MOSQUITTO):
        raise MosquittoError(f"{MOSQUITTO} is not installed (apt-get install mosquitto mosquitto-clients)")
    directory.mkdir(parents=True, exist_ok=True)
    broker = Mosquitto(directory, users=users, persistent=persistent, max_inflight=max_inflight,
                       max_queued=max_queued)
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()
