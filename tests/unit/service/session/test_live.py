"""A session as sender and receiver of live signals and as issuer of acknowledgements, in process: a
response or an acknowledgement counts only from a session that received what it answers."""

from __future__ import annotations

import pytest

from tests.unit.service.live_world import OWNER, READER
from tests.unit.service.session.world import Frame, client, topic
from twinhub.service.session import CloseReason, SessionServices

pytestmark = pytest.mark.anyio


def answer_to(signal: Frame, value: object, *, status: int = 200, content_type: str = "text/plain") -> Frame:
    return {"topic": signal["topic"], "path": signal["path"], "status": status, "value": value,
            "headers": {"correlation-id": signal["headers"]["correlation-id"], "content-type": content_type}}


def modify(path: str, value: object, **headers: object) -> Frame:
    return {"topic": topic("things/twin/commands/modify"), "path": path, "value": value, "headers": headers}


# -- live signals ------------------------------------------------------------------------------------


async def test_a_message_is_answered_only_by_the_session_that_received_it(world: SessionServices) -> None:
    async with client(world) as device, client(world) as intruder, client(world) as app:
        await device.control("START-SEND-MESSAGES")
        await app.send({"topic": topic("things/live/messages/ask"), "path": "/inbox/messages/ask", "value": "?",
                        "headers": {"correlation-id": "ask-1", "content-type": "text/plain", "timeout": "10s"}})
        message = await device.frame()
        assert (message["topic"], message["value"]) == (topic("things/live/messages/ask"), "?")
        assert "ditto-origin" not in message["headers"]
        await intruder.send(answer_to(message, "forged"))  # the same subject, but it received nothing
        await device.send(answer_to(message, "pong"))
        answer = await app.frame()
    assert (answer["topic"], answer["status"], answer["value"]) == (topic("things/live/messages/ask"), 200, "pong")


async def test_a_live_retrieve_is_answered_with_what_the_sender_may_read(world: SessionServices) -> None:
    async with client(world) as device, client(world, READER) as app:
        await device.control("START-SEND-LIVE-COMMANDS")
        await app.send({"topic": topic("things/live/commands/retrieve"), "path": "/attributes",
                        "headers": {"correlation-id": "live-1", "timeout": "10s"}})
        command = await device.frame()
        assert (command["topic"], command["path"]) == (topic("things/live/commands/retrieve"), "/attributes")
        await device.send(answer_to(command, {"model": "L1", "secret": "s"}, content_type="application/json"))
        answer = await app.frame()
    assert (answer["status"], answer["value"]) == (200, {"model": "L1"})


async def test_a_message_nobody_receives_is_408(world: SessionServices) -> None:
    async with client(world) as app:
        answer = await app.request({"topic": topic("things/live/messages/void"), "path": "/inbox/messages/void",
                                    "value": "?", "headers": {"content-type": "text/plain"}})
    assert (answer["topic"], answer["status"]) == (topic("things/live/errors"), 408)
    assert "no receiver is connected" in answer["value"]["message"]


# -- acknowledgements --------------------------------------------------------------------------------


async def test_a_declared_label_acknowledges_an_event_the_session_received(world: SessionServices) -> None:
    async with client(world, declared_acks=["custom:seen"]) as watcher, client(world) as writer:
        await watcher.control("START-SEND-EVENTS")
        await writer.send(modify("/attributes/y", 2, **{"correlation-id": "w-1", "timeout": "10s",
                                                        "requested-acks": ["twin-persisted", "custom:seen"]}))
        event = await watcher.frame()
        assert event["headers"]["requested-acks"] == ["custom:seen"]
        await watcher.send({"topic": topic("things/twin/acks/custom:seen"), "path": "/", "status": 204,
                            "headers": {"correlation-id": event["headers"]["correlation-id"]}})
        answer = await writer.frame()
    assert (answer["topic"], answer["status"]) == (topic("things/twin/acks"), 200)
    assert answer["headers"]["correlation-id"] == "w-1"
    assert answer["value"]["custom:seen"]["status"] == 204
    assert answer["value"]["twin-persisted"]["status"] == 201


async def test_an_acknowledgement_for_an_event_the_session_did_not_receive_does_not_count(
        world: SessionServices) -> None:
    async with client(world, declared_acks=["custom:mine"]) as mallory, client(world) as writer:
        await writer.send(modify("/attributes/z", 1, **{"correlation-id": "w-2", "timeout": "300ms",
                                                        "requested-acks": ["custom:mine"]}))
        await mallory.send({"topic": topic("things/twin/acks/custom:mine"), "path": "/", "status": 200,
                            "headers": {"correlation-id": "w-2"}})  # guessed: mallory watches no events
        answer = await writer.frame()
    assert (answer["topic"], answer["status"]) == (topic("things/twin/acks"), 408)
    assert answer["value"]["custom:mine"]["payload"]["error"] == "acknowledgement:request.timeout"
    assert "300ms" in answer["value"]["custom:mine"]["payload"]["message"]


async def test_an_acknowledgement_of_a_label_not_declared_is_refused(world: SessionServices) -> None:
    async with client(world) as owner:
        refused = await owner.request({"topic": topic("things/twin/acks/custom:other"), "path": "/", "status": 200,
                                       "headers": {"correlation-id": "nothing"}})
    assert (refused["topic"], refused["status"]) == (topic("things/twin/errors"), 400)
    assert refused["value"]["error"] == "acknowledgement:label.not.declared"


# A namespace filter leaves the event out; a thing-id filter files the subscription under the other thing, so
# the event never visits it as a candidate: either way the session acknowledges its declared label weakly.
@pytest.mark.parametrize("subscription", ["namespaces=some.other.namespace",
                                          'filter=eq(thingId,"org.twinhub.other:thing")'])
async def test_a_session_the_event_does_not_reach_acknowledges_weakly(world: SessionServices,
                                                                      subscription: str) -> None:
    async with client(world, declared_acks=["custom:weak"]) as watcher, client(world) as writer:
        await watcher.control(f"START-SEND-EVENTS?{subscription}")
        answer = await writer.request(modify("/attributes/w", 1, timeout="10s",
                                             **{"requested-acks": ["twin-persisted", "custom:weak"]}))
    assert answer["status"] == 200
    weak = answer["value"]["custom:weak"]
    assert (weak["status"], weak["headers"]["ditto-weak-ack"]) == (200, True)


async def test_a_label_another_session_holds_ends_the_session_at_once(world: SessionServices) -> None:
    async with client(world, declared_acks=["custom:once"]), client(world, OWNER,
                                                                    declared_acks=["custom:once"]) as second:
        closing = await second.closing()
    assert closing.reason is CloseReason.POLICY_VIOLATION
    assert closing.message.startswith("acknowledgement:label.not.unique:")
