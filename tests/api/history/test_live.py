"""Live history over server-sent events: `GET /api/2/history/things/{thingId}/{path}` (or `?paths=`) with
`Accept: text/event-stream` streams each new point of those paths as its write commits, to whoever may READ it
(over real sockets); and, in process, keep-alives, no watch outliving its client, a slow client cut off."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import AUTH
from tests.api.helpers import MERGE, assert_error
from tests.api.test_sse import AsgiStream, entry, open_stream, owner, running_app
from tests.connectivity.polling import until
from twinhub.api import sse
from twinhub.model.commands import ThingCommand

Users = Callable[[str], httpx.Client]
VALUE = "/features/t/properties/value"
STATE = "/features/t/properties/state"
MOMENT = datetime(2026, 2, 3, 4, 5, 6, 500_000, tzinfo=UTC)


def history(thing_id: str, path: str = "") -> str:
    return f"/history/things/{thing_id}{path}"


def test_each_new_point_of_the_paths_is_streamed_as_it_commits(client: httpx.Client, thing_id: str) -> None:
    assert client.put(f"/things/{thing_id}", json={"features": {"t": {"properties": {"value": 1}}},
                                                    "attributes": {"a": "x"}}).status_code == 201
    with open_stream(client, history(thing_id, VALUE), params={"paths": f"{STATE},/attributes/a"}) as stream:
        client.put(f"/things/{thing_id}{VALUE}", json=21.5, headers={"history-timestamp": MOMENT.isoformat()})
        client.put(f"/things/{thing_id}/attributes/other", json=5)  # a path nobody streams
        client.patch(f"/things/{thing_id}", json={"features": {"t": {"properties": {"state": "on", "value": 2**70}}},
                                                  "attributes": {"a": None}}, headers=MERGE)
        client.put(f"/things/{thing_id}{STATE}", json="on")  # unchanged: no point
        client.put(f"/things/{thing_id}{STATE}", json=True)

        first = stream.next().data
        assert first == {"thingId": thing_id, "path": VALUE, "time": "2026-02-03T04:05:06.500000Z",
                         "value": 21.5, "revision": 2}
        merged = [stream.next().data for _ in range(3)]
        assert {(point["path"], point["value"]) for point in merged} == {
            (STATE, "on"), (VALUE, 2**70), ("/attributes/a", None)}  # null: the value ended
        assert {point["revision"] for point in merged} == {4}
        assert len({point["time"] for point in merged}) == 1
        last = stream.next().data
        assert (last["path"], last["value"], last["revision"]) == (STATE, True, 6)
        server_now = datetime.fromisoformat(last["time"].replace("Z", "+00:00"))
        assert abs(server_now - datetime.now(UTC)) < timedelta(minutes=5)


def test_a_point_the_caller_may_not_read_is_never_sent_and_a_revocation_applies_at_once(
        as_user: Users, thing_id: str) -> None:
    alice, carol = as_user("alice"), as_user("carol")
    lamp = {"thing:/features/lamp": {"grant": ["READ"]}}
    policy = {"entries": {"owner": owner("alice"), "carol": entry("nginx:carol", lamp)}}
    assert alice.put(f"/policies/{thing_id}", json=policy).status_code == 201
    assert alice.put(f"/things/{thing_id}", json={"policyId": thing_id, "attributes": {"secret": 1},
                                                  "features": {"lamp": {"properties": {"on": True, "level": 1}}}}
                     ).status_code == 201
    on, level = "/features/lamp/properties/on", "/features/lamp/properties/level"
    with open_stream(carol, history(thing_id, on), params={"paths": level}) as carols:
        alice.put(f"/things/{thing_id}/attributes/secret", json=2)
        alice.put(f"/things/{thing_id}{on}", json=False)
        assert carols.next().data["value"] is False
        revoked = {"thing:/features/lamp": {"grant": ["READ"]},
                   "thing:/features/lamp/properties/on": {"revoke": ["READ"]}}
        assert alice.put(f"/policies/{thing_id}/entries/carol/resources", json=revoked).status_code == 204
        alice.patch(f"/things/{thing_id}/features/lamp/properties", json={"on": True, "level": 2}, headers=MERGE)
        assert carols.next().data["path"] == level  # and not the revoked one, written in the same commit
        alice.delete(f"/things/{thing_id}/features/lamp/properties/on")
        alice.put(f"/things/{thing_id}{level}", json=3)
        assert carols.next().data["value"] == 3  # the deletion marker of `on` was not sent either


def test_a_stream_is_refused_as_a_get_would_be(as_user: Users, client: httpx.Client, thing_id: str) -> None:
    policy = {"entries": {"owner": owner("ditto"),
                          "carol": entry("nginx:carol", {"thing:/attributes/open": {"grant": ["READ"]}})}}
    assert client.put(f"/policies/{thing_id}", json=policy).status_code == 201
    assert client.put(f"/things/{thing_id}", json={"policyId": thing_id, "attributes": {"open": 1, "hidden": 2}}
                      ).status_code == 201
    carol, mallory = as_user("carol"), as_user("mallory")
    sse_headers = {"Accept": "text/event-stream"}
    assert_error(mallory.get(history(thing_id, "/attributes/open"), headers=sse_headers), 404,
                 "things:thing.notfound")
    assert_error(carol.get(history(thing_id, "/attributes/hidden"), headers=sse_headers), 404,
                 "things:attribute.notfound")
    assert_error(carol.get(history(thing_id, "/attributes/open"), params={"paths": "/attributes/hidden"},
                           headers=sse_headers), 404, "things:attribute.notfound")
    assert_error(carol.get(history(thing_id), headers=sse_headers), 400, "history:paths.invalid")
    assert_error(carol.get(history(thing_id, "/attributes/open"), params={"step": "1m", "agg": "max"},
                           headers=sse_headers), 400, "history:aggregation.invalid")
    assert_error(carol.get(history(thing_id, "/attributes/open"), params={"from": "yesterday"},
                           headers=sse_headers), 400, "history:time.invalid")
    assert_error(carol.get(history(thing_id), params={"paths": ",".join(f"/attributes/a{n}" for n in range(101))},
                           headers=sse_headers), 400, "history:paths.invalid")


def test_from_replays_the_stored_points_then_goes_live_with_none_missed_or_repeated_while_writes_go_on(
        client: httpx.Client, thing_id: str) -> None:
    keys = [f"k{k}" for k in range(100)]  # 100 points a write: the replay takes two pages of 10,000
    assert client.put(f"/things/{thing_id}", json={"attributes": dict.fromkeys(keys, 0)}).status_code == 201
    last = 250
    stop = threading.Event()

    def write() -> None:  # writes go on while the stream opens, replays and joins the live points
        with httpx.Client(base_url=str(client.base_url), auth=AUTH, timeout=30) as writer:
            for n in range(1, last + 1):
                response = writer.patch(f"/things/{thing_id}/attributes", json=dict.fromkeys(keys, n), headers=MERGE)
                assert response.status_code == 204
                if stop.is_set():
                    return

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while client.get(f"/things/{thing_id}/attributes/k0").json() < 120:
            time.sleep(0.01)
        paths = ",".join(f"/attributes/{key}" for key in keys)
        with open_stream(client, history(thing_id), params={"from": "-1h", "paths": paths}) as stream:
            time.sleep(0.5)  # a slow reader: the replay's second page is read while the writes go on
            seen: dict[str, list[tuple[object, int]]] = {f"/attributes/{key}": [] for key in keys}
            while any(not points or points[-1][0] != last for points in seen.values()):
                data = stream.next().data
                seen[data["path"]].append((data["value"], data["revision"]))
    finally:
        stop.set()
        writer.join(30)
    assert all(points == [(n, n + 1) for n in range(last + 1)] for points in seen.values())


def test_from_and_to_replay_the_stored_points_and_end(client: httpx.Client, thing_id: str) -> None:
    base = datetime(2026, 1, 5, tzinfo=UTC)
    for n in range(5):
        response = client.put(f"/things/{thing_id}/attributes/n" if n else f"/things/{thing_id}",
                              json=n if n else {"attributes": {"n": 0}},
                              headers={"history-timestamp": (base + timedelta(minutes=n)).isoformat()})
        assert response.status_code in (201, 204)
    params = {"from": (base + timedelta(minutes=1)).isoformat(), "to": (base + timedelta(minutes=4)).isoformat()}
    with open_stream(client, history(thing_id, "/attributes/n"), params=params) as stream:
        replayed = [(event.data["time"], event.data["value"]) for event in stream.rest()]
    assert replayed == [("2026-01-05T00:01:00Z", 1), ("2026-01-05T00:02:00Z", 2), ("2026-01-05T00:03:00Z", 3)]
    assert client.get(history(thing_id, "/attributes/n"), params=params).json()["points"] == [
        list(point) for point in replayed]


@pytest.mark.parametrize("where", ["headers", "params"])
def test_a_stream_echoes_the_correlation_id_sent_as_header_or_query_parameter(client: httpx.Client, thing_id: str,
                                                                              where: str) -> None:
    assert client.put(f"/things/{thing_id}", json={"attributes": {"n": 1}}).status_code == 201
    correlation = {"correlation-id": "live-history-7"}
    headers = {"Accept": "text/event-stream", **(correlation if where == "headers" else {})}
    with client.stream("GET", history(thing_id, "/attributes/n"), headers=headers,
                       params=correlation if where == "params" else None) as response:
        assert response.status_code == 200
        assert response.headers["correlation-id"] == "live-history-7"


# -- in process: the hub's side of a stream ---------------------------------------------------------------


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


PATH = "/api/2/history/things/org.sse:live/attributes/n"


@pytest.mark.anyio
async def test_keep_alives_and_no_watch_outlives_its_client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sse, "KEEP_ALIVE_SECONDS", 0.05)
    async with running_app(tmp_path / "data") as (app, ctx):
        await ctx.things.execute(ThingCommand("modify", "org.sse:live", (), {"attributes": {"n": 0}}),
                                 ("nginx:ditto",))
        stream = AsgiStream(app, PATH)
        assert [await stream.body() for _ in range(3)] == [sse.KEEP_ALIVE] * 3
        assert ctx.events.watch_count == 1
        stream.gone.set()
        await asyncio.wait_for(stream.task, 5)
        assert ctx.events.watch_count == 0


@pytest.mark.anyio
async def test_a_client_that_falls_behind_is_told_and_cut_off(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sse, "WATCH_CAPACITY", 2)
    async with running_app(tmp_path / "data") as (app, ctx):
        await ctx.things.execute(ThingCommand("modify", "org.sse:live", (), {"attributes": {"n": 0}}),
                                 ("nginx:ditto",))
        stream = AsgiStream(app, PATH)
        assert await stream.body() == sse.KEEP_ALIVE
        stream.reading.clear()  # the client stops reading
        for counter in range(1, 9):
            await ctx.things.execute(ThingCommand("modify", "org.sse:live", ("attributes", "n"), counter),
                                     ("nginx:ditto",))
        await until(lambda: ctx.events.watch_count == 0, "the stalled stream is cut off", within=5)
        stream.reading.set()
        bodies = await stream.rest()
        assert bodies[-2] == sse.OVERFLOWED
        assert b'"value":1,' in bodies[0] and len(bodies) < 8  # the first points, not all of them
        await asyncio.wait_for(stream.task, 5)
        assert ctx.events.watch_count == 0
