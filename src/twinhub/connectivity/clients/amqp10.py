"""The `amqp-10` client: AMQP 1.0 on Apache Qpid Proton, as Ditto's AMQP 1.0 binding.

- uri `amqp[s]://user:password@host:port[?amqp.idleTimeout=<ms>]`: a broker silent for the idle timeout (60 s
  by default; 0: none) is lost; the proton container runs in a thread of its own (`amqp10_engine`), the event
  loop only awaits futures; no automatic reconnect: a lost connection ends every `deliveries` iterator with
  ClientFailure;
- sources are link addresses (a receiver link each); credit-based flow: a source's links together grant the
  broker at most `max_in_flight` unsettled messages (but each link at least one), one more for each settled;
- settle: ACCEPT = `accepted`, REDELIVER = `released` (the broker delivers it again), REJECT = `rejected`
  (dead-lettered where the broker is set up for it);
- targets are link addresses (a sender link each, kept open); publishing waits for the broker's disposition:
  `accepted` returns, anything else is ClientFailure;
- headers as `amqp10_message` maps them;
- `specificConfig.vhost`, when given, is the hostname of the AMQP open frame (RabbitMQ: `vhost:<name>`).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator
from typing import Final

import yarl
from proton import Delivery as ProtonDelivery
from proton import Link

from twinhub.connectivity.clients.amqp10_engine import Engine, Inbox, Target
from twinhub.connectivity.clients.amqp10_message import incoming, outgoing, payload_of
from twinhub.connectivity.clients.base import (
    ClientFailure,
    ClientSettings,
    Delivery,
    Outcome,
    SettledOnce,
    SourceSettings,
    refused_as_oversize,
)
from twinhub.connectivity.external import ExternalMessage

__all__ = ["Amqp10Client"]

# Qpid JMS's uri option (Ditto's AMQP 1.0 client) and its default: a broker silent for this long is lost
IDLE_TIMEOUT: Final = "amqp.idleTimeout"
DEFAULT_IDLE_TIMEOUT_MS: Final = 60_000
_STATES: Final = {Outcome.ACCEPT: ProtonDelivery.ACCEPTED, Outcome.REDELIVER: ProtonDelivery.RELEASED,
                  Outcome.REJECT: ProtonDelivery.REJECTED}


def _target(settings: ClientSettings) -> Target:
    try:
        url = yarl.URL(settings.uri)
        port = url.port or (5671 if url.scheme == "amqps" else 5672)  # AMQP's ports
    except ValueError as exc:
        raise ClientFailure(f"invalid uri: {exc}") from exc
    if url.scheme not in ("amqp", "amqps") or not url.host:
        raise ClientFailure(f"the uri must be amqp[s]://host:port, not {url.scheme!r} with host {url.host!r}")
    idle_timeout = url.query.get(IDLE_TIMEOUT, str(DEFAULT_IDLE_TIMEOUT_MS))
    if not (idle_timeout.isascii() and idle_timeout.isdigit()):  # int() refuses digits such as "²"
        raise ClientFailure(f"invalid uri: {IDLE_TIMEOUT} must be milliseconds, not {idle_timeout!r}")
    return Target(url=f"{url.scheme}://{url.host}:{port}", user=url.user, password=url.password,
                  virtual_host=settings.specific_config.get("vhost") or None,
                  validate_certificates=settings.validate_certificates, idle_timeout=int(idle_timeout) / 1000)


class Amqp10Client:
    """One AMQP 1.0 connection of one worker (see the module docstring)."""

    def __init__(self, settings: ClientSettings) -> None:
        self._settings = settings
        self._engine: Engine | None = None
        self._closed = False

    async def connect(self) -> None:
        if self._engine is not None or self._closed:
            raise RuntimeError("an AMQP client connects once")
        target = _target(self._settings)
        engine = self._engine = Engine(asyncio.get_running_loop(), target,
                                       f"twinhub-{self._settings.connection_id}-{self._settings.client_id}")
        engine.opened.add_done_callback(lambda opened: opened.cancelled() or opened.exception())  # seen, if late
        engine.start()
        try:
            async with asyncio.timeout(self._settings.connect_timeout):
                await asyncio.shield(engine.opened)
        except TimeoutError as exc:
            raise ClientFailure(f"no answer from {target.url} within {self._settings.connect_timeout} s") from exc
        except ClientFailure as exc:
            raise ClientFailure(f"cannot connect to {target.url}: {exc}") from exc

    def _open(self) -> Engine:
        if self._engine is None or self._closed:
            raise RuntimeError("the AMQP client is not connected")
        return self._engine

    async def deliveries(self, source: SourceSettings) -> AsyncIterator[Delivery]:
        engine = self._open()
        inbox = Inbox(asyncio.get_running_loop())
        credit = max(1, self._settings.max_in_flight // max(1, len(source.addresses)))
        receivers: list[Link] = await engine.call(
            functools.partial(engine.open_receivers, source.addresses, credit, inbox))
        try:
            while True:
                item = await inbox.queue.get()
                if isinstance(item, ClientFailure):
                    raise item
                message, delivery, address = item
                if refused_as_oversize(self._settings, address, len(payload_of(message))):
                    await _Delivery(engine, delivery, ExternalMessage(address=address)).settle(Outcome.REJECT)
                    continue
                yield _Delivery(engine, delivery, incoming(message, address))
        finally:
            with contextlib.suppress(ClientFailure):  # the connection went first
                await engine.call(functools.partial(engine.close_receivers, receivers))

    async def publish(self, message: ExternalMessage, *, qos: int | None = None) -> None:
        """Send to the link address `message.address` and wait until the broker accepted it (`qos` is
        ignored: AMQP 1.0 always settles)."""
        engine = self._open()
        try:
            amqp = outgoing(message)
        except ValueError as exc:
            raise ClientFailure(f"cannot send to {message.address!r}: {exc}") from exc
        accepted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        await engine.call(functools.partial(engine.send, message.address, amqp, accepted))
        try:
            async with asyncio.timeout(self._settings.publish_timeout):
                await accepted
        except TimeoutError as exc:
            forgotten = engine.call(functools.partial(engine.forget, accepted))
            forgotten.add_done_callback(lambda done: done.exception())  # nothing to do when the engine ended
            raise ClientFailure(f"no disposition for {message.address!r} within "
                                f"{self._settings.publish_timeout} s") from exc

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        engine, self._engine = self._engine, None
        if engine is not None:
            with contextlib.suppress(ClientFailure):  # already ended
                await engine.call(engine.close)
            await engine.join()


class _Delivery(SettledOnce):
    __slots__ = ("_delivery", "_engine")

    def __init__(self, engine: Engine, delivery: ProtonDelivery, message: ExternalMessage) -> None:
        super().__init__(message)
        self._engine = engine
        self._delivery = delivery

    async def _settle(self, outcome: Outcome) -> None:
        await self._engine.call(functools.partial(self._engine.settle_delivery, self._delivery, _STATES[outcome]))

