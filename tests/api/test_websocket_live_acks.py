"""Custom acknowledgements requested by live messages and live commands (sent over the WebSocket, or over HTTP as
messages and as `channel=live` commands), aggregated as for twin commands (Ditto's AcknowledgementAggregatorActor
serves every signal that requested acks)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.api.helpers import assert_error, owner_and
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


def _live(extra: dict[str, str]) -> dict[str, str]:
    return {"channel": "live", **extra}


def test_an_http_live_command_waits_for_its_custom_acknowledgement_and_the_live_response(
        server: Server, client: httpx.Client, thing: str) -> None:
    """A live command over HTTP that requested a custom label gets the aggregation as its body, as twin writes do:
    ThingLiveCommandAckRequestSetter adds `live-response` to the labels requested while a response is required,
    so the device is asked for both and the answer is 200 with `{label: {status, payload, headers}}`."""
    label = f"custom:{uuid.uuid4().hex[:8]}"
    with open_socket(server.base_url, query=f"declared-acks={label}") as device, ThreadPoolExecutor(1) as pool:
        device.control("START-SEND-LIVE-COMMANDS")
        served = pool.submit(_serve_device, device, thing, label, answer=True)
        response = client.get(f"/things/{thing}/attributes", params=_live({"requested-acks": label, "timeout": "10"}))
        signal = served.result()
    assert signal["headers"]["requested-acks"] in ([label, "live-response"], f'["{label}","live-response"]')
    assert response.status_code == 200, response.text
    assert response.headers["channel"] == "live"
    body = response.json()
    assert (body["live-response"]["status"], body["live-response"]["payload"]) == (200, "pong")
    assert (body[label]["status"], body[label]["payload"]) == (202, {"seen": True})


def test_an_http_live_command_whose_acknowledgement_never_comes_is_424(server: Server, client: httpx.Client,
                                                                         thing: str) -> None:
    """A requested label nobody acknowledges in time is a 408 `acknowledgement:request.timeout` in the aggregation;
    with the live response successful the aggregation is 424 (Acknowledgements' status for mixed outcomes). The
    twin is not written: the command went to the device."""
    with open_socket(server.base_url) as device, ThreadPoolExecutor(1) as pool:
        device.control("START-SEND-LIVE-COMMANDS")
        served = pool.submit(_serve_device, device, thing, "custom:ignored", answer=True)
        response = client.put(f"/things/{thing}/attributes/on", json=False,
                              params=_live({"requested-acks": "custom:never", "timeout": "2"}))
        signal = served.result()
    assert signal["topic"] == topic(thing, "things/live/commands/modify")
    assert response.status_code == 424, response.text
    body = response.json()
    assert body["live-response"]["status"] == 200
    assert body["custom:never"]["status"] == 408
    assert body["custom:never"]["payload"]["error"] == "acknowledgement:request.timeout"
    assert client.get(f"/things/{thing}/attributes/on").json() is True


def test_twin_labels_are_dropped_from_an_http_live_command(server: Server, client: httpx.Client, thing: str) -> None:
    """ThingLiveCommandAckRequestSetter drops Ditto's own labels but `live-response` (`twin-persisted`,
    `search-persisted`: nothing is persisted), so what is left is `live-response` alone and the answer is the
    device's response itself, not an aggregation."""
    with open_socket(server.base_url) as device, ThreadPoolExecutor(1) as pool:
        device.control("START-SEND-LIVE-COMMANDS")
        served = pool.submit(_serve_device, device, thing, "custom:unused", answer=True)
        response = client.get(f"/things/{thing}/attributes", params=_live(
            {"requested-acks": "twin-persisted,search-persisted", "timeout": "10"}))
        signal = served.result()
    assert signal["headers"]["requested-acks"] in (["live-response"], '["live-response"]')
    assert (response.status_code, response.text) == (200, "pong")


