"""Opening the engines a server runs on, from its settings: the store (embedded SQLite, or PostgreSQL at
`store_url`), the users of basic authentication and the devices beside it, the event bus (in-process, or NATS
JetStream at `bus_url`) and the signal bus of live messages and acknowledgements (in-process, or core
NATS at `bus_url`), and the polls of every worker beside it. Everything opened here is closed when the
`async with` ends."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from twinhub.bus.base import EventBus
from twinhub.bus.inprocess import InProcessBus
from twinhub.bus.polls import InProcessPolls, WorkerPolls, open_nats_polls
from twinhub.bus.signals import InProcessSignalBus, SignalBus, open_nats_signal_bus
from twinhub.config import Settings
from twinhub.store.base import Store
from twinhub.store.devices import DeviceStore
from twinhub.store.users import UserStore
from twinhub.store.wot_models import ThingModelStore

# The application_name of the connection on which each worker listens for changed passwords.
LISTENER_NAME = "twinhub-listener"


@dataclass(frozen=True, slots=True)
class Backends:
    store: Store
    users: UserStore
    devices: DeviceStore
    bus: EventBus
    signals: SignalBus
    polls: WorkerPolls  # questions to every worker (connections' status, metrics, logs)
    wot_models: ThingModelStore  # the WoT Thing Models kept in twinhub


def is_embedded(settings: Settings) -> bool:
    return not settings.store_url


@contextlib.asynccontextmanager
async def open_backends(settings: Settings) -> AsyncIterator[Backends]:
    async with contextlib.AsyncExitStack() as stack:
        store: Store
        users: UserStore
        devices: DeviceStore
        wot_models: ThingModelStore
        if is_embedded(settings):
            from twinhub.store.sqlite import DATABASE_FILE, open_sqlite_store
            from twinhub.store.sqlite.devices import SqliteDeviceStore
            from twinhub.store.sqlite.users import SqliteUserStore
            from twinhub.store.sqlite.wot_models import SqliteThingModelStore

            data_dir = Path(settings.data_dir)
            data_dir.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - once, at start
            store = await stack.enter_async_context(open_sqlite_store(data_dir / DATABASE_FILE,
                                                                      rollups=settings.rollup_widths()))
            database = data_dir / DATABASE_FILE
            sqlite_users, sqlite_devices = SqliteUserStore(database), SqliteDeviceStore(database)
            stack.callback(sqlite_users.close)  # their lookup connections, kept open on the loop
            stack.callback(sqlite_devices.close)
            users, devices = sqlite_users, sqlite_devices
            wot_models = SqliteThingModelStore(database)
        else:
            from twinhub.store.postgres import (
                HashCache,
                PostgresDeviceStore,
                PostgresThingModelStore,
                PostgresUserStore,
                open_postgres_store,
            )

            postgres = await stack.enter_async_context(open_postgres_store(settings.store_url,
                                                                           rollups=settings.rollup_widths()))
            hashes = await stack.enter_async_context(HashCache(partial(postgres.connect, LISTENER_NAME)))
            store = postgres
            users, devices = PostgresUserStore(postgres, hashes), PostgresDeviceStore(postgres, hashes)
            wot_models = PostgresThingModelStore(postgres)
        bus: EventBus
        signals: SignalBus
        polls: WorkerPolls
        if settings.bus_url:
            from twinhub.bus.nats import open_nats_bus, recent_events
            from twinhub.service.coherence import RESTORE_CHECK_EVENTS, bus_epoch

            url, stream = settings.bus_url, settings.bus_stream
            # Apart from the subjects of streams before epochs (`twinhub.<stream>.>`), which NATS would
            # refuse to overlap: `twinhub-events.<stream>.<epoch>.>` in the stream `<stream>_<epoch>`.
            prefix = f"twinhub-events.{stream.lower()}"
            epoch = await bus_epoch(store, lambda epoch: recent_events(
                url, epoch=epoch, stream=stream, subject_prefix=prefix, limit=RESTORE_CHECK_EVENTS))
            bus = await stack.enter_async_context(
                open_nats_bus(url, epoch=epoch, stream=stream, subject_prefix=prefix))
            # Core NATS, outside every subject the event stream captures: live signals are never stored,
            # and a store's signals stay within its epoch as its events do.
            signals = await stack.enter_async_context(
                open_nats_signal_bus(url, subject_prefix=f"twinhub-signals.{stream.lower()}.{epoch}"))
            polls = await stack.enter_async_context(
                open_nats_polls(url, subject_prefix=f"twinhub-polls.{stream.lower()}.{epoch}"))
        else:
            bus = InProcessBus()
            stack.push_async_callback(bus.aclose)
            signals = InProcessSignalBus()
            stack.push_async_callback(signals.aclose)
            polls = InProcessPolls()
        yield Backends(store, users, devices, bus, signals, polls, wot_models)
