"""Who this worker is to the brokers: a client id per connection that is unique among the workers and the
same after a restart, so that a broker resumes the worker's persistent session (MQTT) and what it had not
acknowledged comes again.

The workers of one server take numbered slots: worker `n` holds an exclusive lock on
`<data_dir>/connectivity/worker-<n>.lock` for as long as it runs; a restarted worker finds its slot free
again. The id is `<clientId or twinhub>-<host>-<place>-<n>-<connectionId>`: the host and a short hash of
the data directory tell apart the servers of one deployment (on several machines, or several on one);
Ditto's `specificConfig.clientId` is the prefix when given.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Final, TextIO

from twinhub.connectivity.model import Connection

__all__ = ["WorkerIdentity", "worker_identity"]

MAX_SLOTS: Final = 256
_UNSAFE: Final = re.compile(r"[^A-Za-z0-9_.-]")


class WorkerIdentity:
    def __init__(self, host: str, data_dir: Path, slot: int) -> None:
        self.host = _UNSAFE.sub("_", host)[:32]
        self.place = hashlib.sha256(str(Path(data_dir).resolve()).encode()).hexdigest()[:6]
        self.slot = slot

    def client_id(self, connection: Connection) -> str:
        prefix = connection.specific_config.get("clientId") or "twinhub"
        return f"{prefix}-{self.host}-{self.place}-{self.slot}-{connection.id}"


@contextlib.contextmanager
def worker_identity(data_dir: Path) -> Iterator[WorkerIdentity]:
    """The first free slot of this host's workers, held until the context ends."""
    directory = Path(data_dir) / "connectivity"
    directory.mkdir(parents=True, exist_ok=True)
    held: TextIO | None = None
    slot = 0
    for slot in range(MAX_SLOTS):
        lock = (directory / f"worker-{slot}.lock").open("a")
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.close()
            continue
        held = lock
        break
    if held is None:
        raise RuntimeError(f"more than {MAX_SLOTS} workers share {data_dir}")
    try:
        yield WorkerIdentity(socket.gethostname(), data_dir, slot)
    finally:
        held.close()
