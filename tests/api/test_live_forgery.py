"""Nobody answers for somebody else on the live channel: a response or an acknowledgement counts only from
the session that received what it answers, and an acknowledgement label stays with the subject that
declared it. Forgers get no error (as in Ditto, what nobody waits for is dropped) and change nothing."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from tests.api.websocket import DittoSocket, open_socket, topic
from twinhub.testing import Server


def _is(prefix: str) -> Callable[[object], bool]:
    return lambda frame: isinstance(frame, dict) and frame["topic"].startswith(prefix)


@pytest.fixture
def thing(client: httpx.Client, thing_id: str) -> str:
    assert client.put(f"/things/{thing_id}", json={"attributes": {"model": "T1"}}).status_code == 201
    return thing_id


def settle(session: DittoSocket, thing: str) -> None:
    """A round trip after a frame: the session has handled the frames it sent before."""
    answer = session.request({"topic": topic(thing, "things/twin/commands/retrieve"), "path": "/", "headers": {}})
    assert answer["status"] in (200, 404)


def forge_response(forger: DittoSocket, thing: str, received: dict[str, object], value: str) -> None:
    """Answer what `received` answers, with its correlation-id, from a session that did not receive it."""
    headers = received["headers"]
    assert isinstance(headers, dict)
    forger.send({"topic": received["topic"], "path": received["path"], "status": 200, "value": value,
                 "headers": {"correlation-id": headers["correlation-id"], "content-type": "text/plain"}})
    settle(forger, thing)


def answer(device: DittoSocket, received: dict[str, object], value: object, content_type: str) -> None:
    headers = received["headers"]
    assert isinstance(headers, dict)
    device.send({"topic": received["topic"], "path": received["path"], "status": 200, "value": value,
                 "headers": {"correlation-id": headers["correlation-id"], "content-type": content_type}})


def test_a_message_is_answered_only_by_a_session_that_received_it(server: Server, client: httpx.Client,
                                                                  thing: str) -> None:
    correlation_id = f"guessable-{uuid.uuid4().hex[:6]}"
    with open_socket(server.base_url) as device, open_socket(server.base_url, "mallory") as mallory, \
            open_socket(server.base_url) as same_user, ThreadPoolExecutor(1) as pool:
        device.control("START-SEND-MESSAGES")
        sent = pool.submit(client.post, f"/things/{thing}/inbox/messages/ping", content=b"there?",
                           headers={"content-type": "text/plain", "correlation-id": correlation_id, "timeout": "20"})
        message = device.receive_until(_is(topic(thing, "things/live/messages/ping")), 20)
        assert isinstance(message, dict)

        forge_response(mallory, thing, message, "forged by another user")
        forge_response(same_user, thing, message, "forged by a session that did not receive it")
        answer(device, message, "genuine", "text/plain")

        response = sent.result(30)
    assert response.status_code == 200, response.text
    assert response.text == "genuine"


def test_a_live_command_is_answered_only_by_a_session_that_received_it(server: Server, client: httpx.Client,
                                                                       thing: str) -> None:
    with open_socket(server.base_url) as device, open_socket(server.base_url, "mallory") as mallory, \
            ThreadPoolExecutor(1) as pool:
        device.control("START-SEND-LIVE-COMMANDS")
        sent = pool.submit(client.get, f"/things/{thing}/attributes",
                           params={"channel": "live", "timeout": "20"}, headers={"correlation-id": "live-guess"})
        command = device.receive_until(_is(topic(thing, "things/live/commands/retrieve")), 20)
        assert isinstance(command, dict)

        mallory.send({"topic": command["topic"], "path": command["path"], "status": 200,
                      "value": {"model": "forged"}, "headers": {"correlation-id": "live-guess",
                                                                "content-type": "application/json"}})
        settle(mallory, thing)
        answer(device, command, {"model": "live"}, "application/json")

        response = sent.result(30)
    assert response.status_code == 200, response.text
    assert response.json() == {"model": "live"}


def test_a_message_of_ones_own_with_anothers_correlation_id_does_not_answer_theirs(
        server: Server, client: httpx.Client, as_user: Callable[[str], httpx.Client], thing: str) -> None:
    # mallory has a thing and a device of her own; she reuses ditto's correlation-id for a message to it,
    # so that her device's answer carries that correlation-id too.
    mallorys = f"{thing}-mallory"
    assert as_user("mallory").put(f"/things/{mallorys}", json={}).status_code == 201
    with open_socket(server.base_url) as device, open_socket(server.base_url, "mallory") as mallory_device, \
            ThreadPoolExecutor(2) as pool:
        device.control("START-SEND-MESSAGES")
        mallory_device.control("START-SEND-MESSAGES")
        sent = pool.submit(client.post, f"/things/{thing}/inbox/messages/ping", content=b"there?",
                           headers={"content-type": "text/plain", "correlation-id": "shared-id", "timeout": "20"})
        message = device.receive_until(_is(topic(thing, "things/live/messages/ping")), 20)
        assert isinstance(message, dict)
        hers = pool.submit(as_user("mallory").post, f"/things/{mallorys}/inbox/messages/ping", content=b"x",
                           headers={"content-type": "text/plain", "correlation-id": "shared-id", "timeout": "20"})
        own = mallory_device.receive_until(_is(topic(mallorys, "things/live/messages/ping")), 20)
        assert isinstance(own, dict)
        answer(mallory_device, own, "mallory's answer", "text/plain")
        assert hers.result(30).text == "mallory's answer"
        answer(device, message, "genuine", "text/plain")

        response = sent.result(30)
    assert response.text == "genuine"


def test_an_acknowledgement_counts_only_from_a_session_that_received_the_event(
        server: Server, client: httpx.Client, thing: str) -> None:
    label, device_label = f"forge:{uuid.uuid4().hex[:8]}", f"device:{uuid.uuid4().hex[:8]}"
    correlation_id = f"ack-guess-{uuid.uuid4().hex[:6]}"
    # mallory declares a label nobody else has, but cannot read the thing: she never receives its events.
    with open_socket(server.base_url, "mallory", query=f"declared-acks={label}") as mallory, \
            open_socket(server.base_url, query=f"declared-acks={device_label}") as device, \
            ThreadPoolExecutor(1) as pool:
        device.control("START-SEND-EVENTS")
        written = pool.submit(client.put, f"/things/{thing}/attributes/x", json=1, headers={
            "requested-acks": f"{label},{device_label}", "timeout": "3", "correlation-id": correlation_id})
        event = device.receive_until(_is(topic(thing, "things/twin/events/")), 20)
        assert isinstance(event, dict)

        mallory.send({"topic": topic(thing, f"things/twin/acks/{label}"), "path": "/", "status": 200,
                      "value": {"forged": True}, "headers": {"correlation-id": correlation_id}})
        settle(mallory, thing)
        device.send({"topic": topic(thing, f"things/twin/acks/{device_label}"), "path": "/", "status": 204,
                     "headers": {"correlation-id": correlation_id}})

        response = written.result(30)
    body = response.json()
    assert response.status_code == 424, body
    assert body[device_label]["status"] == 204
    assert body[label]["status"] == 408  # mallory's acknowledgement did not count


def test_a_label_stays_with_the_subject_that_declared_it(server: Server, client: httpx.Client, thing: str) -> None:
    label = f"device:{uuid.uuid4().hex[:8]}"
    with open_socket(server.base_url, query=f"declared-acks={label}") as device:
        device.control("START-SEND-EVENTS")
        squatter = open_socket(server.base_url, "mallory", query=f"declared-acks={label}")
        assert _closed_with(squatter) == (1008, "acknowledgement:label.not.unique")
    # The device is gone (reconnecting): the label is still not mallory's to take ...
    squatter = open_socket(server.base_url, "mallory", query=f"declared-acks={label}")
    assert _closed_with(squatter) == (1008, "acknowledgement:label.not.unique")

    def acknowledge(session: DittoSocket) -> None:
        event = session.receive_until(_is(topic(thing, "things/twin/events/")), 20)
        assert isinstance(event, dict)
        session.send({"topic": topic(thing, f"things/twin/acks/{label}"), "path": "/", "status": 200,
                      "value": "done", "headers": {"correlation-id": event["headers"]["correlation-id"]}})

    # ... and the device, back again, has it and acknowledges as before.
    with open_socket(server.base_url, query=f"declared-acks={label}") as device, ThreadPoolExecutor(1) as pool:
        device.control("START-SEND-EVENTS")
        acked = pool.submit(acknowledge, device)
        response = client.put(f"/things/{thing}/attributes/y", json=2,
                              headers={"requested-acks": label, "timeout": "10"})
        acked.result(30)
    assert response.status_code == 200, response.text
    assert response.json() == "done"


def _closed_with(session: DittoSocket) -> tuple[int, str]:
    with pytest.raises(ConnectionClosed) as closed:
        session.receive(10)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code, closed.value.rcvd.reason.split(": ", 1)[0]  # the error code
