"""The WebSocket as sender and responder of live messages and commands, and as issuer of acknowledgements;
search and history streams; policy commands."""

from __future__ import annotations

import base64
from concurrent.futures import ThreadPoolExecutor

import httpx
import orjson
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.api.websocket import DittoSocket, basic, open_socket, topic
from twinhub.testing import Server


def _is(prefix: str) -> object:
    return lambda frame: isinstance(frame, dict) and frame["topic"].startswith(prefix)


def _answer_next_message(socket: DittoSocket, thing_id: str, *, status: int = 200, value: object = "pong",
                         content_type: str = "text/plain") -> dict[str, object]:
    """Wait for the next message to `thing_id` and answer it; returns the message."""
    message = socket.receive_until(_is(topic(thing_id, "things/live/messages/")), 20)
    assert isinstance(message, dict)
    socket.send({"topic": message["topic"], "path": message["path"], "status": status, "value": value,
                 "headers": {"correlation-id": message["headers"]["correlation-id"], "content-type": content_type}})
    return message


@pytest.fixture
def thing(client: httpx.Client, thing_id: str) -> str:
    assert client.put(f"/things/{thing_id}", json={"features": {"lamp": {}}}).status_code == 201
    return thing_id


# -- messages ----------------------------------------------------------------------------------------


def test_a_message_posted_over_http_is_answered_by_a_websocket_session(server: Server, client: httpx.Client,
                                                                       thing: str) -> None:
    with open_socket(server.base_url) as device, ThreadPoolExecutor(1) as pool:
        device.control("START-SEND-MESSAGES")
        answered = pool.submit(_answer_next_message, device, thing, value="pong")

        response = client.post(f"/things/{thing}/inbox/messages/ping", content=b"are you there?",
                               headers={"Content-Type": "text/plain", "timeout": "10"})

        message = answered.result()
    assert response.status_code == 200, response.text
    assert response.text == "pong"
    assert response.headers["content-type"].startswith("text/plain")
    assert message["path"] == "/inbox/messages/ping"
    assert message["value"] == "are you there?"
    assert message["headers"]["content-type"] == "text/plain"  # type: ignore[index]


def test_a_json_message_to_a_feature_and_a_json_answer(server: Server, client: httpx.Client, thing: str) -> None:
    with open_socket(server.base_url) as device, ThreadPoolExecutor(1) as pool:
        device.control("START-SEND-MESSAGES")
        answered = pool.submit(_answer_next_message, device, thing, status=418, value={"brewed": False},
                               content_type="application/json")

        response = client.post(f"/things/{thing}/features/lamp/inbox/messages/brew", json={"cups": 2})

        message = answered.result()
    assert response.status_code == 418
    assert response.json() == {"brewed": False}
    assert message["path"] == "/features/lamp/inbox/messages/brew"
    assert message["value"] == {"cups": 2}


def test_binary_payloads_travel_as_base64(server: Server, client: httpx.Client, thing: str) -> None:
    with open_socket(server.base_url) as device, ThreadPoolExecutor(1) as pool:
        device.control("START-SEND-MESSAGES")
        answered = pool.submit(_answer_next_message, device, thing, value=base64.b64encode(b"\x00\xff").decode(),
                               content_type="application/octet-stream")

        response = client.post(f"/things/{thing}/inbox/messages/blob", content=b"\x01\x02",
                               headers={"Content-Type": "application/octet-stream"})

        message = answered.result()
    assert message["value"] == base64.b64encode(b"\x01\x02").decode()
    assert response.content == b"\x00\xff"


