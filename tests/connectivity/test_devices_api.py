"""The devices API (`/api/2/devices`) on a real server process with the MQTT device endpoint, on each store:
what it issues logs in over MQTT, what it changes or removes no longer does, paging, who may, and the bad
requests (`twinhub serve --mqtt-port 0`, basic users, no dev mode; and `--dev`)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST

from tests.api.helpers import assert_error
from tests.connectivity.device_mqtt import Device
from tests.integration.services import psql, store_settings
from twinhub.auth import hash_password
from twinhub.store.sqlite.users import SqliteUserStore
from twinhub.testing import Server, running_server

pytestmark = pytest.mark.xdist_group(__name__)

HASHER = PasswordHasher.from_parameters(CHEAPEST)
ADMIN = ("admin", "admin-password")
OTHER = ("other", "other-password")


@dataclass
class Registry:
    server: Server
    http: httpx.Client  # as the admin

    def login(self, device_id: str, password: str) -> object:
        """The CONNACK's return code of an MQTT login as the device (0: accepted)."""
        device = Device(self.server.mqtt_port, device_id, password, client_id=f"test-{uuid.uuid4().hex[:8]}")
        try:
            return device.wait_connected()
        finally:
            device.close()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def registry(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    data_dir = tmp_path_factory.mktemp("devices-api") / "data"
    data_dir.mkdir()
    admins = {"TWINHUB_ADMIN_SUBJECTS": "nginx:admin"}
    with store_settings(request.param, "twinhub_devices_api") as store, \
            running_server(data_dir, args=("--mqtt-port", "0"), env={**store, **admins}) as server:
        _add_users(server, store)
        with httpx.Client(base_url=server.base_url + "/api/2", auth=ADMIN, timeout=30) as http:
            yield Registry(server, http)


def _add_users(server: Server, store: dict[str, str]) -> None:
    """The admin and another user, in the store the server runs on (while it runs, as the command line would)."""
    for name, password in (ADMIN, OTHER):
        password_hash = hash_password(password, hasher=HASHER)
        if "TWINHUB_STORE_URL" not in store:
            SqliteUserStore(server.data_dir / "things.db").set_user_sync(name, password_hash)
        else:
            psql("INSERT INTO auth_users (username, password_hash, modified) "
                 f"VALUES ('{name}', '{password_hash}', '2026-01-01T00:00:00Z')",
                 store["TWINHUB_STORE_URL"].rpartition("/")[2])


@pytest.fixture
def device_id() -> str:
    return f"org.example.registry:{uuid.uuid4().hex[:12]}"


def test_a_registered_device_logs_in_with_the_password_shown_once(registry: Registry, device_id: str) -> None:
    created = registry.http.put(f"/devices/{device_id}")
    assert created.status_code == 201, created.text
    body = created.json()
    assert set(body) == {"deviceId", "subject", "password"}
    assert body["deviceId"] == device_id and body["subject"] == f"device:{device_id}"
    assert len(body["password"]) >= 40  # 32 random bytes, URL-safe
    assert created.headers["cache-control"] == "no-store"
    assert created.headers["location"].endswith(f"/api/2/devices/{device_id}")
    assert registry.login(device_id, body["password"]) == 0
    assert registry.login(device_id, body["password"] + "x") == "Not authorized"
    shown = registry.http.get(f"/devices/{device_id}")
    assert shown.status_code == 200
    assert shown.json() == {"deviceId": device_id, "subject": f"device:{device_id}"}  # never the password again
    assert "cache-control" not in shown.headers
    assert body["password"] not in registry.server.log()


def test_a_chosen_password_is_taken_and_a_second_registration_conflicts(registry: Registry, device_id: str) -> None:
    created = registry.http.put(f"/devices/{device_id}", json={"password": "my own secret"})
    assert created.status_code == 201, created.text
    assert created.json()["password"] == "my own secret"
    assert registry.login(device_id, "my own secret") == 0
    again = registry.http.put(f"/devices/{device_id}", json={"password": "another"})
    assert_error(again, 409, "devices:device.conflict")
    assert registry.login(device_id, "my own secret") == 0  # unchanged
    assert registry.login(device_id, "another") == "Not authorized"


def test_an_id_with_a_space_is_located_percent_encoded(registry: Registry, device_id: str) -> None:
    spaced = device_id + " two"  # a thing id may hold a space
    created = registry.http.put(f"/devices/{spaced}")
    assert created.status_code == 201, created.text
    assert created.headers["location"].endswith(f"/api/2/devices/{device_id}%20two")
    assert registry.http.get(created.headers["location"]).json()["deviceId"] == spaced
    assert registry.login(spaced, created.json()["password"]) == 0


def test_a_new_password_replaces_the_old_one_at_once(registry: Registry, device_id: str) -> None:
    old = registry.http.put(f"/devices/{device_id}").json()["password"]
    assert registry.login(device_id, old) == 0  # remembered by the authenticator from now on
    reset = registry.http.post(f"/devices/{device_id}/password")
    assert reset.status_code == 200, reset.text
    assert reset.headers["cache-control"] == "no-store"
    new = reset.json()["password"]
    assert new != old and reset.json()["deviceId"] == device_id
    assert registry.login(device_id, old) == "Not authorized"
    assert registry.login(device_id, new) == 0
    chosen = registry.http.post(f"/devices/{device_id}/password", json={"password": "chosen"})
    assert chosen.status_code == 200 and chosen.json()["password"] == "chosen"
    assert registry.login(device_id, new) == "Not authorized"
    assert registry.login(device_id, "chosen") == 0


def test_a_removed_device_can_log_in_no_more(registry: Registry, device_id: str) -> None:
    password = registry.http.put(f"/devices/{device_id}").json()["password"]
    assert registry.login(device_id, password) == 0
    assert registry.http.delete(f"/devices/{device_id}").status_code == 204
    assert registry.login(device_id, password) == "Not authorized"
    assert_error(registry.http.get(f"/devices/{device_id}"), 404, "devices:device.notfound")
    assert_error(registry.http.delete(f"/devices/{device_id}"), 404, "devices:device.notfound")
    assert_error(registry.http.post(f"/devices/{device_id}/password"), 404, "devices:device.notfound")
    again = registry.http.put(f"/devices/{device_id}")  # the id is free again, with a new password
    assert again.status_code == 201
    assert registry.login(device_id, password) == "Not authorized"
    assert registry.login(device_id, again.json()["password"]) == 0


def test_devices_are_listed_in_pages_by_id(registry: Registry) -> None:
    namespace = f"org.example.page{uuid.uuid4().hex[:8]}"
    ids = [f"{namespace}:d-{index:03}" for index in range(7)]
    for device_id in reversed(ids):
        assert registry.http.put(f"/devices/{device_id}", json={"password": "p"}).status_code == 201
    # Other tests' devices sort elsewhere: start right before this namespace, stop at its end.
    listed: list[str] = []
    after = f"{namespace}:"
    while True:
        page = registry.http.get("/devices", params={"from": after, "limit": 3})
        assert page.status_code == 200, page.text
        body = page.json()
        assert len(body["devices"]) <= 3
        listed += [device["deviceId"] for device in body["devices"] if device["deviceId"].startswith(namespace)]
        for device in body["devices"]:
            assert device["subject"] == f"device:{device['deviceId']}"
        if "nextFrom" not in body or not body["nextFrom"].startswith(namespace):
            break
        after = body["nextFrom"]
    assert listed == ids
    whole = registry.http.get("/devices").json()
    assert [device["deviceId"] for device in whole["devices"]] == sorted(device["deviceId"]
                                                                         for device in whole["devices"])
    last = registry.http.get("/devices", params={"from": ids[-1]}).json()
    assert all(device["deviceId"] > ids[-1] for device in last["devices"])


def test_the_default_page_is_200_devices(registry: Registry) -> None:
    namespace = f"org.example.many{uuid.uuid4().hex[:8]}"
    for index in range(201):
        assert registry.http.put(f"/devices/{namespace}:{index:03}", json={"password": "p"}).status_code == 201
    page = registry.http.get("/devices", params={"from": f"{namespace}:"}).json()
    assert len(page["devices"]) == 200
    assert page["devices"][0]["deviceId"] == f"{namespace}:000"
    assert page["nextFrom"] == f"{namespace}:199"
    rest = registry.http.get("/devices", params={"from": page["nextFrom"], "limit": 1}).json()
    assert rest["devices"] == [{"deviceId": f"{namespace}:200", "subject": f"device:{namespace}:200"}]


def test_only_admins_may(registry: Registry, device_id: str) -> None:
    with httpx.Client(base_url=registry.server.base_url + "/api/2", auth=OTHER, timeout=30) as other:
        for method, path in (("GET", "/devices"), ("GET", f"/devices/{device_id}"), ("PUT", f"/devices/{device_id}"),
                             ("DELETE", f"/devices/{device_id}"), ("POST", f"/devices/{device_id}/password")):
            body = assert_error(other.request(method, path), 401, "gateway:authentication.failed")
            assert "nginx:other" in str(body["message"])
        assert_error(other.put("/devices/not-a-thing-id"), 401, "gateway:authentication.failed")  # who, first
    anonymous = httpx.put(f"{registry.server.base_url}/api/2/devices/{device_id}", timeout=30)
    assert_error(anonymous, 401, "gateway:authentication.failed")
    assert_error(registry.http.get(f"/devices/{device_id}"), 404, "devices:device.notfound")  # nothing was made


@pytest.mark.parametrize("bad_id", ["no-namespace", "org.example:", "org.example:" + "x" * 300,
                                    "org%20example:x", "org.example:%00", "org.example:caf%C3%A9"])
def test_bad_device_ids_are_refused(registry: Registry, bad_id: str) -> None:
    for method, path in (("GET", f"/devices/{bad_id}"), ("PUT", f"/devices/{bad_id}"),
                         ("DELETE", f"/devices/{bad_id}"), ("POST", f"/devices/{bad_id}/password")):
        body = assert_error(registry.http.request(method, path), 400, "devices:device.id.invalid")
        assert "is not valid" in str(body["message"])


def test_bad_bodies_are_refused_and_nothing_is_made(registry: Registry, device_id: str) -> None:
    url = f"/devices/{device_id}"
    assert_error(registry.http.put(url, content=b"{not json"), 400, "json.format.invalid")
    assert_error(registry.http.put(url, json=["password"]), 400, "json.format.invalid")
    assert_error(registry.http.put(url, json={"password": "p", "role": "admin"}), 400, "json.format.invalid")
    assert_error(registry.http.put(url, json={"password": 42}), 400, "devices:device.password.invalid")
    assert_error(registry.http.put(url, json={"password": ""}), 400, "devices:device.password.invalid")
    assert_error(registry.http.put(url, json={"password": "x" * 1025}), 400, "devices:device.password.invalid")
    assert_error(registry.http.put(url, content=b"{\"password\": \"" + b"x" * 9000 + b"\"}"), 413,
                 "request.toolarge")
    assert_error(registry.http.put(url, content=b"password=p", headers={"Content-Type": "text/plain"}), 415,
                 "mediatype.unsupported")
    assert_error(registry.http.get(url), 404, "devices:device.notfound")
    assert registry.http.put(url, json={"password": "x" * 1024}).status_code == 201  # the longest there may be
    assert_error(registry.http.post(f"{url}/password", json={"password": None, "x": 1}), 400, "json.format.invalid")
    assert registry.login(device_id, "x" * 1024) == 0


@pytest.mark.parametrize("limit", ["0", "201", "-1", "ten", "1.5", "99999999999999999999999"])
def test_bad_page_limits_are_refused(registry: Registry, limit: str) -> None:
    assert_error(registry.http.get("/devices", params={"limit": limit}), 400, "gateway:request.invalid")


def test_a_too_long_from_is_refused(registry: Registry) -> None:
    assert_error(registry.http.get("/devices", params={"from": "x" * 257}), 400, "gateway:request.invalid")


@pytest.mark.parametrize("after", ["\x00", "org.example:a\x00b", "org.example:\x1f"])
def test_a_from_with_control_characters_is_refused(registry: Registry, after: str) -> None:
    """No device id holds one; PostgreSQL cannot even compare a NUL (it answered 503, as if it were down)."""
    assert_error(registry.http.get("/devices", params={"from": after}), 400, "gateway:request.invalid")


def test_other_methods_are_refused(registry: Registry, device_id: str) -> None:
    for method, path in (("POST", "/devices"), ("DELETE", "/devices"), ("PATCH", f"/devices/{device_id}"),
                         ("POST", f"/devices/{device_id}"), ("GET", f"/devices/{device_id}/password"),
                         ("PUT", f"/devices/{device_id}/password")):
        assert_error(registry.http.request(method, path), 405, "gateway:method.notallowed")


def test_in_development_mode_any_authenticated_subject_may(tmp_path_factory: pytest.TempPathFactory,
                                                           device_id: str) -> None:
    with running_server(tmp_path_factory.mktemp("devices-dev") / "data") as server, \
            httpx.Client(base_url=server.base_url + "/api/2", auth=("anyone", "any"), timeout=30) as http:
        created = http.put(f"/devices/{device_id}")
        assert created.status_code == 201, created.text
        assert [device["deviceId"] for device in http.get("/devices").json()["devices"]] == [device_id]
        assert http.post(f"/devices/{device_id}/password").status_code == 200
        assert http.delete(f"/devices/{device_id}").status_code == 204
        assert http.get("/devices").json() == {"devices": []}
        assert_error(httpx.get(f"{server.base_url}/api/2/devices", timeout=30), 401, "gateway:authentication.failed")
