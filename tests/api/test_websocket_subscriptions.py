"""Search and persisted-events subscriptions over the WebSocket: how Ditto answers their misuse and what a
subscriber who may not read sees."""

from __future__ import annotations

import httpx
import pytest

from tests.api.websocket import DittoSocket, open_socket, topic
from twinhub.testing import Server

SEARCH = "_/_/things/twin/search"


@pytest.fixture
def thing(client: httpx.Client, thing_id: str) -> str:
    assert client.put(f"/things/{thing_id}", json={"attributes": {"v": 0}}).status_code == 201
    return thing_id


def _failed(socket: DittoSocket, prefix: str, subscription_id: str) -> dict[str, object]:
    """The `failed` of `subscription_id`: its error."""
    frame = socket.receive_until(lambda frame: isinstance(frame, dict) and frame["topic"] == f"{prefix}/failed"
                                 and frame["value"]["subscriptionId"] == subscription_id)
    assert isinstance(frame, dict)
    error: dict[str, object] = frame["value"]["error"]
    return error


def _created(socket: DittoSocket, prefix: str) -> str:
    frame = socket.receive_until(lambda frame: isinstance(frame, dict) and frame["topic"] == f"{prefix}/created")
    assert isinstance(frame, dict)
    subscription_id: str = frame["value"]["subscriptionId"]
    return subscription_id


@pytest.mark.parametrize("action", ["request", "cancel"])
def test_a_search_subscription_the_session_does_not_hold_fails_as_not_found(socket: DittoSocket,
                                                                            action: str) -> None:
    """SubscriptionManager.forwardToChild: a RequestFromSubscription or CancelSubscription for an id with no
    subscription actor is answered with SubscriptionFailed carrying SubscriptionNotFoundException
    (`thing-search:subscription.not.found`, 404, "No subscription with ID '<id>' exists.")."""
    socket.send({"topic": f"{SEARCH}/{action}", "path": "/", "headers": {},
                 "value": {"subscriptionId": "no-such-subscription", "demand": 1}})
    error = _failed(socket, SEARCH, "no-such-subscription")
    assert error == {"status": 404, "error": "thing-search:subscription.not.found",
                     "message": "No subscription with ID 'no-such-subscription' exists."}


def test_a_cancelled_search_subscription_is_not_found_afterwards(socket: DittoSocket) -> None:
    """SubscriptionManager: once cancelled, the subscription actor is gone, so a later request is not found."""
    socket.send({"topic": f"{SEARCH}/subscribe", "path": "/", "headers": {}, "value": {}})
    subscription_id = _created(socket, SEARCH)
    socket.send({"topic": f"{SEARCH}/cancel", "path": "/", "headers": {}, "value": {"subscriptionId": subscription_id}})
    socket.send({"topic": f"{SEARCH}/request", "path": "/", "headers": {},
                 "value": {"subscriptionId": subscription_id, "demand": 1}})
    assert _failed(socket, SEARCH, subscription_id)["error"] == "thing-search:subscription.not.found"


@pytest.mark.parametrize("demand", [0, -3])
def test_a_search_demand_below_one_fails_the_subscription_as_a_protocol_error(socket: DittoSocket,
                                                                              demand: int) -> None:
    """SubscriptionActor: reactive streams rule 3.9 makes a non-positive request an IllegalArgumentException,
    which fails the subscription with SubscriptionProtocolErrorException
    (`thing-search:subscription.protocol.error`, 400); the subscription is over."""
    socket.send({"topic": f"{SEARCH}/subscribe", "path": "/", "headers": {}, "value": {}})
    subscription_id = _created(socket, SEARCH)
    socket.send({"topic": f"{SEARCH}/request", "path": "/", "headers": {},
                 "value": {"subscriptionId": subscription_id, "demand": demand}})
    error = _failed(socket, SEARCH, subscription_id)
    assert (error["status"], error["error"]) == (400, "thing-search:subscription.protocol.error")
    assert "rule 3.9" in str(error["message"])
    socket.send({"topic": f"{SEARCH}/request", "path": "/", "headers": {},
                 "value": {"subscriptionId": subscription_id, "demand": 1}})
    assert _failed(socket, SEARCH, subscription_id)["error"] == "thing-search:subscription.not.found"


@pytest.mark.parametrize("action", ["request", "cancel"])
def test_a_persisted_events_subscription_the_session_does_not_hold_fails_as_not_found(
        socket: DittoSocket, thing: str, action: str) -> None:
    """StreamingSubscriptionManager.forwardToChild: StreamingSubscriptionFailed carrying
    StreamingSubscriptionNotFoundException (`streaming.subscription.not.found`, 404)."""
    streaming = topic(thing, "things/twin/streaming")
    socket.send({"topic": f"{streaming}/{action}", "path": "/", "headers": {},
                 "value": {"subscriptionId": "history-999", "demand": 1}})
    error = _failed(socket, streaming, "history-999")
    assert error == {"status": 404, "error": "streaming.subscription.not.found",
                     "message": "No subscription with ID 'history-999' exists."}


def test_a_persisted_events_demand_below_one_is_a_protocol_error(socket: DittoSocket, thing: str) -> None:
    """StreamingSubscriptionActor: a non-positive demand fails the subscription with
    StreamingSubscriptionProtocolErrorException (`streaming.subscription.protocol.error`, 400)."""
    streaming = topic(thing, "things/twin/streaming")
    socket.send({"topic": f"{streaming}/subscribeForPersistedEvents", "path": "/", "headers": {}, "value": {}})
    subscription_id = _created(socket, streaming)
    socket.send({"topic": f"{streaming}/request", "path": "/", "headers": {},
                 "value": {"subscriptionId": subscription_id, "demand": 0}})
    error = _failed(socket, streaming, subscription_id)
    assert (error["status"], error["error"]) == (400, "streaming.subscription.protocol.error")


@pytest.mark.parametrize("exists", [True, False], ids=["unreadable", "absent"])
def test_persisted_events_of_a_thing_the_subscriber_may_not_read_are_created_then_failed(
        server: Server, client: httpx.Client, thing_id: str, exists: bool) -> None:
    """StreamingSubscriptionManager.subscribeForPersistedEvents starts the subscription actor (which answers
    StreamingSubscriptionCreated) on a lazified source of the command's enforcement: the
    ThingNotAccessibleException (`things:thing.notfound`, 404) of a thing the subscriber may not read, or that
    does not exist, fails the subscription once it is asked for items; nothing of the thing is sent."""
    if exists:
        assert client.put(f"/things/{thing_id}", json={"attributes": {"secret": 1}}).status_code == 201
    streaming = topic(thing_id, "things/twin/streaming")
    with open_socket(server.base_url, "mallory") as socket:
        socket.send({"topic": f"{streaming}/subscribeForPersistedEvents", "path": "/",
                     "headers": {"correlation-id": "spy"}, "value": {"fromHistoricalRevision": 1}})
        first = socket.receive()
        assert isinstance(first, dict) and first["topic"] == f"{streaming}/created", first
        subscription_id = first["value"]["subscriptionId"]
        assert first["headers"]["correlation-id"] == "spy"
        socket.send({"topic": f"{streaming}/request", "path": "/", "headers": {},
                     "value": {"subscriptionId": subscription_id, "demand": 10}})
        failed = socket.receive()
    assert isinstance(failed, dict) and failed["topic"] == f"{streaming}/failed", failed
    assert failed["value"]["subscriptionId"] == subscription_id
    error = failed["value"]["error"]
    assert (error["status"], error["error"]) == (404, "things:thing.notfound")
    assert "secret" not in str(failed)
