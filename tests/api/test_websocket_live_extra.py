"""Extra fields on live signals: a session that starts a live stream with `extraFields` gets, with each live
message, command or event, the fields of the thing it may READ, as with twin events."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.api.helpers import owner_and
from tests.api.websocket import DittoSocket, open_socket, topic
from twinhub.testing import Server


@pytest.fixture
def thing(client: httpx.Client, thing_id: str) -> str:
    """A thing of `ditto`; `device` may read its location (not its secret) and receive its messages."""
    policy = owner_and("device", {"thing:/attributes/location": {"grant": ["READ"], "revoke": []},
                                  "message:/": {"grant": ["READ", "WRITE"], "revoke": []}})
    response = client.put(f"/things/{thing_id}", json={"_policy": policy,
                                                        "attributes": {"location": "kitchen", "secret": 42}})
    assert response.status_code == 201, response.text
    return thing_id


def _next_message(socket: DittoSocket, thing_id: str) -> dict[str, object]:
    message = socket.receive_until(lambda frame: isinstance(frame, dict) and frame["topic"].startswith(
        topic(thing_id, "things/live/messages/")), 20)
    assert isinstance(message, dict)
    return message


def _post_and_receive(client: httpx.Client, device: DittoSocket, thing: str) -> dict[str, object]:
    with ThreadPoolExecutor(1) as pool:
        received = pool.submit(_next_message, device, thing)
        response = client.post(f"/things/{thing}/inbox/messages/ping", json="hello", headers={"timeout": "0"})
        assert response.status_code == 202, response.text
        return received.result()


def test_a_live_message_carries_the_extra_fields_its_receiver_may_read(server: Server, client: httpx.Client,
                                                                      thing: str) -> None:
    """Ditto's WebSocketRoute enriches every sessioned signal of a session with extra fields
    (SessionedSignal.retrieveExtraFields: a partial thing retrieved with the session's authorization, so
    only what the receiver may READ) and writes them as the message's `extra`; live messages included."""
    with open_socket(server.base_url, "device") as device:
        device.control("START-SEND-MESSAGES?extraFields=attributes,_revision")
        message = _post_and_receive(client, device, thing)
    assert message["value"] == "hello"
    assert message["extra"] == {"attributes": {"location": "kitchen"}, "_revision": 1}


def test_the_owner_sees_every_extra_field_and_no_extra_without_extra_fields(server: Server, client: httpx.Client,
                                                                            thing: str) -> None:
    """WebSocketRoute.toJsonStringWithExtra adds `extra` only where the session asked for extra fields."""
    with open_socket(server.base_url) as owner:
        owner.control("START-SEND-MESSAGES?extraFields=attributes/secret,thingId")
        enriched = _post_and_receive(client, owner, thing)
        owner.control("START-SEND-MESSAGES")
        plain = _post_and_receive(client, owner, thing)
    assert enriched["extra"] == {"attributes": {"secret": 42}, "thingId": thing}
    assert "extra" not in plain


def test_invalid_extra_fields_on_a_live_stream_are_refused(socket: DittoSocket) -> None:
    """StreamingSessionActor: a START-SEND-* whose extraFields do not parse is answered with the error, and the
    stream does not start (no ACK)."""
    socket.send_text("START-SEND-MESSAGES?extraFields=attributes(")
    frame = socket.receive()
    assert isinstance(frame, dict), frame
    assert frame["status"] == 400
    assert frame["value"]["error"] == "things:field.selection.invalid"
