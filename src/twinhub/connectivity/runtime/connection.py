"""One open connection on one worker: its client, kept connected, and its sources and targets at work on it.

    runtime = ConnectionRuntime(connection, context)
    runtime.start()            # connects in the background, reconnecting with backoff whenever the link fails
    runtime.status()           # Ditto's /status entries of this worker (client, sources, targets)
    await runtime.stop()

Each attempt builds a new client (clients are not reopenable), connects, and runs one session per source
(`inbound.SourceConsumer`) and per target (`outbound.TargetPublisher`) on it until the client fails; then
everything of that attempt ends and the next attempt waits `backoff`: exponential from `backoff_min` up to
`backoff_max` seconds with jitter (so that many workers do not come back at the same instant), growing
while links keep failing shortly after they came up (a message the store cannot take yet, say).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Final, Protocol

from twinhub.auth.context import AuthContext
from twinhub.connectivity.clients.base import ClientFailure, ClientSettings, ConnectionClient
from twinhub.connectivity.mapping.base import MapperConfigurationInvalid, PayloadMapper
from twinhub.connectivity.model import Connection, ConnectionType
from twinhub.connectivity.runtime.inbound import DEFAULT_MAX_IN_FLIGHT, SourceConsumer
from twinhub.connectivity.runtime.monitor import ConnectionMonitor
from twinhub.connectivity.runtime.outbound import TargetPublisher, issued_label
from twinhub.connectivity.runtime.parties import SourceParties
from twinhub.model.types import JsonObject
from twinhub.service.receipts import Receipts
from twinhub.service.session import Session, SessionServices, SessionTasks

__all__ = ["BuildMappers", "ConnectionRuntime", "Mappers", "OpenClient", "RuntimeContext", "backoff",
           "client_settings"]

log = logging.getLogger(__name__)

OpenClient = Callable[[ClientSettings], ConnectionClient]


class Mappers(Protocol):
    """A connection's mappers (`twinhub.connectivity.mapping.MapperRegistry`), built once per runtime."""

    def mappers(self, payload_mapping: Sequence[str] = ()) -> list[PayloadMapper]:
        """The mappers of a source's or target's `payloadMapping` (empty: Ditto's default)."""
        ...

    def close(self) -> None: ...


# Builds the mappers of a connection from its `mappingDefinitions`; raises MapperConfigurationInvalid.
BuildMappers = Callable[[Connection], Mappers]

STABLE_AFTER: Final = 30.0  # seconds a link must last for the backoff to start again from its minimum


def backoff(attempt: int, *, minimum: float, maximum: float) -> float:
    """Seconds to wait before attempt `attempt` (0 = the first retry): exponential, half of it jitter."""
    ceiling = min(maximum, minimum * 2.0 ** min(attempt, 30))
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def client_settings(connection: Connection, client_id: str) -> ClientSettings:
    """The settings of a client of `connection`; the workers' clients share the group named after it (MQTT 5
    shared subscriptions, NATS queue groups)."""
    return ClientSettings(connection_id=connection.id, connection_type=connection.connection_type.value,
                          uri=connection.uri, client_id=client_id, group=f"twinhub-{connection.id}",
                          specific_config=dict(connection.specific_config),
                          validate_certificates=connection.validate_certificates)


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class RuntimeContext:
    """What every connection runtime of a worker shares."""

    services: SessionServices
    open_client: OpenClient
    build_mappers: BuildMappers
    client_id: Callable[[Connection], str]  # unique per worker, stable across its restarts
    backoff_min: float = 1.0
    backoff_max: float = 60.0
    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT
    # Whether this is the first worker of its server. Every worker sees every event, so only the first
    # publishes to targets (each signal goes out once, as Ditto's connection does); every worker consumes
    # the sources, but for MQTT 3.1.1 (no shared subscriptions: the others would only get duplicates).
    first_worker: bool = True


@dataclass(slots=True)
class _Status:
    status: str = "closed"  # open, failed, closed (Ditto's ConnectivityStatus of a resource)
    details: str = "not connected yet"
    since: float = field(default_factory=time.time)

    def set(self, status: str, details: str) -> None:
        if status != self.status:
            self.since = time.time()
        self.status, self.details = status, details


