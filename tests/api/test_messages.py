"""Ditto's Messages API and the HTTP live channel over real sockets, on the paths that need no device
to answer: fire and forget, timeouts, permissions, bad input, and the message SSE stream as a receiver."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
import pytest

from tests.api.helpers import assert_error
from twinhub.testing import Server

Users = Callable[[str], httpx.Client]
ALL = ["READ", "WRITE"]
SSE = {"Accept": "text/event-stream"}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def entry(subject: str, resources: dict[str, dict[str, list[str]]]) -> dict[str, object]:
    return {"subjects": {subject: {"type": "test"}}, "resources": resources}


@pytest.fixture
def thing(client: httpx.Client, thing_id: str) -> str:
    """A thing of `ditto` (who may do everything) that `reader` may read, and receive `public` messages of,
    and `pinger` may send `ping` messages to."""
    assert client.put(f"/things/{thing_id}", json={"attributes": {"model": "T1", "polling": True},
                                                   "features": {"lamp": {}}}).status_code == 201
    policy = {"entries": {
        "owner": entry("nginx:ditto", {"thing:/": {"grant": ALL}, "policy:/": {"grant": ALL},
                                       "message:/": {"grant": ALL}}),
        "reader": entry("nginx:reader", {"thing:/": {"grant": ["READ"]},
                                         "message:/inbox/messages/public": {"grant": ["READ"]}}),
        "pinger": entry("nginx:pinger", {"message:/inbox/messages/ping": {"grant": ["WRITE"]}}),
    }}
    assert client.put(f"/policies/{thing_id}", json=policy).status_code == 204
    return thing_id


# -- sending ----------------------------------------------------------------------------------------


def test_timeout_zero_is_accepted_at_once(client: httpx.Client, thing: str) -> None:
    response = client.post(f"/things/{thing}/inbox/messages/ask", content=b"how are you?",
                           headers={"content-type": "text/plain", "correlation-id": "m-1"}, params={"timeout": "0"})
    assert response.status_code == 202, response.text
    assert response.headers["correlation-id"] == "m-1"
    assert response.content == b""


def test_no_response_required_is_accepted_at_once(client: httpx.Client, thing: str) -> None:
    response = client.post(f"/things/{thing}/features/lamp/outbox/messages/smoke/alarm", content=b"{}",
                           headers={"response-required": "false", "content-type": "application/json"})
    assert response.status_code == 202, response.text
    assert response.headers["correlation-id"]  # generated when the sender gave none


def test_a_message_nobody_listens_to_is_408_saying_so(client: httpx.Client, thing: str) -> None:
    # One worker and no receiver: nobody can answer, so the 408 comes at once, not after the 30 s, and
    # says why instead of claiming the timeout was reached.
    response = client.post(f"/things/{thing}/inbox/messages/ask", content=b"anyone?", params={"timeout": "30"},
                           headers={"correlation-id": "m-2"})
    body = assert_error(response, 408, "command.timeout")
    assert "no receiver is connected" in str(body["message"])
    assert "timeout" not in str(body["message"])
    assert response.headers["correlation-id"] == "m-2"


def test_a_claim_needs_no_permission(client: httpx.Client, as_user: Users, thing: str) -> None:
    stranger = as_user("stranger")
    response = stranger.post(f"/things/{thing}/inbox/claim", content=b"mine?", params={"timeout": "0"})
    assert response.status_code == 202, response.text
    assert_error(stranger.post(f"/things/{thing}/inbox/messages/claim", params={"timeout": "0"}),
                 403, "messages:send.notallowed")
    assert_error(stranger.post(f"/things/{thing}/inbox/claim", params={"timeout": "700s"}), 400, "timeout.invalid")


def test_sending_needs_write_on_the_message_resource(as_user: Users, thing: str) -> None:
    pinger, reader = as_user("pinger"), as_user("reader")
    assert pinger.post(f"/things/{thing}/inbox/messages/ping", params={"timeout": "0"}).status_code == 202
    body = assert_error(pinger.post(f"/things/{thing}/inbox/messages/pong", params={"timeout": "0"}),
                        403, "messages:send.notallowed")
    assert body["message"] == f"You are not allowed to send messages for the Thing with id '{thing}'!"
    assert_error(reader.post(f"/things/{thing}/inbox/messages/public", params={"timeout": "0"}),
                 403, "messages:send.notallowed")


def test_messages_to_unknown_things_are_404(client: httpx.Client, thing_id: str) -> None:
    for path in ("inbox/messages/ask", "outbox/messages/tell", "features/f/inbox/messages/x", "inbox/claim"):
        assert_error(client.post(f"/things/{thing_id}/{path}", params={"timeout": "0"}), 404, "things:thing.notfound")


@pytest.mark.parametrize("path", ["inbox/messages", "inbox/messages/", "features/lamp/outbox/messages/"])
def test_a_message_needs_a_subject(client: httpx.Client, thing: str, path: str) -> None:
    assert_error(client.post(f"/things/{thing}/{path}", params={"timeout": "0"}), 400, "messages:subject.invalid")


@pytest.mark.parametrize("params", [{"timeout": "soon"}, {"timeout": "61s"}, {"timeout": "-1"},
                                    {"timeout": "0", "response-required": "true"}])
def test_bad_timeouts_are_400(client: httpx.Client, thing: str, params: dict[str, str]) -> None:
    assert_error(client.post(f"/things/{thing}/inbox/messages/ask", params=params), 400, "timeout.invalid")


def test_bad_headers_are_400(client: httpx.Client, thing: str) -> None:
    path = f"/things/{thing}/inbox/messages/ask"
    assert_error(client.post(path, params={"response-required": "maybe"}), 400, "header.invalid")
    assert_error(client.post(path, params={"timeout": "0", "requested-acks": "conn:ack"}), 400, "timeout.invalid")
    assert_error(client.post(path, params={"condition": "eq(attributes/model"}), 400, "things:condition.invalid")


def test_a_body_past_the_request_limit_is_413(client: httpx.Client, thing: str) -> None:
    response = client.post(f"/things/{thing}/inbox/messages/ask", content=b"x" * (1024 * 1024 + 1),
                           params={"timeout": "0"}, headers={"content-type": "application/octet-stream"})
    assert_error(response, 413, "request.toolarge")
    # The unread rest of the body ends the connection, and the answer says so: the client's next request takes a
    # new one instead of failing on the closed one.
    assert response.headers["connection"] == "close"
    assert client.get(f"/things/{thing}").status_code == 200


def test_a_message_whose_condition_fails_is_412(client: httpx.Client, thing: str) -> None:
    path = f"/things/{thing}/inbox/messages/ask"
    assert_error(client.post(path, params={"timeout": "0", "condition": 'eq(attributes/model,"T2")'}),
                 412, "things:condition.failed")
    assert client.post(path, params={"timeout": "0"}, headers={"condition": 'eq(attributes/model,"T1")'}
                       ).status_code == 202


def test_only_post_sends_messages(client: httpx.Client, thing: str) -> None:
    response = client.put(f"/things/{thing}/inbox/messages/ask", content=b"x")
    assert_error(response, 405, "gateway:method.notallowed")
    assert response.headers["Allow"] == "POST"
    assert_error(client.get(f"/things/{thing}/inbox/claim"), 405, "gateway:method.notallowed")


def test_an_attribute_named_like_a_mailbox_stays_an_attribute(client: httpx.Client, thing: str) -> None:
    assert client.put(f"/things/{thing}/attributes/inbox/messages/x", json=1).status_code == 201
    assert client.get(f"/things/{thing}/attributes/inbox/messages/x").json() == 1


# -- receiving: the message SSE stream ---------------------------------------------------------------


@asynccontextmanager
async def event_stream(server: Server, user: str, path: str) -> AsyncIterator[AsyncIterator[tuple[str, str]]]:
    """The SSE stream at `path` as `user`, as (event, data) pairs; open (and subscribed) when yielded."""
    async with httpx.AsyncClient(base_url=server.base_url + "/api/2", auth=(user, "any"), timeout=30) as client, \
            client.stream("GET", path, headers=SSE) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")

        async def events() -> AsyncIterator[tuple[str, str]]:
            event, data = "", []
            async for line in response.aiter_lines():
                if line.startswith(":"):
                    continue
                if not line:
                    if data:
                        yield event, "\n".join(data)
                    event, data = "", []
                    continue
                name, _, value = line.partition(":")
                value = value.removeprefix(" ")
                if name == "event":
                    event = value
                elif name == "data":
                    data.append(value)

        yield events()


async def next_event(events: AsyncIterator[tuple[str, str]], within: float = 5.0) -> tuple[str, str]:
    async with asyncio.timeout(within):
        return await anext(events)


async def nothing_in(events: AsyncIterator[tuple[str, str]], seconds: float = 0.5) -> bool:
    try:
        async with asyncio.timeout(seconds):
            await anext(events)
    except TimeoutError:
        return True
    return False


async def post(server: Server, path: str, body: bytes, user: str = "ditto", **headers: str) -> int:
    async with httpx.AsyncClient(base_url=server.base_url + "/api/2", auth=(user, "any")) as client:
        response = await client.post(path, content=body, params={"timeout": "0"}, headers=headers)
        return response.status_code


@pytest.mark.anyio
async def test_the_message_stream_receives_a_message_posted_by_another_request(server: Server, thing: str) -> None:
    async with event_stream(server, "ditto", f"/things/{thing}/inbox/messages") as owner:
        assert await post(server, f"/things/{thing}/inbox/messages/ask/question", b"how\nare you?",
                          **{"content-type": "text/plain"}) == 202
        assert await next_event(owner) == ("ask/question", "how\nare you?")


@pytest.mark.anyio
async def test_the_message_stream_shows_only_what_its_user_may_read(server: Server, thing: str) -> None:
    async with event_stream(server, "ditto", f"/things/{thing}/inbox/messages") as owner, \
            event_stream(server, "reader", f"/things/{thing}/inbox/messages") as reader, \
            event_stream(server, "stranger", f"/things/{thing}/inbox/messages") as stranger:
        await post(server, f"/things/{thing}/inbox/messages/private", b"for the owner")
        await post(server, f"/things/{thing}/inbox/messages/public", b"for all readers")
        assert await next_event(owner) == ("private", "for the owner")
        assert await next_event(owner) == ("public", "for all readers")
        assert await next_event(reader) == ("public", "for all readers")
        assert await nothing_in(stranger)
        assert await nothing_in(reader)


@pytest.mark.anyio
async def test_a_message_stream_follows_its_path_and_subject(server: Server, thing: str) -> None:
    async with event_stream(server, "ditto", f"/things/{thing}/inbox/messages/ping") as pings, \
            event_stream(server, "ditto", f"/things/{thing}/features/lamp/outbox/messages") as lamp:
        await post(server, f"/things/{thing}/inbox/messages/pong", b"not this")
        await post(server, f"/things/{thing}/outbox/messages/ping", b"nor this")
        await post(server, f"/things/{thing}/features/lamp/inbox/messages/ping", b"neither")
        await post(server, f"/things/{thing}/features/lamp/outbox/messages/on", b"lamp on")
        await post(server, f"/things/{thing}/inbox/messages/ping", b"this one")
        assert await next_event(pings) == ("ping", "this one")
        assert await next_event(lamp) == ("on", "lamp on")
        assert await nothing_in(pings) and await nothing_in(lamp)


@pytest.mark.anyio
async def test_every_message_stream_of_the_inbox_receives_the_claim(server: Server, thing: str) -> None:
    async with event_stream(server, "stranger", f"/things/{thing}/inbox/messages") as stranger:
        assert await post(server, f"/things/{thing}/inbox/claim", b"mine?", user="claimer") == 202
        assert await next_event(stranger) == ("claim", "mine?")


# -- the live channel of the Things API --------------------------------------------------------------


def test_a_live_retrieve_nobody_answers_is_408_on_the_live_channel(client: httpx.Client, thing: str) -> None:
    response = client.get(f"/things/{thing}", params={"channel": "live", "timeout": "300ms"})
    body = assert_error(response, 408, "command.timeout")
    assert "no receiver is connected" in str(body["message"])
    assert response.headers["channel"] == "live"
    response = client.get(f"/things/{thing}/attributes/model", headers={"channel": "live", "timeout": "200ms"})
    assert_error(response, 408, "command.timeout")


def test_use_twin_answers_from_the_twin_when_the_device_does_not(client: httpx.Client, thing: str) -> None:
    response = client.get(f"/things/{thing}/attributes/model",
                          params={"channel": "live", "timeout": "200ms", "live-channel-timeout-strategy": "use-twin"})
    assert response.status_code == 200, response.text
    assert response.json() == "T1"
    assert response.headers["channel"] == "twin"


def test_the_live_channel_condition_decides_between_device_and_twin(client: httpx.Client, thing: str) -> None:
    twin = client.get(f"/things/{thing}/attributes/model",
                      params={"live-channel-condition": "eq(attributes/polling,false)", "timeout": "200ms"})
    assert twin.status_code == 200 and twin.json() == "T1"
    assert (twin.headers["channel"], twin.headers["live-channel-condition-matched"]) == ("twin", "false")
    live = client.get(f"/things/{thing}/attributes/model",
                      params={"live-channel-condition": "eq(attributes/polling,true)", "timeout": "200ms"})
    assert_error(live, 408, "command.timeout")
    assert (live.headers["channel"], live.headers["live-channel-condition-matched"]) == ("live", "true")


def test_live_writes_are_accepted_without_a_response(client: httpx.Client, thing: str) -> None:
    response = client.put(f"/things/{thing}/attributes/model", json="T9", params={"channel": "live", "timeout": "0"})
    assert response.status_code == 202, response.text
    assert response.headers["channel"] == "live"
    assert client.get(f"/things/{thing}/attributes/model").json() == "T1"  # nothing reached the twin


def test_live_commands_are_authorized_as_twin_commands(as_user: Users, thing: str, thing_id: str) -> None:
    reader, stranger = as_user("reader"), as_user("stranger")
    live = {"channel": "live", "timeout": "0"}
    assert_error(reader.put(f"/things/{thing}/attributes/model", json="T9", params=live),
                 403, "things:attribute.notmodifiable")
    assert_error(stranger.get(f"/things/{thing}", params={"channel": "live", "timeout": "200ms"}),
                 404, "things:thing.notfound")
    assert_error(as_user("ditto").get("/things/org.twinhub.test:nothing-here", params=live), 404,
                 "things:thing.notfound")


def test_bad_live_channel_requests_are_refused(client: httpx.Client, thing: str) -> None:
    path = f"/things/{thing}/attributes/model"
    assert_error(client.get(path, params={"channel": "device"}), 400, "header.invalid")
    assert_error(client.get(path, params={"channel": "live", "live-channel-timeout-strategy": "wait"}),
                 400, "header.invalid")
    assert_error(client.put(path, json="T2", params={"live-channel-condition": "eq(attributes/polling,true)"}),
                 405, "things:live.channelcondition.notallowed")
    assert_error(client.get(path, params={"live-channel-condition": "eq(attributes/polling"}),
                 400, "things:condition.invalid")
