"""A Thing Model server on 127.0.0.1 for tests (a thread running http.server): serves JSON documents by path,
plus misbehaving answers (slow, endless, redirecting, held until released), and counts the requests per path.
Any test wanting JSON documents over real HTTP uses it (the JWKS tests do)."""

from __future__ import annotations

import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from twinhub.model.types import JsonValue


class ModelServer:
    """`serve(path, doc)` publishes a document; `stall(path)` answers never (until the server stops),
    `flood(path)` sends an endless body, `redirect(path, location)` answers 302, `hold(path, doc)` serves `doc`
    once `release(path)` is called (`wait_asked(path)` waits for its request)."""

    def __init__(self) -> None:
        self._docs: dict[str, tuple[int, bytes, str | None]] = {}  # status, body, content-encoding
        self._stalled: set[str] = set()
        self._flooded: set[str] = set()
        self._redirects: dict[str, str] = {}
        self._held: dict[str, tuple[threading.Event, threading.Event]] = {}  # path: (asked, released)
        self.requests: Counter[str] = Counter()
        self.accepts: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path
                with server._lock:
                    server.requests[path] += 1
                    server.accepts.append(self.headers.get("accept", ""))
                    doc = server._docs.get(path)
                    location = server._redirects.get(path)
                held = server._held.get(path)
                if held is not None:
                    held[0].set()
                    held[1].wait(30)
                if path in server._stalled:
                    server._stop.wait(30)
                    return
                if path in server._flooded:
                    self.send_response(200)
                    self.send_header("content-type", "application/json")
                    self.end_headers()
                    try:
                        self.wfile.write(b'{"a": "')
                        while not server._stop.is_set():
                            self.wfile.write(b"x" * 65536)
                    except OSError:
                        pass
                    return
                if location is not None:
                    self.send_response(302)
                    self.send_header("location", location)
                    self.send_header("content-length", "0")
                    self.end_headers()
                    return
                status, body, encoding = doc if doc is not None else (404, b'{"error": "not found"}', None)
                self.send_response(status)
                self.send_header("content-type", "application/tm+json")
                if encoding is not None:
                    self.send_header("content-encoding", encoding)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._http.daemon_threads = True
        self.base = f"http://127.0.0.1:{self._http.server_address[1]}"
        self._thread = threading.Thread(target=self._http.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)

    def url(self, path: str) -> str:
        return self.base + path

    def serve(self, path: str, doc: JsonValue, status: int = 200) -> str:
        return self.serve_bytes(path, json.dumps(doc).encode(), status)

    def serve_bytes(self, path: str, body: bytes, status: int = 200, *, encoding: str | None = None) -> str:
        """Publish `body` as it is (`encoding`: the content-encoding it is sent with, already applied)."""
        with self._lock:
            self._docs[path] = (status, body, encoding)
        return self.url(path)

    def stall(self, path: str) -> str:
        self._stalled.add(path)
        return self.url(path)

    def hold(self, path: str, doc: JsonValue) -> str:
        with self._lock:
            self._held[path] = (threading.Event(), threading.Event())
        return self.serve(path, doc)

    def wait_asked(self, path: str) -> bool:
        return self._held[path][0].wait(30)

    def release(self, path: str) -> None:
        self._held[path][1].set()

    def flood(self, path: str) -> str:
        self._flooded.add(path)
        return self.url(path)

    def redirect(self, path: str, location: str) -> str:
        with self._lock:
            self._redirects[path] = location
        return self.url(path)

    def __enter__(self) -> ModelServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._http.shutdown()
        self._http.server_close()
