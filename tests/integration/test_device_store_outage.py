"""At-least-once through the device endpoint: while PostgreSQL is down, a QoS 1 telemetry message gets no
PUBACK and its connection is closed; once the database is back, the device's own resend lands. Runs its own
throwaway cluster (see test_store_outage.py)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx
import pytest

from tests.connectivity.device_mqtt import Device
from tests.integration.test_store_outage import Cluster, cluster
from twinhub.testing import start_server

__all__ = ["cluster"]

pytestmark = pytest.mark.xdist_group(__name__)


def test_telemetry_during_an_outage_is_not_acknowledged_and_lands_when_resent(cluster: Cluster,
                                                                             tmp_path: Path) -> None:
    server = start_server(tmp_path / "worker", args=("--dev", "--mqtt-port", "0"),
                          env={"TWINHUB_STORE_URL": cluster.dsn})
    thing_id = f"org.example.outage:{uuid.uuid4().hex[:8]}"
    headers = {"x-ditto-pre-authenticated": f"device:{thing_id}"}
    topic = f"devices/{thing_id}/telemetry"
    with Device(server.mqtt_port, thing_id, client_id=f"outage-{thing_id}") as device:
        assert device.wait_connected() == 0
        assert device.publish(topic, json.dumps({"reading": "before"})).is_published()
        cluster.stop()
        during = device.client.publish(topic, json.dumps({"reading": "during"}), qos=1)
        assert device.disconnected.wait(60), "the connection stayed open although the message was not committed"
        assert not during.is_published()  # no PUBACK
        cluster.start()
        # paho reconnects by itself and sends the unacknowledged message again.
        during.wait_for_publish(60)
        assert during.is_published()
        reading = httpx.get(f"{server.base_url}/api/2/things/{thing_id}/features/reading/properties/value",
                            headers=headers)
        assert reading.json() == "during", reading.text
        server.stop()
