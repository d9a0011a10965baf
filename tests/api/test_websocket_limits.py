"""Memory bounds for clients that do not keep up, on a server with small limits: bytes per WebSocket
session and per SSE stream, bytes for all of them together, and sessions per subject."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.api.websocket import DittoSocket, basic, open_socket, topic
from twinhub.testing import Server, running_server

# The tests share the module's server: one worker runs them all, so it starts once.
pytestmark = pytest.mark.xdist_group(__name__)

SESSION_BYTES = 768 * 1024
BUDGET_BYTES = 1024 * 1024
SESSIONS_PER_SUBJECT = 3
EVENT = "x" * (64 * 1024)  # each event frame is a little more than 64 KiB
# Enough events that a client which stops reading passes its limits after the kernel's buffers (and the
# HTTP server's) are full: together they take a few MiB here.
EVENTS = 150


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = {"TWINHUB_SESSION_BUFFER_BYTES": str(SESSION_BYTES), "TWINHUB_BUFFER_BUDGET_BYTES": str(BUDGET_BYTES),
           "TWINHUB_MAX_SESSIONS_PER_SUBJECT": str(SESSIONS_PER_SUBJECT)}
    with running_server(tmp_path_factory.mktemp("limits") / "data", env=env) as server:
        yield server


@pytest.fixture
def writer(limited: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=limited.base_url + "/api/2", auth=("ditto", "any"), timeout=30) as client:
        yield client


READERS = ("slow-reader", "slow-0", "slow-1", "slow-2", "reader", "slow-sse")


@pytest.fixture
def thing(writer: httpx.Client) -> str:
    """A thing `ditto` writes and the READERS (each a subject of its own) may read."""
    thing_id = f"org.twinhub.limits:{uuid.uuid4().hex[:12]}"
    policy = {"entries": {
        "owner": {"subjects": {"nginx:ditto": {"type": "basic"}},
                  "resources": {"thing:/": {"grant": ["READ", "WRITE"], "revoke": []},
                                "policy:/": {"grant": ["READ", "WRITE"], "revoke": []}}},
        "readers": {"subjects": {f"nginx:{user}": {"type": "basic"} for user in READERS},
                    "resources": {"thing:/": {"grant": ["READ"], "revoke": []}}}}}
    assert writer.put(f"/policies/{thing_id}", json=policy).status_code == 201
    assert writer.put(f"/things/{thing_id}", json={"policyId": thing_id}).status_code == 201
    return thing_id


def small_window_socket(base_url: str) -> socket.socket:
    """A TCP connection whose receive window stays small, so a client that stops reading makes the
    server's own buffers fill instead of the kernel's."""
    address = urlsplit(base_url)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((address.hostname, address.port))
    return sock


def non_reading(server: Server, user: str) -> DittoSocket:
    """A session of `user` receiving events whose client stops reading once it holds one frame."""
    session = open_socket(server.base_url, user, sock=small_window_socket(server.base_url), compression=None,
                          ping_interval=None, max_queue=1)
    session.control("START-SEND-EVENTS")
    return session


def close_frame(session: DittoSocket) -> tuple[int, str]:
    """Read what the session still gets up to its close; the close code and reason."""
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            session.receive(30)
    assert closed.value.rcvd is not None, "closed without a close frame"
    return closed.value.rcvd.code, closed.value.rcvd.reason


def publish(writer: httpx.Client, thing: str, count: int) -> None:
    for n in range(count):
        assert writer.put(f"/things/{thing}/attributes/blob", json=f"{n}:{EVENT}").status_code in (201, 204)


def test_a_session_more_bytes_behind_than_it_may_be_is_closed_with_1013(limited: Server, writer: httpx.Client,
                                                                       thing: str) -> None:
    slow = non_reading(limited, "slow-reader")
    publish(writer, thing, EVENTS)
    code, reason = close_frame(slow)
    assert code == 1013
    assert reason.startswith("twinhub:websocket.buffer.overflow") and f"{SESSION_BYTES} bytes" in reason


def test_the_worker_budget_closes_the_largest_holders_while_a_reading_session_goes_on(
        limited: Server, writer: httpx.Client, thing: str) -> None:
    slow = [non_reading(limited, f"slow-{n}") for n in range(3)]  # together past the budget before any alone
    received: list[str] = []
    with open_socket(limited.base_url, "reader", compression=None) as reader:
        reader.control("START-SEND-EVENTS")

        def read(count: int) -> None:
            while len(received) < count:
                frame = reader.receive(30)
                if isinstance(frame, dict) and frame["topic"].startswith(topic(thing, "things/twin/events/")):
                    received.append(frame["value"])

        reading = threading.Thread(target=read, args=(EVENTS,))
        reading.start()
        publish(writer, thing, EVENTS)
        reading.join(60)
        assert len(received) == EVENTS and received[-1].startswith(f"{EVENTS - 1}:")  # the reader got everything
        assert reader.request({"topic": topic(thing, "things/twin/commands/retrieve"), "path": "/attributes",
                               "headers": {}})["status"] == 200  # and its session is still open
    closes = [close_frame(session) for session in slow]
    assert {code for code, _ in closes} == {1013}
    assert any("buffers for slow clients are full" in reason for _, reason in closes), closes


def test_a_non_reading_sse_stream_is_cut_off_past_its_bytes(limited: Server, writer: httpx.Client,
                                                            thing: str) -> None:
    address = urlsplit(limited.base_url)
    stream = small_window_socket(limited.base_url)
    authorization = basic("slow-sse")["Authorization"]
    stream.sendall(f"GET /api/2/things/{thing} HTTP/1.1\r\nHost: {address.netloc}\r\nAccept: text/event-stream\r\n"
                   f"Authorization: {authorization}\r\n\r\n".encode())
    stream.settimeout(30)
    assert stream.recv(1) == b"H"  # the stream is open (and watching) once its head comes
    publish(writer, thing, EVENTS)
    body = b""
    while not body.endswith(b"0\r\n\r\n"):  # read the rest, up to the end of the chunked body
        chunk = stream.recv(65536)
        assert chunk, "the server closed the connection without ending the stream"
        body += chunk
    stream.close()
    assert b"the stream fell too far behind its events" in body
    assert body.count(b"data:") < EVENTS


def test_sessions_per_subject_are_capped(limited: Server) -> None:
    sessions = [open_socket(limited.base_url, "busy") for _ in range(SESSIONS_PER_SUBJECT)]
    with pytest.raises(InvalidStatus) as refused:
        open_socket(limited.base_url, "busy")
    assert refused.value.response.status_code in (429, 403)  # 403 where the server cannot send a denial body
    with open_socket(limited.base_url, "someone-else") as other:  # other subjects are not affected
        other.control("START-SEND-EVENTS")
    sessions.pop().close()
    deadline = time.monotonic() + 10
    while True:  # the server counts the closed session out when it sees the close
        try:
            sessions.append(open_socket(limited.base_url, "busy"))
            break
        except InvalidStatus:
            assert time.monotonic() < deadline, "a closed session was never counted out"
    for session in sessions:
        session.close()
