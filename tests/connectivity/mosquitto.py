"""A Mosquitto broker of the test's own: on a free port, persistent in a temporary directory (QoS 1 sessions
and their unacknowledged messages survive `restart()`), optionally with users; stopped afterwards."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

MOSQUITTO = "/usr/sbin/mosquitto"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Mosquitto:
    def __init__(self, directory: Path, *, users: Mapping[str, str] | None = None) -> None:
        self.directory = directory
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None
        lines = [f"listener {self.port} 127.0.0.1", "persistence true", f"persistence_location {directory}/",
                 "autosave_interval 0",  # written on a clean stop, which `restart` does
                 "max_queued_messages 0", "max_inflight_messages 20", f"log_dest file {directory}/mosquitto.log",
                 "log_type error", "log_type warning", "log_type notice", "log_type information"]
        if os.geteuid() == 0:  # else it becomes the user `mosquitto`, who cannot enter the test's directory
            lines.append("user root")
        if users:
            passwords = directory / "passwords"
            passwords.touch(mode=0o600)
            for user, password in users.items():
                subprocess.run(["mosquitto_passwd", "-b", str(passwords), user, password], check=True,
                               capture_output=True, timeout=30)
            lines += ["allow_anonymous false", f"password_file {passwords}"]
        else:
            lines.append("allow_anonymous true")
        self.config = directory / "mosquitto.conf"
        self.config.write_text("\n".join(lines) + "\n")

    @property
    def url(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    def start(self) -> None:
        assert self._process is None, "already running"
        self._process = subprocess.Popen([MOSQUITTO, "-c", str(self.config)], stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return
            if self._process.poll() is not None or time.monotonic() > deadline:
                log = (self.directory / "mosquitto.log").read_text() if (self.directory / "mosquitto.log").exists() \
                    else ""
                raise RuntimeError(f"mosquitto did not start on port {self.port}: {log[-2000:]}")
            time.sleep(0.05)

    def stop(self) -> None:
        """A clean stop: Mosquitto writes its sessions and queued messages to disk."""
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)

    def restart(self) -> None:
        self.stop()
        self.start()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None


@contextlib.contextmanager
def own_mosquitto(directory: Path, *, users: Mapping[str, str] | None = None) -> Iterator[Mosquitto]:
    if not (os.path.exists(MOSQUITTO) and shutil.which("mosquitto_passwd")):
        message = f"{MOSQUITTO} is not installed (apt-get install mosquitto mosquitto-clients)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    directory.mkdir(parents=True, exist_ok=True)
    broker = Mosquitto(directory, users=users)
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()
