"""What every broker client offers the connection runtime: connect, receive deliveries of a source, publish,
close. A client moves bytes and settles deliveries; it knows nothing of twins, mapping or Ditto Protocol.

At-least-once is the runtime's job and the client's promise: a delivery is settled (`Outcome.ACCEPT`, an MQTT
PUBACK, an AMQP ack or `accepted`, a NATS JetStream ack) only when the runtime says so, after the twin change
it carries was committed; `Outcome.REDELIVER` asks the broker for it again (AMQP nack/`released`; where the
protocol has no such thing, as MQTT, the client leaves it unacknowledged and says so in its docstring);
`Outcome.REJECT` gives it up (AMQP reject without requeue / `rejected`, i.e. dead-lettered where the broker is
configured for it).

Failures are `ClientFailure`: raised by `connect`, by `publish`, and out of a `deliveries` iterator when the
link is lost. The runtime then closes the client and reconnects with backoff; a client need not reconnect by
itself (but must resume its broker session where the protocol has one, so that unsettled messages come again).

Where the endpoint answers a publish (HTTP push), `publish` returns its answer as a `Reply`, which the runtime
may turn into an acknowledgement or a live response; an answer that refuses the message (HTTP non-2xx) is
`EndpointRejected`, a ClientFailure that carries the `Reply`: the link itself is fine, no need to reconnect.

Bounds: a client keeps at most `ClientSettings.max_in_flight` deliveries of one source unsettled (AMQP prefetch
or link credit, MQTT receive maximum), and gives up (`Outcome.REJECT`) a message larger than
`ClientSettings.max_message_bytes` without yielding it (`refused_as_oversize` decides and logs why, on the logger
`REFUSAL_LOGGER` at WARNING with `extra={"connection_id": ..., "address": ...}`, which the runtime may follow for
the connection's logs and metrics).
"""

from __future__ import annotations

import enum
import logging
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Final, Protocol

from twinhub.connectivity.external import ExternalMessage

__all__ = ["DEFAULT_MAX_IN_FLIGHT", "DEFAULT_MAX_MESSAGE_BYTES", "REFUSAL_LOGGER", "ClientFailure", "ClientSettings",
           "ConnectionClient", "Delivery", "EndpointRejected", "Outcome", "Reply",
           "SettledOnce", "SourceSettings", "refused_as_oversize"]

# Ditto's default message limit (`limits.messages.max-size`) is 250 kB; twinhub rounds to 256 KiB.
DEFAULT_MAX_MESSAGE_BYTES: Final = 256 * 1024
DEFAULT_MAX_IN_FLIGHT: Final = 16
REFUSAL_LOGGER: Final = logging.getLogger("twinhub.connectivity.refused")


class ClientFailure(Exception):
    """The broker cannot be reached, refused the client, or the link was lost: the message says which."""


@dataclass(frozen=True, slots=True)
class Reply:
    """The endpoint's answer to a publish (HTTP push: the response): a status (HTTP's) and the answer as a
    message (headers, body, content type; `address` is the published message's)."""

    status: int
    message: ExternalMessage


class EndpointRejected(ClientFailure):
    """The endpoint answered, and refused the message (HTTP push: a status other than 2xx)."""

    def __init__(self, message: str, reply: Reply) -> None:
        super().__init__(message)
        self.reply = reply


class Outcome(enum.Enum):
    ACCEPT = "accept"  # done: the broker forgets it
    REDELIVER = "redeliver"  # not done: the broker delivers it again (to this or another consumer)
    REJECT = "reject"  # never: dropped or dead-lettered


@dataclass(frozen=True, slots=True)
class ClientSettings:
    """What a client needs of its connection. `group` names the consumers of every worker of a deployment
    for the same connection (MQTT 5 shared subscriptions, NATS queue groups; AMQP queues are shared as they
    are), so that each message reaches one of them; `client_id` is unique per worker and stable across
    restarts (MQTT session resumption)."""

    connection_id: str
    connection_type: str  # Ditto's connectionType: mqtt, mqtt-5, amqp-091, amqp-10, http-push, nats
    uri: str
    client_id: str
    group: str
    specific_config: Mapping[str, str] = field(default_factory=dict)
    validate_certificates: bool = True
    connect_timeout: float = 10.0  # seconds until connect() gives up with ClientFailure
    publish_timeout: float = 10.0  # seconds until publish() gives up waiting for the broker's confirmation
    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT  # unsettled deliveries per source (backpressure)
    max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES  # larger messages are refused (REJECT), never yielded


@dataclass(frozen=True, slots=True)
class SourceSettings:
    """One source of a connection as the client sees it: what to subscribe to, with which QoS."""

    addresses: tuple[str, ...]
    qos: int | None = None  # MQTT: 0 or 1 (Ditto allows no 2 on sources); None: the client's default
    consumer_count: int = 1
    index: int = 0  # the source's position in the connection, for logs and metrics


class Delivery(Protocol):
    """A message received on a source, to be settled exactly once."""

    @property
    def message(self) -> ExternalMessage: ...

    async def settle(self, outcome: Outcome) -> None:
        """Tell the broker; raises ClientFailure when the link is gone (the broker will deliver it again)."""
        ...


class SettledOnce:
    """A Delivery that refuses a second settle; a subclass says how to tell the broker (`_settle`). A settle
    that failed (ClientFailure) does not count."""

    __slots__ = ("_settled", "message")

    def __init__(self, message: ExternalMessage) -> None:
        self.message = message
        self._settled = False

    async def settle(self, outcome: Outcome) -> None:
        if self._settled:
            raise RuntimeError("a delivery is settled once")
        await self._settle(outcome)
        self._settled = True

    async def _settle(self, outcome: Outcome) -> None:
        raise NotImplementedError


class ConnectionClient(Protocol):
    """One client of one connection on one worker. Use: `await connect()`, then any number of
    `deliveries(source)` iterators and `publish` calls, then `await aclose()` (also after a failure)."""

    async def connect(self) -> None:
        """Connect (and authenticate); raises ClientFailure."""
        ...

    def deliveries(self, source: SourceSettings) -> AsyncIterator[Delivery]:
        """Subscribe to the source's addresses and yield what arrives, in the broker's order per address;
        raises ClientFailure out of the iteration when the link is lost."""
        ...

    async def publish(self, message: ExternalMessage, *, qos: int | None = None) -> Reply | None:
        """Send `message` to `message.address`; returns once the broker has it (MQTT QoS 1 PUBACK, AMQP
        publisher confirm / `accepted`, HTTP 2xx), with the endpoint's answer where it gives one (HTTP push)
        and None otherwise; raises ClientFailure otherwise (EndpointRejected when the endpoint refused it)."""
        ...

    async def aclose(self) -> None: ...


def refused_as_oversize(settings: ClientSettings, address: str, size: int) -> bool:
    """Whether a message of `size` bytes on `address` is over `settings.max_message_bytes`; if so, says why on
    REFUSAL_LOGGER (the client then gives the message up, never yields it)."""
    if size <= settings.max_message_bytes:
        return False
    REFUSAL_LOGGER.warning("refused a message of %d bytes on %r: larger than the limit of %d bytes", size, address,
                           settings.max_message_bytes,
                           extra={"connection_id": settings.connection_id, "address": address})
    return True
