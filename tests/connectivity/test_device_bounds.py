"""The device endpoint's bounds, in process on a real platform and real sockets (limits set low): the
connection limit, the time to log in, a client flooding QoS 0 telemetry, a client that stops reading, and
the endpoint among the application's subsystems."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.connectivity.device_mqtt import WAIT, Device
from twinhub.app import open_platform, subsystems_of
from twinhub.config import Settings
from twinhub.connectivity.device import DeviceEndpoint
from twinhub.service.platform import Platform

pytestmark = pytest.mark.anyio


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", dev_auth=True, mqtt_port=0)


@pytest.fixture
async def platform(settings: Settings) -> AsyncIterator[Platform]:
    async with open_platform(settings) as platform:
        yield platform


async def closed_by_server(reader: asyncio.StreamReader) -> bool:
    """Whether the server ends the connection (reading whatever it sent until then)."""
    try:
        async with asyncio.timeout(WAIT):
            while await reader.read(65536):
                pass
    except TimeoutError:
        return False
    except ConnectionError:
        return True
    return True


def test_the_endpoint_is_a_subsystem_only_with_a_port(settings: Settings) -> None:
    assert any(isinstance(part, DeviceEndpoint) for part in subsystems_of(settings))
    assert not any(isinstance(part, DeviceEndpoint) for part in subsystems_of(Settings(mqtt_port=None)))


async def test_connections_over_the_limit_are_closed_at_once(settings: Settings, platform: Platform) -> None:
    endpoint = DeviceEndpoint(settings, max_connections=2, connect_timeout=30)
    async with endpoint.lifespan(platform):
        held = [await asyncio.open_connection("127.0.0.1", endpoint.port) for _ in range(2)]
        await asyncio.sleep(0)  # the endpoint counts both before the third arrives
        extra_reader, extra_writer = await asyncio.open_connection("127.0.0.1", endpoint.port)
        assert await closed_by_server(extra_reader)
        for _reader, writer in [*held, (extra_reader, extra_writer)]:
            writer.close()


async def test_a_connection_that_never_logs_in_is_closed(settings: Settings, platform: Platform) -> None:
    endpoint = DeviceEndpoint(settings, connect_timeout=0.5)
    async with endpoint.lifespan(platform):
        reader, writer = await asyncio.open_connection("127.0.0.1", endpoint.port)
        writer.write(b"\x10")  # the first byte of a CONNECT, then nothing
        assert await closed_by_server(reader)
        writer.close()


async def test_a_connect_packet_claiming_256_mib_ends_with_the_login_time(settings: Settings,
                                                                           platform: Platform) -> None:
    """A CONNECT's fields are strings of at most 64 KiB, read one by one: what it claims is never buffered."""
    endpoint = DeviceEndpoint(settings, connect_timeout=0.5)
    async with endpoint.lifespan(platform):
        reader, writer = await asyncio.open_connection("127.0.0.1", endpoint.port)
        writer.write(b"\x10\xff\xff\xff\x7f")  # CONNECT of 256 MiB
        assert await closed_by_server(reader)
        writer.close()


async def test_a_client_flooding_qos_0_is_disconnected(settings: Settings, platform: Platform) -> None:
    endpoint = DeviceEndpoint(settings, max_pending=4)
    async with endpoint.lifespan(platform):
        device = await asyncio.to_thread(Device, endpoint.port, "org.example:flood")
        try:
            assert await asyncio.to_thread(device.wait_connected) == 0
            for n in range(2000):
                device.client.publish("devices/org.example:flood/telemetry", json.dumps({"n": n}), qos=0)
            assert await asyncio.to_thread(device.disconnected.wait, WAIT)
        finally:
            await asyncio.to_thread(device.close)


async def test_a_client_subscribes_to_a_bounded_number_of_things(settings: Settings, platform: Platform) -> None:
    endpoint = DeviceEndpoint(settings, max_subscriptions=2)
    async with endpoint.lifespan(platform):
        gateway = await asyncio.to_thread(Device, endpoint.port, "gateway")  # dev mode: a user, no password
        try:
            assert await asyncio.to_thread(gateway.wait_connected) == 0
            for thing in ("org.example:a", "org.example:b"):
                assert await asyncio.to_thread(gateway.subscribe, f"devices/{thing}/commands") == 1
            assert await asyncio.to_thread(gateway.subscribe, "devices/org.example:a/commands") == 1  # again: fine
            assert await asyncio.to_thread(gateway.subscribe, "devices/org.example:c/commands") == 0x80
        finally:
            await asyncio.to_thread(gateway.close)
