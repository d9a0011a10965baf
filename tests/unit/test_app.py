"""The composition root in process, no sockets: subsystems start on an open platform in order and stop in
reverse before it closes, a failed start stops what started, and what a subsystem's lifespan yields reaches
its routes."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from twinhub.app import YOUNG_GC_THRESHOLD, Subsystem, create_app, settle_gc, subsystems_of
from twinhub.config import Settings
from twinhub.service.platform import Platform

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", dev_auth=True)


class Recorded:
    """A subsystem that notes when it starts and stops; stopping, it uses the platform (which must be open)."""

    def __init__(self, name: str, log: list[str], *, fail: bool = False, state: Mapping[str, object] = {}) -> None:
        self.name = name
        self.log = log
        self.fail = fail
        self.state = state
        self.routes: tuple[BaseRoute, ...] = (Route(f"/{name}", self.answer),)

    async def answer(self, request: Request) -> Response:
        return PlainTextResponse(str(request.state.greeting))

    @contextlib.asynccontextmanager
    async def lifespan(self, platform: Platform) -> AsyncIterator[Mapping[str, object]]:
        if self.fail:
            raise RuntimeError(f"{self.name} cannot start")
        self.log.append(f"start {self.name}")
        try:
            yield self.state
        finally:
            platform.live.receive(["messages"], ("nginx:ditto",)).close()  # raises once the platform is closed
            self.log.append(f"stop {self.name}")


@contextlib.asynccontextmanager
async def serving(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """The app's lifespan running, and a client whose requests get a copy of its state, as from a server."""
    async with app.router.lifespan_context(app) as state:

        async def served(scope: Scope, receive: Receive, send: Send) -> None:
            await app({**scope, "state": dict(state or {})}, receive, send)

        transport = httpx.ASGITransport(served, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://twinhub") as client:
            yield client


async def test_subsystems_start_in_order_and_stop_in_reverse_while_the_platform_is_open(settings: Settings) -> None:
    log: list[str] = []
    parts: list[Subsystem] = [Recorded("a", log), Recorded("b", log)]
    async with serving(create_app(settings, parts)):
        assert log == ["start a", "start b"]
    assert log == ["start a", "start b", "stop b", "stop a"]


async def test_a_subsystem_that_fails_to_start_stops_those_started_and_fails_the_app(settings: Settings) -> None:
    log: list[str] = []
    parts: list[Subsystem] = [Recorded("a", log), Recorded("b", log, fail=True), Recorded("c", log)]
    with pytest.raises(RuntimeError, match="b cannot start"):
        async with serving(create_app(settings, parts)):
            pass
    assert log == ["start a", "stop a"]


async def test_routes_find_what_their_subsystem_put_in_the_request_state(settings: Settings) -> None:
    parts: list[Subsystem] = [Recorded("a", [], state={"greeting": "hello"})]
    async with serving(create_app(settings, parts)) as client:
        assert (await client.get("/a")).text == "hello"


async def test_two_subsystems_may_not_put_the_same_key_in_the_request_state(settings: Settings) -> None:
    log: list[str] = []
    parts: list[Subsystem] = [Recorded("a", log, state={"greeting": 1}), Recorded("b", log, state={"greeting": 2})]
    with pytest.raises(RuntimeError, match="greeting"):
        async with serving(create_app(settings, parts)):
            pass
    assert log == ["start a", "start b", "stop b", "stop a"]


async def test_errors_of_any_subsystem_are_answered_as_ditto_errors(settings: Settings) -> None:
    parts: list[Subsystem] = [Recorded("a", [])]  # its route finds no greeting in the state: a bug
    async with serving(create_app(settings, parts)) as client:
        response = await client.get("/a")
        assert (response.status_code, response.json()["error"]) == (500, "internal.error")
        assert (await client.get("/nowhere")).json()["error"] == "gateway:resource.notfound"


async def test_the_http_api_connectivity_history_wot_and_the_console_are_the_subsystems(settings: Settings) -> None:
    assert [type(part).__name__ for part in subsystems_of(settings)] == [
        "HttpApi", "Connectivity", "History", "Wot", "Console"]
    without_console = [type(part).__name__ for part in subsystems_of(replace(settings, console=False))]
    assert without_console == ["HttpApi", "Connectivity", "History", "Wot"]
    async with serving(create_app(settings)) as client:
        assert (await client.get("/health")).json() == {"status": "UP"}
        whoami = await client.get("/api/2/whoami", auth=("ditto", "any"))
        assert whoami.json()["defaultSubject"] == "nginx:ditto"


async def test_started_is_called_once_every_subsystem_started_and_before_any_request(settings: Settings) -> None:
    log: list[str] = []
    parts: list[Subsystem] = [Recorded("a", log, state={"greeting": "hello"}), Recorded("b", log)]
    async with serving(create_app(settings, parts, started=lambda: log.append("started"))) as client:
        assert log == ["start a", "start b", "started"]
        assert (await client.get("/a")).text == "hello"
    assert log == ["start a", "start b", "started", "stop b", "stop a"]


def test_settle_gc_freezes_what_the_process_holds_and_makes_young_collections_rare() -> None:
    held = [object()]  # a container the collector tracks, alive when the process settles
    threshold = gc.get_threshold()
    try:
        settle_gc()
        assert gc.get_threshold() == (YOUNG_GC_THRESHOLD, threshold[1], threshold[2])
        assert gc.get_freeze_count() > 0
        assert not any(tracked is held for tracked in gc.get_objects())  # frozen: no collection traverses it
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
    assert any(tracked is held for tracked in gc.get_objects())
