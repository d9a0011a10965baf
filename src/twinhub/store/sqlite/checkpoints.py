"""WAL checkpoints on a thread and connection of their own, so that the writer thread never runs one.

SQLite checkpoints by default inside the COMMIT that passes 1,000 WAL pages: that commit then copies the WAL into
the database file and fsyncs both (79 ms stalls of the writer, measured), holding up every write queued behind it.
The writer's connection turns that off (`wal_autocheckpoint = 0`) and wakes this thread after its commits; the
thread runs a PASSIVE checkpoint at most every `interval` seconds, which copies what no reader still needs while
the writer goes on appending (it takes neither the write lock nor waits for readers). Durability is unchanged: a
commit is in the WAL before COMMIT returns, and a checkpoint only copies committed pages (an interrupted one is
redone from the WAL).

Readers that keep an old snapshot can stop a PASSIVE checkpoint from reaching the end of the WAL, which then grows.
Past `limit_frames` the thread runs a RESTART checkpoint instead: it takes the write lock and waits (at most its
busy timeout, shorter than the writer's) for those readers to finish, so new writes wait meanwhile and the WAL
starts again from its beginning. Reads are bounded in time, so the WAL is too.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

__all__ = ["CHECKPOINT_INTERVAL", "WAL_LIMIT_FRAMES", "Checkpointer"]

log = logging.getLogger(__name__)

CHECKPOINT_INTERVAL = 0.5  # seconds between checkpoints while writes go on
WAL_LIMIT_FRAMES = 64_000  # ~256 MB of 4 KB pages: past it, wait for the readers that pin the WAL
_RESTART_BUSY_TIMEOUT_MS = 1_000  # below the writer's busy timeout: a write waits, it does not fail


class Checkpointer:
    """The checkpoint thread of one database file: `start`, `written` after each commit, `stop` (once)."""

    def __init__(self, path: Path, *, interval: float = CHECKPOINT_INTERVAL,
                 limit_frames: int = WAL_LIMIT_FRAMES) -> None:
        self._path = path
        self._interval = interval
        self._limit_frames = limit_frames
        self._written = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="twinhub-sqlite-checkpoints", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def written(self) -> None:
        """Something was committed: checkpoint it soon (cheap, called by the writer thread)."""
        self._written.set()

    def stop(self) -> None:
        """End the thread after the checkpoint under way, if any (the last connection's close checkpoints)."""
        self._stopping.set()
        self._written.set()
        self._thread.join()

    def _run(self) -> None:
        try:
            connection = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        except sqlite3.Error:
            log.exception("the checkpoint connection to %s cannot be opened; the WAL is checkpointed on close",
                          self._path)
            return
        try:
            connection.execute(f"PRAGMA busy_timeout = {_RESTART_BUSY_TIMEOUT_MS}")
            while True:
                self._written.wait()
                if self._stopping.is_set():
                    return
                self._written.clear()
                self._checkpoint(connection)
                if self._stopping.wait(self._interval):
                    return
        finally:
            connection.close()

    def _checkpoint(self, connection: sqlite3.Connection) -> None:
        try:
            _busy, frames, copied = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            if frames >= self._limit_frames and copied < frames:
                log.warning("the WAL of %s holds %d frames that readers still need; waiting for them", self._path,
                            frames - copied)
                connection.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
        except sqlite3.Error:  # tried again after the next commit; the WAL only grows meanwhile
            log.exception("a checkpoint of %s failed", self._path)
