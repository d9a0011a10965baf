"""The zero-setup device endpoint (issue 12 item 7) on a real server process, with a real MQTT client:
`twinhub serve --mqtt-port 0` with basic users and devices (no dev mode), telemetry into twins, messages to
devices and their answers back to HTTP callers, and the bad paths."""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import paho.mqtt.client as paho
import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST

from tests.connectivity.device_mqtt import WAIT, Device
from twinhub.auth import hash_password
from twinhub.connectivity.device.client import DEFAULT_MAX_SUBSCRIPTIONS
from twinhub.store.sqlite.devices import SqliteDeviceStore
from twinhub.store.sqlite.users import SqliteUserStore
from twinhub.testing import Server, running_server

pytestmark = pytest.mark.xdist_group(__name__)

HASHER = PasswordHasher.from_parameters(CHEAPEST)  # the server verifies any argon2 hash by its own parameters
ADMIN = ("admin", "admin-password")
DEVICE_PASSWORD = "device-password"


@dataclass
class Endpoint:
    server: Server
    http: httpx.Client

    @property
    def port(self) -> int:
        return self.server.mqtt_port

    def device(self, thing_id: str, password: str = DEVICE_PASSWORD) -> Device:
        SqliteDeviceStore(self.server.data_dir / "things.db").add_device_sync(
            thing_id, hash_password(DEVICE_PASSWORD, hasher=HASHER))
        device = Device(self.port, thing_id, password, client_id=f"test-{uuid.uuid4().hex[:8]}")
        assert device.wait_connected() == 0
        return device

    def create_thing(self, thing_id: str, device_grants: list[str], **thing: object) -> None:
        policy = {"entries": {
            "ADMIN": {"subjects": {"nginx:admin": {"type": "user"}},
                      "resources": {"thing:/": {"grant": ["READ", "WRITE"], "revoke": []},
                                    "policy:/": {"grant": ["READ", "WRITE"], "revoke": []},
                                    "message:/": {"grant": ["READ", "WRITE"], "revoke": []}}},
            "DEVICE": {"subjects": {f"device:{thing_id}": {"type": "device"}},
                       "resources": {"thing:/": {"grant": device_grants, "revoke": []},
                                     "message:/": {"grant": ["READ"], "revoke": []}}}}}
        response = self.http.put(f"/things/{thing_id}", json={"_policy": policy, **thing})
        assert response.status_code == 201, response.text


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoint]:
    data_dir = tmp_path_factory.mktemp("devices") / "data"
    data_dir.mkdir()
    SqliteUserStore(data_dir / "things.db").set_user_sync(ADMIN[0], hash_password(ADMIN[1], hasher=HASHER))
    with running_server(data_dir, args=("--mqtt-port", "0"), env={"TWINHUB_ADMIN_SUBJECTS": "nginx:admin"}) as server, \
            httpx.Client(base_url=server.base_url + "/api/2", auth=ADMIN, timeout=30) as http:
        yield Endpoint(server, http)


@pytest.fixture
def thing_id() -> str:
    return f"org.example.devices:{uuid.uuid4().hex[:12]}"


def test_telemetry_is_committed_before_its_puback(endpoint: Endpoint, thing_id: str) -> None:
    endpoint.create_thing(thing_id, ["READ", "WRITE"])
    with endpoint.device(thing_id) as device:
        for reading in range(5):
            info = device.publish(f"devices/{thing_id}/telemetry", json.dumps({"temperature": 20 + reading,
                                                                               "door": {"open": reading % 2 == 1}}))
            assert info.is_published()
            # Read right after the PUBACK, no waiting: the acknowledgement came after the commit.
            features = endpoint.http.get(f"/things/{thing_id}/features").json()
            assert features == {"temperature": {"properties": {"value": 20 + reading}},
                                "door": {"properties": {"value": {"open": reading % 2 == 1}}}}


def test_a_device_without_write_is_refused_and_the_twin_is_unchanged(endpoint: Endpoint, thing_id: str) -> None:
    endpoint.create_thing(thing_id, ["READ"], attributes={"kept": True})
    with endpoint.device(thing_id) as device:
        assert device.subscribe(f"devices/{thing_id}/errors") == 1
        # MQTT 3.1.1 has no negative acknowledgement: the refused message is acknowledged and dropped ...
        assert device.publish(f"devices/{thing_id}/telemetry", '{"temperature": 99}').is_published()
        # ... and the device is told why, as Ditto would tell a WebSocket client.
        error = json.loads(device.next_message().payload)
        assert error["status"] == 403 and error["value"]["error"] == "things:thing.notmodifiable"
        assert endpoint.http.get(f"/things/{thing_id}").json() == {
            "thingId": thing_id, "policyId": thing_id, "attributes": {"kept": True}}


