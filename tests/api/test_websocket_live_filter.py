"""The RQL `filter` of START-SEND-MESSAGES, START-SEND-LIVE-COMMANDS and START-SEND-LIVE-EVENTS.

Ditto parses the filter of every START-SEND-* (StreamingSessionActor, `StartStreaming.getFilter` ->
`parseCriteria`) and tests each signal of the session against it before sending it (WebSocketRoute.matchesFilter
-> StreamingSession.matchesFilter), on the thing ThingEventToThingConverter.mergeThingWithExtraFields forms: a
live event's own changed part, otherwise only the extra fields; with the topic, entity, resource and time
placeholders resolved for the signal.

A signal filtered out is never sent: each test sends one that must be dropped, then one that must pass, and
asserts that the first frame the receiver gets is the second (one sender, one order)."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import httpx
import pytest

from tests.api.websocket import DittoSocket, open_socket, topic
from twinhub.testing import Server


@pytest.fixture
def thing(client: httpx.Client, thing_id: str) -> str:
    response = client.put(f"/things/{thing_id}", json={"attributes": {"location": "kitchen"}, "features": {"lamp": {}}})
    assert response.status_code == 201, response.text
    return thing_id


def _next_live(socket: DittoSocket, thing_id: str) -> dict[str, object]:
    frame = socket.receive_until(lambda frame: isinstance(frame, dict) and frame["topic"].startswith(
        topic(thing_id, "things/live/")), 20)
    assert isinstance(frame, dict)
    return frame


def _post(client: httpx.Client, thing_id: str, subject: str) -> None:
    response = client.post(f"/things/{thing_id}/inbox/messages/{subject}", json=subject, headers={"timeout": "0"})
    assert response.status_code == 202, response.text


def _start(socket: DittoSocket, stream: str, rql: str, extra: str = "") -> None:
    socket.control(f"START-SEND-{stream}?filter={quote(rql)}{extra}")


def test_a_message_filter_on_the_topic_subject_drops_other_subjects(server: Server, client: httpx.Client,
                                                                    thing: str) -> None:
    """TopicPathPlaceholder: `topic:subject` of a message is its subject (`topic:action-subject` too)."""
    with open_socket(server.base_url) as receiver:
        _start(receiver, "MESSAGES", 'and(eq(topic:subject,"ping"),eq(topic:action-subject,"ping"))')
        _post(client, thing, "pong")
        _post(client, thing, "ping")
        message = _next_live(receiver, thing)
    assert message["topic"] == topic(thing, "things/live/messages/ping")


def test_a_message_filter_on_the_resource_and_the_criterion(server: Server, client: httpx.Client,
                                                            thing: str) -> None:
    """ResourcePlaceholder of a MessageCommand: type `message`, path `/[features/<id>/]inbox/messages/<subject>`;
    `topic:criterion` is `messages`."""
    with open_socket(server.base_url) as receiver:
        _start(receiver, "MESSAGES", 'and(eq(resource:type,"message"),eq(topic:criterion,"messages"),'
                                     'like(resource:path,"/features/lamp/*"))')
        _post(client, thing, "to-the-thing")
        response = client.post(f"/things/{thing}/features/lamp/inbox/messages/to-the-lamp", json=1,
                               headers={"timeout": "0"})
        assert response.status_code == 202, response.text
        message = _next_live(receiver, thing)
    assert message["topic"] == topic(thing, "things/live/messages/to-the-lamp")


def test_a_message_filter_sees_the_thing_through_the_extra_fields(server: Server, client: httpx.Client,
                                                                  thing_id: str) -> None:
    """mergeThingWithExtraFields: a message carries no thing, so the filter sees the extra fields the session
    asked for (retrieved for the receiver) and, without `extraFields`, an empty thing that a filter on thing
    fields never matches."""
    for name, location in (("a", "garden"), ("b", "kitchen")):
        response = client.put(f"/things/{thing_id}-{name}", json={"attributes": {"location": location}})
        assert response.status_code == 201, response.text
    rql = 'eq(attributes/location,"kitchen")'
    with open_socket(server.base_url) as enriched, open_socket(server.base_url) as plain:
        _start(enriched, "MESSAGES", rql, "&extraFields=attributes/location")
        _start(plain, "MESSAGES", rql)
        _post(client, f"{thing_id}-a", "hello")
        _post(client, f"{thing_id}-b", "hello")
        message = enriched.receive_until(lambda frame: isinstance(frame, dict) and "live/messages" in frame["topic"])
        nothing_for_plain = plain.no_frame(1.0)
    assert isinstance(message, dict)
    assert message["topic"] == topic(f"{thing_id}-b", "things/live/messages/hello")
    assert message["extra"] == {"attributes": {"location": "kitchen"}}
    assert nothing_for_plain


def test_a_live_event_filter_sees_the_events_own_change(server: Server, thing: str) -> None:
    """ThingEventToThingConverter.thingEventToThing: a live event is a thing event, so the filter sees its value
    at its path (here without any extra fields)."""
    with open_socket(server.base_url) as device, open_socket(server.base_url) as app:
        _start(app, "LIVE-EVENTS", "gt(features/lamp/properties/brightness,50)")
        for brightness in (10, 90):
            device.send({"topic": topic(thing, "things/live/events/modified"),
                         "path": "/features/lamp/properties/brightness", "value": brightness})
        event = _next_live(app, thing)
    assert (event["path"], event["value"]) == ("/features/lamp/properties/brightness", 90)


def test_a_live_command_filter_on_the_action(server: Server, thing: str) -> None:
    """TopicPathPlaceholder `topic:action` of a live command is its action; `topic:channel` is `live`."""
    with open_socket(server.base_url) as device, open_socket(server.base_url) as app:
        _start(device, "LIVE-COMMANDS", 'and(eq(topic:action,"modify"),eq(topic:channel,"live"))')
        app.send({"topic": topic(thing, "things/live/commands/delete"), "path": "/attributes/location",
                  "headers": {"response-required": False}})
        app.send({"topic": topic(thing, "things/live/commands/modify"), "path": "/attributes/location",
                  "value": "hall", "headers": {"response-required": False}})
        command = _next_live(device, thing)
    assert command["topic"] == topic(thing, "things/live/commands/modify")
    assert command["value"] == "hall"


def test_a_filtered_out_message_is_acknowledged_weakly(server: Server, client: httpx.Client, thing: str) -> None:
    """WebSocketRoute.issuePotentialWeakAcknowledgements: a signal a session's filter drops is answered with weak
    acknowledgements of the labels it requested, so its sender need not wait for the timeout. The `live-response`
    MessageCommandAckRequestSetter adds to them (a response is required) has nobody to answer it: 408 there, so the
    aggregation is 424, at once (no session receives the message)."""
    labels = [f"custom:{uuid.uuid4().hex[:8]}", f"custom:{uuid.uuid4().hex[:8]}"]
    with open_socket(server.base_url, query=f"declared-acks={','.join(labels)}") as device:
        _start(device, "MESSAGES", 'eq(topic:subject,"other")')
        response = client.post(f"/things/{thing}/inbox/messages/ping", json="ping",
                               headers={"timeout": "20", "requested-acks": ",".join(labels)})
    assert response.status_code == 424, response.text  # at once, not after the timeout
    assert response.json()["live-response"]["status"] == 408
    for label in labels:
        assert response.json()[label]["status"] == 200
        assert response.json()[label]["headers"]["ditto-weak-ack"] is True


@pytest.mark.parametrize("stream", ["MESSAGES", "LIVE-COMMANDS", "LIVE-EVENTS"])
def test_an_invalid_live_filter_is_refused_and_the_stream_does_not_start(socket: DittoSocket, stream: str) -> None:
    """StreamingSessionActor: a filter that does not parse is answered with the error (Ditto's
    `rql.expression.invalid`, 400) and the subscription is not made (no ACK)."""
    socket.send_text(f"START-SEND-{stream}?filter={quote('eq(attributes/x')}")
    frame = socket.receive()
    assert isinstance(frame, dict), frame
    assert frame["status"] == 400
    assert frame["value"]["error"] == "rql.expression.invalid"
    assert socket.no_frame()


def test_the_receiver_still_answers_a_message_that_passed_its_filter(server: Server, client: httpx.Client,
                                                                      thing: str) -> None:
    """A message that passes is delivered as before and its receiver's answer reaches the sender."""
    def answer(device: DittoSocket) -> None:
        message = _next_live(device, thing)
        device.send({"topic": message["topic"], "path": message["path"], "status": 200, "value": "pong",
                     "headers": {"correlation-id": message["headers"]["correlation-id"],  # type: ignore[index]
                                 "content-type": "text/plain"}})

    with open_socket(server.base_url) as device, ThreadPoolExecutor(1) as pool:
        _start(device, "MESSAGES", 'eq(thing:id,"' + thing + '")')
        answered = pool.submit(answer, device)
        response = client.post(f"/things/{thing}/inbox/messages/ping", json="ping", headers={"timeout": "10"})
        answered.result()
    assert response.status_code == 200, response.text
    assert response.text == "pong"
