"""A Mosquitto broker of the test's own (twinhub.testing.mosquitto, as the benchmarks use): on a free port,
persistent in a temporary directory (QoS 1 sessions and their unacknowledged messages survive `restart()`),
optionally with users; stopped afterwards. Skips (fails with `CI=true`) where Mosquitto is not installed."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from twinhub.testing import free_port
from twinhub.testing.mosquitto import MOSQUITTO, Mosquitto, running_mosquitto

__all__ = ["MOSQUITTO", "Mosquitto", "free_port", "own_mosquitto"]


@contextlib.contextmanager
def own_mosquitto(directory: Path, *, users: Mapping[str, str] | None = None) -> Iterator[Mosquitto]:
    if not (os.path.exists(MOSQUITTO) and shutil.which("mosquitto_passwd")):
        message = f"{MOSQUITTO} is not installed (apt-get install mosquitto mosquitto-clients)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    with running_mosquitto(directory, users=users) as broker:
        yield broker
