"""What the end-to-end connection tests share (tests/connectivity/test_e2e_*.py): a real twinhub server (the
`e2e_server` fixture in conftest.py), its connections API driven over HTTP, Ditto Protocol commands for a
source to carry, and waiting on what the server reports.

    connections = Connections(api)              # an httpx.AsyncClient on <server>/api/2 as the user ditto
    connection_id = await connections.create({"connectionType": "amqp-091", ...})
    await connections.wait_open(connection_id)  # liveStatus open and every source and target at work
    ...
    await connections.delete_all()
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import orjson

from tests.connectivity.polling import until

OWNER = "nginx:ditto"  # the development server's subject of the user `ditto`
OTHER = "nginx:other"  # ... and of `other`, who owns what OWNER may not touch
NAMESPACE = "org.twinhub.e2e"


def new_thing_id(kind: str, namespace: str = NAMESPACE) -> str:
    return f"{namespace}:{kind}-{uuid.uuid4().hex[:8]}"


def merge(thing_id: str, path: str, value: Any, **headers: Any) -> bytes:
    """A Ditto Protocol merge of `value` at `path` of the twin, as a device would send it."""
    namespace, name = thing_id.split(":", 1)
    return orjson.dumps({"topic": f"{namespace}/{name}/things/twin/commands/merge", "path": path, "value": value,
                         "headers": {"content-type": "application/merge-patch+json", **headers}})


async def value_at(api: httpx.AsyncClient, thing_id: str, path: str) -> Any:
    """The twin's value at `path` (e.g. `attributes/x`) as the API's user sees it; None when it has none."""
    response = await api.get(f"/things/{thing_id}/{path}")
    return response.json() if response.status_code == 200 else None


async def value_is(api: httpx.AsyncClient, thing_id: str, path: str, expected: Any) -> bool:
    """Whether the twin's value at `path` is `expected` (as `value_at` reads it)."""
    return bool(await value_at(api, thing_id, path) == expected)


# How long a connection may take to come back once its broker is back: the runtime's longest backoff (60 s, reached
# while a slow node boots) plus a connect.
AFTER_OUTAGE = 100.0


class Connections:
    """The connections API of the server, and the connections a test made there."""

    def __init__(self, api: httpx.AsyncClient) -> None:
        self.api = api
        self.made: list[str] = []

    async def create(self, body: dict[str, Any]) -> str:
        response = await self.api.post("/connections", json={"connectionStatus": "open", **body})
        assert response.status_code == 201, response.text
        self.made.append(response.json()["id"])
        return self.made[-1]

    async def open(self, body: dict[str, Any]) -> str:
        """`create`, then `wait_open`."""
        connection_id = await self.create(body)
        await self.wait_open(connection_id)
        return connection_id

    async def status(self, connection_id: str) -> dict[str, Any]:
        response = await self.api.get(f"/connections/{connection_id}/status")
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def metrics(self, connection_id: str) -> dict[str, Any]:
        response = await self.api.get(f"/connections/{connection_id}/metrics")
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def logs(self, connection_id: str) -> list[dict[str, Any]]:
        response = await self.api.get(f"/connections/{connection_id}/logs")
        assert response.status_code == 200, response.text
        return list(response.json()["connectionLogs"])

    async def command(self, connection_id: str, command: str) -> None:
        response = await self.api.post(f"/connections/{connection_id}/command",
                                       content=f"connectivity.commands:{command}",
                                       headers={"content-type": "text/plain"})
        assert response.status_code == 200, response.text

    async def wait_open(self, connection_id: str, *, within: float = 30.0) -> dict[str, Any]:
        """The status once the connection is open with every source consuming and every target subscribed."""
        status: dict[str, Any] = {}

        async def at_work() -> bool:
            nonlocal status
            status = await self.status(connection_id)
            entries = [*status["clientStatus"], *status["sourceStatus"], *status["targetStatus"]]
            return status["liveStatus"] == "open" and all(entry["status"] == "open" for entry in entries)

        await until(at_work, f"the opening of {connection_id}", within=within)
        return status

    async def wait_failed(self, connection_id: str, *, within: float = 30.0) -> dict[str, Any]:
        """The status once the stored connection is open but its client failed (a broker outage)."""
        status: dict[str, Any] = {}

        async def failed() -> bool:
            nonlocal status
            status = await self.status(connection_id)
            return bool(status["connectionStatus"] == "open" and status["liveStatus"] == "failed"
                        and status["clientStatus"][0]["status"] == "failed")

        await until(failed, f"the failure of {connection_id} in /status", within=within)
        return status

    async def wait_logged(self, connection_id: str, what: str, **fields: str) -> dict[str, Any]:
        """The first log entry of the connection with these fields (e.g. level="failure")."""
        found: list[dict[str, Any]] = []

        async def logged() -> bool:
            found[:] = [entry for entry in await self.logs(connection_id)
                        if all(entry.get(name) == value for name, value in fields.items())]
            return bool(found)

        await until(logged, what)
        return found[0]

    async def delete_all(self) -> None:
        for connection_id in self.made:
            await self.api.delete(f"/connections/{connection_id}")
        self.made.clear()


def inbound(metrics: dict[str, Any], kind: str, outcome: str = "success") -> int:
    """The connection's inbound count of `kind` (consumed, mapped, acknowledged...) over the last 24 hours: every
    test's connection is new, and the one-minute window would lose a count made before a minute boundary."""
    return int(metrics["connectionMetrics"]["inbound"].get(kind, {}).get(outcome, {}).get("PT24H", 0))


def outbound(metrics: dict[str, Any], kind: str, outcome: str = "success") -> int:
    return int(metrics["connectionMetrics"]["outbound"].get(kind, {}).get(outcome, {}).get("PT24H", 0))
