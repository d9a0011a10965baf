"""Managing connections as Ditto's connectivity service does: create, retrieve, modify, delete, test, and
the connection commands, with revisions and conditional headers.

Every change is one compare-and-set write of the connection (through the store's commit unit, in the
connection's lane of an `EntityWriter`, so that concurrent changes on one worker queue and those of other
workers are retried on the fresh revision), then published as a `ConnectionEvent` that every worker's
connection runtime follows. The runtime itself is behind `ConnectionOperator`.

Who may call it is the routes' concern (`twinhub.connectivity.routes`): the service trusts its caller.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Final

from twinhub.bus.base import EventBus
from twinhub.connectivity.model import (
    Connection,
    ConnectivityStatus,
    parse_connection,
    validate,
)
from twinhub.connectivity.operator import ConnectionOperator
from twinhub.model.errors import (
    ConnectionConflict,
    ConnectionIdNotSettable,
    ConnectionNotAccessible,
    ConnectionsAmountIllegal,
    ConnectivityCommandInvalid,
    JsonParseInvalid,
    TooManyRequests,
)
from twinhub.model.etag import NO_PRECONDITIONS, Preconditions, check_preconditions, revision_tag
from twinhub.model.events import (
    NO_HEADERS,
    ConnectionAction,
    ConnectionEvent,
    ConnectionWrite,
    EventHeaders,
    StoredConnection,
    format_timestamp,
    read_timestamp,
)
from twinhub.model.random_ids import random_uuid
from twinhub.model.types import JsonObject, JsonValue
from twinhub.service.writer import EntityWriter
from twinhub.store.base import Store
from twinhub.store.commit import Commit

__all__ = ["COMMANDS", "DEFAULT_RETRIEVE_LIMIT", "ConnectionService", "etag", "event_connection", "stored_connection"]

# The `/command` texts and what each asks of the runtime (open and close also store the new status).
OPEN: Final = "connectivity.commands:openConnection"
CLOSE: Final = "connectivity.commands:closeConnection"
RESET_METRICS: Final = "connectivity.commands:resetConnectionMetrics"
ENABLE_LOGS: Final = "connectivity.commands:enableConnectionLogs"
RESET_LOGS: Final = "connectivity.commands:resetConnectionLogs"
COMMANDS: Final = (OPEN, CLOSE, RESET_METRICS, ENABLE_LOGS, RESET_LOGS)

DRY_RUN_SUFFIX: Final = "-dry-run"
# At most this many connections are retrieved whole in one request (Ditto's connections-retrieve-limit).
DEFAULT_RETRIEVE_LIMIT: Final = 100


class ConnectionService:
    def __init__(self, store: Store, bus: EventBus, operator: ConnectionOperator, *,
                 retrieve_limit: int = DEFAULT_RETRIEVE_LIMIT,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._store = store
        self._retrieve_limit = retrieve_limit
        self._operator = operator
        self._now = now
        self._writer = EntityWriter(store, bus, too_many=_too_many, forget=lambda _id: None,
                                    remember=lambda _unit: None)

    # -- reads ------------------------------------------------------------------------------------

    async def retrieve_all(self) -> list[Connection]:
        """Every connection, by id; raises ConnectionsAmountIllegal when there are more than the retrieve
        limit (as Ditto; their ids are not limited)."""
        found = await self._store.connections(limit=self._retrieve_limit + 1)
        if len(found) > self._retrieve_limit:
            raise ConnectionsAmountIllegal(self._retrieve_limit)
        return [stored_connection(stored) for stored in found]

    async def retrieve_ids(self) -> list[str]:
        """The id of every connection, by id."""
        return [stored.connection_id for stored in await self._store.connections()]

    async def retrieve(self, connection_id: str, *, preconditions: Preconditions = NO_PRECONDITIONS
                       ) -> Connection:
        """The connection; raises ConnectionNotAccessible, or 412/304 for its conditional headers."""
        connection = await self._load(connection_id)
        _check(preconditions, connection, is_read=True)
        return connection

    # -- changes ----------------------------------------------------------------------------------

    async def create(self, value: JsonValue, *, headers: EventHeaders = NO_HEADERS) -> Connection:
        """A new connection of `value` under a generated id (an id in `value` is refused, as Ditto);
        a missing `connectionStatus` is `unknown`. Raises the model's errors for an invalid connection."""
        if isinstance(value, dict) and "id" in value:
            raise ConnectionIdNotSettable()
        connection = self._parse(value, random_uuid(), default_status=ConnectivityStatus.UNKNOWN)

        async def attempt() -> Connection:
            if await self._store.load_connection(connection.id) is not None:  # a uuid4 repeated, or a tombstone
                raise ConnectionConflict(connection.id)
            return await self._write(connection, None, "created", headers)

        return await self._writer.execute(connection.id, attempt)

    async def modify(self, connection_id: str, value: JsonValue, *,
                     preconditions: Preconditions = NO_PRECONDITIONS, headers: EventHeaders = NO_HEADERS
                     ) -> Connection:
        """Replace the existing connection `connection_id` with `value` (Ditto: it must exist; an `id` in
        `value` must be `connection_id`)."""
        if isinstance(value, dict) and value.get("id", connection_id) != connection_id:
            raise ConnectionIdNotSettable()
        connection = self._parse(value, connection_id)

        async def attempt() -> Connection:
            current = await self._load(connection_id)
            _check(preconditions, current, is_read=False)
            return await self._write(connection, current, "modified", headers)

        return await self._writer.execute(connection_id, attempt)

    async def delete(self, connection_id: str, *, preconditions: Preconditions = NO_PRECONDITIONS,
                     headers: EventHeaders = NO_HEADERS) -> None:
        async def attempt() -> None:
            current = await self._load(connection_id)
            _check(preconditions, current, is_read=False)
            await self._write(None, current, "deleted", headers)

        await self._writer.execute(connection_id, attempt)

    async def command(self, connection_id: str, text: str, *, headers: EventHeaders = NO_HEADERS) -> None:
        """Run a `/command` (one of `COMMANDS`, surrounding whitespace ignored); raises
        ConnectivityCommandInvalid for any other text, ConnectionNotAccessible for an unknown connection."""
        command = text.strip()
        if command not in COMMANDS:
            raise ConnectivityCommandInvalid(command)
        if command in (OPEN, CLOSE):
            status = ConnectivityStatus.OPEN if command == OPEN else ConnectivityStatus.CLOSED

            async def attempt() -> Connection:
                current = await self._load(connection_id)
                if current.connection_status is status:
                    return current
                return await self._write(current.with_status(status), current, "modified", headers)

            connection = await self._writer.execute(connection_id, attempt)
            await (self._operator.open if command == OPEN else self._operator.close)(connection)
            return
        connection = await self._load(connection_id)
        if command == RESET_METRICS:
            await self._operator.reset_metrics(connection)
        elif command == ENABLE_LOGS:
            await self._operator.enable_logs(connection)
        else:
            await self._operator.reset_logs(connection)

    async def test(self, value: JsonValue) -> JsonObject:
        """Dry-run: validate `value` as a connection under a temporary id (as Ditto, whatever id it has) and
        let the runtime try it; nothing is stored. Raises the model's errors, or the runtime's."""
        temporary = random_uuid() + DRY_RUN_SUFFIX
        connection = self._parse(value, temporary, default_status=ConnectivityStatus.UNKNOWN)  # sets the id
        return await self._operator.test(connection)

    # -- what the runtime knows -------------------------------------------------------------------

    async def status(self, connection_id: str) -> JsonObject:
        return await self._operator.status(await self._load(connection_id))

    async def metrics(self, connection_id: str) -> JsonObject:
        return await self._operator.metrics(await self._load(connection_id))

    async def logs(self, connection_id: str) -> JsonObject:
        return await self._operator.logs(await self._load(connection_id))

    # -- steps ------------------------------------------------------------------------------------

    def _parse(self, value: JsonValue, connection_id: str, *,
               default_status: ConnectivityStatus | None = None) -> Connection:
        if not isinstance(value, dict):
            raise JsonParseInvalid("The connection is not a JSON object.")
        # The service's own fields are not the client's to set.
        document = {key: item for key, item in value.items() if key not in ("_revision", "_created", "_modified")}
        document["id"] = connection_id
        connection = parse_connection(document, default_status=default_status)
        validate(connection)
        return connection

    async def _load(self, connection_id: str) -> Connection:
        stored = await self._store.load_connection(connection_id)
        if stored is None or stored.deleted:
            raise ConnectionNotAccessible(connection_id)
        return stored_connection(stored)

    async def _write(self, connection: Connection | None, current: Connection | None, action: ConnectionAction,
                     headers: EventHeaders) -> Connection:
        """Commit `connection` (None: delete `current`) at the revision after `current`'s; publish its event.
        Raises RevisionConflict when another writer came first (the writer's lane runs it again)."""
        now = self._now()
        revision = 1 if current is None else (current.revision or 0) + 1
        created = now if current is None or current.created is None else read_timestamp(current.created)
        target = connection or current
        assert target is not None
        doc: JsonObject = {} if connection is None else connection.to_json()
        stored = StoredConnection(target.id, doc, revision, created, now, deleted=connection is None)
        event = ConnectionEvent(target.id, action, doc if connection is not None else None, revision, now,
                                headers=headers)
        await self._writer.commit(Commit(connections=(ConnectionWrite(stored, event, revision - 1),)))
        return stored_connection(stored) if connection is not None else target