def test_a_websocket_sends_a_message_another_websocket_answers(server: Server, thing: str) -> None:
    with open_socket(server.base_url) as device, open_socket(server.base_url) as app, \
            ThreadPoolExecutor(1) as pool:
        device.control("START-SEND-MESSAGES")
        answered = pool.submit(_answer_next_message, device, thing, value="42", content_type="text/plain")

        response = app.request({"topic": topic(thing, "things/live/messages/question"),
                                "path": "/inbox/messages/question", "value": "answer?",
                                "headers": {"content-type": "text/plain", "timeout": "10s"}}, timeout=20)

        answered.result()
    assert response["status"] == 200
    assert response["value"] == "42"
    assert response["topic"] == topic(thing, "things/live/messages/question")


def test_a_message_nobody_listens_to_is_408_saying_no_receiver_is_connected(socket: DittoSocket,
                                                                            thing: str) -> None:
    response = socket.request({"topic": topic(thing, "things/live/messages/void"), "path": "/inbox/messages/void",
                               "value": "hello?", "headers": {"content-type": "text/plain", "timeout": "10s"}})

    assert response["status"] == 408
    assert response["value"]["error"] == "command.timeout"
    assert "no receiver is connected" in response["value"]["message"]


def test_a_live_command_nobody_listens_to_is_408_saying_no_receiver_is_connected(socket: DittoSocket,
                                                                                 thing: str) -> None:
    response = socket.request({"topic": topic(thing, "things/live/commands/retrieve"), "path": "/attributes",
                               "headers": {"timeout": "10s"}})

    assert response["status"] == 408
    assert response["value"]["error"] == "command.timeout"
    assert "no receiver is connected" in response["value"]["message"]


def test_a_message_a_receiver_does_not_answer_in_time_is_408_saying_the_timeout_was_reached(
        server: Server, thing: str) -> None:
    with open_socket(server.base_url) as device, open_socket(server.base_url) as app:
        device.control("START-SEND-MESSAGES")
        response = app.request({"topic": topic(thing, "things/live/messages/slow"), "path": "/inbox/messages/slow",
                                "value": "x", "headers": {"content-type": "text/plain", "timeout": "300ms"}})
        assert isinstance(device.receive_until(_is(topic(thing, "things/live/messages/slow"))), dict)

    assert response["status"] == 408
    assert response["value"]["message"] == "The Command reached the specified timeout of 300ms."


def test_messages_reach_only_sessions_that_may_read_them(server: Server, client: httpx.Client, thing: str) -> None:
    with open_socket(server.base_url, "mallory") as outsider:
        outsider.control("START-SEND-MESSAGES")
        client.post(f"/things/{thing}/inbox/messages/secret", content=b"x",
                    headers={"Content-Type": "text/plain", "timeout": "0"})
        assert outsider.no_frame(1.0)


def test_sending_a_message_needs_write_permission(server: Server, thing: str) -> None:
    with open_socket(server.base_url, "mallory") as outsider:
        response = outsider.request({"topic": topic(thing, "things/live/messages/x"), "path": "/inbox/messages/x",
                                     "value": "x", "headers": {"content-type": "text/plain"}})
    assert response["status"] in (403, 404)


# -- live commands -----------------------------------------------------------------------------------


def test_a_live_command_over_http_is_answered_by_the_device(server: Server, client: httpx.Client, thing: str) -> None:
    def answer(device: DittoSocket) -> dict[str, object]:
        command = device.receive_until(_is(topic(thing, "things/live/commands/")), 20)
        assert isinstance(command, dict)
        device.send({"topic": command["topic"], "path": command["path"], "status": 200, "value": {"live": True},
                     "headers": {"correlation-id": command["headers"]["correlation-id"],
                                 "content-type": "application/json"}})
        return command

    with open_socket(server.base_url) as device, ThreadPoolExecutor(1) as pool:
        device.control("START-SEND-LIVE-COMMANDS")
        answered = pool.submit(answer, device)

        response = client.get(f"/things/{thing}/attributes", params={"channel": "live", "timeout": "10"})

        command = answered.result()
    assert command["topic"] == topic(thing, "things/live/commands/retrieve")
    assert command["path"] == "/attributes"
    assert response.status_code == 200, response.text
    assert response.json() == {"live": True}