def test_a_device_may_use_only_its_own_topics(endpoint: Endpoint, thing_id: str) -> None:
    other = f"{thing_id}-other"
    endpoint.create_thing(thing_id, ["READ", "WRITE"])
    endpoint.create_thing(other, ["READ", "WRITE"])
    with endpoint.device(thing_id) as device:
        assert device.subscribe(f"devices/{other}/commands") == 0x80
        assert device.subscribe(f"devices/{thing_id}/telemetry") == 0x80  # inbound topics take no subscribers
        assert device.subscribe("devices/+/commands") == 0x80
        assert device.publish(f"devices/{other}/telemetry", '{"stolen": 1}').is_published()
        assert device.publish("some/other/topic", '{"x": 1}').is_published()
        assert device.publish(f"devices/{thing_id}/telemetry", '{"own": 1}').is_published()
        assert "features" not in endpoint.http.get(f"/things/{other}").json()
        assert endpoint.http.get(f"/things/{thing_id}/features").json() == {"own": {"properties": {"value": 1}}}


def test_wrong_credentials_and_mqtt_5_are_refused_at_connect(endpoint: Endpoint, thing_id: str) -> None:
    endpoint.device(thing_id).close()
    wrong = Device(endpoint.port, thing_id, "wrong")
    assert wrong.wait_connected() == "Not authorized"
    wrong.close()
    user = Device(endpoint.port, ADMIN[0], "wrong")
    assert user.wait_connected() == "Not authorized"
    user.close()
    anonymous = Device(endpoint.port, "")
    assert anonymous.wait_connected() == "Not authorized"
    anonymous.close()
    mqtt5 = Device(endpoint.port, thing_id, DEVICE_PASSWORD, protocol=paho.MQTTv5)
    assert mqtt5.wait_connected() != 0  # amqtt speaks MQTT 3.1.1 only: CONNACK 1, which paho's MQTT 5 ends on
    assert not mqtt5.connected.is_set()
    mqtt5.close()


def test_a_basic_user_publishes_as_its_policy_allows(endpoint: Endpoint, thing_id: str) -> None:
    endpoint.create_thing(thing_id, ["READ"])
    with Device(endpoint.port, *ADMIN) as gateway:
        assert gateway.wait_connected() == 0
        assert gateway.publish(f"devices/{thing_id}/telemetry", '{"level": 3}').is_published()
        assert endpoint.http.get(f"/things/{thing_id}/features").json() == {"level": {"properties": {"value": 3}}}


def test_inbox_messages_reach_the_device_and_its_answer_reaches_the_caller(endpoint: Endpoint, thing_id: str) -> None:
    endpoint.create_thing(thing_id, ["READ", "WRITE"])
    with endpoint.device(thing_id) as device:
        assert device.subscribe(f"devices/{thing_id}/commands") == 1
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            asked = pool.submit(endpoint.http.post, f"/things/{thing_id}/inbox/messages/switch",
                                json={"on": True}, params={"timeout": "10"})
            command = device.next_message()
            assert command.topic == f"devices/{thing_id}/commands"
            envelope = json.loads(command.payload)
            namespace, name = thing_id.split(":")
            assert envelope["topic"] == f"{namespace}/{name}/things/live/messages/switch"
            assert envelope["path"] == "/inbox/messages/switch" and envelope["value"] == {"on": True}
            response = {"topic": envelope["topic"], "path": "/outbox/messages/switch", "status": 200,
                        "headers": {"correlation-id": envelope["headers"]["correlation-id"],
                                    "content-type": "application/json"},
                        "value": {"switched": "on"}}
            assert device.publish(f"devices/{thing_id}/responses", json.dumps(response)).is_published()
            answer = asked.result(timeout=15)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"switched": "on"}


def test_messages_for_a_device_that_did_not_subscribe_time_out(endpoint: Endpoint, thing_id: str) -> None:
    endpoint.create_thing(thing_id, ["READ", "WRITE"])
    with endpoint.device(thing_id) as device:
        answer = endpoint.http.post(f"/things/{thing_id}/inbox/messages/switch", json={}, params={"timeout": "1"})
        assert answer.status_code == 408
        assert device.messages.empty()