def test_an_http_live_command_without_response_required_is_202_at_once(server: Server, client: httpx.Client,
                                                                        thing: str) -> None:
    """`response-required=false` removes `live-response` from the labels (the setter binds it to the response):
    the device is asked for the custom label alone and the sender gets 202 without waiting for it."""
    label = f"custom:{uuid.uuid4().hex[:8]}"
    with open_socket(server.base_url, query=f"declared-acks={label}") as device, ThreadPoolExecutor(1) as pool:
        device.control("START-SEND-LIVE-COMMANDS")
        served = pool.submit(_serve_device, device, thing, label, answer=False)
        response = client.get(f"/things/{thing}/attributes", params=_live(
            {"requested-acks": label, "response-required": "false", "timeout": "10"}))
        signal = served.result()
    assert response.status_code == 202
    assert signal["headers"]["requested-acks"] in ([label], f'["{label}"]')


def test_an_http_live_command_with_acknowledgements_is_authorized_first(client: httpx.Client,
                                                                        as_user: Callable[[str], httpx.Client],
                                                                        thing: str) -> None:
    """The live command is authorized as the twin command would be before anything is sent or awaited: without
    READ a retrieve is 404 `things:thing.notfound`, without WRITE a modify 403 `things:attribute.notmodifiable`
    (LiveSignalEnforcement), requested labels or not."""
    grant_read = {"thing:/": {"grant": ["READ"], "revoke": []}}
    assert client.get(f"/things/{thing}/policyId").json() == thing
    assert client.put(f"/policies/{thing}", json=owner_and("reader", grant_read)).status_code == 204
    params = _live({"requested-acks": "custom:any", "timeout": "10"})
    assert_error(as_user("stranger").get(f"/things/{thing}/attributes", params=params), 404, "things:thing.notfound")
    assert_error(as_user("reader").put(f"/things/{thing}/attributes/on", json=1, params=params), 403,
                 "things:attribute.notmodifiable")


def test_an_http_message_with_a_custom_label_alone_also_waits_for_the_live_response(
        server: Server, client: httpx.Client, thing: str) -> None:
    """MessageCommandAckRequestSetter binds `live-response` to response-required as for live commands: a message
    that requested a custom label alone is sent asking for both, and answered with both aggregated."""
    label = f"custom:{uuid.uuid4().hex[:8]}"
    with open_socket(server.base_url, query=f"declared-acks={label}") as device, ThreadPoolExecutor(1) as pool:
        device.control("START-SEND-MESSAGES")
        served = pool.submit(_serve_device, device, thing, label, answer=True)
        response = client.post(f"/things/{thing}/inbox/messages/ping", content=b"ping",
                               headers={"content-type": "text/plain", "timeout": "10", "requested-acks": label})
        signal = served.result()
    assert signal["headers"]["requested-acks"] in ([label, "live-response"], f'["{label}","live-response"]')
    assert response.status_code == 200, response.text
    assert response.json().keys() == {label, "live-response"}


def test_a_websocket_live_command_with_a_custom_label_alone_also_waits_for_the_live_response(
        server: Server, thing: str) -> None:
    """The live ack request setters apply to every channel's live signals (ThingLiveCommandAckRequestSetter in the
    edge): a live command sent over the WebSocket with a custom label alone asks the device for it and
    `live-response`, and is answered with both aggregated."""
    label = f"custom:{uuid.uuid4().hex[:8]}"
    correlation_id = f"cmd-{uuid.uuid4().hex[:8]}"
    with open_socket(server.base_url, query=f"declared-acks={label}") as device, \
            open_socket(server.base_url) as sender, ThreadPoolExecutor(1) as pool:
        device.control("START-SEND-LIVE-COMMANDS")
        served = pool.submit(_serve_device, device, thing, label, answer=True)
        sender.send({"topic": topic(thing, "things/live/commands/retrieve"), "path": "/attributes",
                     "headers": {"correlation-id": correlation_id, "timeout": "10", "requested-acks": [label]}})
        aggregated = _acks(sender, thing, correlation_id)
        signal = served.result()
    assert signal["headers"]["requested-acks"] in ([label, "live-response"], f'["{label}","live-response"]')
    assert aggregated["status"] == 200, aggregated
    assert aggregated["value"]["live-response"]["payload"] == "pong"
    assert aggregated["value"][label]["status"] == 202
