"""A connection's /status, /metrics and /logs with two workers (`twinhub serve --workers 2`) on PostgreSQL and
NATS: whichever worker takes the request answers for both (their clients listed, their counts summed, their
logs merged), and the commands on metrics and logs reach both. On the previous runtime each worker answered
only its own part."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from tests.connectivity.mqtt import forget_sessions, publish_many_now, server_client_ids
from tests.connectivity.waiting import eventually_blocking as eventually
from tests.connectivity.workers import clients_open, consumed_by_each_now, each_worker
from tests.integration.services import shared_backends
from twinhub.testing import Server, running_server

OWNER = "nginx:ditto"
WORKERS = 2
MESSAGES = 40
ASKS = 6  # requests, each on a new HTTP connection: the kernel hands them to either worker


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[Server, str]]:
    with shared_backends("twinhub_monitor") as env, \
            running_server(tmp_path / "data", args=("--dev", "--workers", str(WORKERS)), env=env) as running:
        yield running, env["TWINHUB_BUS_STREAM"]


def _inbound(metrics: Any, kind: str, level: str = "success") -> int:
    return int(metrics["connectionMetrics"]["inbound"][kind][level]["PT24H"])


def test_either_worker_answers_for_both_and_commands_reach_both(server: tuple[Server, str], mosquitto_url: str,
                                                                 prefix: str) -> None:
    running, stream = server
    connection_id = ""
    with httpx.Client(base_url=running.base_url + "/api/2", auth=("ditto", "any"), timeout=30,
                      headers={"connection": "close"}) as api:
        try:
            response = api.post("/connections", json={
                "connectionType": "mqtt-5", "connectionStatus": "open", "uri": mosquitto_url,
                "sources": [{"addresses": [f"{prefix}/#"], "authorizationContext": [OWNER], "qos": 1}]})
            assert response.status_code == 201, response.text
            connection_id = response.json()["id"]
            eventually(lambda: clients_open(api.get(f"/connections/{connection_id}/status").json()) == WORKERS,
                       "both workers' clients open in one status", within=90)
            for _ in range(ASKS):
                status = api.get(f"/connections/{connection_id}/status").json()
                assert status["liveStatus"] == "open" and status["connectionStatus"] == "open"
                assert len({entry["client"] for entry in status["clientStatus"]}) == WORKERS
                assert [entry["status"] for entry in status["sourceStatus"]] == ["open"] * WORKERS

            command = f"/connections/{connection_id}/command"
            assert api.post(command, content="connectivity.commands:enableConnectionLogs",
                            headers={"content-type": "text/plain"}).status_code == 200
            logs = anyio.run(each_worker, stream, {"connectionId": connection_id, "ask": "logs"}, WORKERS)
            assert all("enabledSince" in each for each in logs)  # enabled on both workers

            # Payloads the default mapper refuses: each consumed, and each a failure logged by its worker.
            publish_many_now(mosquitto_url, [(f"{prefix}/t", f"not json {n}") for n in range(MESSAGES)])

            def metrics() -> Any:
                return api.get(f"/connections/{connection_id}/metrics").json()

            eventually(lambda: _inbound(metrics(), "consumed") == MESSAGES, "every message counted", within=30)
            shares = consumed_by_each_now(stream, connection_id, WORKERS)
            assert sum(shares) == MESSAGES and all(shares), shares  # both workers took some
            for _ in range(ASKS):
                each = metrics()
                assert (_inbound(each, "consumed"), _inbound(each, "mapped", "failure")) == (MESSAGES, MESSAGES)
                assert each["containsFailures"] is True
                assert each["sourceMetrics"]["addressMetrics"][f"{prefix}/#"]["consumed"]["success"][
                    "PT24H"] == MESSAGES
                body = api.get(f"/connections/{connection_id}/logs").json()
                refused = [entry for entry in body["connectionLogs"] if entry["type"] == "mapped"]
                assert len(refused) == MESSAGES and "enabledSince" in body and "enabledUntil" in body
                stamps = [entry["timestamp"] for entry in body["connectionLogs"]]
                assert stamps == sorted(stamps)

            assert api.post(command, content="connectivity.commands:resetConnectionMetrics",
                            headers={"content-type": "text/plain"}).status_code == 200
            assert consumed_by_each_now(stream, connection_id, WORKERS) == [0] * WORKERS
            assert api.post(command, content="connectivity.commands:resetConnectionLogs",
                            headers={"content-type": "text/plain"}).status_code == 200
            for _ in range(ASKS):
                each = metrics()
                assert (_inbound(each, "consumed"), each["containsFailures"]) == (0, False)
                body = api.get(f"/connections/{connection_id}/logs").json()
                assert [entry for entry in body["connectionLogs"] if entry["type"] == "mapped"] == []
        finally:
            if connection_id:
                api.delete(f"/connections/{connection_id}")
    if connection_id:
        anyio.run(forget_sessions, mosquitto_url, server_client_ids(connection_id, running.data_dir, WORKERS))
