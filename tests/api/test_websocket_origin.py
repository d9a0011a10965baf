"""Which pages may open a WebSocket: an upgrade with a browser's `Origin` is accepted from the server's own origin
(the console) and the configured CORS origins only, so that another site cannot use credentials the browser
cached (cross-site WebSocket hijacking); clients without `Origin` (no browser) are not affected."""

from __future__ import annotations

from collections.abc import Iterator

import orjson
import pytest
from websockets.exceptions import InvalidStatus

from tests.api.websocket import open_socket
from twinhub.testing import Server, running_server

pytestmark = pytest.mark.xdist_group(__name__)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(tmp_path_factory.mktemp("ws-origin") / "data",
                        env={"TWINHUB_CORS_ORIGINS": "https://app.example.com"}) as server:
        yield server


def own_origin(server: Server) -> str:
    return server.base_url  # http://127.0.0.1:<port>, the Host the socket is opened to


@pytest.mark.parametrize("origin", [None, "own", "https://app.example.com"])
def test_the_servers_own_pages_listed_origins_and_non_browsers_may_connect(server: Server, origin: str | None) -> None:
    chosen = own_origin(server) if origin == "own" else origin
    with open_socket(server.base_url, origin=chosen) as socket:
        socket.control("START-SEND-EVENTS")


@pytest.mark.parametrize("origin", ["https://evil.example", "http://127.0.0.1:1", "null", "https://app.example.com.evil"])
def test_a_page_of_another_origin_is_refused(server: Server, origin: str) -> None:
    with pytest.raises(InvalidStatus) as refused:
        open_socket(server.base_url, origin=origin)
    assert refused.value.response.status_code == 403
    body = orjson.loads(refused.value.response.body or b"{}")
    assert body["error"] == "gateway:request.invalid" and "TWINHUB_CORS_ORIGINS" in body["description"]


def test_any_origin_when_cors_allows_any(tmp_path_factory: pytest.TempPathFactory) -> None:
    data_dir = tmp_path_factory.mktemp("ws-any-origin") / "data"
    with running_server(data_dir, env={"TWINHUB_CORS_ORIGINS": "*"}) as server, \
            open_socket(server.base_url, origin="https://anywhere.example") as socket:
        socket.control("START-SEND-EVENTS")