class ConnectionRuntime:
    def __init__(self, connection: Connection, context: RuntimeContext, *,
                 monitor: ConnectionMonitor | None = None) -> None:
        self.connection = connection
        self._context = context
        self.monitor = monitor or ConnectionMonitor(connection.id)
        self._client_id = context.client_id(connection)
        self._client = _Status()
        # MQTT 3.1.1 has no shared subscriptions: its sources are consumed by the first worker alone.
        self._sources_here = context.first_worker or connection.connection_type is not ConnectionType.MQTT
        self._sources = [_Status() if self._sources_here else _Status("closed", "consumed by another worker")
                         for _ in connection.sources]
        self._targets = [_Status() if context.first_worker else _Status("closed", "published by another worker")
                         for _ in connection.targets]
        self._connected_since: float | None = None
        self._task: asyncio.Task[None] | None = None
        self._up = asyncio.Event()  # set while the client is connected
        # Script mappers may run up to their time limit: off the event loop, in a thread.
        self._offload = any(definition.mapping_engine == "JavaScript"
                            for definition in connection.mapping_definitions.values())

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"connection {self.connection.id}")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._client.set("closed", "closed")
        for status in (*(self._sources if self._sources_here else ()),
                       *(self._targets if self._context.first_worker else ())):
            status.set("closed", "closed")
        self._connected_since = None

    async def connected(self) -> None:
        """Return once the client is connected (at once when it is)."""
        await self._up.wait()

    @property
    def client_settings(self) -> ClientSettings:
        return client_settings(self.connection, self._client_id)

    @property
    def client_details(self) -> str:
        """What the client's status says (why it is not connected, say)."""
        return self._client.details

    # -- the loop ----------------------------------------------------------------------------------

    async def _run(self) -> None:
        context = self._context
        templated = [subject for target in self.connection.targets for subject in target.authorization_context
                     if "{{" in subject]
        if templated:  # a target's subjects read every signal: there is no message to resolve them from
            problem = f"placeholders in a target's authorizationContext cannot be resolved: {', '.join(templated)}"
            self._client.set("failed", f"misconfigured: {problem}")
            self.monitor.log("connection", "other", f"The connection cannot run: {problem}.")
            return
        try:
            mappers = context.build_mappers(self.connection)
        except MapperConfigurationInvalid as invalid:
            self._client.set("failed", f"misconfigured: {invalid}")
            self.monitor.log("connection", "other", f"The payload mapping is misconfigured: {invalid}")
            return  # nothing a retry would change: the connection must be modified
        try:
            await self._keep_connected(mappers)
        finally:
            mappers.close()

    async def _keep_connected(self, mappers: Mappers) -> None:
        attempt = 0
        context = self._context
        while True:
            started = time.monotonic()
            try:
                await self._attempt(mappers)
            except ClientFailure as failure:
                self._failed(str(failure))
            except MapperConfigurationInvalid as invalid:  # a source's or target's payloadMapping
                self._client.set("failed", f"misconfigured: {invalid}")
                self.monitor.log("connection", "other", f"The payload mapping is misconfigured: {invalid}")
                return
            except Exception as unexpected:  # a bug must not end the connection for good: said, and retried
                log.exception("connection %s failed unexpectedly", self.connection.id)
                self._failed(f"internal error: {unexpected!r}")
            if time.monotonic() - started > STABLE_AFTER:
                attempt = 0
            delay = backoff(attempt, minimum=context.backoff_min, maximum=context.backoff_max)
            attempt += 1
            self._client.set("failed", f"{self._client.details} (next attempt in {delay:.1f} s)")
            await asyncio.sleep(delay)

    async def _attempt(self, mappers: Mappers) -> None:
        connection, context = self.connection, self._context
        if not (connection.sources and self._sources_here) and not (connection.targets and context.first_worker):
            await self._idle()
            return
        client = context.open_client(self.client_settings)
        try:
            await client.connect()
            # One connection, one party for live signals: what a target received, a source may answer, on
            # whichever worker it consumes the answer (named, the first worker's target receipts vouch for it).
            labels = [label for target in connection.targets if (label := issued_label(connection, target))]
            receipts = Receipts(labels, party=f"connection:{connection.id}")
            async with contextlib.AsyncExitStack() as stack, asyncio.TaskGroup() as group:
                for index, source in enumerate(connection.sources if self._sources_here else ()):
                    parties = SourceParties(source.authorization_context, partial(self._new_session, receipts),
                                            connection_id=connection.id)
                    consumer = SourceConsumer(connection, source, parties=parties,
                                              mappers=mappers.mappers(source.payload_mapping), monitor=self.monitor,
                                              max_in_flight=context.max_in_flight, offload=self._offload)
                    group.create_task(self._consume(consumer, client, index))
                for index, target in enumerate(connection.targets if context.first_worker else ()):
                    label = issued_label(connection, target)
                    session = await self._session(stack, target.authorization_context, (label,) if label else (),
                                                  receipts)
                    publisher = TargetPublisher(connection, target, session=session, monitor=self.monitor,
                                                mappers=mappers.mappers(target.payload_mapping), offload=self._offload)
                    await publisher.subscribe()
                    self._targets[index].set("open", "publishing")
                    group.create_task(publisher.run(client))
                # Open once the targets' streams are in place (the sources subscribe as they start).
                self._connected_since = time.time()
                self._client.set("open", "connected")
                self.monitor.log("connection", "other", "Connected.", success=True)
                self._up.set()
        except* ClientFailure as failures:
            raise _first(failures) from None
        finally:
            self._up.clear()
            self._connected_since = None
            await client.aclose()

    async def _idle(self) -> None:
        """Nothing of the connection runs on this worker (another consumes and publishes): no client."""
        self._connected_since = time.time()
        self._client.set("open", "another worker of this server runs the connection")
        self._up.set()
        await asyncio.Event().wait()  # until stopped

    def _new_session(self, receipts: Receipts, subjects: tuple[str, ...], tasks: SessionTasks) -> Session:
        return Session(self._context.services, AuthContext(subjects), tasks=tasks, receipts=receipts)

    async def _session(self, stack: contextlib.AsyncExitStack, subjects: Sequence[str],
                       declared: tuple[str, ...], receipts: Receipts) -> Session:
        tasks = await stack.enter_async_context(SessionTasks())
        session = Session(self._context.services, AuthContext(tuple(subjects)), tasks=tasks, declared_acks=declared,
                          receipts=receipts)
        stack.callback(session.close)
        await session.open()
        return session

    async def _consume(self, consumer: SourceConsumer, client: ConnectionClient, index: int) -> None:
        self._sources[index].set("open", "consuming")
        await consumer.run(client)

    def _failed(self, details: str) -> None:
        self._client.set("failed", details)
        for status in (*(self._sources if self._sources_here else ()),
                       *(self._targets if self._context.first_worker else ())):
            status.set("failed", "the client is not connected")
        self.monitor.log("connection", "other", f"The connection failed: {details}")
        log.warning("connection %s: %s", self.connection.id, details)

    # -- status ------------------------------------------------------------------------------------

    @property
    def live_status(self) -> str:
        return self._client.status

    @property
    def connected_since(self) -> str | None:
        return None if self._connected_since is None else _iso(self._connected_since)

    def status_entries(self) -> tuple[list[JsonObject], list[JsonObject], list[JsonObject]]:
        """Ditto's clientStatus, sourceStatus and targetStatus entries of this worker."""
        def entry(kind: str, status: _Status, address: str | None = None) -> JsonObject:
            result: JsonObject = {"type": kind, "client": self._client_id, "status": status.status,
                                  "statusDetails": status.details, "inStateSince": _iso(status.since)}
            if address is not None:
                result["address"] = address
            return result

        clients = [entry("client", self._client)]
        sources = [entry("source", status, address) for source, status in zip(self.connection.sources, self._sources,
                                                                              strict=True)
                   for address in source.addresses]
        targets = [entry("target", status, target.address)
                   for target, status in zip(self.connection.targets, self._targets, strict=True)]
        return clients, sources, targets


def _first(group: BaseExceptionGroup[ClientFailure]) -> ClientFailure:
    """The first failure of a (nested) group: why the link ended."""
    first = group.exceptions[0]
    return _first(first) if isinstance(first, BaseExceptionGroup) else first
