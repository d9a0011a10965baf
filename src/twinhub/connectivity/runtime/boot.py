"""The connection runtime of a worker, opened on the platform: every stored open connection started, every
`ConnectionEvent` on the bus followed (from any worker), everything stopped when the worker stops.

    async with open_runtime(platform, settings) as operator:    # a ConnectionOperator for the routes
        ...

Every worker consumes the sources (the brokers share the messages out), but MQTT 3.1.1 ones (no shared
subscriptions); the first worker of a server (slot 0, see `worker`) alone publishes to the targets, since
every worker sees every event. Several servers of one deployment (on several hosts) each publish (and each
consume an MQTT 3.1.1 source): a known limit, for now.

The bus subscription is taken before the stored connections are read, so a change made meanwhile is not
missed (applying a connection twice is a no-op). A subscription cut off for falling behind is replaced and
every connection read again from the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from functools import partial

from twinhub.config import Settings
from twinhub.connectivity.clients import open_client
from twinhub.connectivity.clients.base import REFUSAL_LOGGER
from twinhub.connectivity.mapping import MapperRegistry
from twinhub.connectivity.model import Connection
from twinhub.connectivity.runtime.connection import RuntimeContext
from twinhub.connectivity.runtime.manager import ConnectionManager
from twinhub.connectivity.runtime.operator import RuntimeOperator
from twinhub.connectivity.runtime.refusals import RefusalsToMonitors
from twinhub.connectivity.runtime.worker import worker_identity
from twinhub.connectivity.service import event_connection, stored_connection
from twinhub.model.errors import TwinhubError
from twinhub.model.events import ConnectionEvent
from twinhub.service.platform import Platform

__all__ = ["mapper_registry", "open_runtime"]

log = logging.getLogger(__name__)


def mapper_registry(connection: Connection) -> MapperRegistry:
    return MapperRegistry(connection.id, {alias: definition.to_json()
                                          for alias, definition in connection.mapping_definitions.items()})


def _runnable(connection_id: str, parse: Callable[[], Connection | None]) -> tuple[bool, Connection | None]:
    """(whether it parsed, the connection or None for a deletion); one that does not parse (stored by an
    older or newer twinhub) is skipped, said loudly."""
    try:
        return True, parse()
    except TwinhubError as error:
        log.error("connection %s cannot be run: %s", connection_id, error.message)
        return False, None


@contextlib.asynccontextmanager
async def open_runtime(platform: Platform, settings: Settings) -> AsyncIterator[RuntimeOperator]:
    with worker_identity(settings.data_dir) as identity:
        services = platform.session_services()
        manager = ConnectionManager(RuntimeContext(services, open_client, mapper_registry, identity.client_id,
                                                   first_worker=identity.slot == 0))
        follower = asyncio.create_task(_follow(platform, manager))
        refusals = RefusalsToMonitors(manager, asyncio.get_running_loop())
        REFUSAL_LOGGER.addHandler(refusals)
        try:
            yield RuntimeOperator(manager, polls=platform.polls)
        finally:
            REFUSAL_LOGGER.removeHandler(refusals)
            follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await follower
            await manager.aclose()


async def _follow(platform: Platform, manager: ConnectionManager) -> None:
    while True:
        subscription = platform.bus.subscribe()
        try:
            for stored in await platform.store.connections():
                parsed, connection = _runnable(stored.connection_id, partial(stored_connection, stored))
                if parsed and connection is not None:
                    await manager.apply(connection.id, connection)
            async for event in subscription:
                if isinstance(event, ConnectionEvent):
                    parsed, connection = _runnable(event.connection_id, partial(event_connection, event))
                    if parsed:
                        await manager.apply(event.connection_id, connection)
        finally:
            subscription.close()
        log.warning("the connection runtime fell behind the bus: reading every connection again")
