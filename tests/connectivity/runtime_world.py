"""A worker's platform in process (embedded store, in-process bus) with connection runtimes on it, for the
runtime tests: the same services the server gives its subsystems, without HTTP."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

from twinhub.app import open_platform
from twinhub.config import load_settings
from twinhub.connectivity.clients.base import ClientSettings, ConnectionClient
from twinhub.connectivity.clients.mqtt import MqttClient
from twinhub.connectivity.model import Connection, parse_connection
from twinhub.connectivity.runtime import mapper_registry
from twinhub.connectivity.runtime.connection import ConnectionRuntime, RuntimeContext
from twinhub.model.commands import ThingCommand
from twinhub.model.types import JsonValue
from twinhub.service.platform import Platform
from twinhub.service.session import SessionServices


def open_client(settings: ClientSettings) -> ConnectionClient:
    return MqttClient(settings)


@contextlib.asynccontextmanager
async def worker(data_dir: Path) -> AsyncIterator[Platform]:
    async with open_platform(load_settings({}, data_dir=data_dir)) as platform:
        yield platform


def context_of(platform: Platform, client_ids: list[str]) -> RuntimeContext:
    def client_id(connection: Connection) -> str:
        client_ids.append(f"twinhub-test-{connection.id}-{uuid.uuid4().hex[:8]}")
        return client_ids[-1]

    services = SessionServices(platform.things, platform.policies, platform.search, platform.events, platform.live,
                               platform.permissions)
    return RuntimeContext(services, open_client, mapper_registry, client_id, backoff_min=0.2, backoff_max=1.0)


def mqtt_connection(url: str, *, sources: list[JsonValue] | None = None, targets: list[JsonValue] | None = None,
                    kind: str = "mqtt-5") -> Connection:
    return parse_connection({"id": f"mqtt-{uuid.uuid4().hex[:8]}", "connectionType": kind, "connectionStatus": "open",
                             "uri": url, "sources": sources or [], "targets": targets or []})


@contextlib.asynccontextmanager
async def running(connection: Connection, context: RuntimeContext) -> AsyncIterator[ConnectionRuntime]:
    runtime = ConnectionRuntime(connection, context)
    runtime.start()
    try:
        yield runtime
    finally:
        await runtime.stop()


async def create_thing(platform: Platform, thing_id: str, subjects: tuple[str, ...],
                       document: dict[str, JsonValue] | None = None) -> None:
    """A thing with the default policy: `subjects` may do everything with it."""
    await platform.things.execute(ThingCommand("modify", thing_id, (), document or {"attributes": {}}), subjects)


async def thing_at(platform: Platform, thing_id: str, subjects: tuple[str, ...]) -> JsonValue:
    return (await platform.things.retrieve(thing_id, (), subjects)).value
