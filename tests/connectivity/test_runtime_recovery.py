"""A connection through broker outages, on a Mosquitto of the test's own: `/status` shows the outage, the
connection recovers by itself, and QoS 1 messages in flight when the broker restarts all land in the twin."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.connectivity.e2e import merge
from tests.connectivity.mosquitto import Mosquitto
from tests.connectivity.mqtt import publish, publish_many
from tests.connectivity.polling import until
from tests.connectivity.runtime_world import context_of, create_thing, mqtt_connection, thing_at, worker
from tests.connectivity.test_runtime_sources import DEVICE, THING, until_consuming
from twinhub.connectivity.model import Connection
from twinhub.connectivity.runtime.manager import ConnectionManager
from twinhub.connectivity.runtime.operator import RuntimeOperator
from twinhub.model.errors import ConnectionFailed
from twinhub.model.types import JsonObject
from twinhub.service.platform import Platform

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> tuple[str, dict[str, bool]]:
    return "asyncio", {"use_uvloop": True}  # as the server runs


@contextlib.asynccontextmanager
async def managed(platform: Platform, client_ids: list[str]) -> AsyncIterator[tuple[ConnectionManager,
                                                                                    RuntimeOperator]]:
    manager = ConnectionManager(context_of(platform, client_ids))
    try:
        yield manager, RuntimeOperator(manager, open_wait=5.0)
    finally:
        await manager.aclose()


def telemetry_connection(url: str) -> Connection:
    return mqtt_connection(url, sources=[{"addresses": ["devices/#"], "authorizationContext": list(DEVICE),
                                          "qos": 1}])


async def test_status_shows_an_outage_and_the_connection_recovers_by_itself(broker: Mosquitto,
                                                                            tmp_path: Path) -> None:
    async with worker(tmp_path / "data") as platform, managed(platform, []) as (manager, operator):
        await create_thing(platform, THING, DEVICE)
        connection = telemetry_connection(broker.url)
        await operator.open(connection)
        status = await operator.status(connection)
        assert (status["connectionStatus"], status["liveStatus"]) == ("open", "open")
        assert status["connectedSince"] is not None
        assert [entry["status"] for entry in status["clientStatus"]] == ["open"]  # type: ignore[index, union-attr]
        assert [entry["address"] for entry in status["sourceStatus"]] == ["devices/#"]  # type: ignore[index, union-attr]

        broker.stop()

        async def failed() -> bool:
            status = await operator.status(connection)
            return status["liveStatus"] == "failed" and all(
                entry["status"] == "failed" for entry in status["sourceStatus"])  # type: ignore[index, union-attr]

        await until(failed, "the outage in /status")
        assert (await operator.status(connection))["connectedSince"] is None
        broker.start()

        async def recovered() -> bool:
            return (await operator.status(connection))["liveStatus"] == "open"

        await until(recovered, "the recovery")
        runtime = manager.runtime(connection.id)
        assert runtime is not None
        await until_consuming(runtime, platform, broker.url, "devices/lamp")
        logs = (await operator.logs(connection))["connectionLogs"]
        assert any("failed" in entry["message"] for entry in logs)  # type: ignore[index, union-attr, operator]


async def test_qos1_messages_in_flight_when_the_broker_restarts_all_land_as_sent(broker: Mosquitto,
                                                                                 tmp_path: Path) -> None:
    count = 300
    async with worker(tmp_path / "data") as platform, managed(platform, []) as (manager, operator):
        await create_thing(platform, THING, DEVICE)
        connection = telemetry_connection(broker.url)
        await operator.open(connection)
        runtime = manager.runtime(connection.id)
        assert runtime is not None
        await until_consuming(runtime, platform, broker.url, "devices/lamp")
        await publish_many(broker.url, [("devices/lamp", merge(THING, f"/attributes/k{n}", {"n": n, "sent": True}))
                                        for n in range(count)])
        broker.restart()  # mid-stream: what was not acknowledged yet comes again from the broker's disk

        async def all_landed() -> bool:
            attributes = (await thing_at(platform, THING, DEVICE)).get("attributes", {})  # type: ignore[union-attr]
            return sum(key.startswith("k") for key in attributes) == count  # type: ignore[union-attr]

        await until(all_landed, f"all {count} messages in the twin", within=60)
        attributes: JsonObject = (await thing_at(platform, THING, DEVICE))["attributes"]  # type: ignore[index, call-overload]
        assert {key: value for key, value in attributes.items() if key.startswith("k")} == {
            f"k{n}": {"n": n, "sent": True} for n in range(count)}
        logs = (await operator.logs(connection))["connectionLogs"]  # the restart did cut the connection's link
        assert any(entry["message"].startswith("The connection failed") for entry in logs)  # type: ignore[index, union-attr]


async def test_open_fails_cleanly_when_the_broker_cannot_be_reached_and_test_says_why(broker: Mosquitto,
                                                                                      tmp_path: Path) -> None:
    async with worker(tmp_path / "data") as platform, managed(platform, []) as (_manager, operator):
        connection = telemetry_connection(broker.url)
        assert (await operator.test(connection))["connectionId"] == connection.id
        broker.stop()
        with pytest.raises(ConnectionFailed):
            await operator.test(connection)
        with pytest.raises(ConnectionFailed):
            await operator.open(connection)
        assert (await operator.status(connection))["liveStatus"] == "failed"
        broker.start()

        async def recovered() -> bool:
            return (await operator.status(connection))["liveStatus"] == "open"

        await until(recovered, "the recovery after a failed open")
        await operator.close(connection.with_status(connection.connection_status.CLOSED))
        assert (await operator.status(connection))["liveStatus"] == "closed"


async def test_metrics_and_logs_commands(broker: Mosquitto, tmp_path: Path) -> None:
    async with worker(tmp_path / "data") as platform, managed(platform, []) as (manager, operator):
        await create_thing(platform, THING, DEVICE)
        connection = telemetry_connection(broker.url)
        await operator.open(connection)
        await operator.enable_logs(connection)
        runtime = manager.runtime(connection.id)
        assert runtime is not None
        await until_consuming(runtime, platform, broker.url, "devices/lamp")
        await publish(broker.url, "devices/lamp", merge(THING, "/attributes/logged", 1, **{"correlation-id": "l-1"}))

        async def logged() -> bool:
            logs = (await operator.logs(connection))["connectionLogs"]
            return any(entry["correlationId"] == "l-1" and entry["level"] == "success"  # type: ignore[index]
                       for entry in logs)  # type: ignore[union-attr]

        await until(logged, "the success entry")
        logs = await operator.logs(connection)
        assert logs["enabledSince"] is not None and logs["enabledUntil"] is not None
        metrics = await operator.metrics(connection)
        assert metrics["sourceMetrics"]["addressMetrics"]["devices/#"]["consumed"]["success"]["PT24H"] >= 1  # type: ignore[index, call-overload]
        await operator.reset_metrics(connection)
        await operator.reset_logs(connection)
        reset = (await operator.metrics(connection))["connectionMetrics"]
        assert all(counts["PT24H"] == 0 for direction in reset.values()  # type: ignore[union-attr]
                   for outcomes in direction.values() for counts in outcomes.values())  # type: ignore[union-attr]
        assert (await operator.logs(connection))["connectionLogs"] == []


async def test_placeholders_in_a_targets_authorization_context_are_a_misconfiguration(broker: Mosquitto,
                                                                                       tmp_path: Path) -> None:
    async with worker(tmp_path / "data") as platform, managed(platform, []) as (_manager, operator):
        connection = mqtt_connection(broker.url, targets=[
            {"address": "out", "topics": ["_/_/things/twin/events"],
             "authorizationContext": ["device:{{ header:device-id }}"]}])
        with pytest.raises(ConnectionFailed):
            await operator.open(connection)
        status = await operator.status(connection)
        assert status["liveStatus"] == "failed"
        assert "cannot be resolved" in status["clientStatus"][0]["statusDetails"]  # type: ignore[index, call-overload]
        logs = (await operator.logs(connection))["connectionLogs"]
        assert any("authorizationContext" in entry["message"] for entry in logs)  # type: ignore[index, union-attr, operator]
