"""An HTTP/1.1 receiver on a real loopback socket for the HTTP push tests, well-behaved or not by path:

    /echo...        200 with the request (method, path, query, headers, body) as JSON
    /status/<n>     answers status n with a small text body
    /wait           holds the request until `release()` (counts how many are held at once)
    /hang           never answers
    /drip           sends a status line and then one byte every 50 ms, forever
    /huge           declares and sends 8 MiB
    /endless        a chunked body that never ends
    /bomb           a small gzip body that inflates to 64 MiB
    /close          closes the connection without answering
    /respond        a device behind a webhook: answers a Ditto Protocol live message with its Ditto Protocol
                    response (status 200, the payload {"answer": <the request's payload>})

It parses just enough HTTP for these tests (request line, headers, Content-Length bodies, keep-alive)."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import ssl
from dataclasses import dataclass, field
from types import TracebackType


@dataclass
class Received:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes


@dataclass
class HttpReceiver:
    port: int = 0
    received: list[Received] = field(default_factory=list)
    held: int = 0
    most_held: int = 0
    tls: ssl.SSLContext | None = None  # serve HTTPS with this context
    _server: asyncio.Server | None = None
    _release: asyncio.Event = field(default_factory=asyncio.Event)
    _handlers: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def base(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def release(self) -> None:
        self._release.set()

    async def __aenter__(self) -> HttpReceiver:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.tls)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        trace: TracebackType | None) -> None:
        assert self._server is not None
        self._server.close()
        for task in self._handlers:
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            while await self._one(reader, writer):
                pass
        except (OSError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            writer.transport.abort()
            self._handlers.discard(task)

    async def _one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        head = await reader.readuntil(b"\r\n\r\n")
        request_line, *lines = head.decode("latin-1").split("\r\n")[:-2]
        method, target, _ = request_line.split(" ", 2)
        headers: dict[str, str] = {}
        for line in lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        self.received.append(Received(method, target, headers, body))
        path = target.split("?", 1)[0]
        if path.startswith("/echo"):
            document = {"method": method, "target": target, "headers": headers, "body": body.decode()}
            return await self._answer(writer, 200, json.dumps(document).encode(), "application/json")
        if path.startswith("/status/"):
            return await self._answer(writer, int(path.rsplit("/", 1)[1]), b"as you asked", "text/plain")
        if path == "/wait":
            self.held += 1
            self.most_held = max(self.most_held, self.held)
            try:
                await self._release.wait()
            finally:
                self.held -= 1
            return await self._answer(writer, 204, b"", None)
        if path == "/hang":
            await asyncio.Event().wait()
        if path == "/drip":
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 10000\r\n\r\n")
            while True:
                writer.write(b"x")
                await writer.drain()
                await asyncio.sleep(0.05)
        if path == "/huge":
            return await self._answer(writer, 200, b"x" * (8 * 1024 * 1024), "application/octet-stream")
        if path == "/endless":
            writer.write(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
            chunk = b"y" * 65536
            while True:
                writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                await writer.drain()
        if path == "/bomb":
            bomb = gzip.compress(b"\0" * (64 * 1024 * 1024))
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-encoding: gzip\r\ncontent-length: %d\r\n\r\n%s"
                         % (len(bomb), bomb))
            await writer.drain()
            return True
        if path == "/close":
            return False
        if path == "/respond":
            request = json.loads(body)
            response = {"topic": request["topic"], "path": request["path"], "status": 200,
                        "headers": {"correlation-id": request["headers"]["correlation-id"],
                                    "content-type": "application/json"},
                        "value": {"answer": request.get("value")}}
            return await self._answer(writer, 200, json.dumps(response).encode(), "application/vnd.eclipse.ditto+json")
        return await self._answer(writer, 404, b"no such path", "text/plain")

    @staticmethod
    async def _answer(writer: asyncio.StreamWriter, status: int, body: bytes, content_type: str | None) -> bool:
        head = f"HTTP/1.1 {status} X\r\ncontent-length: {len(body)}\r\nx-receiver: yes\r\n"
        if content_type:
            head += f"content-type: {content_type}\r\n"
        writer.write(head.encode() + b"\r\n" + body)
        with contextlib.suppress(OSError):
            await writer.drain()
        return True
