"""PostgreSQL goes away while a device sends: the message cannot be committed, so it is not acknowledged to
its broker (503: given back, the link ends and the session keeps it), and once the database is back it lands.
The test runs its own throwaway PostgreSQL cluster (see tests/integration/test_store_outage.py)."""

from __future__ import annotations

import uuid
from pathlib import Path

import anyio
import httpx

from tests.connectivity.e2e import merge
from tests.connectivity.mqtt import forget_sessions, publish_now, server_client_ids
from tests.connectivity.waiting import eventually_blocking as eventually
from tests.integration.test_store_outage import Cluster, cluster
from twinhub.testing import start_server

__all__ = ["cluster"]  # the fixture, imported for this module

OWNER = "nginx:ditto"


def test_a_message_that_cannot_be_committed_is_not_acknowledged_and_lands_after_the_outage(
        cluster: Cluster, tmp_path: Path, mosquitto_url: str, prefix: str) -> None:
    server = start_server(tmp_path / "data", env={"TWINHUB_STORE_URL": cluster.dsn})
    thing = f"org.twinhub.outage:lamp-{uuid.uuid4().hex[:6]}"
    connection_id = ""
    try:
        with httpx.Client(base_url=server.base_url + "/api/2", auth=("ditto", "any"), timeout=30) as api:
            assert api.put(f"/things/{thing}", json={"attributes": {}}).status_code == 201
            response = api.post("/connections", json={
                "connectionType": "mqtt-5", "connectionStatus": "open", "uri": mosquitto_url,
                "sources": [{"addresses": [f"{prefix}/#"], "authorizationContext": [OWNER], "qos": 1}]})
            assert response.status_code == 201, response.text
            connection_id = response.json()["id"]
            pings = iter(range(1_000_000))
            eventually(lambda: api.get(f"/things/{thing}/attributes/ping").status_code == 200, "a ping", within=60,
                       between=lambda: publish_now(mosquitto_url, f"{prefix}/ping",
                                                   merge(thing, "/attributes/ping", next(pings)), qos=0))
            cluster.stop()
            publish_now(mosquitto_url, f"{prefix}/lamp", merge(thing, "/attributes/during", "the outage"))
            # The worker gives it back: it ends its link so that the broker sends it again (see its log).
            eventually(lambda: "so that the broker delivers message" in server.log_path.read_text(),
                       "the message given back to the broker", within=60)
            cluster.start()
            eventually(lambda: api.get(f"/things/{thing}/attributes/during").status_code == 200,
                       "the message's change after the outage", within=60)
            assert api.get(f"/things/{thing}/attributes/during").json() == "the outage"
            api.delete(f"/connections/{connection_id}")
    finally:
        server.stop()
        if connection_id:
            anyio.run(forget_sessions, mosquitto_url, server_client_ids(connection_id, server.data_dir))
