"""Server-sent events (Ditto's httpapi-sse) over real sockets: change streams of things, historical
replay and search streams; and, in process, what a socket cannot show (no watch outlives its client,
keep-alive comments, a slow client cut off)."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from tests.api.helpers import MERGE, assert_error
from tests.connectivity.polling import until
from twinhub.api import sse
from twinhub.api.context import STATE_KEY, Context
from twinhub.app import create_app
from twinhub.config import Settings
from twinhub.model.commands import ThingCommand

Users = Callable[[str], httpx.Client]
SSE = {"Accept": "text/event-stream"}
ALL = ["READ", "WRITE"]


@dataclass
class Event:
    data: Any = None
    id: str | None = None


@dataclass
class Stream:
    """The events of an open SSE response, parsed as they arrive (comments are counted, not returned)."""

    lines: Iterator[str]
    comments: list[str] = field(default_factory=list)

    def next(self) -> Event:
        """The next event; the client's read timeout fails the test when none comes."""
        event = Event()
        seen = False
        for line in self.lines:
            if line == "":
                if seen:
                    return event
                continue
            if line.startswith(":"):
                self.comments.append(line)
                continue
            name, _, value = line.partition(":")
            seen = True
            if name == "data":
                event.data = json.loads(value)
            elif name == "id":
                event.id = value
        raise EOFError("the stream ended")

    def rest(self) -> list[Event]:
        """Every event until the server ends the stream."""
        events = []
        while True:
            try:
                events.append(self.next())
            except EOFError:
                return events


@contextmanager
def open_stream(client: httpx.Client, url: str, *, read: float = 8, **kwargs: Any) -> Iterator[Stream]:
    """An SSE request; `read` is how long a test waits for the next line before it fails."""
    headers = {**SSE, **kwargs.pop("headers", {})}
    with client.stream("GET", url, headers=headers, timeout=httpx.Timeout(30, read=read), **kwargs) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        yield Stream(response.iter_lines())


def entry(subject: str, resources: dict[str, dict[str, list[str]]]) -> dict[str, object]:
    return {"subjects": {subject: {"type": "test"}}, "resources": resources}


def owner(name: str) -> dict[str, object]:
    return entry(f"nginx:{name}", {"thing:/": {"grant": ALL}, "policy:/": {"grant": ALL}})


THING = {"attributes": {"model": "T1", "location": "kitchen", "counter": 1},
         "features": {"lamp": {"properties": {"on": True}}, "lock": {"properties": {"open": False}}}}


# -- change streams --------------------------------------------------------------------------------


def test_things_stream_sends_the_changed_part_only(client: httpx.Client, thing_id: str) -> None:
    with open_stream(client, "/things", params={"ids": thing_id}) as stream:
        assert client.put(f"/things/{thing_id}", json=THING).status_code == 201
        client.put(f"/things/{thing_id}/features/lamp/properties/on", json=False)
        created = stream.next().data
        assert created == {"thingId": thing_id, "policyId": thing_id, **THING}
        assert stream.next().data == {"thingId": thing_id, "features": {"lamp": {"properties": {"on": False}}}}
        assert stream.comments  # the stream opens with a comment


def test_merge_and_deletion_events(client: httpx.Client, thing_id: str) -> None:
    with open_stream(client, f"/things?ids={thing_id}") as stream:
        client.put(f"/things/{thing_id}", json=THING)
        client.patch(f"/things/{thing_id}", json={"attributes": {"model": None, "counter": 2}}, headers=MERGE)
        client.delete(f"/things/{thing_id}/attributes/location")
        client.delete(f"/things/{thing_id}")
        stream.next()
        assert stream.next().data == {"thingId": thing_id, "attributes": {"counter": 2}}  # nulls dropped, as Ditto
        assert stream.next().data == {"thingId": thing_id}
        assert stream.next().data == {"thingId": thing_id}


