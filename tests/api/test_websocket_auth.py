"""WebSocket authentication with JWTs: `?access_token=` for browsers, `JWT-TOKEN` refresh, and the session
ending when its token expires."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.api.websocket import DittoSocket, open_socket, topic
from tests.jwt_keys import JwtIssuer
from twinhub.testing import Server, running_server

# The tests share the module's server: one worker runs them all, so it starts once.
pytestmark = pytest.mark.xdist_group(__name__)


@pytest.fixture(scope="module")
def issuer() -> JwtIssuer:
    return JwtIssuer.generate(key="ws-oidc", issuer="https://sso.twinhub.test/realms/ws", audience="twinhub-ws")


@pytest.fixture(scope="module")
def jwt_server(issuer: JwtIssuer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    base: Path = tmp_path_factory.mktemp("twinhub-ws-jwt")
    config = base / "settings.toml"
    config.write_text("basic_auth = false\n\n" + issuer.oidc_toml(issuer.write_jwks(base / "jwks.json")))
    with running_server(base / "data", args=("--config", str(config))) as server:
        yield server


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _closed_reason(socket: DittoSocket, timeout: float = 15.0) -> tuple[int, str]:
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            socket.connection.recv(timeout=timeout)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code, closed.value.rcvd.reason


def test_a_token_in_the_query_authenticates_a_browser_socket(jwt_server: Server, issuer: JwtIssuer) -> None:
    thing_id = "org.twinhub.ws:browser"
    with open_socket(jwt_server.base_url, headers={}, query=f"access_token={issuer.token('alice')}") as socket:
        created = socket.request({"topic": topic(thing_id, "things/twin/commands/modify"), "path": "/",
                                  "value": {}, "headers": {}})
    assert created["status"] in (201, 204)


def test_a_bad_token_is_refused_at_the_upgrade(jwt_server: Server, issuer: JwtIssuer) -> None:
    with pytest.raises(InvalidStatus) as refused:
        open_socket(jwt_server.base_url, headers=_bearer(issuer.impostor().token("alice")))
    assert refused.value.response.status_code in (401, 403)


def test_a_refreshed_token_keeps_the_session_past_the_first_ones_expiry(jwt_server: Server,
                                                                        issuer: JwtIssuer) -> None:
    with open_socket(jwt_server.base_url, headers=_bearer(issuer.token("bob", lifetime=2))) as socket:
        socket.send_text(f"JWT-TOKEN?jwtToken={issuer.token('bob', lifetime=3600)}")
        assert socket.no_frame(3.0)  # past the first token's expiry, and still open
        thing_id = "org.twinhub.ws:refreshed"
        answer = socket.request({"topic": topic(thing_id, "things/twin/commands/modify"), "path": "/",
                                 "value": {}, "headers": {}})
    assert answer["status"] in (201, 204)


def test_a_session_ends_when_its_token_expires(jwt_server: Server, issuer: JwtIssuer) -> None:
    socket = open_socket(jwt_server.base_url, headers=_bearer(issuer.token("carol", lifetime=2)))

    code, reason = _closed_reason(socket)

    assert code == 1008
    assert "gateway:websocket.session.expired" in reason


def test_a_token_of_another_subject_ends_the_session(jwt_server: Server, issuer: JwtIssuer) -> None:
    socket = open_socket(jwt_server.base_url, headers=_bearer(issuer.token("dave")))
    socket.send_text(f"JWT-TOKEN?jwtToken={issuer.token('eve')}")

    code, reason = _closed_reason(socket)

    assert code == 1008
    assert "gateway:websocket.session.closed" in reason
