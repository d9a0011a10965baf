"""Two twinhub workers on one PostgreSQL and one NATS JetStream: no lost update, caches kept exact."""

from __future__ import annotations

import concurrent.futures
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.websocket import DittoSocket, open_socket
from tests.cli.helpers import run
from tests.connectivity.waiting import eventually_blocking
from tests.integration.services import (
    database_url,
    deployment,
    psql,
    shared_backends,
    throwaway_name,
)
from twinhub.testing import Server, start_server

MERGE = {"Content-Type": "application/merge-patch+json"}


@pytest.fixture(name="shared_backends")
def shared_backends_fixture() -> Iterator[dict[str, str]]:
    with shared_backends("twinhub_scale") as env:
        yield env


@pytest.fixture
def workers(shared_backends: dict[str, str], tmp_path: Path) -> Iterator[list[Server]]:
    with deployment(shared_backends, tmp_path) as servers:
        yield servers


def client(server: Server, user: str = "ditto") -> httpx.Client:
    return httpx.Client(base_url=server.base_url + "/api/2", auth=(user, "any"), timeout=30)


def eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    eventually_blocking(check, "the other worker seeing the change", within=timeout)


def test_concurrent_writers_on_two_workers_lose_no_update(workers: list[Server]) -> None:
    thing = "/things/org.twinhub.scale:shared"
    with client(workers[0]) as first:
        assert first.put(thing, json={"attributes": {}}).status_code == 201
    count = 120

    def patch(n: int) -> int:
        with client(workers[n % 2]) as worker:
            return worker.patch(thing, json={"attributes": {f"k{n}": n}}, headers=MERGE).status_code

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(patch, range(count)))
    assert statuses == [204] * count
    for server in workers:
        with client(server) as worker:
            body = worker.get(thing, params={"fields": "attributes,_revision"}).json()
            assert body["_revision"] == count + 1
            assert body["attributes"] == {f"k{n}": n for n in range(count)}


def test_if_match_still_answers_412_across_workers(workers: list[Server]) -> None:
    thing = "/things/org.twinhub.scale:conditional"
    with client(workers[0]) as first, client(workers[1]) as second:
        first.put(thing, json={"attributes": {"v": 0}})
        tag = first.get(thing).headers["ETag"]
        assert second.put(f"{thing}/attributes/v", json=1).status_code == 204
        response = first.put(thing, json={"attributes": {"v": 2}}, headers={"If-Match": tag})
        assert response.status_code == 412
        assert second.get(f"{thing}/attributes/v").json() == 1


def test_a_change_through_one_worker_reaches_the_other(workers: list[Server]) -> None:
    thing = "/things/org.twinhub.scale:cached"
    with client(workers[0]) as first, client(workers[1]) as second:
        first.put(thing, json={"attributes": {"v": 1}})
        assert second.get(f"{thing}/attributes/v").json() == 1  # now cached on the second worker
        first.put(f"{thing}/attributes/v", json=2)
        eventually(lambda: second.get(f"{thing}/attributes/v").json() == 2)


def test_a_policy_change_through_one_worker_is_enforced_by_the_other(workers: list[Server]) -> None:
    thing = "/things/org.twinhub.scale:guarded"
    with client(workers[0]) as owner, client(workers[1], "guest") as guest:
        owner.put(thing, json={"attributes": {"v": 1}})
        assert guest.get(thing).status_code == 404
        entry = {"subjects": {"nginx:guest": {"type": "t"}}, "resources": {"thing:/": {"grant": ["READ"]}}}
        assert owner.put("/policies/org.twinhub.scale:guarded/entries/guest", json=entry).status_code == 201
        eventually(lambda: guest.get(thing).status_code == 200)
        owner.delete("/policies/org.twinhub.scale:guarded/entries/guest")
        eventually(lambda: guest.get(thing).status_code == 404)


def test_search_on_one_worker_sees_writes_through_the_other(workers: list[Server]) -> None:
    with client(workers[0]) as first, client(workers[1]) as second:
        first.put("/things/org.twinhub.scale:found", json={"attributes": {"color": "teal"}})
        found = second.get("/search/things", params={"filter": 'eq(attributes/color,"teal")'}).json()
        assert [item["thingId"] for item in found["items"]] == ["org.twinhub.scale:found"]


