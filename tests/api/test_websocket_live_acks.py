"""Custom acknowledgements requested by live messages and live commands (sent over the WebSocket, or as HTTP
messages), aggregated as for twin commands (Ditto's AcknowledgementAggregatorActor serves every signal that
requested acks)."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.api.websocket import DittoSocket, open_socket, topic
from twinhub.testing import Server


@pytest.fixture
def thing(client: httpx.Client, thing_id: str) -> str:
    assert client.put(f"/things/{thing_id}", json={"attributes": {"on": True}}).status_code == 201
    return thing_id


def _serve_device(device: DittoSocket, thing: str, label: str, *, answer: bool) -> dict[str, object]:
    """Take the next live signal of `thing`, acknowledge it with `label` and (if `answer`) answer it."""
    signal = device.receive_until(lambda frame: isinstance(frame, dict) and frame["topic"].startswith(
        topic(thing, "things/live/")) and "status" not in frame, 20)
    assert isinstance(signal, dict)
    correlation_id = signal["headers"]["correlation-id"]
    device.send({"topic": topic(thing, f"things/live/acks/{label}"), "path": "/", "status": 202,
                 "value": {"seen": True}, "headers": {"correlation-id": correlation_id}})
    if answer:
        device.send({"topic": signal["topic"], "path": signal["path"], "status": 200, "value": "pong",
                     "headers": {"correlation-id": correlation_id, "content-type": "text/plain"}})
    return signal


def _acks(sender: DittoSocket, thing: str, correlation_id: str) -> dict[str, object]:
    frame = sender.receive_until(lambda frame: isinstance(frame, dict) and frame["topic"] == topic(
        thing, "things/live/acks") and frame["headers"].get("correlation-id") == correlation_id, 20)
    assert isinstance(frame, dict)
    return frame


def test_a_live_message_waits_for_its_custom_acknowledgement_and_the_live_response(server: Server,
                                                                                     thing: str) -> None:
    """Ditto answers a live message that requested `live-response` and a custom label with the aggregated
    Acknowledgements (topic `…/things/live/acks`): the receiver's response as the `live-response`
    acknowledgement, the declared label as its issuer sent it; all successful, so status 200."""
    label = f"custom:{uuid.uuid4().hex[:8]}"
    correlation_id = f"msg-{uuid.uuid4().hex[:8]}"
    with open_socket(server.base_url, query=f"declared-acks={label}") as device, \
            open_socket(server.base_url) as sender, ThreadPoolExecutor(1) as pool:
        device.control("START-SEND-MESSAGES")
        served = pool.submit(_serve_device, device, thing, label, answer=True)
        sender.send({"topic": topic(thing, "things/live/messages/ping"), "path": "/inbox/messages/ping",
                     "value": "ping", "headers": {"correlation-id": correlation_id, "content-type": "text/plain",
                                                  "requested-acks": ["live-response", label], "timeout": "10"}})
        aggregated = _acks(sender, thing, correlation_id)
        signal = served.result()
    assert signal["headers"]["requested-acks"] in (["live-response", label], f'["live-response","{label}"]')
    value = aggregated["value"]
    assert aggregated["status"] == 200, value
    assert value["live-response"]["status"] == 200
    assert value["live-response"]["payload"] == "pong"
    assert value[label]["status"] == 202
    assert value[label]["payload"] == {"seen": True}


def test_a_live_command_with_a_custom_acknowledgement_that_never_comes_times_out(server: Server,
                                                                                  thing: str) -> None:
    """A requested label nobody acknowledges within the timeout is a 408 `acknowledgement:request.timeout` in
    the aggregation; with the live response successful the aggregation is 424 (failed dependency), as
    Ditto's Acknowledgements status for mixed outcomes."""
    correlation_id = f"cmd-{uuid.uuid4().hex[:8]}"
    with open_socket(server.base_url) as device, open_socket(server.base_url) as sender, \
            ThreadPoolExecutor(1) as pool:
        device.control("START-SEND-LIVE-COMMANDS")
        served = pool.submit(_serve_device, device, thing, "custom:ignored", answer=True)
        sender.send({"topic": topic(thing, "things/live/commands/retrieve"), "path": "/attributes",
                     "headers": {"correlation-id": correlation_id, "timeout": "2",
                                 "requested-acks": ["live-response", "custom:never"]}})
        aggregated = _acks(sender, thing, correlation_id)
        served.result()
    value = aggregated["value"]
    assert value["live-response"]["status"] == 200
    assert value["custom:never"]["status"] == 408
    assert value["custom:never"]["payload"]["error"] == "acknowledgement:request.timeout"
    assert aggregated["status"] == 424


def test_live_response_alone_still_answers_with_the_plain_response(server: Server, thing: str) -> None:
    """Only `live-response` requested: the sender gets the receiver's response itself, not an aggregation."""
    with open_socket(server.base_url) as device, open_socket(server.base_url) as sender, \
            ThreadPoolExecutor(1) as pool:
        device.control("START-SEND-MESSAGES")
        served = pool.submit(_serve_device, device, thing, "custom:unused", answer=True)
        response = sender.request({"topic": topic(thing, "things/live/messages/ping"), "path": "/inbox/messages/ping",
                                   "value": "ping", "headers": {"requested-acks": ["live-response"], "timeout": "10",
                                                                "content-type": "text/plain"}})
        served.result()
    assert response["topic"] == topic(thing, "things/live/messages/ping")
    assert (response["status"], response["value"]) == (200, "pong")


def test_an_http_message_waits_for_its_custom_acknowledgement(server: Server, client: httpx.Client,
                                                              thing: str) -> None:
    """Over HTTP the aggregation is the body, as for twin writes: 200 with `{label: {status, payload,
    headers}}` when every acknowledgement succeeded (Ditto's AcknowledgementAggregator for messages)."""
    label = f"custom:{uuid.uuid4().hex[:8]}"
    with open_socket(server.base_url, query=f"declared-acks={label}") as device, ThreadPoolExecutor(1) as pool:
        device.control("START-SEND-MESSAGES")
        served = pool.submit(_serve_device, device, thing, label, answer=True)
        response = client.post(f"/things/{thing}/inbox/messages/ping", content=b"ping",
                               headers={"content-type": "text/plain", "timeout": "10",
                                        "requested-acks": f"live-response,{label}"})
        served.result()
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["live-response"]["status"], body["live-response"]["payload"]) == (200, "pong")
    assert (body[label]["status"], body[label]["payload"]) == (202, {"seen": True})