@pytest.mark.parametrize(("payload", "error"), [
    (b"not json", "json.invalid"), (b"[1, 2]", "json.invalid"), (b'"text"', "json.invalid"),
    (b"\xff\xfe", "json.invalid"), (b"[" * 5000 + b"]" * 5000, "json.invalid"),
    (b'{"a/b": 1}', "things:json.key.invalid"), (b"{}", None),
])
def test_malformed_telemetry_is_refused_and_the_connection_goes_on(endpoint: Endpoint, thing_id: str,
                                                                    payload: bytes, error: str | None) -> None:
    endpoint.create_thing(thing_id, ["READ", "WRITE"])
    with endpoint.device(thing_id) as device:
        assert device.subscribe(f"devices/{thing_id}/errors") == 1
        assert device.publish(f"devices/{thing_id}/telemetry", payload).is_published()
        if error is not None:
            refusal = json.loads(device.next_message().payload)
            assert refusal["status"] == 400 and refusal["value"]["error"] == error, refusal
        assert device.publish(f"devices/{thing_id}/telemetry", '{"after": 1}').is_published()
        assert endpoint.http.get(f"/things/{thing_id}/features").json() == {"after": {"properties": {"value": 1}}}
        assert not device.disconnected.is_set()
        assert device.messages.empty()


def test_an_oversize_packet_closes_the_connection_unread(endpoint: Endpoint, thing_id: str) -> None:
    endpoint.create_thing(thing_id, ["READ", "WRITE"])
    with endpoint.device(thing_id) as device:
        device.client.publish(f"devices/{thing_id}/telemetry", b"{" + b" " * (2 * 1024 * 1024) + b"}", qos=1)
        assert device.disconnected.wait(15)
        assert "features" not in endpoint.http.get(f"/things/{thing_id}").json()
    again = endpoint.device(thing_id)  # the endpoint itself is fine
    assert again.publish(f"devices/{thing_id}/telemetry", '{"ok": 1}').is_published()
    again.close()


def test_qos_2_telemetry_is_committed_before_its_pubrec(endpoint: Endpoint, thing_id: str) -> None:
    endpoint.create_thing(thing_id, ["READ", "WRITE"])
    with endpoint.device(thing_id) as device:
        assert device.publish(f"devices/{thing_id}/telemetry", '{"level": 2}', qos=2).is_published()
        assert endpoint.http.get(f"/things/{thing_id}/features").json() == {"level": {"properties": {"value": 2}}}


def test_another_subject_cannot_take_over_a_persistent_session(endpoint: Endpoint, thing_id: str) -> None:
    endpoint.create_thing(thing_id, ["READ", "WRITE"])
    endpoint.device(thing_id).close()  # registered
    with Device(endpoint.port, thing_id, DEVICE_PASSWORD, client_id=f"shared-{thing_id}", clean_session=False) as owner:
        assert owner.wait_connected() == 0
        intruder = Device(endpoint.port, *ADMIN, client_id=f"shared-{thing_id}", clean_session=False)
        assert intruder.wait_connected() == "Not authorized"
        intruder.close()
        assert owner.publish(f"devices/{thing_id}/telemetry", '{"still": "mine"}').is_published()
        assert not owner.disconnected.is_set()


def mqtt_string(text: str) -> bytes:
    data = text.encode()
    return len(data).to_bytes(2, "big") + data


def mqtt_packet(first_byte: int, body: bytes) -> bytes:
    length, encoded = len(body), bytearray()
    while True:
        byte, length = length % 128, length // 128
        encoded.append(byte | (0x80 if length else 0))
        if not length:
            return bytes([first_byte]) + bytes(encoded) + body


def test_a_device_that_stops_reading_its_commands_is_disconnected(endpoint: Endpoint, thing_id: str) -> None:
    endpoint.create_thing(thing_id, ["READ", "WRITE"])
    endpoint.device(thing_id).close()  # registered
    dropped = f"closing the MQTT connection of device:{thing_id}"
    with socket.create_connection(("127.0.0.1", endpoint.port), timeout=30) as stuck:
        flags_clean_user_password = 0xC2
        stuck.sendall(mqtt_packet(0x10, mqtt_string("MQTT") + bytes([4, flags_clean_user_password, 0, 60])
                                  + mqtt_string("stuck") + mqtt_string(thing_id) + mqtt_string(DEVICE_PASSWORD)))
        assert stuck.recv(4) == b"\x20\x02\x00\x00"  # CONNACK, accepted
        stuck.sendall(mqtt_packet(0x82, b"\x00\x01" + mqtt_string(f"devices/{thing_id}/commands") + b"\x00"))
        assert stuck.recv(5) == b"\x90\x03\x00\x01\x00"  # SUBACK, QoS 0
        # Fire-and-forget messages (timeout 0) the client never reads, until the endpoint gives up on it: its
        # session's buffer (4 MiB) fills once the socket's are full.
        sent = 0
        while dropped not in endpoint.server.log():
            response = endpoint.http.post(f"/things/{thing_id}/inbox/messages/fill", json={"blob": "x" * 500_000},
                                          params={"timeout": "0"})
            assert response.status_code == 202
            sent += 1
            assert sent < 200, "the endpoint kept a client that read nothing"
        # What the kernel still held for it arrives, then the end of the connection (or its reset).
        with contextlib.suppress(ConnectionResetError):
            while stuck.recv(1 << 20):
                pass
    assert httpx.get(f"{endpoint.server.base_url}/health").status_code == 200


