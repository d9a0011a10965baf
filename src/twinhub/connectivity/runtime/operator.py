"""The runtime's side of the connections API (`twinhub.connectivity.operator.ConnectionOperator`): status,
metrics and logs of this worker's runtimes in Ditto's shapes, the commands, and the dry-run test.

With several workers each runs its own clients (Ditto's `clientCount`): the worker that takes the request
asks every worker (`WorkerPolls`, a short bounded wait; one that does not answer in time is missing) and
merges their answers (`aggregate`); the client entries name each worker's client id. The commands on
metrics and logs reach every worker the same way (`open`/`close` reach them as the stored connection's
`ConnectionEvent`). One worker (the in-process polls) answers at once.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Final

from twinhub.bus.polls import InProcessPolls, WorkerPolls
from twinhub.connectivity.clients.base import ClientFailure
from twinhub.connectivity.model import Connection
from twinhub.connectivity.runtime.aggregate import bounded_logs, merged_logs, merged_metrics, merged_status
from twinhub.connectivity.runtime.connection import ConnectionRuntime, client_settings
from twinhub.connectivity.runtime.manager import ConnectionManager
from twinhub.connectivity.runtime.monitor import DEFAULT_MAX_LOG_ENTRIES, ConnectionMonitor
from twinhub.model.errors import ConnectionFailed
from twinhub.model.random_ids import random_uuid_hex
from twinhub.model.types import JsonObject

__all__ = ["OPEN_WAIT", "POLL_TOPIC", "RuntimeOperator"]

OPEN_WAIT: Final = 10.0  # seconds `openConnection` waits for this worker's client before it says it failed
POLL_TOPIC: Final = "connections"
POLL_WAIT: Final = 1.5  # seconds the answering worker waits for the others
# A worker's logs in an answer: its latest entries within this many bytes (entries are up to ~2 KiB each).
MAX_LOG_ANSWER_BYTES: Final = 256 * 1024
_READS: Final = ("status", "metrics", "logs")
_COMMANDS: Final = ("resetMetrics", "enableLogs", "resetLogs")


class RuntimeOperator:
    def __init__(self, manager: ConnectionManager, *, polls: WorkerPolls | None = None,
                 open_wait: float = OPEN_WAIT, poll_wait: float = POLL_WAIT) -> None:
        self._manager = manager
        self._polls: WorkerPolls = polls if polls is not None else InProcessPolls()
        self._open_wait = open_wait
        self._poll_wait = poll_wait
        self._polls.answer(POLL_TOPIC, self._answer)

    async def status(self, connection: Connection) -> JsonObject:
        merged = merged_status(await self._ask(connection, "status"))
        return {"connectionId": connection.id, "connectionStatus": connection.connection_status.value,
                "liveStatus": merged["liveStatus"], "connectedSince": merged["connectedSince"],
                "clientStatus": merged["clientStatus"], "sourceStatus": merged["sourceStatus"],
                "targetStatus": merged["targetStatus"], "sshTunnelStatus": []}

    async def metrics(self, connection: Connection) -> JsonObject:
        return merged_metrics(connection.id, await self._ask(connection, "metrics"))

    async def logs(self, connection: Connection) -> JsonObject:
        return merged_logs(connection.id, await self._ask(connection, "logs"), max_entries=DEFAULT_MAX_LOG_ENTRIES)

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
        await self._ask(connection, "resetMetrics")

    async def enable_logs(self, connection: Connection) -> None:
        await self._ask(connection, "enableLogs")

    async def reset_logs(self, connection: Connection) -> None:
        await self._ask(connection, "resetLogs")

    async def _ask(self, connection: Connection, ask: str) -> list[JsonObject]:
        return await self._polls.ask(POLL_TOPIC, {"connectionId": connection.id, "ask": ask}, wait=self._poll_wait)

    async def _answer(self, question: JsonObject) -> JsonObject:
        """This worker's part of a question any worker asked (its own included)."""
        connection_id, ask = question.get("connectionId"), question.get("ask")
        if not isinstance(connection_id, str) or ask not in (*_READS, *_COMMANDS):
            return {}
        manager = self._manager
        if ask == "enableLogs":  # also where the connection does not run yet: its monitor waits for it
            manager.monitor(connection_id).enable_logs()
            return {}
        if ask in _COMMANDS:
            if (existing := manager.existing_monitor(connection_id)) is not None:
                (existing.reset_metrics if ask == "resetMetrics" else existing.reset_logs)()
            return {}
        if ask == "status":
            runtime = manager.runtime(connection_id)
            if runtime is None:
                return {"liveStatus": "closed", "connectedSince": None}
            clients, sources, targets = runtime.status_entries()
            return {"liveStatus": runtime.live_status, "connectedSince": runtime.connected_since,
                    "clientStatus": clients,  # type: ignore[dict-item]
                    "sourceStatus": sources,  # type: ignore[dict-item]
                    "targetStatus": targets}  # type: ignore[dict-item]
        monitor = manager.existing_monitor(connection_id) or ConnectionMonitor(connection_id)
        return monitor.metrics() if ask == "metrics" else bounded_logs(monitor.logs(), MAX_LOG_ANSWER_BYTES)

    async def test(self, connection: Connection) -> JsonObject:
        """Connect a throwaway client (a clean session that leaves nothing behind at the broker) and close it."""
        context = self._manager.context
        settings = client_settings(connection, f"twinhub-test-{random_uuid_hex()[:12]}")
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
