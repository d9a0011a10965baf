"""A real InfluxDB 1.x server (Debian's `influxd`, installed by `scripts/ensure-influxdb`) on a free port and
directories of its own, for the tests of the InfluxDB sink; stopped and started again on the same data."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from twinhub.testing import free_port, terminate

ROOT = Path(__file__).resolve().parents[2]
INSTALL = "scripts/ensure-influxdb"


def require_influxd() -> str:
    """The path of `influxd`; in CI (`CI=true`) installed when missing, elsewhere a skip saying how to."""
    found = shutil.which("influxd")
    if found is None and os.environ.get("CI") == "true":
        subprocess.run([str(ROOT / INSTALL)], check=True, timeout=600)
        found = shutil.which("influxd")
        if found is None:
            pytest.fail(f"{INSTALL} did not install influxd")
    if found is None:
        pytest.skip(f"influxd (InfluxDB 1.x) is not installed; install it with: {INSTALL}")
    return found


class InfluxDB:
    """One `influxd` with its config, data and log under `directory`, listening on 127.0.0.1:`port`."""

    def __init__(self, executable: str, directory: Path) -> None:
        self.executable = executable
        self.directory = directory
        self.port = free_port()
        self.config = directory / "influxdb.conf"
        self.log = directory / "influxd.log"
        self._process: subprocess.Popen[bytes] | None = None
        self.config.write_text(f"""
reporting-disabled = true
bind-address = "127.0.0.1:{free_port()}"
[meta]
  dir = "{directory / 'meta'}"
[data]
  dir = "{directory / 'data'}"
  wal-dir = "{directory / 'wal'}"
  query-log-enabled = false
[http]
  bind-address = "127.0.0.1:{self.port}"
  log-enabled = false
[monitor]
  store-enabled = false
[continuous_queries]
  enabled = false
[subscriber]
  enabled = false
""")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> None:
        with open(self.log, "ab") as log:
            self._process = subprocess.Popen([self.executable, "-config", str(self.config)], stdout=log,
                                             stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"influxd exited with {self._process.returncode}:\n{self.log.read_text()}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.url}/ping", timeout=1).status_code == 204:
                    return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"influxd did not answer /ping in {timeout}s:\n{self.log.read_text()}")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            terminate(process)

    def query(self, statement: str, database: str = "") -> list[dict[str, Any]]:
        """The series of one InfluxQL statement's result (times in microseconds since the epoch)."""
        response = httpx.post(f"{self.url}/query", params={"q": statement, "db": database, "epoch": "u"}, timeout=10)
        response.raise_for_status()
        [result] = response.json()["results"]
        if "error" in result:
            raise RuntimeError(result["error"])
        series: list[dict[str, Any]] = result.get("series", [])
        return series