def test_a_device_s_messages_are_applied_in_the_order_they_came(endpoint: Endpoint, thing_id: str) -> None:
    endpoint.create_thing(thing_id, ["READ", "WRITE"])
    with endpoint.device(thing_id) as device:
        # Many in flight at once (paho sends up to 20 before it waits for a PUBACK).
        infos = [device.client.publish(f"devices/{thing_id}/telemetry", json.dumps({"n": n}), qos=1)
                 for n in range(200)]
        for info in infos:
            info.wait_for_publish(30)
            assert info.is_published()
        assert endpoint.http.get(f"/things/{thing_id}/features/n/properties/value").json() == 199
        revision = endpoint.http.get(f"/things/{thing_id}", params={"fields": "_revision"}).json()["_revision"]
        assert revision == 201  # created, then each message once


def test_a_malformed_response_is_refused_and_an_unsubscribed_device_gets_no_commands(endpoint: Endpoint,
                                                                                     thing_id: str) -> None:
    endpoint.create_thing(thing_id, ["READ", "WRITE"])
    with endpoint.device(thing_id) as device:
        assert device.subscribe(f"devices/{thing_id}/errors") == 1
        for response in (b"nonsense", b'{"topic": "other/thing/things/live/messages/x", "status": 200}', b"{}"):
            assert device.publish(f"devices/{thing_id}/responses", response).is_published()
            assert json.loads(device.next_message().payload)["value"]["error"] == "json.invalid"
        assert device.subscribe(f"devices/{thing_id}/commands") == 1
        device.unsubscribe(f"devices/{thing_id}/commands")
        answer = endpoint.http.post(f"/things/{thing_id}/inbox/messages/x", json={}, params={"timeout": "1"})
        assert answer.status_code == 408
        assert device.messages.empty()


def test_telemetry_for_an_unknown_thing_creates_it_for_the_device_and_the_admins(endpoint: Endpoint,
                                                                               thing_id: str) -> None:
    with endpoint.device(thing_id) as device:
        assert device.publish(f"devices/{thing_id}/telemetry", '{"temperature": 7}').is_published()
        assert device.publish(f"devices/{thing_id}/telemetry", '{"temperature": 8}').is_published()
    assert endpoint.http.get(f"/things/{thing_id}").json() == {
        "thingId": thing_id, "policyId": thing_id, "features": {"temperature": {"properties": {"value": 8}}}}
    entries = endpoint.http.get(f"/policies/{thing_id}/entries").json()
    assert list(entries["DEVICE"]["subjects"]) == [f"device:{thing_id}"]
    assert "policy:/" not in entries["DEVICE"]["resources"]  # the admins manage it
    assert list(entries["ADMIN"]["subjects"]) == ["nginx:admin"]


def test_telemetry_too_large_for_a_thing_is_refused_not_left_unanswered(endpoint: Endpoint, thing_id: str) -> None:
    endpoint.create_thing(thing_id, ["READ", "WRITE"])
    with endpoint.device(thing_id) as device:
        assert device.subscribe(f"devices/{thing_id}/errors") == 1
        many_keys = json.dumps({f"k{n}": 1 for n in range(90_000)}, separators=(",", ":"))  # ~1 MB, 5 x as features
        assert len(many_keys) < 1024 * 1024
        assert device.publish(f"devices/{thing_id}/telemetry", many_keys).is_published()
        refusal = json.loads(device.next_message().payload)
        assert refusal["status"] == 413, refusal
        assert not device.disconnected.is_set()
        assert "features" not in endpoint.http.get(f"/things/{thing_id}").json()


def test_refused_subscriptions_do_not_cost_a_device_the_qos_of_its_later_ones(endpoint: Endpoint,
                                                                               thing_id: str) -> None:
    endpoint.create_thing(thing_id, ["READ", "WRITE"])
    with endpoint.device(thing_id) as device:
        # More refused topics (other things') in one SUBSCRIBE than the endpoint keeps requests for.
        others = [(f"devices/{thing_id}-{n}/commands", 1) for n in range(DEFAULT_MAX_SUBSCRIPTIONS + 1)]
        device.client.subscribe(others)
        codes = device.granted.get(timeout=WAIT)
        assert len(codes) == len(others) and all(code == 0x80 for code in codes)
        assert device.subscribe(f"devices/{thing_id}/commands") == 1
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            asked = pool.submit(endpoint.http.post, f"/things/{thing_id}/inbox/messages/ping", json={},
                                params={"timeout": "1"})
            assert device.next_message().qos == 1  # as subscribed
            assert asked.result(timeout=15).status_code == 408  # nobody answers