def test_live_events_reach_live_event_subscribers(server: Server, thing: str) -> None:
    with open_socket(server.base_url) as device, open_socket(server.base_url) as app:
        app.control("START-SEND-LIVE-EVENTS")
        device.send({"topic": topic(thing, "things/live/events/modified"), "path": "/features/lamp/properties/on",
                     "value": True, "headers": {"correlation-id": "live-1"}})

        event = app.receive_until(_is(topic(thing, "things/live/events/")))
    assert isinstance(event, dict)
    assert (event["path"], event["value"]) == ("/features/lamp/properties/on", True)


# -- acknowledgements --------------------------------------------------------------------------------


def _acknowledge_next_event(session: DittoSocket, thing: str, label: str, value: object) -> None:
    """Wait for the session's next twin event of `thing`, which must request `label`, and acknowledge it."""
    event = session.receive_until(_is(topic(thing, "things/twin/events/")), 20)
    assert isinstance(event, dict)
    assert event["headers"]["requested-acks"] == [label]
    session.send({"topic": topic(thing, f"things/twin/acks/{label}"), "path": "/", "status": 200,
                  "value": value, "headers": {"correlation-id": event["headers"]["correlation-id"]}})


def test_a_declared_label_is_acknowledged_by_the_session(server: Server, client: httpx.Client, thing: str) -> None:
    with open_socket(server.base_url, query="declared-acks=custom:processed") as session, \
            ThreadPoolExecutor(1) as pool:
        session.control("START-SEND-EVENTS")
        acked = pool.submit(_acknowledge_next_event, session, thing, "custom:processed", {"done": True})

        response = client.put(f"/things/{thing}/attributes/x", json=1,
                              headers={"requested-acks": "twin-persisted,custom:processed", "timeout": "10"})
        acked.result()
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["custom:processed"]["status"] == 200
    assert body["custom:processed"]["payload"] == {"done": True}
    assert body["twin-persisted"]["status"] == 201


def test_labels_declared_in_an_upgrade_header_are_acknowledged_by_the_session(server: Server, client: httpx.Client,
                                                                             thing: str) -> None:
    """Ditto reads `declared-acks` from the upgrade request's headers (WebSocketRoute
    readDeclaredAcknowledgementLabels reads the Ditto headers), which the query parameter only adds to
    (gateway.conf `query-params-as-headers`)."""
    headers = {**basic("ditto"), "declared-acks": '["custom:by-header"]'}
    with open_socket(server.base_url, headers=headers) as session, ThreadPoolExecutor(1) as pool:
        session.control("START-SEND-EVENTS")
        acked = pool.submit(_acknowledge_next_event, session, thing, "custom:by-header", "ok")
        response = client.put(f"/things/{thing}/attributes/h", json=1,
                              headers={"requested-acks": "custom:by-header", "timeout": "10"})
        acked.result()
    assert response.status_code == 200, response.text
    assert response.json() == "ok"


