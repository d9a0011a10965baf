"""The proton side of the amqp-10 client: one Qpid Proton container per client, run in a thread of its own.

Proton's objects belong to that thread. The asyncio side asks for work with `Engine.call(fn)`: the function
runs in the container's thread (through an `EventInjector`, which wakes the container's select loop — no
polling), and its result or exception comes back as an asyncio future. What the broker sends (messages,
dispositions, a lost connection) comes back with `loop.call_soon_threadsafe`. Once the connection is lost
the container stops: every waiting call, source and publish gets the ClientFailure, and later calls fail at
once.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from proton import Condition, Delivery, Endpoint, Event, Handler, Link, Message, SSLDomain
from proton.handlers import MessagingHandler
from proton.reactor import ApplicationEvent, Container, EventInjector

from twinhub.connectivity.clients.base import ClientFailure

__all__ = ["Engine", "Inbox", "Target"]

T = TypeVar("T")
_MAX_SENDERS: Final = 64  # open sender links kept for resolved target addresses (least recently used go)
_CLOSE_TIMEOUT: Final = 5.0  # seconds the broker has to answer a close


def _reason(condition: Condition | None, default: str) -> str:
    if condition is None:
        return default
    return f"{condition.name}: {condition.description}" if condition.description else str(condition.name)


def _to_loop(loop: asyncio.AbstractEventLoop, callback: Callable[..., object], *args: object) -> None:
    """Hand `callback` to the event loop; once the loop is closed nobody waits, so there is nothing to hand."""
    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(callback, *args)


@dataclass(frozen=True, slots=True)
class Target:
    """Where and how to connect."""

    url: str  # scheme://host:port, without credentials
    user: str | None
    password: str | None
    virtual_host: str | None
    validate_certificates: bool
    idle_timeout: float  # seconds without a frame from the broker until the connection counts as lost; 0: never


class Inbox:
    """What the engine hands a source's iterator: (message, delivery, address) or a ClientFailure."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.queue: asyncio.Queue[tuple[Message, Delivery, str] | ClientFailure] = asyncio.Queue()

    def put(self, item: tuple[Message, Delivery, str] | ClientFailure) -> None:
        """From the engine's thread."""
        _to_loop(self._loop, self.queue.put_nowait, item)