def test_a_websocket_on_one_worker_receives_the_events_of_writes_through_the_other(workers: list[Server]) -> None:
    thing_id = "org.twinhub.scale:watched"
    with open_socket(workers[1].base_url) as watcher, client(workers[0]) as first:
        watcher.control("START-SEND-EVENTS?namespaces=org.twinhub.scale")
        first.put(f"/things/{thing_id}", json={"attributes": {"v": 1}}, headers={"correlation-id": "cross"})
        first.put(f"/things/{thing_id}/attributes/v", json=2)

        created = watcher.receive_until(lambda frame: isinstance(frame, dict) and "events" in frame["topic"], 20)
        modified = watcher.receive_until(lambda frame: isinstance(frame, dict) and "events" in frame["topic"], 20)
    assert isinstance(created, dict) and isinstance(modified, dict)
    assert created["topic"] == "org.twinhub.scale/watched/things/twin/events/created"
    assert created["headers"]["correlation-id"] == "cross"
    assert (modified["path"], modified["value"], modified["revision"]) == ("/attributes/v", 2, 2)


def test_a_websocket_on_one_worker_answers_messages_sent_through_the_other(workers: list[Server]) -> None:
    thing_id = "org.twinhub.scale:device"

    def answer(device: DittoSocket) -> None:
        message = device.receive_until(lambda frame: isinstance(frame, dict) and "/messages/" in frame["topic"], 20)
        assert isinstance(message, dict)
        device.send({"topic": message["topic"], "path": message["path"], "status": 200, "value": "from worker 2",
                     "headers": {"correlation-id": message["headers"]["correlation-id"], "content-type": "text/plain"}})

    with client(workers[0]) as first, open_socket(workers[1].base_url) as device, \
            concurrent.futures.ThreadPoolExecutor(1) as pool:
        first.put(f"/things/{thing_id}", json={})
        device.control("START-SEND-MESSAGES")
        answered = pool.submit(answer, device)
        response = first.post(f"/things/{thing_id}/inbox/messages/ping", content=b"?",
                              headers={"Content-Type": "text/plain"}, params={"timeout": "10"})
        answered.result()
    assert response.status_code == 200, response.text
    assert response.text == "from worker 2"


# -- store epochs: deployments and restored databases on one NATS ------------------------------------------


@pytest.fixture
def other_database(shared_backends: dict[str, str]) -> Iterator[dict[str, str]]:
    """A second deployment: its own database, the same NATS and stream settings as `shared_backends`."""
    database = throwaway_name("twinhub_scale")
    psql(f"CREATE DATABASE {database}")
    try:
        yield {**shared_backends, "TWINHUB_STORE_URL": database_url(database)}
    finally:
        psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


def events_of(watcher: DittoSocket, until_revision: int) -> list[tuple[int, object]]:
    """(revision, value) of the twin events the watcher receives, up to one at `until_revision`."""
    seen: list[tuple[int, object]] = []
    while not seen or seen[-1][0] != until_revision:
        frame = watcher.receive_until(lambda frame: isinstance(frame, dict) and "/events/" in frame["topic"], 20)
        assert isinstance(frame, dict)
        seen.append((frame["revision"], frame["value"]))
    return seen


def test_two_deployments_on_one_nats_keep_their_events_apart(workers: list[Server], other_database: dict[str, str],
                                                             tmp_path: Path) -> None:
    thing = "/things/org.twinhub.scale:twin"  # the same id, and the same revisions, in both deployments
    with deployment(other_database, tmp_path / "other") as others, \
            client(workers[0]) as a1, client(others[0]) as b1, client(others[1]) as b2, \
            open_socket(others[1].base_url) as watcher:
        watcher.control("START-SEND-EVENTS?namespaces=org.twinhub.scale")
        assert a1.put(thing, json={"attributes": {"v": "A1"}}).status_code == 201
        assert b1.put(thing, json={"attributes": {"v": "B1"}}).status_code == 201
        assert b2.get(f"{thing}/attributes/v").json() == "B1"  # cached on the second worker of B
        assert a1.put(f"{thing}/attributes/v", json="A2").status_code == 204
        assert b1.put(f"{thing}/attributes/v", json="B2").status_code == 204

        seen = events_of(watcher, until_revision=2)
        eventually(lambda: b2.get(f"{thing}/attributes/v").json() == "B2")
    assert seen == [(1, {"thingId": "org.twinhub.scale:twin", "policyId": "org.twinhub.scale:twin",
                         "attributes": {"v": "B1"}}), (2, "B2")]


