"""Every connection of a worker: started on boot, changed as the connections change (`ConnectionEvent`s on
the bus, from any worker), stopped with the worker.

Changes are applied one at a time, in the order they come: a modified connection's runtime is stopped and
started anew with the new configuration (its clients reconnect under the same client id, so a persistent
broker session is resumed); a closed or deleted one is stopped; a change that changes nothing (the same
configuration seen twice: from the command's own worker and from the bus) is a no-op. Metrics and logs of
a connection outlive its closing and opening, and go with its deletion.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import replace

from twinhub.connectivity.model import Connection, ConnectivityStatus
from twinhub.connectivity.runtime.connection import ConnectionRuntime, RuntimeContext
from twinhub.connectivity.runtime.monitor import ConnectionMonitor

__all__ = ["ConnectionManager"]

log = logging.getLogger(__name__)


def _configuration(connection: Connection) -> Connection:
    """What the runtime depends on: the connection without its bookkeeping fields."""
    return replace(connection, revision=None, created=None, modified=None)


class ConnectionManager:
    def __init__(self, context: RuntimeContext) -> None:
        self.context = context
        self._runtimes: dict[str, ConnectionRuntime] = {}
        self._monitors: dict[str, ConnectionMonitor] = {}
        self._changes = asyncio.Lock()
        self._closed = False

    def runtime(self, connection_id: str) -> ConnectionRuntime | None:
        return self._runtimes.get(connection_id)

    def existing_monitor(self, connection_id: str) -> ConnectionMonitor | None:
        return self._monitors.get(connection_id)

    def monitor(self, connection_id: str) -> ConnectionMonitor:
        monitor = self._monitors.get(connection_id)
        if monitor is None:
            monitor = self._monitors[connection_id] = ConnectionMonitor(connection_id)
        return monitor

    async def start(self, connections: Iterable[Connection]) -> None:
        """Boot: run every connection whose `connectionStatus` is open."""
        for connection in connections:
            await self.apply(connection.id, connection)

    async def apply(self, connection_id: str, connection: Connection | None) -> None:
        """The connection is now `connection` (None: deleted)."""
        async with self._changes:
            if self._closed:
                return
            current = self._runtimes.get(connection_id)
            wanted = connection is not None and connection.connection_status is ConnectivityStatus.OPEN
            if current is not None and wanted and connection is not None and \
                    _configuration(current.connection) == _configuration(connection):
                return
            if current is not None:
                del self._runtimes[connection_id]
                await current.stop()
                log.info("connection %s stopped", connection_id)
            if connection is None:
                self._monitors.pop(connection_id, None)
            elif wanted:
                runtime = ConnectionRuntime(connection, self.context, monitor=self.monitor(connection_id))
                self._runtimes[connection_id] = runtime
                runtime.start()
                log.info("connection %s started", connection_id)

    async def aclose(self) -> None:
        """Stop every connection; later changes are ignored."""
        async with self._changes:
            self._closed = True
            runtimes, self._runtimes = list(self._runtimes.values()), {}
        for runtime in runtimes:
            await runtime.stop()
