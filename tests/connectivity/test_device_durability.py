"""A telemetry message that got its PUBACK survives `kill -9` of the server; telemetry for a thing that does
not exist creates it for the device; the `attributes` layout. A dev-mode server of its own (any device logs
in without a password, and the test reads as the device with the pre-authenticated header)."""

from __future__ import annotations

import concurrent.futures
import json
import uuid
from pathlib import Path

import httpx
import pytest

from tests.connectivity.device_mqtt import Device
from twinhub.testing import start_server

pytestmark = pytest.mark.xdist_group(__name__)

ENV = {"TWINHUB_MQTT_TELEMETRY": "attributes"}
ARGS = ("--dev", "--mqtt-port", "0")


def as_device(thing_id: str) -> dict[str, str]:
    return {"x-ditto-pre-authenticated": f"device:{thing_id}"}


def test_acknowledged_telemetry_survives_kill_9(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    things = [f"org.example.durable:{uuid.uuid4().hex[:8]}-{n}" for n in range(4)]
    server = start_server(data_dir, args=ARGS, env=ENV)
    acknowledged: dict[str, int] = {}
    try:
        def stream(thing_id: str) -> tuple[str, int]:
            device = Device(server.mqtt_port, thing_id, client_id=thing_id)
            assert device.wait_connected() == 0
            last = -1
            for n in range(60):
                if device.publish(f"devices/{thing_id}/telemetry", json.dumps({"n": n, "tag": "x" * 64})
                                  ).is_published():
                    last = n
            return thing_id, last  # the client stays connected: the kill comes mid-session

        # Devices in parallel, so that their acknowledgements come out of real group commits.
        with concurrent.futures.ThreadPoolExecutor(len(things)) as pool:
            acknowledged = dict(pool.map(stream, things))
    finally:
        server.kill()  # right after the last PUBACK, no shutdown
    assert all(last == 59 for last in acknowledged.values()), acknowledged

    restarted = start_server(data_dir, args=ARGS, env=ENV)
    try:
        for thing_id, last in acknowledged.items():
            thing = httpx.get(f"{restarted.base_url}/api/2/things/{thing_id}", headers=as_device(thing_id)).json()
            assert thing["attributes"]["n"] == last
    finally:
        restarted.stop()


def test_telemetry_for_an_unknown_thing_creates_it_owned_by_the_device(tmp_path: Path) -> None:
    thing_id = f"org.example.new:{uuid.uuid4().hex[:8]}"
    server = start_server(tmp_path / "data", args=ARGS, env=ENV)
    try:
        device = Device(server.mqtt_port, thing_id)
        assert device.wait_connected() == 0
        assert device.publish(f"devices/{thing_id}/telemetry", '{"firmware": "1.2.0"}').is_published()
        device.close()
        api = f"{server.base_url}/api/2"
        thing = httpx.get(f"{api}/things/{thing_id}", headers=as_device(thing_id)).json()
        assert thing == {"thingId": thing_id, "policyId": thing_id, "attributes": {"firmware": "1.2.0"}}
        # Ditto's default policy for its creator, as PATCH /things/<id> would make: the device's alone.
        policy = httpx.get(f"{api}/policies/{thing_id}", headers=as_device(thing_id)).json()
        assert list(policy["entries"]["DEFAULT"]["subjects"]) == [f"device:{thing_id}"]
        assert httpx.get(f"{api}/things/{thing_id}", auth=("someone", "else")).status_code == 404
    finally:
        server.stop()
