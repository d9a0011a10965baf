"""Messages a client gave up before the runtime saw them (larger than `max_message_bytes`, say): the clients
say so on `REFUSAL_LOGGER` with the connection id and address, and this handler writes it into that
connection's logs and metrics (inbound `dropped`, failure), as a malformed payload is."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import paho.mqtt.client as paho

from twinhub.connectivity.runtime.manager import ConnectionManager

__all__ = ["RefusalsToMonitors"]


class RefusalsToMonitors(logging.Handler):
    def __init__(self, manager: ConnectionManager, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(logging.WARNING)
        self._manager = manager
        self._loop = loop

    def emit(self, record: logging.LogRecord) -> None:
        connection_id = getattr(record, "connection_id", None)
        if not isinstance(connection_id, str):
            return
        address = str(getattr(record, "address", ""))
        message = record.getMessage()
        with contextlib.suppress(RuntimeError):  # the loop is closed: the worker is stopping
            self._loop.call_soon_threadsafe(self._record, connection_id, address, message)

    def _record(self, connection_id: str, address: str, message: str) -> None:
        runtime = self._manager.runtime(connection_id)
        if runtime is None:
            return
        sources = runtime.connection.sources
        source = next((source for source in sources if any(
            pattern == address or paho.topic_matches_sub(pattern, address) for pattern in source.addresses)),
            sources[0] if sources else None)
        label = ";".join(source.addresses) if source is not None else address
        runtime.monitor.count("inbound", label, "dropped", success=False)
        runtime.monitor.log("source", "dropped", f"The message was refused: {message}", address=address)