def test_fields_select_revision_modified_and_context(client: httpx.Client, thing_id: str) -> None:
    fields = "thingId,attributes,_revision,_modified,_context"
    with open_stream(client, "/things", params={"ids": thing_id, "fields": fields}) as stream:
        client.put(f"/things/{thing_id}", json=THING)
        client.put(f"/things/{thing_id}/attributes/counter", json=2, headers={"correlation-id": "sse-ctx-1"})
        client.put(f"/things/{thing_id}/features/lamp/properties/on", json=False)
        stream.next()
        event = stream.next().data
        context = event.pop("_context")
        assert event.pop("_revision") == 2
        assert isinstance(event.pop("_modified"), str)
        assert event == {"thingId": thing_id, "attributes": {"counter": 2}}
        namespace, name = thing_id.split(":", 1)
        assert context["topic"] == f"{namespace}/{name}/things/twin/events/modified"
        assert context["path"] == "/attributes/counter"
        assert context["value"] == 2
        assert context["headers"]["correlation-id"] == "sse-ctx-1"
        assert context["headers"]["ditto-originator"] == "nginx:ditto"
        # A change outside the selected fields still shows its thing id and revision, as in Ditto.
        assert stream.next().data["_revision"] == 3


def test_namespaces_select_the_things_streamed(client: httpx.Client) -> None:
    mine, other = f"org.sse.n{uuid.uuid4().hex[:8]}", f"org.sse.n{uuid.uuid4().hex[:8]}"
    with open_stream(client, "/things", params={"namespaces": mine}) as stream:
        client.put(f"/things/{other}:a", json=THING)
        client.put(f"/things/{mine}:b", json=THING)
        assert stream.next().data["thingId"] == f"{mine}:b"


def test_filter_is_applied_to_the_changed_part(client: httpx.Client, thing_id: str) -> None:
    with open_stream(client, "/things", params={"ids": thing_id, "filter": "gt(attributes/counter,5)"}) as stream:
        client.put(f"/things/{thing_id}", json=THING)
        client.put(f"/things/{thing_id}/attributes/counter", json=3)
        client.put(f"/things/{thing_id}/attributes/model", json="T2")
        client.put(f"/things/{thing_id}/attributes/counter", json=7)
        assert stream.next().data == {"thingId": thing_id, "attributes": {"counter": 7}}


def test_extra_fields_are_merged_and_can_be_filtered_on(client: httpx.Client, thing_id: str) -> None:
    params = {"ids": thing_id, "extraFields": "attributes/location", "filter": 'eq(attributes/location,"hall")'}
    with open_stream(client, "/things", params=params) as stream:
        client.put(f"/things/{thing_id}", json=THING)
        client.put(f"/things/{thing_id}/features/lamp/properties/on", json=False)  # in the kitchen
        client.put(f"/things/{thing_id}/attributes/location", json="hall")
        client.put(f"/things/{thing_id}/features/lamp/properties/on", json=True)
        assert stream.next().data == {"thingId": thing_id, "attributes": {"location": "hall"}}
        assert stream.next().data == {"thingId": thing_id, "attributes": {"location": "hall"},
                                      "features": {"lamp": {"properties": {"on": True}}}}


def test_fields_may_hide_extra_fields_used_by_the_filter(client: httpx.Client, thing_id: str) -> None:
    params = {"ids": thing_id, "extraFields": "attributes/model", "fields": "thingId,features",
              "filter": 'eq(attributes/model,"T1")'}
    with open_stream(client, "/things", params=params) as stream:
        client.put(f"/things/{thing_id}", json=THING)
        client.put(f"/things/{thing_id}/features/lamp/properties/on", json=False)
        assert stream.next().data == {"thingId": thing_id, "features": THING["features"]}
        assert stream.next().data == {"thingId": thing_id, "features": {"lamp": {"properties": {"on": False}}}}


