"""`/ws/2` over a real socket: control messages, twin commands and responses, events filtered by policy,
errors, authentication and the bounded buffer."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import orjson
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.api.websocket import DittoSocket, basic, open_socket, topic
from twinhub.testing import Server


def _is_event(thing_id: str) -> Callable[[object], bool]:
    return lambda frame: isinstance(frame, dict) and frame["topic"].startswith(topic(thing_id, "things/twin/events/"))


# -- control messages ------------------------------------------------------------------------------


@pytest.mark.parametrize("stream", ["EVENTS", "MESSAGES", "LIVE-COMMANDS", "LIVE-EVENTS", "POLICY-ANNOUNCEMENTS"])
def test_every_start_and_stop_is_acknowledged(socket: DittoSocket, stream: str) -> None:
    socket.send_text(f"START-SEND-{stream}")
    assert socket.receive() == f"START-SEND-{stream}:ACK"
    socket.send_text(f"STOP-SEND-{stream}")
    assert socket.receive() == f"STOP-SEND-{stream}:ACK"


def test_start_with_parameters_is_acknowledged_by_its_name(socket: DittoSocket) -> None:
    socket.send_text("START-SEND-EVENTS?namespaces=org.twinhub.test&filter=gt(attributes/counter,42)&extraFields=attributes")

    assert socket.receive() == "START-SEND-EVENTS:ACK"


def test_an_invalid_filter_is_refused_with_a_ditto_error_and_no_ack(socket: DittoSocket) -> None:
    socket.send_text("START-SEND-EVENTS?filter=gt(attributes/counter")

    frame = socket.receive()
    assert isinstance(frame, dict)
    assert frame["status"] == 400
    assert frame["value"]["error"] == "rql.expression.invalid"
    assert frame["topic"].endswith("/errors")


def test_an_unknown_control_message_gets_an_error(socket: DittoSocket) -> None:
    socket.send_text("START-SEND-EVERYTHING")

    frame = socket.receive()
    assert isinstance(frame, dict)
    assert frame["status"] == 400
    assert frame["value"]["error"] == "gateway:websocket.message.invalid"


# -- authentication --------------------------------------------------------------------------------


def test_an_unauthenticated_upgrade_is_refused(server: Server) -> None:
    with pytest.raises(InvalidStatus) as refused:
        open_socket(server.base_url, headers={})
    assert refused.value.response.status_code in (401, 403)


def test_the_session_acts_as_its_user(server: Server, thing_id: str) -> None:
    with open_socket(server.base_url, "alice") as alice:
        created = alice.request({"topic": topic(thing_id, "things/twin/commands/create"), "path": "/",
                                 "value": {"attributes": {"owner": "alice"}}, "headers": {}})
        assert created["status"] == 201
    policy = httpx.get(f"{server.base_url}/api/2/policies/{thing_id}", headers=basic("alice")).json()
    assert "nginx:alice" in policy["entries"]["DEFAULT"]["subjects"]


# -- twin commands ---------------------------------------------------------------------------------


def test_create_retrieve_modify_merge_delete_round_trip(socket: DittoSocket, thing_id: str) -> None:
    created = socket.request({"topic": topic(thing_id, "things/twin/commands/create"), "path": "/",
                              "value": {"attributes": {"on": False}}, "headers": {}})
    assert created["status"] == 201
    assert created["topic"] == topic(thing_id, "things/twin/commands/create")
    assert created["value"]["thingId"] == thing_id

    modified = socket.request({"topic": topic(thing_id, "things/twin/commands/modify"), "path": "/attributes/on",
                               "value": True, "headers": {}})
    assert modified["status"] == 204
    assert "value" not in modified

    merged = socket.request({"topic": topic(thing_id, "things/twin/commands/merge"), "path": "/attributes",
                             "value": {"room": "kitchen"}, "headers": {"content-type": "application/merge-patch+json"}})
    assert merged["status"] == 204

    retrieved = socket.request({"topic": topic(thing_id, "things/twin/commands/retrieve"), "path": "/attributes",
                                "headers": {}})
    assert retrieved["status"] == 200
    assert retrieved["value"] == {"on": True, "room": "kitchen"}
    assert retrieved["path"] == "/attributes"

    deleted = socket.request({"topic": topic(thing_id, "things/twin/commands/delete"), "path": "/", "headers": {}})
    assert deleted["status"] == 204
    gone = socket.request({"topic": topic(thing_id, "things/twin/commands/retrieve"), "path": "/", "headers": {}})
    assert gone["status"] == 404
    assert gone["value"]["error"] == "things:thing.notfound"


def test_create_of_an_existing_thing_is_a_conflict(socket: DittoSocket, thing_id: str) -> None:
    command = {"topic": topic(thing_id, "things/twin/commands/create"), "path": "/", "value": {}, "headers": {}}
    assert socket.request(dict(command, headers={}))["status"] == 201

    conflict = socket.request(dict(command, headers={}))

    assert conflict["status"] == 409
    assert conflict["value"]["error"] == "things:thing.conflict"


def test_modify_at_the_root_creates_then_replaces(socket: DittoSocket, thing_id: str) -> None:
    command = {"topic": topic(thing_id, "things/twin/commands/modify"), "path": "/", "value": {"attributes": {}}}
    assert socket.request(dict(command, headers={}))["status"] == 201
    assert socket.request(dict(command, headers={}))["status"] == 204


def test_retrieve_with_fields(socket: DittoSocket, thing_id: str) -> None:
    socket.request({"topic": topic(thing_id, "things/twin/commands/create"), "path": "/",
                    "value": {"attributes": {"a": 1, "b": 2}}, "headers": {}})

    retrieved = socket.request({"topic": topic(thing_id, "things/twin/commands/retrieve"), "path": "/",
                                "fields": "thingId,attributes/a", "headers": {}})

    assert retrieved["value"] == {"thingId": thing_id, "attributes": {"a": 1}}


def test_retrieve_many_things_skips_unknown_ones(socket: DittoSocket, thing_id: str) -> None:
    socket.request({"topic": topic(thing_id, "things/twin/commands/create"), "path": "/", "value": {},
                    "headers": {}})
    namespace = thing_id.split(":")[0]

    retrieved = socket.request({"topic": f"{namespace}/_/things/twin/commands/retrieve", "path": "/",
                                "value": {"thingIds": [thing_id, f"{namespace}:missing"]}, "headers": {}})

    assert retrieved["status"] == 200
    assert [thing["thingId"] for thing in retrieved["value"]] == [thing_id]


def test_response_required_false_gets_no_response(socket: DittoSocket, thing_id: str) -> None:
    socket.send({"topic": topic(thing_id, "things/twin/commands/create"), "path": "/", "value": {},
                 "headers": {"correlation-id": "quiet", "response-required": False}})

    assert socket.no_frame(1.0)
    assert socket.request({"topic": topic(thing_id, "things/twin/commands/retrieve"), "path": "/",
                           "headers": {}})["value"]["thingId"] == thing_id


def test_if_match_mismatch_is_412(socket: DittoSocket, thing_id: str) -> None:
    socket.request({"topic": topic(thing_id, "things/twin/commands/create"), "path": "/", "value": {},
                    "headers": {}})

    failed = socket.request({"topic": topic(thing_id, "things/twin/commands/modify"), "path": "/attributes",
                             "value": {}, "headers": {"if-match": '"rev:99"'}})

    assert failed["status"] == 412


# -- bad input -------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ['{"topic": ', '{"topic": 1, "path": "/"}', '{"path": "/", "headers": {}}',
                                  '{"topic": "a/b/things/twin/commands/jump", "path": "/", "headers": {}}',
                                  '{"topic": "a/b/c", "path": "/", "headers": {}}'])
def test_malformed_messages_get_a_400_and_the_session_goes_on(socket: DittoSocket, text: str, thing_id: str) -> None:
    socket.send_text(text)

    frame = socket.receive()
    assert isinstance(frame, dict)
    assert frame["status"] == 400, frame
    assert socket.request({"topic": topic(thing_id, "things/twin/commands/create"), "path": "/", "value": {},
                           "headers": {}})["status"] == 201


def _nested(levels: int) -> str:
    return "[" * levels + "1" + "]" * levels


def _command(thing_id: str, action: str, path: str, value: object) -> dict[str, object]:
    return {"topic": topic(thing_id, f"things/twin/commands/{action}"), "path": path, "headers": {}, "value": value}


def test_a_value_nested_deeper_than_the_limit_is_json_invalid_and_the_session_goes_on(socket: DittoSocket,
                                                                                       thing_id: str) -> None:
    create = f'{{"topic":"{topic(thing_id, "things/twin/commands/create")}","path":"/","headers":{{}},"value":'
    # The whole message: the thing and its attributes are two of the 100 levels a thing may nest.
    socket.send_text(create + '{"attributes":{"x":' + _nested(99) + "}}}")
    frame = socket.receive()
    assert isinstance(frame, dict)
    assert (frame["status"], frame["value"]["error"]) == (400, "json.invalid"), frame
    socket.send_text(create + '{"attributes":{"x":' + _nested(900) + "}}}")
    frame = socket.receive()
    assert isinstance(frame, dict)
    assert (frame["status"], frame["value"]["error"]) == (400, "json.invalid"), frame
    # The session goes on; below the root the limit counts from the thing's root too.
    assert socket.request(_command(thing_id, "create", "/", {"attributes": {"x": orjson.loads(_nested(98))}})
                          )["status"] == 201
    refused = socket.request(_command(thing_id, "modify", "/attributes/y", orjson.loads(_nested(99))))
    assert (refused["status"], refused["value"]["error"]) == (400, "json.invalid")
    assert socket.request(_command(thing_id, "modify", "/attributes/y", orjson.loads(_nested(98))))["status"] == 201


def test_errors_keep_the_correlation_id(socket: DittoSocket) -> None:
    frame = socket.request({"topic": "org.twinhub.test/missing/things/twin/commands/retrieve", "path": "/",
                            "headers": {"correlation-id": "mine"}})

    assert frame["status"] == 404
    assert frame["headers"]["correlation-id"] == "mine"
    assert frame["topic"] == "org.twinhub.test/missing/things/twin/errors"


def test_an_invalid_thing_id_is_a_400(socket: DittoSocket) -> None:
    frame = socket.request({"topic": "org.twinhub.test/bad\u0001name/things/twin/commands/retrieve", "path": "/",
                            "headers": {}})

    assert frame["status"] == 400


def test_an_oversize_message_is_refused(server: Server) -> None:
    with open_socket(server.base_url, max_size=None) as socket:
        socket.send({"topic": "org.twinhub.test/big/things/twin/commands/create", "path": "/",
                     "value": {"attributes": {"blob": "x" * 2_000_000}}, "headers": {}})
        frame = socket.receive()
    assert isinstance(frame, dict)
    assert frame["status"] in (400, 413)


# -- events ----------------------------------------------------------------------------------------


def test_events_of_http_writes_reach_the_session(socket: DittoSocket, client: httpx.Client, thing_id: str) -> None:
    socket.control("START-SEND-EVENTS")

    client.put(f"/things/{thing_id}", json={"attributes": {"on": False}}, headers={"correlation-id": "from-http"})
    client.put(f"/things/{thing_id}/attributes/on", json=True)

    created = socket.receive_until(_is_event(thing_id))
    assert isinstance(created, dict)
    assert created["topic"] == topic(thing_id, "things/twin/events/created")
    assert created["path"] == "/"
    assert created["value"]["attributes"] == {"on": False}
    assert created["revision"] == 1
    assert created["headers"]["correlation-id"] == "from-http"
    modified = socket.receive_until(_is_event(thing_id))
    assert isinstance(modified, dict)
    assert modified["topic"] == topic(thing_id, "things/twin/events/modified")
    assert (modified["path"], modified["value"], modified["revision"]) == ("/attributes/on", True, 2)
    assert "timestamp" in modified


def test_events_are_reduced_to_what_the_subscriber_may_read(server: Server, client: httpx.Client,
                                                          thing_id: str) -> None:
    policy = {"entries": {
        "owner": {"subjects": {"nginx:ditto": {"type": "basic"}},
                  "resources": {"thing:/": {"grant": ["READ", "WRITE"], "revoke": []},
                                "policy:/": {"grant": ["READ", "WRITE"], "revoke": []}}},
        "lamp-reader": {"subjects": {"nginx:bob": {"type": "basic"}},
                        "resources": {"thing:/features/lamp": {"grant": ["READ"], "revoke": []}}}}}
    client.put(f"/things/{thing_id}", json={"_policy": policy, "features": {"lamp": {"properties": {"on": False}}}})
    with open_socket(server.base_url, "bob") as bob, open_socket(server.base_url, "eve") as eve:
        bob.control("START-SEND-EVENTS")
        eve.control("START-SEND-EVENTS")

        client.patch(f"/things/{thing_id}", json={"attributes": {"secret": 1}, "features": {"lamp": {
            "properties": {"on": True}}}}, headers={"Content-Type": "application/merge-patch+json"})
        client.put(f"/things/{thing_id}/attributes/secret", json=2)
        client.put(f"/things/{thing_id}/features/lamp/properties/on", json=False)

        merged = bob.receive_until(_is_event(thing_id))
        assert isinstance(merged, dict)
        assert merged["topic"].endswith("/events/merged")
        assert merged["value"] == {"features": {"lamp": {"properties": {"on": True}}}}
        lamp = bob.receive_until(_is_event(thing_id))
        assert isinstance(lamp, dict)
        assert (lamp["path"], lamp["value"]) == ("/features/lamp/properties/on", False)  # the secret was skipped
        assert eve.no_frame(1.0)


def test_events_filtered_by_namespace_and_rql(socket: DittoSocket, client: httpx.Client, thing_id: str) -> None:
    namespace = thing_id.split(":")[0]
    socket.control(f"START-SEND-EVENTS?namespaces={namespace}&filter=gt(attributes/counter,42)")

    client.put(f"/things/other.namespace:{thing_id.split(':')[1]}", json={"attributes": {"counter": 100}})
    client.put(f"/things/{thing_id}", json={"attributes": {"counter": 1}})
    client.put(f"/things/{thing_id}/attributes/counter", json=43)

    event = socket.receive_until(lambda frame: isinstance(frame, dict) and "events" in frame["topic"])
    assert isinstance(event, dict)
    assert event["topic"] == topic(thing_id, "things/twin/events/modified")
    assert event["value"] == 43


def test_extra_fields_enrich_events(socket: DittoSocket, client: httpx.Client, thing_id: str) -> None:
    socket.control("START-SEND-EVENTS?extraFields=attributes/room")

    client.put(f"/things/{thing_id}", json={"attributes": {"room": "kitchen"}, "features": {"f": {}}})
    client.put(f"/things/{thing_id}/features/f/properties", json={"p": 1})

    socket.receive_until(_is_event(thing_id))
    event = socket.receive_until(_is_event(thing_id))
    assert isinstance(event, dict)
    assert event["extra"] == {"attributes": {"room": "kitchen"}}


def test_stop_send_events_stops_them(socket: DittoSocket, client: httpx.Client, thing_id: str) -> None:
    socket.control("START-SEND-EVENTS")
    socket.control("STOP-SEND-EVENTS")

    client.put(f"/things/{thing_id}", json={})

    assert socket.no_frame(1.0)


def test_websocket_writes_reach_other_sessions(server: Server, socket: DittoSocket, thing_id: str) -> None:
    with open_socket(server.base_url) as watcher:
        watcher.control("START-SEND-EVENTS")
        socket.request({"topic": topic(thing_id, "things/twin/commands/create"), "path": "/", "value": {},
                        "headers": {"correlation-id": "ws-create"}})

        event = watcher.receive_until(_is_event(thing_id))
    assert isinstance(event, dict)
    assert event["headers"]["correlation-id"] == "ws-create"


# -- back-pressure ---------------------------------------------------------------------------------


_CUT_OFF = "closing a WebSocket session (1013)"


def test_a_client_that_does_not_read_is_cut_off_and_others_go_on(server: Server, client: httpx.Client,
                                                                  thing_id: str) -> None:
    slow = open_socket(server.base_url, max_queue=1)
    slow.control("START-SEND-EVENTS")
    blob = "x" * 60_000
    awaited = [10**9]  # the revision the healthy client must see, once the writes are done

    def reached(frame: object) -> bool:
        return isinstance(frame, dict) and isinstance(frame.get("revision"), int) and frame["revision"] >= awaited[0]

    with open_socket(server.base_url) as healthy, ThreadPoolExecutor(1) as reader:
        healthy.control(f"START-SEND-EVENTS?namespaces={thing_id.split(':')[0]}")
        last = reader.submit(healthy.receive_until, reached, 120)
        client.put(f"/things/{thing_id}", json={"attributes": {"blob": ""}})
        cut_offs = server.log().count(_CUT_OFF)
        for index in range(1200):
            assert client.put(f"/things/{thing_id}/attributes/blob", json=f"{index}{blob}").status_code == 204
            if index % 20 == 0 and server.log().count(_CUT_OFF) > cut_offs:
                break
        else:
            pytest.fail("the client that does not read was never cut off")
        # The server gives the slow client CLOSE_WAIT to take its close frame: read it now, before more
        # writes on a loaded machine use that time up.
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                slow.connection.recv(timeout=30)
        awaited[0] = index + 3  # creation is revision 1, the writes so far 2 .. index + 2, and one more:
        assert client.put(f"/things/{thing_id}/attributes/blob", json="last").status_code == 204
        assert last.result()["revision"] == index + 3  # type: ignore[index]  # the healthy one saw them all
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1013
    assert "buffer.overflow" in closed.value.rcvd.reason


def test_a_session_does_not_receive_the_events_of_its_own_commands(server: Server, socket: DittoSocket,
                                                                   thing_id: str) -> None:
    socket.control("START-SEND-EVENTS")
    with open_socket(server.base_url) as other:
        other.control("START-SEND-EVENTS")
        socket.request({"topic": topic(thing_id, "things/twin/commands/create"), "path": "/", "value": {},
                        "headers": {"correlation-id": "mine"}})

        seen_by_other = other.receive_until(_is_event(thing_id))
    assert isinstance(seen_by_other, dict)
    assert "ditto-origin" not in seen_by_other["headers"]  # which session it was is not shown
    assert socket.no_frame(1.0)  # Ditto's same-origin rule: the response, not the event