def etag(connection: Connection) -> str:
    return revision_tag(connection.revision or 0)


def _check(preconditions: Preconditions, connection: Connection, *, is_read: bool) -> None:
    check_preconditions(if_match=preconditions.if_match, if_none_match=preconditions.if_none_match,
                        current=etag(connection), is_read=is_read, entity="Connection")


def stored_connection(stored: StoredConnection) -> Connection:
    """The stored JSON as a connection, with the store's revision and times (written by this service, so it
    parses; a connection stored by an older twinhub that no longer does is answered as its error). For the
    runtime: `[stored_connection(s) for s in await store.connections()]` at start."""
    document = {**stored.doc, "_revision": stored.revision, "_created": format_timestamp(stored.created),
                "_modified": format_timestamp(stored.modified)}
    return parse_connection(document)


def event_connection(event: ConnectionEvent) -> Connection | None:
    """The connection as a `ConnectionEvent` carries it (with the event's revision and time as `_revision`
    and `_modified`), or None for a deletion. For the runtime following the bus."""
    if not isinstance(event.value, dict):
        return None
    return parse_connection({**event.value, "_revision": event.revision,
                             "_modified": format_timestamp(event.timestamp)})


def _too_many(connection_id: str) -> TooManyRequests:
    return TooManyRequests(f"Too many modifying requests are already outstanding to the Connection with ID "
                           f"'{connection_id}'.", retry_after=1)