def test_partial_reader_sees_only_what_the_policy_lets_them_read(as_user: Users, thing_id: str) -> None:
    alice, carol = as_user("alice"), as_user("carol")
    policy = {"entries": {"owner": owner("alice"),
                          "lamp": entry("nginx:carol", {"thing:/features/lamp": {"grant": ["READ"]}})}}
    assert alice.put(f"/policies/{thing_id}", json=policy).status_code == 201
    with open_stream(carol, "/things", params={"ids": thing_id}) as carols, \
            open_stream(as_user("mallory"), "/things", params={"ids": thing_id}, read=1) as mallorys:
        assert alice.put(f"/things/{thing_id}", json={**THING, "policyId": thing_id}).status_code == 201
        alice.put(f"/things/{thing_id}/attributes/model", json="T2")
        alice.patch(f"/things/{thing_id}", json={"attributes": {"x": 1}, "features": {"lamp": {"properties": {
            "on": False}}, "lock": {"properties": {"open": True}}}}, headers=MERGE)
        alice.put(f"/things/{thing_id}/features/lock/properties/open", json=False)
        alice.delete(f"/things/{thing_id}")
        assert carols.next().data == {"thingId": thing_id, "features": {"lamp": {"properties": {"on": True}}}}
        assert carols.next().data == {"thingId": thing_id, "features": {"lamp": {"properties": {"on": False}}}}
        assert carols.next().data == {"thingId": thing_id}  # the deletion: carol could read the thing before
        with pytest.raises(httpx.ReadTimeout):
            mallorys.next()  # no entry for mallory: nothing at all


def test_stream_of_one_thing_and_of_a_path_in_it(client: httpx.Client, thing_id: str) -> None:
    client.put(f"/things/{thing_id}", json=THING)
    with open_stream(client, f"/things/{thing_id}") as whole, \
            open_stream(client, f"/things/{thing_id}/attributes") as attributes, \
            open_stream(client, f"/things/{thing_id}/attributes/location") as location:
        client.put(f"/things/{thing_id}/features/lamp/properties/on", json=False)
        client.put(f"/things/{thing_id}/attributes/location", json="hall")
        client.put(f"/things/{thing_id}/attributes", json={"location": "attic", "model": "T3"})
        assert whole.next().data == {"thingId": thing_id, "features": {"lamp": {"properties": {"on": False}}}}
        assert attributes.next().data == {"location": "hall"}  # relative to the path, as a GET there
        assert attributes.next().data == {"location": "attic", "model": "T3"}
        assert location.next().data == "hall"
        assert location.next().data == "attic"


def test_json_routes_are_unchanged(client: httpx.Client, thing_id: str) -> None:
    client.put(f"/things/{thing_id}", json=THING)
    for accept in ("application/json", "*/*", "text/*"):
        response = client.get(f"/things/{thing_id}", headers={"Accept": accept})
        assert response.headers["content-type"] == "application/json"
        assert response.json()["thingId"] == thing_id
    assert client.get("/search/things", params={"filter": f'eq(thingId,"{thing_id}")'}).json()["items"]


def test_a_client_may_go_away_and_come_back(client: httpx.Client, thing_id: str) -> None:
    client.put(f"/things/{thing_id}", json=THING)
    for counter in range(3):
        with open_stream(client, f"/things/{thing_id}") as stream:
            client.put(f"/things/{thing_id}/attributes/counter", json=counter)
            assert stream.next().data["attributes"] == {"counter": counter}
    assert client.put(f"/things/{thing_id}/attributes/counter", json=9).status_code == 204


# -- errors before the stream ------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "status", "code"), [
    ("/things?filter=eq(attributes/a", 400, "rql.expression.invalid"),
    ("/things?filter=eq(attributes,1)", 400, "rql.expression.invalid"),
    ("/things?ids=not-an-id", 400, "things:id.invalid"),
    ("/things?ids=,", 400, "things:things.ids.missing"),
    ("/things?fields=attributes(", 400, "things:field.selection.invalid"),
    ("/things?extraFields=a,,b", 400, "things:field.selection.invalid"),
    ("/things/org.sse:never-created", 404, "things:thing.notfound"),
    ("/things/org.sse:never-created?from-historical-revision=1", 404, "things:thing.notfound"),
    ("/things?from-historical-revision=1", 400, "gateway:request.invalid"),
    ("/search/things?filter=eq(", 400, "rql.expression.invalid"),
    ("/search/things?option=sort(+nonsense)", 400, "thing-search:search.option.invalid"),
])
def test_bad_input_is_a_json_error_before_the_stream(client: httpx.Client, url: str, status: int,
                                                     code: str) -> None:
    assert_error(client.get(url, headers=SSE), status, code)


