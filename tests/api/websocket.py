"""A small synchronous Ditto WebSocket client for tests: basic auth, send/receive JSON and text."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from typing import Any

import orjson
from websockets.sync.client import ClientConnection, connect

JsonObject = dict[str, Any]


def basic(user: str, password: str = "any") -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


class DittoSocket:
    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection

    def send_text(self, text: str) -> None:
        self.connection.send(text)

    def send(self, message: JsonObject) -> None:
        self.connection.send(orjson.dumps(message).decode())

    def receive(self, timeout: float = 10.0) -> JsonObject | str:
        frame = self.connection.recv(timeout=timeout)
        text = frame if isinstance(frame, str) else frame.decode()
        return orjson.loads(text) if text.startswith("{") else text  # type: ignore[no-any-return]

    def receive_until(self, matches: Callable[[JsonObject | str], bool], timeout: float = 10.0) -> JsonObject | str:
        """The first frame that `matches`; frames before it are skipped."""
        deadline = time.monotonic() + timeout
        while True:
            frame = self.receive(max(deadline - time.monotonic(), 0.01))
            if matches(frame):
                return frame

    def control(self, text: str, timeout: float = 10.0) -> None:
        """Send a control message and wait for its `:ACK`."""
        name = text.partition("?")[0]
        self.send_text(text)
        self.receive_until(lambda frame: frame == f"{name}:ACK", timeout)

    def request(self, message: JsonObject, timeout: float = 10.0) -> JsonObject:
        """Send a command with a correlation-id and return the message answering it."""
        correlation_id = message.setdefault("headers", {}).setdefault("correlation-id", f"c-{time.monotonic_ns()}")
        self.send(message)
        frame = self.receive_until(lambda frame: isinstance(frame, dict) and "status" in frame and frame.get(
            "headers", {}).get("correlation-id") == correlation_id, timeout)
        assert isinstance(frame, dict)
        return frame

    def no_frame(self, timeout: float = 0.5) -> bool:
        """True when nothing arrives within `timeout`."""
        try:
            self.connection.recv(timeout=timeout)
        except TimeoutError:
            return True
        return False

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> DittoSocket:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_socket(base_url: str, user: str = "ditto", *, query: str = "", headers: dict[str, str] | None = None,
                **options: Any) -> DittoSocket:
    url = base_url.replace("http://", "ws://") + "/ws/2" + (f"?{query}" if query else "")
    connection = connect(url, additional_headers=headers if headers is not None else basic(user), open_timeout=10,
                         **options)
    return DittoSocket(connection.__enter__())  # entered here; DittoSocket.close() leaves it


def topic(thing_id: str, rest: str) -> str:
    namespace, name = thing_id.split(":", 1)
    return f"{namespace}/{name}/{rest}"