def test_the_same_declared_labels_as_header_and_query_parameter_are_taken(server: Server) -> None:
    """RootRouteHeadersStepBuilder: a query parameter that repeats its header with the same value is fine; the
    label is held (a second session declaring it is closed with 1008, as in Ditto)."""
    headers = {**basic("ditto"), "declared-acks": "custom:both"}
    with open_socket(server.base_url, query="declared-acks=custom:both", headers=headers):
        second = open_socket(server.base_url, query="declared-acks=custom:both")
        with pytest.raises(ConnectionClosed) as closed:
            second.receive(5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008


@pytest.mark.parametrize(("header", "status", "code"), [
    ("custom:other", 400, "gateway:duplicate.header.field"),  # divergent from the query parameter
    ("custom:fine,not a label", 400, "acknowledgement:label.invalid"),
    ("twin-persisted", 400, "acknowledgement:ditto.acklabel.forbidden"),
])
def test_a_bad_declared_acks_header_refuses_the_upgrade(server: Server, header: str, status: int,
                                                        code: str) -> None:
    """RootRouteHeadersStepBuilder.avoidConflictingHeaders refuses a header and a query parameter with divergent
    values (GatewayDuplicateHeaderException); the labels of the header are checked as those of the query
    parameter (AcknowledgementLabelInvalidException, DittoAcknowledgementLabelExternalUseForbiddenException)."""
    query = "declared-acks=custom:query" if code == "gateway:duplicate.header.field" else ""
    with pytest.raises(InvalidStatus) as refused:
        open_socket(server.base_url, query=query, headers={**basic("ditto"), "declared-acks": header})
    response = refused.value.response
    assert response.status_code == status
    assert orjson.loads(response.body or b"{}")["error"] == code


def test_a_session_that_filters_the_event_out_acknowledges_weakly(server: Server, client: httpx.Client,
                                                                  thing: str) -> None:
    with open_socket(server.base_url, query="declared-acks=custom:weak") as session:
        session.control("START-SEND-EVENTS?namespaces=some.other.namespace")

        response = client.put(f"/things/{thing}/attributes/z", json=1,
                              headers={"requested-acks": "twin-persisted,custom:weak", "timeout": "20"})

    assert response.status_code == 200, response.text  # at once, not after the timeout
    weak = response.json()["custom:weak"]
    assert weak["status"] == 200
    assert weak["headers"]["ditto-weak-ack"] is True


def test_an_acknowledgement_of_an_undeclared_label_is_refused(socket: DittoSocket, thing: str) -> None:
    response = socket.request({"topic": topic(thing, "things/twin/acks/custom:other"), "path": "/", "status": 200,
                               "headers": {"correlation-id": "nothing"}})

    assert response["status"] == 400
    assert response["value"]["error"] == "acknowledgement:label.not.declared"


def test_a_label_declared_twice_closes_the_second_socket(server: Server) -> None:
    with open_socket(server.base_url, query="declared-acks=custom:once"):
        second = open_socket(server.base_url, query="declared-acks=custom:once")
        with pytest.raises(ConnectionClosed) as closed:
            second.receive(5)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1008
    assert "acknowledgement:label.not.unique" in closed.value.rcvd.reason


def test_websocket_commands_can_wait_for_custom_acknowledgements(server: Server, thing: str) -> None:
    def acknowledge(session: DittoSocket) -> None:
        event = session.receive_until(_is(topic(thing, "things/twin/events/")), 20)
        assert isinstance(event, dict)
        session.send({"topic": topic(thing, "things/twin/acks/custom:seen"), "path": "/", "status": 204,
                      "headers": {"correlation-id": event["headers"]["correlation-id"]}})

    with open_socket(server.base_url, query="declared-acks=custom:seen") as watcher, \
            open_socket(server.base_url) as writer, ThreadPoolExecutor(1) as pool:
        watcher.control("START-SEND-EVENTS")
        acked = pool.submit(acknowledge, watcher)
        response = writer.request({"topic": topic(thing, "things/twin/commands/modify"), "path": "/attributes/y",
                                   "value": 2, "headers": {"requested-acks": ["twin-persisted", "custom:seen"],
                                                           "timeout": "10s"}}, timeout=20)
        acked.result()
    assert response["topic"] == topic(thing, "things/twin/acks")
    assert response["status"] == 200
    assert response["value"]["custom:seen"]["status"] == 204
    assert response["value"]["twin-persisted"]["status"] == 201


# -- search and history streams ----------------------------------------------------------------------


def test_search_as_a_reactive_stream(socket: DittoSocket, client: httpx.Client, thing_id: str) -> None:
    namespace = f"org.twinhub.search{thing_id[-6:]}"
    for index in range(5):
        client.put(f"/things/{namespace}:t{index}", json={"attributes": {"n": index}})
    socket.send({"topic": "_/_/things/twin/search/subscribe", "path": "/", "headers": {"correlation-id": "s1"},
                 "value": {"filter": "ge(attributes/n,1)", "options": "sort(+thingId),size(2)",
                           "namespaces": [namespace]}, "fields": "thingId"})
    created = socket.receive_until(_is("_/_/things/twin/search/created"))
    assert isinstance(created, dict)
    subscription = created["value"]["subscriptionId"]

    socket.send({"topic": "_/_/things/twin/search/request", "path": "/", "headers": {},
                 "value": {"subscriptionId": subscription, "demand": 10}})
    pages = []
    while True:
        frame = socket.receive_until(_is("_/_/things/twin/search/"))
        assert isinstance(frame, dict)
        if frame["topic"].endswith("/complete"):
            break
        assert frame["topic"].endswith("/next"), frame
        pages.append([item["thingId"] for item in frame["value"]["items"]])
    assert pages == [[f"{namespace}:t1", f"{namespace}:t2"], [f"{namespace}:t3", f"{namespace}:t4"]]


def test_a_search_with_invalid_rql_fails_after_created(socket: DittoSocket) -> None:
    socket.send({"topic": "_/_/things/twin/search/subscribe", "path": "/", "headers": {},
                 "value": {"filter": "eq(attributes/n"}})
    created = socket.receive_until(_is("_/_/things/twin/search/created"))
    assert isinstance(created, dict)
    socket.send({"topic": "_/_/things/twin/search/request", "path": "/", "headers": {},
                 "value": {"subscriptionId": created["value"]["subscriptionId"], "demand": 1}})

    failed = socket.receive_until(_is("_/_/things/twin/search/failed"))
    assert isinstance(failed, dict)
    assert failed["value"]["error"]["status"] == 400


def test_persisted_events_as_a_reactive_stream(socket: DittoSocket, client: httpx.Client, thing: str) -> None:
    for value in (1, 2, 3):
        client.put(f"/things/{thing}/attributes/v", json=value)
    socket.send({"topic": topic(thing, "things/twin/streaming/subscribeForPersistedEvents"), "path": "/attributes",
                 "headers": {}, "value": {"fromHistoricalRevision": 2, "toHistoricalRevision": 4}})
    created = socket.receive_until(_is(topic(thing, "things/twin/streaming/created")))
    assert isinstance(created, dict)
    socket.send({"topic": topic(thing, "things/twin/streaming/request"), "path": "/", "headers": {},
                 "value": {"subscriptionId": created["value"]["subscriptionId"], "demand": 100}})
    items = []
    while True:
        frame = socket.receive_until(_is(topic(thing, "things/twin/streaming/")))
        assert isinstance(frame, dict)
        if frame["topic"].endswith("/complete"):
            break
        items.append(frame["value"]["item"])
    assert [(item["revision"], item["value"]) for item in items] == [(2, 1), (3, 2), (4, 3)]


# -- policies ----------------------------------------------------------------------------------------


def test_policy_commands_over_the_websocket(socket: DittoSocket, thing: str) -> None:
    namespace, name = thing.split(":")
    retrieved = socket.request({"topic": f"{namespace}/{name}/policies/commands/retrieve", "path": "/entries",
                                "headers": {}})
    assert retrieved["status"] == 200
    assert "DEFAULT" in retrieved["value"]

    entry = {"subjects": {"nginx:bob": {"type": "basic"}},
             "resources": {"thing:/attributes": {"grant": ["READ"], "revoke": []}}}
    modified = socket.request({"topic": f"{namespace}/{name}/policies/commands/modify", "path": "/entries/bob",
                               "value": entry, "headers": {}})
    assert modified["status"] == 201

    conflict = socket.request({"topic": f"{namespace}/{name}/policies/commands/create", "path": "/",
                               "value": {"entries": {}}, "headers": {}})
    assert conflict["status"] in (409, 412)
