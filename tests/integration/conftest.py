"""Fixtures for the integration tests against the real servers of this machine (see `services.py`): the
NATS server's URL, throwaway stream names cleaned up afterwards, and a TCP proxy that can cut connections."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable

import pytest

from tests.integration.services import NATS, delete_streams, require


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def nats_url() -> str:
    """The URL of the NATS server with JetStream; skips (fails with `CI=true`) when nothing listens there."""
    require("NATS", NATS)
    return f"nats://{NATS[0]}:{NATS[1]}"


# A fresh (stream, subject prefix) pair on each call, both with a random suffix.
StreamNames = Callable[[], tuple[str, str]]


@pytest.fixture
async def stream_names(nats_url: str) -> AsyncIterator[StreamNames]:
    """Names no other test (or deployment) uses; the streams made under them (the stream of each epoch,
    `<name>_<epoch>`, too) are deleted afterwards, leaving the server as it was found."""
    made: list[str] = []

    def names() -> tuple[str, str]:
        suffix = uuid.uuid4().hex[:12]
        made.append(f"TWINHUB_TEST_{suffix}")
        return made[-1], f"twinhub-test.{suffix}"

    yield names
    await delete_streams(*made)


class TcpProxy:
    """Forwards 127.0.0.1:`port` to a server. `cut()` drops every connection and refuses new ones until
    `restore()` listens on the same port again: a network outage without touching the server."""

    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._pipes: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> TcpProxy:
        await self.restore()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.cut()

    async def restore(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in self._writers:
            writer.transport.abort()
        self._writers.clear()
        for pipe in self._pipes:
            pipe.cancel()
        await asyncio.gather(*self._pipes, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self._target)
        except OSError:
            writer.transport.abort()
            return
        self._writers |= {writer, upstream_writer}
        for source, sink in ((reader, upstream_writer), (upstream_reader, writer)):
            pipe = asyncio.create_task(self._pipe(source, sink))
            self._pipes.add(pipe)
            pipe.add_done_callback(self._pipes.discard)

    @staticmethod
    async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        try:
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
        except OSError:
            pass  # the other side went away: the connection ends below either way
        finally:
            sink.transport.abort()
