"""`checkPermissions` over the Ditto Protocol: the checks of `POST /api/2/checkPermissions`, answered on
`_/_/policies/commands/checkPermissions` with the same verdicts."""

from __future__ import annotations

import httpx
import pytest

from tests.api.helpers import owner_and
from tests.api.websocket import DittoSocket, open_socket
from twinhub.testing import Server

TOPIC = "_/_/policies/commands/checkPermissions"


@pytest.fixture
def thing(client: httpx.Client, thing_id: str) -> str:
    """A thing of `ditto`, whose `bob` may read (not write) its model."""
    policy = owner_and("bob", {"thing:/attributes/model": {"grant": ["READ"], "revoke": []}})
    response = client.put(f"/things/{thing_id}", json={"_policy": policy, "attributes": {"model": "T1"}})
    assert response.status_code == 201, response.text
    return thing_id


def _checks(thing: str) -> dict[str, object]:
    return {
        "read_thing": {"resource": "thing:/", "entityId": thing, "hasPermissions": ["READ"]},
        "read_model": {"resource": "thing:/attributes/model", "entityId": thing, "hasPermissions": ["READ"]},
        "write_model": {"resource": "thing:/attributes/model", "entityId": thing, "hasPermissions": ["WRITE"]},
        "policy": {"resource": "policy:/", "entityId": thing, "hasPermissions": ["READ"]},
        "missing": {"resource": "thing:/", "entityId": "org.twinhub.test:nope", "hasPermissions": ["READ"]},
    }


def test_check_permissions_over_the_websocket_answers_as_http(server: Server, thing: str) -> None:
    """Ditto's CheckPermissionsCommandAdapter (`_/_/policies/commands/checkPermissions`, value: the named
    checks) and CheckPermissionsResponseSignalMapper (the same topic, status 200, value: the permission results
    of CheckPermissionsResponse); the verdicts are those of the HTTP route for the same subject."""
    with open_socket(server.base_url, "bob") as socket:
        response = socket.request({"topic": TOPIC, "path": "/", "headers": {"correlation-id": "perm-1"},
                                   "value": _checks(thing)})
    assert response["topic"] == TOPIC
    assert response["status"] == 200
    assert response["path"] == "/"
    assert response["headers"]["correlation-id"] == "perm-1"
    assert response["value"] == {"read_thing": False, "read_model": True, "write_model": False, "policy": False,
                                 "missing": False}
    over_http = httpx.post(server.base_url + "/api/2/checkPermissions", json=_checks(thing), auth=("bob", "x"))
    assert over_http.json() == response["value"]


def test_the_owner_holds_every_permission(socket: DittoSocket, thing: str) -> None:
    """CheckPermissionsActor: each check is answered for the session's own authorization context."""
    response = socket.request({"topic": TOPIC, "path": "/", "headers": {}, "value": _checks(thing)})
    assert response["value"] == {"read_thing": True, "read_model": True, "write_model": True, "policy": True,
                                 "missing": False}


@pytest.mark.parametrize("value", [
    None,
    [1, 2],
    {"x": {"resource": "nothing", "entityId": "org.twinhub.test:a", "hasPermissions": ["READ"]}},
    {"x": {"resource": "thing:/", "entityId": "org.twinhub.test:a", "hasPermissions": "READ"}},
])
def test_malformed_checks_are_answered_with_400(socket: DittoSocket, value: object) -> None:
    """As `POST /api/2/checkPermissions` refuses malformed checks with 400, so does the Ditto Protocol
    command; the session goes on."""
    message: dict[str, object] = {"topic": TOPIC, "path": "/", "headers": {}}
    if value is not None:
        message["value"] = value
    response = socket.request(message)
    assert response["status"] == 400, response
    assert response["value"]["status"] == 400
    assert socket.request({"topic": TOPIC, "path": "/", "headers": {}, "value": {}})["value"] == {}
