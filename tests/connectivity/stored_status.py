"""A `ConnectionOperator` that runs no connection, for the tests of the connection service and its events (what they
pin is storage, revisions and events, not a broker; the runtime's own operator is tested end to end). Status answers
the stored `connectionStatus` as the desired one with `liveStatus` unknown; metrics and logs are empty; the commands
have nothing to do beyond storing the status (which the service does). A dry-run is real, though: the broker client
of the connection's type (`twinhub.connectivity.clients`) connects and closes again; for a type without a client
yet, a TCP connection to the URI's host and port (reachability, not a handshake)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Final

from twinhub.connectivity.clients import CLIENTS, test_connection
from twinhub.connectivity.clients.base import ClientFailure, ClientSettings
from twinhub.connectivity.model import Connection, parse_uri
from twinhub.model.errors import ConnectionFailed
from twinhub.model.types import JsonObject

__all__ = ["StoredStatusOperator"]

TEST_TIMEOUT: Final = 5.0  # seconds a dry-run waits for the broker to accept the TCP connection


class StoredStatusOperator:
    async def status(self, connection: Connection) -> JsonObject:
        return {"connectionId": connection.id, "connectionStatus": connection.connection_status.value,
                "liveStatus": "unknown", "recoveryStatus": "unknown", "clientStatus": [], "sourceStatus": [],
                "targetStatus": [], "sshTunnelStatus": []}

    async def metrics(self, connection: Connection) -> JsonObject:
        return {"connectionId": connection.id, "containsFailures": False,
                "connectionMetrics": {"inbound": {}, "outbound": {}},
                "sourceMetrics": {"addressMetrics": {}}, "targetMetrics": {"addressMetrics": {}}}

    async def logs(self, connection: Connection) -> JsonObject:
        return {"connectionId": connection.id, "connectionLogs": []}  # logging never enabled: no enabledSince

    async def open(self, connection: Connection) -> None:
        pass

    async def close(self, connection: Connection) -> None:
        pass

    async def reset_metrics(self, connection: Connection) -> None:
        pass

    async def enable_logs(self, connection: Connection) -> None:
        pass

    async def reset_logs(self, connection: Connection) -> None:
        pass

    async def test(self, connection: Connection) -> JsonObject:
        uri = parse_uri(connection.uri)
        if connection.connection_type.value in CLIENTS:
            settings = ClientSettings(connection_id=connection.id, connection_type=connection.connection_type.value,
                                      uri=connection.uri, client_id=connection.id, group=connection.id,
                                      specific_config=connection.specific_config,
                                      validate_certificates=connection.validate_certificates)
            try:
                async with asyncio.timeout(TEST_TIMEOUT * 2):
                    await test_connection(settings)
            except (ClientFailure, TimeoutError) as exc:
                reason = str(exc) or "timed out"
                raise ConnectionFailed(connection.id, f"The connection could not be made: {reason}") from None
            return {"connectionId": connection.id, "testResult": "ok: connected and closed again"}
        try:
            async with asyncio.timeout(TEST_TIMEOUT):
                _reader, writer = await asyncio.open_connection(uri.host, uri.port)
        except (OSError, TimeoutError) as exc:
            reason = "timed out" if isinstance(exc, TimeoutError) else (exc.strerror or type(exc).__name__)
            raise ConnectionFailed(connection.id, f"{uri.host}:{uri.port} could not be reached: {reason}.") from None
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return {"connectionId": connection.id, "testResult": f"ok: {uri.host}:{uri.port} is reachable"}