def test_bad_historical_parameters(client: httpx.Client, thing_id: str) -> None:
    client.put(f"/things/{thing_id}", json=THING)
    assert_error(client.get(f"/things/{thing_id}?from-historical-revision=x", headers=SSE), 400, "header.invalid")
    assert_error(client.get(f"/things/{thing_id}?from-historical-timestamp=yesterday", headers=SSE), 400,
                 "header.invalid")


def test_unreadable_thing_or_path_is_not_found(as_user: Users, thing_id: str) -> None:
    alice, carol = as_user("alice"), as_user("carol")
    policy = {"entries": {"owner": owner("alice"),
                          "lamp": entry("nginx:carol", {"thing:/features/lamp": {"grant": ["READ"]}})}}
    alice.put(f"/policies/{thing_id}", json=policy)
    alice.put(f"/things/{thing_id}", json={**THING, "policyId": thing_id})
    assert_error(as_user("mallory").get(f"/things/{thing_id}", headers=SSE), 404, "things:thing.notfound")
    assert_error(carol.get(f"/things/{thing_id}/attributes", headers=SSE), 404, "things:attributes.notfound")
    assert_error(carol.get(f"/things/{thing_id}/nonsense", headers=SSE), 404, "gateway:resource.notfound")
    with open_stream(carol, f"/things/{thing_id}/features/lamp") as stream:
        alice.put(f"/things/{thing_id}/features/lamp/properties/on", json=False)
        assert stream.next().data == {"properties": {"on": False}}


# -- history ----------------------------------------------------------------------------------------------


@pytest.fixture
def counted(client: httpx.Client, thing_id: str) -> str:
    """A thing at revision 5: created with counter 1, then counter = 2, 3, 4, 5 (the revision)."""
    client.put(f"/things/{thing_id}", json=THING)
    for counter in range(2, 6):
        client.put(f"/things/{thing_id}/attributes/counter", json=counter)
    return thing_id


def replay(client: httpx.Client, url: str, **params: str) -> list[Any]:
    with open_stream(client, url, params=params) as stream:
        return [event.data for event in stream.rest()]


def test_history_by_revisions_then_the_stream_ends(client: httpx.Client, counted: str) -> None:
    fields = "thingId,attributes/counter,_revision"
    found = replay(client, f"/things/{counted}", **{"from-historical-revision": "2", "to-historical-revision": "4",
                                                      "fields": fields})
    assert found == [{"thingId": counted, "attributes": {"counter": n}, "_revision": n} for n in (2, 3, 4)]
    relative = replay(client, f"/things/{counted}", **{"from-historical-revision": "-1", "fields": "_revision"})
    assert relative == [{"_revision": 4}, {"_revision": 5}]
    everything = replay(client, f"/things/{counted}", **{"from-historical-revision": "0",
                                                          "to-historical-revision": "0", "fields": "_revision"})
    assert [event["_revision"] for event in everything] == [1, 2, 3, 4, 5]


def test_history_by_timestamps(client: httpx.Client, counted: str) -> None:
    stamps = [event["_modified"] for event in replay(client, f"/things/{counted}", **{
        "from-historical-revision": "1", "fields": "_modified"})]
    found = replay(client, f"/things/{counted}", **{"from-historical-timestamp": stamps[1],
                                                     "to-historical-timestamp": stamps[2], "fields": "_revision"})
    assert found == [{"_revision": 2}, {"_revision": 3}]


