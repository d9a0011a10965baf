"""An acknowledged write survives a restart and a `kill -9` of the server."""

from __future__ import annotations

import concurrent.futures
from pathlib import Path

import httpx

from tests.api.conftest import AUTH
from twinhub.testing import start_server


def test_acknowledged_writes_survive_kill_9(data_dir: Path) -> None:
    server = start_server(data_dir)
    acknowledged: dict[str, int] = {}
    try:
        with httpx.Client(base_url=server.base_url + "/api/2", auth=AUTH) as client:
            client.put("/things/org.twinhub.test:durable", json={"attributes": {}})

            def write(n: int) -> tuple[str, int, int]:
                response = client.put(f"/things/org.twinhub.test:durable/attributes/a{n % 50}", json=n)
                return f"a{n % 50}", n, response.status_code

            # Concurrent writers so that acknowledgements come out of real group commits.
            with concurrent.futures.ThreadPoolExecutor(8) as pool:
                for key, value, status in pool.map(write, range(400)):
                    assert status in (201, 204)
                    acknowledged[key] = max(acknowledged.get(key, -1), value)
            last = client.put("/things/org.twinhub.test:durable/attributes/last", json="right before the kill")
            assert last.status_code == 201
    finally:
        server.kill()  # immediately after the last acknowledgement, no shutdown

    restarted = start_server(data_dir)
    try:
        with httpx.Client(base_url=restarted.base_url + "/api/2", auth=AUTH) as client:
            attributes = client.get("/things/org.twinhub.test:durable/attributes").json()
            assert attributes["last"] == "right before the kill"
            # Writes to one key are applied in order, so the last acknowledged value of each key wins.
            for key in acknowledged:
                assert key in attributes
            revision = client.get("/things/org.twinhub.test:durable", params={"fields": "_revision"}).json()
            assert revision["_revision"] == 402
    finally:
        restarted.stop()


def test_data_survives_a_clean_restart(data_dir: Path) -> None:
    server = start_server(data_dir)
    try:
        with httpx.Client(base_url=server.base_url + "/api/2", auth=AUTH) as client:
            client.put("/things/org.twinhub.test:restart", json={"attributes": {"v": 1}})
            client.patch("/things/org.twinhub.test:restart", json={"attributes": {"w": 2}},
                         headers={"Content-Type": "application/merge-patch+json"})
    finally:
        server.stop()
    restarted = start_server(data_dir)
    try:
        with httpx.Client(base_url=restarted.base_url + "/api/2", auth=AUTH) as client:
            response = client.get("/things/org.twinhub.test:restart")
            assert response.json()["attributes"] == {"v": 1, "w": 2}
            assert response.headers["ETag"] == '"rev:2"'
            past = client.get("/things/org.twinhub.test:restart", headers={"at-historical-revision": "1"})
            assert past.json()["attributes"] == {"v": 1}
    finally:
        restarted.stop()
