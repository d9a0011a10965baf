"""Who may manage connections: the admin subjects of `admin_subjects`; in development mode every
authenticated subject (the other tests of this package run so); anyone else gets Ditto's 401."""

from __future__ import annotations

import httpx
import pytest

from tests.connectivity.conftest import ADMIN
from tests.connectivity.test_connections_api import CONNECTION
from twinhub.testing import Server

PRE_AUTH = "x-ditto-pre-authenticated"


def as_subject(server: Server, subject: str | None) -> httpx.Client:
    headers = {PRE_AUTH: subject} if subject is not None else {}
    return httpx.Client(base_url=server.base_url + "/api/2", headers=headers, timeout=30)


def test_an_admin_manages_connections(secured_server: Server) -> None:
    with as_subject(secured_server, ADMIN) as admin:
        created = admin.post("/connections", json=CONNECTION)
        assert created.status_code == 201, created.text
        connection_id = created.json()["id"]
        assert admin.get(f"/connections/{connection_id}").status_code == 200
        assert admin.get(f"/connections/{connection_id}/status").status_code == 200
    with as_subject(secured_server, "oidc:ops") as other_admin:  # the second of the comma-separated list
        assert other_admin.delete(f"/connections/{connection_id}").status_code == 204


@pytest.mark.parametrize(("method", "path"), [
    ("GET", ""), ("POST", ""), ("POST", "?dry-run=true"), ("GET", "/some-id"), ("PUT", "/some-id"),
    ("DELETE", "/some-id"), ("POST", "/some-id/command"), ("GET", "/some-id/status"), ("GET", "/some-id/metrics"),
    ("GET", "/some-id/logs"),
])
def test_a_subject_that_is_no_admin_gets_dittos_401_everywhere(secured_server: Server, method: str,
                                                                 path: str) -> None:
    with as_subject(secured_server, "nginx:alice") as alice:
        response = alice.request(method, "/connections" + path, json=CONNECTION if method in ("POST", "PUT") else None)
    assert response.status_code == 401, response.text
    body = response.json()
    assert body["error"] == "gateway:authentication.failed"
    assert body["message"] == "Unauthorized subject(s): <[nginx:alice]>."
    assert ADMIN not in response.text  # who the admins are is not told


def test_a_request_without_credentials_is_401(secured_server: Server) -> None:
    with as_subject(secured_server, None) as anonymous:
        response = anonymous.get("/connections")
    assert response.status_code == 401 and response.json()["error"] == "gateway:authentication.failed"


def test_no_connection_is_created_by_a_refused_request(secured_server: Server) -> None:
    with as_subject(secured_server, ADMIN) as admin:
        before = admin.get("/connections", params={"ids-only": "true"}).json()
    with as_subject(secured_server, "nginx:mallory") as mallory:
        assert mallory.post("/connections", json=CONNECTION).status_code == 401
    with as_subject(secured_server, ADMIN) as admin:
        assert admin.get("/connections", params={"ids-only": "true"}).json() == before


def test_the_things_api_is_not_affected_by_admin_subjects(secured_server: Server) -> None:
    # An ordinary subject still uses the rest of the API; only connections are for admins.
    with httpx.Client(base_url=secured_server.base_url, headers={PRE_AUTH: "nginx:alice"}, timeout=30) as alice:
        assert alice.get("/api/2/whoami").json()["defaultSubject"] == "nginx:alice"
