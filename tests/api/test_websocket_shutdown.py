"""A stopping server closes its WebSocket sessions with 1001 (going away), then stops within its shutdown
timeout: a server of its own, as the tests stop it."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed

from tests.api.websocket import DittoSocket, open_socket
from twinhub.testing import running_server


def _close_code(socket: DittoSocket) -> int | None:
    """The code of the close frame the server sent (None: the connection dropped without one)."""
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            socket.receive(20)
    return closed.value.rcvd.code if closed.value.rcvd is not None else None


def test_a_stopping_server_closes_its_sessions_with_1001_and_stops(tmp_path: Path) -> None:
    """RFC 6455 7.4.1: 1001 is an endpoint going away (a server going down). Ditto ends its sessions when its
    gateway shuts down (gateway/service/.../streaming/actors/StreamingSessionActor.java: a CoordinatedShutdown
    task in the service-requests-done phase completes the session's stream); a client must learn it from a
    close frame, not from a dropped connection."""
    with running_server(tmp_path / "data", env={"TWINHUB_SHUTDOWN_TIMEOUT": "6"}) as server:
        streaming = open_socket(server.base_url)
        streaming.control("START-SEND-EVENTS")
        idle = open_socket(server.base_url, "someone")
        stopper = threading.Thread(target=server.stop)
        stopper.start()
        try:
            assert _close_code(streaming) == 1001
            assert _close_code(idle) == 1001
        finally:
            stopper.join()
            streaming.close()
            idle.close()
        assert server.process.returncode == 0
        # The workers stopped by themselves: granian kills one that outlives the shutdown timeout, and says so.
        assert "refused to gracefully stop" not in server.log()