class Engine(MessagingHandler):
    def __init__(self, loop: asyncio.AbstractEventLoop, target: Target, name: str) -> None:
        super().__init__(prefetch=0, auto_accept=False, auto_settle=True, peer_close_is_error=True)
        self._loop = loop
        self._target = target
        self._injector = EventInjector()
        self._container = Container(self)
        self._container.container_id = name
        self._lock = threading.Lock()  # guards _ended and _calls between the two threads
        self._ended: ClientFailure | None = None
        self._calls: set[asyncio.Future[Any]] = set()
        self.opened: asyncio.Future[None] = loop.create_future()
        self.connection: Any = None
        self._receivers: dict[Link, tuple[Inbox, str]] = {}
        self._senders: OrderedDict[str, Link] = OrderedDict()
        self._publishes: dict[Delivery, asyncio.Future[None]] = {}
        self._stopper: Any = None
        self._thread = threading.Thread(target=self._run, name=f"amqp10 {name}", daemon=True)

    # -- the asyncio side ------------------------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def call(self, function: Callable[[], T]) -> asyncio.Future[T]:
        """Run `function` in the engine's thread; the future has its result, its exception, or ClientFailure
        when the engine has ended."""
        future: asyncio.Future[T] = self._loop.create_future()
        with self._lock:
            if self._ended is not None:
                future.set_exception(self._ended)
                return future
            self._calls.add(future)
        self._injector.trigger(ApplicationEvent("call", subject=(function, future)))
        return future

    async def join(self) -> None:
        await asyncio.to_thread(self._thread.join)

    # -- the engine's thread ---------------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            self._container.run()
            failure = ClientFailure("the AMQP 1.0 connection is closed")
        except Exception as exc:  # proton raised out of its loop: report it, never lose it
            failure = ClientFailure(f"the AMQP 1.0 engine stopped: {exc!r}")
        self._end(failure)

    def _resolve(self, future: asyncio.Future[T], result: T | None = None, error: BaseException | None = None) -> None:
        def settle() -> None:
            with self._lock:
                self._calls.discard(future)
            if not future.done():
                future.set_exception(error) if error is not None else future.set_result(result)  # type: ignore[arg-type]
        _to_loop(self._loop, settle)

    def _end(self, failure: ClientFailure) -> None:
        """Fail whatever waits, and everything asked later."""
        with self._lock:
            if self._ended is None:
                self._ended = failure
            failure = self._ended
            calls = list(self._calls)
        for future in calls:
            self._resolve(future, error=failure)
        self._resolve(self.opened, error=failure)
        for inbox, _address in self._receivers.values():
            inbox.put(failure)
        for pending in self._publishes.values():
            self._resolve(pending, error=failure)
        self._receivers.clear()
        self._publishes.clear()

    def _lost(self, reason: str) -> None:
        self._end(ClientFailure(reason))
        self._injector.close()
        self._container.stop()

    def on_start(self, event: Event) -> None:
        self._container.selectable(self._injector)
        target = self._target
        options: dict[str, Any] = {"reconnect": False, "sasl_enabled": True, "allow_insecure_mechs": True,
                                   "allowed_mechs": "PLAIN" if target.user else "ANONYMOUS"}
        if target.user:
            options |= {"user": target.user, "password": target.password or ""}
        if target.idle_timeout:
            options["heartbeat"] = target.idle_timeout  # the broker keeps the connection alive within half of it
        if target.virtual_host:
            options["virtual_host"] = target.virtual_host
        if target.url.startswith("amqps:"):
            domain = SSLDomain(SSLDomain.MODE_CLIENT)
            domain.set_peer_authentication(SSLDomain.VERIFY_PEER_NAME if target.validate_certificates
                                           else SSLDomain.ANONYMOUS_PEER)
            options["ssl_domain"] = domain
        self.connection = self._container.connect(target.url, **options)

    def on_call(self, event: Event) -> None:
        function, future = event.subject
        try:
            result = function()
        except Exception as exc:  # the caller gets it, as if it had run the function itself
            self._resolve(future, error=exc)
        else:
            self._resolve(future, result)

    def on_connection_opened(self, event: Event) -> None:
        self._resolve(self.opened, None)

    def on_transport_error(self, event: Event) -> None:
        self._lost(_reason(event.transport.condition if event.transport else None, "the transport failed"))

    def on_disconnected(self, event: Event) -> None:
        self._lost("the broker closed the connection")

    def on_connection_error(self, event: Event) -> None:
        self._lost(_reason(event.connection.remote_condition if event.connection else None,
                           "the broker closed the connection"))

    def on_session_error(self, event: Event) -> None:
        # RabbitMQ ends the session of a link it refuses (e.g. a missing queue); each source and each target
        # link has a session of its own, so this ends that link alone
        session = event.session
        if session is None:
            return
        reason = _reason(session.remote_condition, "the broker closed the session")
        for link in [*self._receivers, *self._senders.values()]:
            if link.session == session:
                self._link_failed(link, reason)
        session.close()

    def on_link_error(self, event: Event) -> None:
        if event.link is not None:
            self._link_failed(event.link, _reason(event.link.remote_condition, "the broker closed the link"))
            event.link.close()

    def _link_failed(self, link: Link, reason: str) -> None:
        if link in self._receivers:
            inbox, address = self._receivers.pop(link)
            inbox.put(ClientFailure(f"source {address!r}: {reason}"))
        else:
            self._senders = OrderedDict((a, s) for a, s in self._senders.items() if s != link)
            for delivery in [d for d in self._publishes if d.link == link]:
                self._resolve(self._publishes.pop(delivery), error=ClientFailure(f"target: {reason}"))

    def _session(self) -> Any:
        session = self.connection.session()
        session.open()
        return session

    # -- receiving -------------------------------------------------------------------------------------------

    def open_receivers(self, addresses: tuple[str, ...], credit: int, inbox: Inbox) -> list[Link]:
        receivers: list[Link] = []
        session = self._session()
        for address in addresses:
            receiver = self._container.create_receiver(session, address)
            receiver.flow(credit)
            self._receivers[receiver] = (inbox, address)
            receivers.append(receiver)
        return receivers

    def close_receivers(self, receivers: list[Link]) -> None:
        for receiver in receivers:
            self._receivers.pop(receiver, None)
            if not receiver.state & Endpoint.LOCAL_CLOSED:
                receiver.close()  # the broker takes back what is unsettled
            if not receiver.session.state & Endpoint.LOCAL_CLOSED:
                receiver.session.close()

    def on_message(self, event: Event) -> None:
        entry = self._receivers.get(event.receiver) if event.receiver else None
        if entry is not None and event.delivery is not None:
            entry[0].put((event.message, event.delivery, entry[1]))

    def settle_delivery(self, delivery: Delivery, state: Any) -> None:
        link = delivery.link
        if self._ended is not None or link.state & (Endpoint.LOCAL_CLOSED | Endpoint.REMOTE_CLOSED):
            raise ClientFailure("the link is gone: the broker delivers the message again")
        delivery.update(state)
        delivery.settle()
        link.flow(1)  # one settled, one more may come

    # -- publishing ------------------------------------------------------------------------------------------

    def send(self, address: str, message: Message, future: asyncio.Future[None]) -> None:
        sender = self._senders.pop(address, None)
        if sender is None or sender.state & (Endpoint.LOCAL_CLOSED | Endpoint.REMOTE_CLOSED):
            sender = self._container.create_sender(self._session(), address)
        self._senders[address] = sender
        while len(self._senders) > _MAX_SENDERS:
            evicted = self._senders.popitem(last=False)[1]
            evicted.close()
            evicted.session.close()
        self._publishes[sender.send(message)] = future

    def forget(self, future: asyncio.Future[None]) -> None:
        """The publisher stopped waiting (timeout): drop the pending entry."""
        for delivery, pending in list(self._publishes.items()):
            if pending is future:
                del self._publishes[delivery]

    def on_accepted(self, event: Event) -> None:
        pending = self._publishes.pop(event.delivery, None) if event.delivery else None
        if pending is not None:
            self._resolve(pending, None)

    def on_rejected(self, event: Event) -> None:
        self._refused(event, "rejected")

    def on_released(self, event: Event) -> None:
        self._refused(event, "released")

    def _refused(self, event: Event, how: str) -> None:
        delivery = event.delivery
        pending = self._publishes.pop(delivery, None) if delivery else None
        if delivery is not None and pending is not None:
            condition = getattr(delivery.remote, "condition", None)
            self._resolve(pending, error=ClientFailure(f"the broker {how} the message: {_reason(condition, how)}"))

    def close(self) -> None:
        """Close the connection; the container ends when the broker has answered, or a little later."""
        self._injector.close()
        connection = self.connection
        if (connection is None or connection.state & Endpoint.LOCAL_CLOSED
                or not connection.state & Endpoint.REMOTE_ACTIVE):
            self._container.stop()  # closed already, or never opened (no broker to say goodbye to)
            return
        self.connection.close()
        self._stopper = self._container.schedule(_CLOSE_TIMEOUT, _Stopper(self._container))

    def on_connection_closed(self, event: Event) -> None:
        if self._stopper is not None:
            self._stopper.cancel()
        self._container.stop()  # both sides closed: do not wait for the broker to drop the socket


class _Stopper(Handler):
    def __init__(self, container: Container) -> None:
        self._container = container

    def on_timer_task(self, event: Event) -> None:
        self._container.stop()  # the broker did not answer the close in time
