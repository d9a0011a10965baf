"""Credentials offered as a WebSocket subprotocol (`twinhub.authorization.<base64url>`), as the web console's
browser WebSocket sends them: they authenticate the upgrade exactly as the `Authorization` header would, the
server selects `twinhub` and never echoes them, and anything malformed is refused with 401 at the upgrade."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import httpx
import pytest
from websockets.exceptions import InvalidStatus

from tests.api.test_authentication import add_user
from tests.api.websocket import basic, open_socket, topic
from twinhub.testing import Server, running_server

pytestmark = pytest.mark.xdist_group(__name__)

PASSWORD = "a subprotocol password"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("ws-subprotocol") / "data"
    with running_server(data_dir, args=()) as server:
        add_user(data_dir, "alice", PASSWORD)
        yield server


def carried(authorization: str) -> str:
    return "twinhub.authorization." + base64.urlsafe_b64encode(authorization.encode()).decode().rstrip("=")


def test_basic_credentials_as_a_subprotocol_authenticate_and_twinhub_is_selected(server: Server) -> None:
    header = basic("alice", PASSWORD)["Authorization"]
    with open_socket(server.base_url, headers={}, subprotocols=["twinhub", carried(header)]) as socket:
        assert socket.connection.subprotocol == "twinhub"
        answer = socket.request({"topic": topic("org.twinhub.console:ws", "things/twin/commands/modify"),
                                 "path": "/", "value": {}, "headers": {}})
        assert answer["status"] == 201
        policy = httpx.get(f"{server.base_url}/api/2/policies/org.twinhub.console:ws", auth=("alice", PASSWORD))
        assert "nginx:alice" in policy.json()["entries"]["DEFAULT"]["subjects"]  # the thing was created as alice
        echoed = socket.connection.response.headers.get_all("Sec-WebSocket-Protocol")
    assert echoed == ["twinhub"]  # the credentials never come back


@pytest.mark.parametrize("offered", [
    pytest.param(lambda: carried(basic("alice", "wrong")["Authorization"]), id="wrong-password"),
    pytest.param(lambda: "twinhub.authorization.%%%not-base64", id="not-base64url"),
    pytest.param(lambda: "twinhub.authorization." + base64.urlsafe_b64encode(b"Basic \x00x").decode().rstrip("="),
                 id="control"),
    pytest.param(lambda: "twinhub.authorization." + "A" * 20_000, id="oversize"),
    pytest.param(lambda: "twinhub.authorization.", id="empty"),
])
def test_bad_credentials_in_the_subprotocol_are_refused_at_the_upgrade(server: Server, offered: object) -> None:
    assert callable(offered)
    with pytest.raises(InvalidStatus) as refused:
        open_socket(server.base_url, headers={}, subprotocols=["twinhub", offered()])
    assert refused.value.response.status_code == 401


def test_an_authorization_header_wins_over_the_subprotocol(server: Server) -> None:
    wrong = carried(basic("alice", "wrong")["Authorization"])
    with open_socket(server.base_url, headers=basic("alice", PASSWORD), subprotocols=["twinhub", wrong]) as socket:
        assert socket.connection.subprotocol == "twinhub"


def test_without_credentials_anywhere_the_upgrade_is_refused(server: Server) -> None:
    with pytest.raises(InvalidStatus) as refused:
        open_socket(server.base_url, headers={}, subprotocols=["twinhub"])
    assert refused.value.response.status_code == 401
