"""The seam between connection management and the connection runtime: what the `/api/2/connections` routes
ask of the connections that run (their status, metrics and logs, the commands, and a dry-run test).

JSON in Ditto's shapes, so the routes pass it through unchanged:

    status(c)  -> {"connectionId", "connectionStatus", "liveStatus", "recoveryStatus", "connectedSince",
                   "clientStatus": [{"type": "client", "client", "status", "statusDetails", "inStateSince"}],
                   "sourceStatus": [{"type": "source", "client", "status", "address", "statusDetails", ...}],
                   "targetStatus": [...], "sshTunnelStatus": [...]}
    metrics(c) -> {"connectionId", "containsFailures", "connectionMetrics": {"inbound": {...}, "outbound": {...}},
                   "sourceMetrics": {"addressMetrics": {...}}, "targetMetrics": {"addressMetrics": {...}}}
                   where a measurement is {"<type>": {"success": {"PT1M": n, "PT1H": n, "PT24H": n,
                   "lastMessageAt": iso}, "failure": {...}}} and a type is consumed, mapped, filtered,
                   dropped, enforced, published, acknowledged, throttled
    logs(c)    -> {"connectionId", "enabledSince", "enabledUntil", "connectionLogs": [{"correlationId",
                   "timestamp", "category", "type", "level", "message", "address", "entityId"}]}
    test(c)    -> {"connectionId", "testResult": "..."}   (raises ConnectionFailed when it cannot connect)

`open`/`close` run after the connection's new `connectionStatus` was stored (and published as a
`ConnectionEvent`, which every worker's runtime follows); they let the worker that took the command wait for
its own clients, as Ditto answers `openConnection` once the connection is up. The runtime raises
`twinhub.model.errors` (ConnectionFailed, ConnectionUnavailable) and nothing else.
"""

from __future__ import annotations

from typing import Protocol

from twinhub.connectivity.model import Connection
from twinhub.model.types import JsonObject

__all__ = ["ConnectionOperator"]


class ConnectionOperator(Protocol):
    async def status(self, connection: Connection) -> JsonObject: ...

    async def metrics(self, connection: Connection) -> JsonObject: ...

    async def logs(self, connection: Connection) -> JsonObject: ...

    async def open(self, connection: Connection) -> None: ...

    async def close(self, connection: Connection) -> None: ...

    async def reset_metrics(self, connection: Connection) -> None: ...

    async def enable_logs(self, connection: Connection) -> None: ...

    async def reset_logs(self, connection: Connection) -> None: ...

    async def test(self, connection: Connection) -> JsonObject:
        """Connect with `connection` (validated, not stored) and close again; raises ConnectionFailed."""
        ...
