"""A Mosquitto broker of the benchmark's own (twinhub.testing.mosquitto, as the tests use): on a free loopback
port, its config and log in a temporary directory, no persistence, room for the benchmark's in-flight and queued
messages, stopped (and its directory removed) afterwards."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from twinhub.testing.mosquitto import MOSQUITTO, Mosquitto, MosquittoError
from twinhub.testing.mosquitto import running_mosquitto as _running

__all__ = ["MOSQUITTO", "Mosquitto", "MosquittoError", "running_mosquitto"]


@contextmanager
def running_mosquitto() -> Iterator[Mosquitto]:
    with tempfile.TemporaryDirectory(prefix="twinhub-bench-mosquitto-") as directory, \
            _running(Path(directory), persistent=False, max_inflight=1000, max_queued=100_000) as broker:
        yield broker