def test_history_with_filter_path_and_ids(client: httpx.Client, counted: str) -> None:
    filtered = replay(client, f"/things/{counted}", **{"from-historical-revision": "1",
                                                        "filter": "ge(attributes/counter,4)"})
    assert filtered == [{"thingId": counted, "attributes": {"counter": 4}},
                        {"thingId": counted, "attributes": {"counter": 5}}]
    assert replay(client, f"/things/{counted}/attributes/counter", **{"from-historical-revision": "4"}) == [4, 5]
    assert replay(client, "/things", ids=counted, **{"from-historical-revision": "5"}) == [
        {"thingId": counted, "attributes": {"counter": 5}}]


def test_history_is_read_filtered_with_the_current_policy(as_user: Users, thing_id: str) -> None:
    alice, carol = as_user("alice"), as_user("carol")
    alice.put(f"/things/{thing_id}", json=THING)
    alice.put(f"/things/{thing_id}/attributes/model", json="T2")
    alice.put(f"/things/{thing_id}/features/lamp/properties/on", json=False)
    assert_error(carol.get(f"/things/{thing_id}?from-historical-revision=1", headers=SSE), 404,
                 "things:thing.notfound")
    alice.put(f"/policies/{thing_id}/entries/lamp",
              json=entry("nginx:carol", {"thing:/features/lamp": {"grant": ["READ"]}}))
    assert replay(carol, f"/things/{thing_id}", **{"from-historical-revision": "1"}) == [
        {"thingId": thing_id, "features": {"lamp": {"properties": {"on": True}}}},
        {"thingId": thing_id, "features": {"lamp": {"properties": {"on": False}}}}]


# -- search ---------------------------------------------------------------------------------------------


@pytest.fixture
def namespace(client: httpx.Client) -> str:
    """A fresh namespace holding the things n0..n4, tagged with their number."""
    name = f"org.ssesearch.n{uuid.uuid4().hex[:8]}"
    for n in range(5):
        assert client.put(f"/things/{name}:n{n}", json={"attributes": {"n": n}}).status_code == 201
    return name


def test_search_streams_every_hit_with_its_id_then_ends(client: httpx.Client, namespace: str) -> None:
    with open_stream(client, "/search/things", params={"namespaces": namespace, "fields": "thingId,attributes",
                                                      "option": "size(2)"}) as stream:
        events = stream.rest()
    assert [event.id for event in events] == [f"{namespace}:n{n}" for n in range(5)]  # over three pages
    assert events[4].data == {"thingId": f"{namespace}:n4", "attributes": {"n": 4}}


def test_search_stream_filter_sort_and_fields(client: httpx.Client, namespace: str) -> None:
    params = {"namespaces": namespace, "filter": "ge(attributes/n,2)", "option": "sort(-attributes/n)",
              "fields": "attributes"}
    with open_stream(client, "/search/things", params=params) as stream:
        assert [event.data for event in stream.rest()] == [{"attributes": {"n": n}} for n in (4, 3, 2)]


def test_last_event_id_resumes_after_that_thing(client: httpx.Client, namespace: str) -> None:
    resume = {"Last-Event-ID": f"{namespace}:n1"}
    with open_stream(client, "/search/things", params={"namespaces": namespace}, headers=resume) as stream:
        assert [event.id for event in stream.rest()] == [f"{namespace}:n{n}" for n in (2, 3, 4)]
    descending = {"namespaces": namespace, "option": "sort(-thingId)"}
    with open_stream(client, "/search/things", params=descending, headers=resume) as stream:
        assert [event.id for event in stream.rest()] == [f"{namespace}:n0"]
    by_value = {"namespaces": namespace, "option": "sort(-attributes/n),size(2)"}
    with open_stream(client, "/search/things", params=by_value, headers={"Last-Event-ID": f"{namespace}:n3"}) as s:
        assert [event.id for event in s.rest()] == [f"{namespace}:n{n}" for n in (2, 1, 0)]


def test_search_stream_shows_only_readable_things(as_user: Users, namespace: str) -> None:
    with open_stream(as_user("mallory"), "/search/things", params={"namespaces": namespace}) as stream:
        assert stream.rest() == []


