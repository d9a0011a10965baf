"""Running the `twinhub` command line as a real process, on pipes or on a pseudo-terminal."""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import select
import signal
import subprocess
import sys
import termios
import time
from dataclasses import dataclass
from pathlib import Path

TWINHUB = (sys.executable, "-m", "twinhub.cli")


@dataclass
class Result:
    status: int
    stdout: str
    stderr: str

    def error_line(self) -> str:
        """The one line of stderr (fails when there are more, e.g. a traceback)."""
        lines = self.stderr.strip().splitlines()
        assert len(lines) == 1, self.stderr
        assert lines[0].startswith("twinhub: "), self.stderr
        return lines[0]


def run(*args: str, env: dict[str, str] | None = None, stdin: str | None = None, timeout: float = 60) -> Result:
    """`twinhub *args` to its end; a server that starts by mistake is killed (with its workers) after `timeout`."""
    process = subprocess.Popen([*TWINHUB, *args], stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "COLUMNS": "200", **(env or {})}, start_new_session=True)
    try:
        stdout, stderr = process.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        raise AssertionError(f"twinhub {' '.join(args)} did not end within {timeout} s:\n{stdout}\n{stderr}") from None
    return Result(process.returncode, stdout, stderr)


def _take_terminal() -> None:
    """In the child, after `setsid`: make the pseudo-terminal on stdin the controlling one, as a shell does."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Terminal:
    """`twinhub *args` on a pseudo-terminal: `expect` what it writes there, `type` keys into it."""

    def __init__(self, *args: str, cwd: Path | None = None) -> None:
        self._master, slave = pty.openpty()
        self.process = subprocess.Popen([*TWINHUB, *args], stdin=slave, stdout=slave, stderr=slave, cwd=cwd,
                                        start_new_session=True, preexec_fn=_take_terminal)
        os.close(slave)
        self.output = b""

    def expect(self, text: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while text.encode() not in self.output:
            assert self._read(deadline - time.monotonic()), f"no {text!r} in {self.output!r}"

    def type(self, keys: bytes) -> None:
        os.write(self._master, keys)

    def finish(self, timeout: float = 30) -> tuple[int, str]:
        """The exit status and everything written to the terminal."""
        deadline = time.monotonic() + timeout
        while self._read(deadline - time.monotonic()):
            pass
        status = self.process.wait(timeout=max(deadline - time.monotonic(), 1))
        os.close(self._master)
        return status, self.output.decode(errors="replace")

    def _read(self, timeout: float) -> bool:
        """Read what is there within `timeout`; False at the end (the process closed the terminal)."""
        ready, _, _ = select.select([self._master], [], [], max(timeout, 0))
        if not ready:
            raise AssertionError(f"the terminal stayed silent; so far: {self.output!r}")
        try:
            chunk = os.read(self._master, 4096)
        except OSError:  # EIO: every process on the terminal is gone
            return False
        self.output += chunk
        return bool(chunk)
