"""Things as they were, over the Ditto Protocol: `at-historical-revision` / `at-historical-timestamp` headers on a
`things/twin/commands/retrieve`, as on a thing GET (tests/api/test_reads.py). Ditto reads a historical RetrieveThing
from the thing's journal whatever edge carried the headers (ThingPersistenceActor, DittoHeaderDefinition
AT_HISTORICAL_REVISION / AT_HISTORICAL_TIMESTAMP) and answers a revision it cannot find with 404
`things:thing.history.notfound` (ThingHistoryNotAccessibleException)."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.api.websocket import DittoSocket, topic


@pytest.fixture
def thing(client: httpx.Client, thing_id: str) -> str:
    """Revision 1: serial 4711 and a fan; 2: serial 1; 3: the fan gone."""
    assert client.put(f"/things/{thing_id}", json={"attributes": {"serial": 4711}, "features": {"fan": {}}}
                      ).status_code == 201
    time.sleep(0.01)
    assert client.put(f"/things/{thing_id}/attributes/serial", json=1).status_code == 204
    assert client.delete(f"/things/{thing_id}/features/fan").status_code == 204
    return thing_id


def _retrieve(socket: DittoSocket, thing_id: str, path: str = "/", **headers: object) -> dict[str, object]:
    return socket.request({"topic": topic(thing_id, "things/twin/commands/retrieve"), "path": path,
                           "headers": dict(headers)})


def test_a_thing_at_a_revision_over_the_websocket(socket: DittoSocket, thing: str) -> None:
    past = _retrieve(socket, thing, **{"at-historical-revision": "1"})
    assert past["status"] == 200, past
    value = past["value"]
    assert isinstance(value, dict) and value["attributes"] == {"serial": 4711} and "fan" in value["features"]
    serial = _retrieve(socket, thing, "/attributes/serial", **{"at-historical-revision": 2})
    assert (serial["status"], serial["value"]) == (200, 1)
    now = _retrieve(socket, thing)
    assert now["value"]["features"] == {}  # type: ignore[index]


def test_a_thing_at_a_timestamp_over_the_websocket(socket: DittoSocket, client: httpx.Client, thing: str) -> None:
    created = client.get(f"/things/{thing}", params={"fields": "_created"}).json()["_created"]
    past = _retrieve(socket, thing, "/attributes/serial", **{"at-historical-timestamp": created})
    assert (past["status"], past["value"]) == (200, 4711)


@pytest.mark.parametrize(("headers", "status", "code"), [
    ({"at-historical-revision": "99"}, 404, "things:thing.history.notfound"),
    ({"at-historical-timestamp": "2000-01-01T00:00:00Z"}, 404, "things:thing.history.notfound"),
    ({"at-historical-revision": "²"}, 400, "header.invalid"),
    ({"at-historical-timestamp": "yesterday"}, 400, "header.invalid"),
])
def test_historical_thing_reads_it_cannot_answer_are_refused(socket: DittoSocket, thing: str,
                                                             headers: dict[str, str], status: int, code: str) -> None:
    refused = _retrieve(socket, thing, **headers)
    assert refused["status"] == status, refused
    assert refused["value"]["error"] == code  # type: ignore[index]
    assert _retrieve(socket, thing)["status"] == 200  # the session goes on