def test_a_restored_database_gets_its_events_through_and_caches_stay_exact(shared_backends: dict[str, str],
                                                                            tmp_path: Path) -> None:
    database = shared_backends["TWINHUB_STORE_URL"].rsplit("/", 1)[1]
    backup = throwaway_name("twinhub_backup")
    thing = "/things/org.twinhub.scale:restored"
    with deployment(shared_backends, tmp_path / "before") as servers, client(servers[0]) as first:
        assert first.put(thing, json={"attributes": {"v": 1}}).status_code == 201
    psql(f"CREATE DATABASE {backup} TEMPLATE {database}")  # the backup: revision 1
    try:
        with deployment(shared_backends, tmp_path / "after") as servers, client(servers[0]) as first:
            for value in (2, 3):  # revisions 2 and 3, published, then lost to the restore
                assert first.put(f"{thing}/attributes/v", json=value).status_code == 204
        psql(f"DROP DATABASE {database} WITH (FORCE)")
        psql(f"CREATE DATABASE {database} TEMPLATE {backup}")
    finally:
        psql(f"DROP DATABASE IF EXISTS {backup} WITH (FORCE)")

    with deployment(shared_backends, tmp_path / "restored") as servers, \
            client(servers[0]) as first, client(servers[1]) as second:
        assert second.get(f"{thing}/attributes/v").json() == 1  # cached on the second worker
        assert first.put(f"{thing}/attributes/v", json="restored").status_code == 204  # revision 2 again
        eventually(lambda: second.get(f"{thing}/attributes/v").json() == "restored")
        assert "restored from a backup" in servers[0].log() + servers[1].log()


def test_worker_processes_of_one_server_share_its_port(shared_backends: dict[str, str], tmp_path: Path) -> None:
    """`--workers 2` on one port: both worker processes start on the socket the main process bound (no data dir
    lock with PostgreSQL), serve requests, and a second server cannot take the port."""
    server = start_server(tmp_path / "data", args=("--dev", "--workers", "2"), env=shared_backends)
    try:
        eventually(lambda: "Started worker-2" in server.log() and "Started worker-1" in server.log(), timeout=60)

        def read(n: int) -> int:
            with client(server) as worker:
                return worker.get(f"/things/org.twinhub.scale:absent-{n}").status_code

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            assert list(pool.map(read, range(40))) == [404] * 40
        port = server.base_url.rsplit(":", 1)[1]
        second = run("serve", "--dev", "--port", port, "--data-dir", str(tmp_path / "other"), env=shared_backends)
        assert (second.status, second.error_line()) == (2, f"twinhub: port {port} on 127.0.0.1 is in use by "
                                                           "another process")
        assert "Unexpected exit" not in server.log()
    finally:
        server.stop()


def test_live_history_streams_on_one_worker_the_points_committed_on_the_other(workers: list[Server]) -> None:
    thing = "org.twinhub.scale:live-history"
    with client(workers[0]) as first, client(workers[1]) as second:
        assert first.put(f"/things/{thing}", json={"attributes": {"n": 0}}).status_code == 201
        with second.stream("GET", f"/history/things/{thing}/attributes/n", headers={"Accept": "text/event-stream"},
                           timeout=httpx.Timeout(30, read=10)) as response:
            assert response.status_code == 200
            lines = response.iter_lines()
            assert next(lines).startswith(":")  # the stream is open: what is committed from now on comes
            for n in range(1, 4):
                assert first.put(f"/things/{thing}/attributes/n", json=n).status_code == 204
            data: list[dict[str, object]] = []
            for line in lines:
                if line.startswith("data:"):
                    data.append(json.loads(line[5:]))
                    if len(data) == 3:
                        break
    assert [(point["value"], point["revision"]) for point in data] == [(1, 2), (2, 3), (3, 4)]


def test_a_policy_change_on_one_worker_leaves_the_other_policies_sharing_its_enforcer_alone(
        workers: list[Server]) -> None:
    """Two things' policies of the same rules share one enforcer per worker: a change of one through the first
    worker takes the grant from that one alone on the second."""
    entry = {"subjects": {"nginx:guest": {"type": "t"}}, "resources": {"thing:/": {"grant": ["READ"]}}}
    with client(workers[0]) as owner, client(workers[1], "guest") as guest:
        for name in ("twin-a", "twin-b"):
            assert owner.put(f"/things/org.twinhub.scale:{name}", json={"attributes": {"v": 1}}).status_code == 201
            assert owner.put(f"/policies/org.twinhub.scale:{name}/entries/guest", json=entry).status_code == 201
        eventually(lambda: all(guest.get(f"/things/org.twinhub.scale:{name}").status_code == 200
                               for name in ("twin-a", "twin-b")))
        assert owner.delete("/policies/org.twinhub.scale:twin-a/entries/guest").status_code == 204
        eventually(lambda: guest.get("/things/org.twinhub.scale:twin-a").status_code == 404)
        assert guest.get("/things/org.twinhub.scale:twin-b").status_code == 200
