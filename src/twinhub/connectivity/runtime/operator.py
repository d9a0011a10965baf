"""The runtime's side of the connections API (`twinhub.connectivity.operator.ConnectionOperator`): status,
metrics and logs of this worker's runtimes in Ditto's shapes, the commands, and the dry-run test.

Status, metrics and logs are those of the worker that answers: with several workers each runs its own
clients (Ditto's `clientCount`) and reports them; the client entries name the worker's client id.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from typing import Final

from twinhub.connectivity.clients.base import ClientFailure
from twinhub.connectivity.model import Connection
from twinhub.connectivity.runtime.connection import ConnectionRuntime, client_settings
from twinhub.connectivity.runtime.manager import ConnectionManager
from twinhub.model.errors import ConnectionFailed
from twinhub.model.types import JsonObject

__all__ = ["OPEN_WAIT", "RuntimeOperator"]

OPEN_WAIT: Final = 10.0  # seconds `openConnection` waits for this worker's client before it says it failed


class RuntimeOperator:
    def __init__(self, manager: ConnectionManager, *, open_wait: float = OPEN_WAIT) -> None:
        self._manager = manager
        self._open_wait = open_wait

    async def status(self, connection: Connection) -> JsonObject:
        runtime = self._manager.runtime(connection.id)
        clients: list[JsonObject] = []
        sources: list[JsonObject] = []
        targets: list[JsonObject] = []
        if runtime is not None:
            clients, sources, targets = runtime.status_entries()
        return {"connectionId": connection.id, "connectionStatus": connection.connection_status.value,
                "liveStatus": "closed" if runtime is None else runtime.live_status,
                "connectedSince": None if runtime is None else runtime.connected_since,
                "clientStatus": clients,  # type: ignore[dict-item]
                "sourceStatus": sources,  # type: ignore[dict-item]
                "targetStatus": targets,  # type: ignore[dict-item]
                "sshTunnelStatus": []}

    async def metrics(self, connection: Connection) -> JsonObject:
        return self._manager.monitor(connection.id).metrics()

    async def logs(self, connection: Connection) -> JsonObject:
        return self._manager.monitor(connection.id).logs()

    async def open(self, connection: Connection) -> None:
        """Run the connection here and wait for its client; ConnectionFailed when it does not connect in time
        (it keeps trying, as the stored status says open)."""
        await self._manager.apply(connection.id, connection)
        runtime = self._manager.runtime(connection.id)
        if runtime is None:
            return
        if not await _connected(runtime, self._open_wait):
            raise ConnectionFailed(connection.id, runtime.client_details)

    async def close(self, connection: Connection) -> None:
        await self._manager.apply(connection.id, connection)

    async def reset_metrics(self, connection: Connection) -> None:
        self._manager.monitor(connection.id).reset_metrics()

    async def enable_logs(self, connection: Connection) -> None:
        self._manager.monitor(connection.id).enable_logs()

    async def reset_logs(self, connection: Connection) -> None:
        self._manager.monitor(connection.id).reset_logs()

    async def test(self, connection: Connection) -> JsonObject:
        """Connect a throwaway client (a clean session that leaves nothing behind at the broker) and close it."""
        context = self._manager.context
        settings = client_settings(connection, f"twinhub-test-{uuid.uuid4().hex[:12]}")
        if connection.connection_type.value in ("mqtt", "mqtt-5"):  # others refuse an MQTT setting (nats does)
            settings = replace(settings, specific_config={**settings.specific_config, "cleanSession": "true"})
        try:
            client = context.open_client(settings)
        except ClientFailure as failure:
            raise ConnectionFailed(connection.id, str(failure)) from None
        try:
            await client.connect()
        except ClientFailure as failure:
            raise ConnectionFailed(connection.id, str(failure)) from None
        finally:
            await client.aclose()
        return {"connectionId": connection.id, "testResult": "ok: connected to the broker and closed again"}


async def _connected(runtime: ConnectionRuntime, wait: float) -> bool:
    try:
        async with asyncio.timeout(wait):
            await runtime.connected()
    except TimeoutError:
        return False
    return True
