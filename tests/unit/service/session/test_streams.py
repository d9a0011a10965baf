"""A session's streams in process: START-SEND-EVENTS with its parameters, events cut down to what the
session may READ, the same-origin rule, and the bounded outbox that closes a session falling behind."""

from __future__ import annotations

import pytest

from tests.unit.service.live_world import READER, THING_ID
from tests.unit.service.session.world import client, topic, write
from twinhub.service.buffers import Budget
from twinhub.service.session import CloseReason, SessionLimits, SessionServices

pytestmark = pytest.mark.anyio


async def test_events_are_cut_down_to_what_the_session_may_read(world: SessionServices) -> None:
    async with client(world, READER) as reader:
        await reader.control("START-SEND-EVENTS")
        await write(world, ("attributes", "secret"), "hidden", **{"correlation-id": "c-secret"})
        await write(world, ("attributes", "model"), "T2", **{"correlation-id": "c-model"})
        event = await reader.frame()  # the change of the secret was not shown at all
    assert event["topic"] == topic("things/twin/events/modified")
    assert (event["path"], event["value"], event["revision"]) == ("/attributes/model", "T2", 3)
    assert event["headers"]["correlation-id"] == "c-model"


async def test_namespaces_filter_and_extra_fields_shape_the_events(world: SessionServices) -> None:
    other = "org.twinhub.other:lamp"
    await write(world, (), {"policyId": THING_ID, "attributes": {"counter": 100}}, thing_id=other)
    async with client(world, READER) as reader:
        await reader.control("START-SEND-EVENTS?namespaces=org.twinhub.test&filter=gt(attributes/counter,42)"
                             "&extraFields=attributes/model,attributes/secret")
        await write(world, ("attributes", "counter"), 1)  # filtered out
        await write(world, ("attributes", "counter"), 500, thing_id=other)  # another namespace
        await write(world, ("attributes", "counter"), 43)
        event = await reader.frame()
    assert (event["path"], event["value"]) == ("/attributes/counter", 43)
    assert event["extra"] == {"attributes": {"model": "T1"}}  # the secret is not the reader's to see


async def test_sessions_that_see_the_same_view_share_one_encoded_frame(world: SessionServices) -> None:
    async with client(world, READER) as one, client(world, READER) as two:
        await one.control("START-SEND-EVENTS")
        await two.control("START-SEND-EVENTS")
        await write(world, ("attributes", "model"), "T2")
        first, second = await one.session.next_output(), await two.session.next_output()
    assert isinstance(first, str) and first is second


async def test_an_invalid_filter_is_refused_and_the_stream_not_started(world: SessionServices) -> None:
    async with client(world) as owner:
        await owner.send_text("START-SEND-EVENTS?filter=gt(attributes/counter")
        refused = await owner.frame()
        assert (refused["status"], refused["value"]["error"]) == (400, "rql.expression.invalid")
        await owner.control("START-SEND-EVENTS?filter=eq(attributes/model,%22T3%22)")  # the ACK is next
        await write(world, ("attributes", "model"), "T3")
        event = await owner.frame()
    assert event["value"] == "T3"


async def test_a_session_does_not_get_the_events_of_its_own_commands(world: SessionServices) -> None:
    async with client(world) as owner:
        await owner.control("START-SEND-EVENTS")
        answer = await owner.request({"topic": topic("things/twin/commands/modify"), "path": "/attributes/mine",
                                      "value": 1, "headers": {"correlation-id": "own"}})
        await write(world, ("attributes", "theirs"), 2)
        event = await owner.frame()
    assert answer["status"] == 201
    assert (event["path"], event["value"]) == ("/attributes/theirs", 2)
    assert "ditto-origin" not in event["headers"]


async def test_stop_send_events_stops_them(world: SessionServices) -> None:
    async with client(world) as owner:
        await owner.control("START-SEND-EVENTS")
        await owner.control("STOP-SEND-EVENTS")
        await write(world, ("attributes", "unseen"), 1)
        answer = await owner.request({"topic": topic("things/twin/commands/retrieve"), "path": "/attributes/unseen",
                                      "headers": {}})
    assert answer["value"] == 1  # the answer came next: no event came before it


async def test_a_session_falling_more_frames_behind_than_it_may_is_closed_to_try_again_later(
        world: SessionServices) -> None:
    async with client(world, limits=SessionLimits(buffer_frames=3)) as slow:
        await slow.send_text("START-SEND-EVENTS")  # its ACK is the first frame nobody takes
        for counter in range(4):
            await write(world, ("attributes", "counter"), counter)
        closing = await slow.closing()
    assert closing.reason is CloseReason.TRY_AGAIN_LATER
    assert closing.message == "twinhub:websocket.buffer.overflow: the client fell more than 3 messages behind"


async def test_past_the_workers_budget_the_session_holding_the_most_is_closed_and_the_others_go_on(
        world: SessionServices) -> None:
    budget = Budget(6000)
    async with client(world, budget=budget) as small:
        await small.control("START-SEND-EVENTS")
        await write(world, ("attributes", "blob"), "x" * 4000)
        assert len((await small.frame())["value"]) == 4000  # taken at once: it holds nothing of the budget
        async with client(world, budget=budget) as large:
            await large.send_text("START-SEND-EVENTS?extraFields=attributes/blob")  # each event holds the blob
            await write(world, ("attributes", "counter"), 1)
            await write(world, ("attributes", "counter"), 2)
            closing = await large.closing()
            assert [(await small.frame())["value"] for _ in range(2)] == [1, 2]
            assert not small.session.closed
    assert closing.reason is CloseReason.TRY_AGAIN_LATER
    assert closing.message == ("twinhub:websocket.buffer.overflow: the server's buffers for slow clients are full "
                               "and this session held the most")
    assert budget.total == 0  # every byte went back


async def test_sessions_share_an_event_frame_only_when_they_see_the_same_view(world: SessionServices) -> None:
    async with client(world) as owner, client(world) as other_owner, client(world, READER) as reader:
        for session in (owner, other_owner, reader):
            await session.control("START-SEND-EVENTS?extraFields=attributes/secret")
        await write(world, ("attributes",), {"model": "T3", "secret": "s3"})
        frames = [await session.session.next_output() for session in (owner, other_owner, reader)]
    assert frames[0] is frames[1]  # encoded once for both owners
    assert isinstance(frames[2], str) and "s3" not in frames[2]  # the reader's own frame, without the secret
    assert '"secret":"s3"' in str(frames[0])
