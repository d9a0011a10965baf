"""A fresh server of one benchmark run: a temporary data dir with the basic user, and on leaving a shutdown
whose exit, log and problems go into the run's report."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from bench.basic_user import add_basic_user
from bench.http_things import ServerStartError, shut_down
from bench.machine import process_tree_memory
from twinhub.testing import Server, start_server

__all__ = ["served"]


class _Record(Protocol):
    problems: list[str]
    server_exit: str
    server_log: dict[str, Any]


@contextmanager
def served(prefix: str, report: _Record, *, keep_data: bool, env: dict[str, str] | None = None) -> Iterator[Server]:
    """A server (the real basic user, not dev mode) on a new data dir under /tmp named `prefix`; the data dir is
    removed afterwards unless `keep_data` or something went wrong. Raises ServerStartError if it does not start."""
    data = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        add_basic_user(data / "data")
        server = start_server(data / "data", args=(), env=env)
    except RuntimeError as error:
        raise ServerStartError(str(error)) from error
    started = [process.pid for process in process_tree_memory(server.process.pid)]
    try:
        yield server
    finally:
        shutdown = shut_down(server, started)
        report.server_exit, report.server_log = shutdown.exit, shutdown.log
        report.problems += shutdown.problems
        if not keep_data and not report.problems:
            shutil.rmtree(data, ignore_errors=True)