# -- in process: the hub's side of a stream ---------------------------------------------------------------


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@asynccontextmanager
async def running_app(data_dir: Path) -> AsyncIterator[tuple[ASGIApp, Context]]:
    app = create_app(Settings(data_dir=data_dir, dev_auth=True))
    async with app.router.lifespan_context(app) as state:

        async def served(scope: Scope, receive: Receive, send: Send) -> None:
            # As a server does: each request gets a copy of the state the lifespan yielded.
            await app({**scope, "state": dict(state)}, receive, send)

        context: Context = state[STATE_KEY]
        yield served, context


class AsgiStream:
    """One SSE request driven through the ASGI app: its messages, a client that can stall or go away."""

    def __init__(self, app: ASGIApp, path: str, query: str = "") -> None:
        self.messages: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.gone = asyncio.Event()
        self.reading = asyncio.Event()
        self.reading.set()
        self.requested = False
        credentials = base64.b64encode(b"ditto:ditto")
        scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
                 "method": "GET", "scheme": "http", "path": path, "raw_path": path.encode(),
                 "query_string": query.encode(), "root_path": "", "client": ("127.0.0.1", 1),
                 "server": ("127.0.0.1", 80),
                 "headers": [(b"accept", b"text/event-stream"), (b"authorization", b"Basic " + credentials)]}
        self.task = asyncio.create_task(app(scope, self.receive, self.send))

    async def receive(self) -> dict[str, Any]:
        if not self.requested:
            self.requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await self.gone.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: dict[str, Any]) -> None:
        await self.reading.wait()  # a stalled client stalls the sender, as a full socket would
        await self.messages.put(message)

    async def body(self) -> bytes:
        message = await asyncio.wait_for(self.messages.get(), 5)
        if message["type"] == "http.response.start":
            assert message["status"] == 200
            return await self.body()
        return bytes(message.get("body", b"")) if message.get("more_body", False) else b"<end>"

    async def rest(self) -> list[bytes]:
        """Every body until the response ends (the last is `<end>`)."""
        bodies = [await self.body()]
        while bodies[-1] != b"<end>":
            bodies.append(await self.body())
        return bodies


@pytest.mark.anyio
async def test_no_watch_outlives_its_client(tmp_path: Path) -> None:
    async with running_app(tmp_path / "data") as (app, ctx):
        streams = [AsgiStream(app, "/api/2/things"), AsgiStream(app, "/api/2/things", "ids=org.sse:a")]
        for stream in streams:
            assert await stream.body() == sse.KEEP_ALIVE
        assert ctx.events.watch_count == 2
        for stream in streams:
            stream.gone.set()
            await asyncio.wait_for(stream.task, 5)
        assert ctx.events.watch_count == 0


@pytest.mark.anyio
async def test_keep_alive_comments_while_nothing_happens(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sse, "KEEP_ALIVE_SECONDS", 0.05)
    async with running_app(tmp_path / "data") as (app, _ctx):
        stream = AsgiStream(app, "/api/2/things")
        assert [await stream.body() for _ in range(3)] == [sse.KEEP_ALIVE] * 3
        stream.gone.set()
        await asyncio.wait_for(stream.task, 5)


@pytest.mark.anyio
async def test_a_client_that_falls_behind_is_told_and_cut_off(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sse, "WATCH_CAPACITY", 2)
    async with running_app(tmp_path / "data") as (app, ctx):
        stream = AsgiStream(app, "/api/2/things")
        assert await stream.body() == sse.KEEP_ALIVE
        stream.reading.clear()  # the client stops reading
        for counter in range(8):
            await ctx.things.execute(ThingCommand("modify", "org.sse:slow", (), {"attributes": {"n": counter}}),
                                     ("nginx:ditto",))
        await until(lambda: ctx.events.watch_count == 0, "the stalled stream is cut off", within=5)
        stream.reading.set()
        bodies = await stream.rest()
        assert bodies[-2] == sse.OVERFLOWED
        assert len(bodies) < 8  # not every event made it
        await asyncio.wait_for(stream.task, 5)
        assert ctx.events.watch_count == 0
