"""One AMQP protocol as the AMQP tests see it (test_amqp*.py, test_e2e_amqp*.py; conftest's `amqp_side`,
`amqp_peer` and `amqp_client` fixtures run a scenario over both): its client, its broker, and how it names a
queue.

    side = amqp10(running_node)          # or amqp091(vhost), amqp091(node=running_node)
    client = side.client(max_in_flight=3)
    deliveries = side.deliveries(client, queue)
    await client.publish(ExternalMessage(payload=b"x", address=side.target(queue)))
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import anyio

from tests.connectivity.e2e import OWNER, Connections
from tests.connectivity.rabbit_node import RabbitNode
from tests.integration.services import RABBITMQ
from twinhub.connectivity.clients.amqp091 import Amqp091Client
from twinhub.connectivity.clients.amqp10 import Amqp10Client
from twinhub.connectivity.clients.base import ClientSettings, Delivery, Outcome, SourceSettings

Client = Amqp091Client | Amqp10Client


@dataclass(frozen=True)
class Side:
    connection_type: str
    uri_at: Callable[[int], str]  # the broker's URI with the guest's credentials, through another port
    port: int  # the broker's own port
    source: Callable[[str], str]  # the address a source consumes a queue at
    target: Callable[[str], str]  # ... and a target sends into it at
    exchange: Callable[[str, str], str]  # the address a target sends to an exchange with a routing key at
    refused_when_deleted: str | None  # what the failure says when the broker deletes a consumed queue (None: any)
    refused_when_full: str | None  # ... when the broker refuses a publish
    frozen_after: str  # the URI's query that makes a frozen broker a failure within seconds
    refused_when_frozen: str | None  # ... and what the failure says then
    ctl: Callable[..., str]  # `rabbitmqctl <command> <arguments>` in the side's virtual host; what it printed

    @property
    def uri(self) -> str:
        return self.uri_at(self.port)

    def settings(self, uri: str | None = None, **overrides: object) -> ClientSettings:
        values: dict[str, object] = {"connection_id": self.connection_type, "connection_type": self.connection_type,
                                     "uri": self.uri if uri is None else uri, "client_id": uuid.uuid4().hex,
                                     "group": self.connection_type, "connect_timeout": 5.0, "publish_timeout": 5.0}
        return ClientSettings(**(values | overrides))  # type: ignore[arg-type]

    def client(self, uri: str | None = None, **overrides: object) -> Client:
        settings = self.settings(uri, **overrides)
        return Amqp091Client(settings) if self.connection_type == "amqp-091" else Amqp10Client(settings)

    def held(self, queue: str) -> int:
        """The messages `queue` holds, ready or delivered and not yet settled (the broker's count)."""
        listing = self.ctl("list_queues", "-q", "--no-table-headers", "name", "messages")
        counts = {name: int(count) for name, count in (line.split() for line in listing.splitlines() if line.strip())}
        return counts[queue]

    async def open_source(self, connections: Connections, queue: str) -> str:
        """A connection made over the API consuming `queue` as the user `ditto` (end-to-end tests), once open."""
        source = {"addresses": [self.source(queue)], "authorizationContext": [OWNER]}
        return await connections.open({"connectionType": self.connection_type, "uri": self.uri, "sources": [source]})

    async def take_one(self, queue: str) -> bytes:
        """The payload of the next message of `queue`, taken and accepted by a client of its own."""
        client = self.client()
        await client.connect()
        try:
            deliveries = self.deliveries(client, queue)
            with anyio.fail_after(10):
                delivery = await anext(deliveries)
            await delivery.settle(Outcome.ACCEPT)
            await deliveries.aclose()  # type: ignore[attr-defined]
            return delivery.message.payload
        finally:
            await client.aclose()

    def deliveries(self, client: Client, queue: str) -> AsyncIterator[Delivery]:
        return client.deliveries(SourceSettings(addresses=(self.source(queue),)))


def amqp091(vhost: str = "", node: RabbitNode | None = None) -> Side:
    """AMQP 0.9.1 on the machine's RabbitMQ in `vhost`, or on the tests' own `node` (its default vhost)."""

    def machine_ctl(command: str, *arguments: str) -> str:
        return subprocess.run(["rabbitmqctl", command, "-p", vhost, *arguments], check=True, capture_output=True,
                              text=True, timeout=60).stdout

    return Side("amqp-091", lambda at: f"amqp://guest:guest@127.0.0.1:{at}/{vhost}",
                RABBITMQ[1] if node is None else node.port, ctl=machine_ctl if node is None else node.ctl,
                source=lambda queue: queue, target=lambda queue: f"/{queue}",  # the default exchange
                exchange=lambda exchange, key: f"{exchange}/{key}",
                refused_when_deleted="cancelled", refused_when_full="refused",
                frozen_after="?heartbeat=1", refused_when_frozen=None)  # aio-pika's heartbeat, in seconds


def amqp10(node: RabbitNode) -> Side:
    """AMQP 1.0 on the tests' own RabbitMQ node."""
    # RabbitMQ 3.10's AMQP 1.0 plugin drops the whole connection both when a consumed queue is deleted and
    # when it nacks a publish (instead of `rejected`): any failure will do, as long as it is one
    return Side("amqp-10", lambda at: f"amqp://guest:guest@127.0.0.1:{at}", node.port, ctl=node.ctl,
                source=lambda queue: f"/amq/queue/{queue}", target=lambda queue: f"/amq/queue/{queue}",
                exchange=lambda exchange, key: f"/exchange/{exchange}/{key}",
                refused_when_deleted=None, refused_when_full=None,
                frozen_after="?amqp.idleTimeout=2000", refused_when_frozen="idle")  # milliseconds
