"""What the connectivity benchmark watches besides the simulator: an MQTT subscriber on the broker (the relay
floor), a WebSocket session receiving the twin events (end-to-end latency, when the last update landed), and
the things' revisions (what was persisted).

Each simulated reading carries its send time (`sentAt`, seconds since the epoch, `twinhub simulate --stamp`);
receivers take the wall clock at arrival, in the same process: one clock."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed


@dataclass
class Arrivals:
    """(arrival wall time, sentAt) of each message or event seen, and the sentAt values seen twice."""

    times: list[tuple[float, float]] = field(default_factory=list)
    duplicates: int = 0
    _seen: set[float] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, arrived: float, sent_at: float) -> None:
        with self._lock:
            if sent_at in self._seen:
                self.duplicates += 1
                return
            self._seen.add(sent_at)
            self.times.append((arrived, sent_at))

    def since(self, start: float) -> list[tuple[float, float]]:
        """What was sent at or after `start` (wall time)."""
        with self._lock:
            return [(arrived, sent) for arrived, sent in self.times if sent >= start]

    def count_since(self, start: float) -> int:
        return len(self.since(start))


class RelaySubscriber:
    """A paho subscriber (QoS 1) on `<prefix>/#` of the broker: the other end of the relay floor."""

    def __init__(self, port: int, prefix: str) -> None:
        self.arrivals = Arrivals()
        self._subscribed = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-sub-{uuid.uuid4().hex[:8]}")
        self.client.max_inflight_messages_set(1000)
        self.client.on_connect = lambda client, *_: client.subscribe(f"{prefix}/#", qos=1)
        self.client.on_subscribe = lambda *_: self._subscribed.set()
        self.client.on_message = self._on_message
        self._port = port

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        arrived = time.time()
        self.arrivals.add(arrived, float(orjson.loads(message.payload)["sentAt"]))

    def __enter__(self) -> RelaySubscriber:
        self.client.connect("127.0.0.1", self._port)
        self.client.loop_start()
        if not self._subscribed.wait(10):
            raise RuntimeError("the relay subscriber's subscription was not confirmed")
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class EventWatcher:
    """A WebSocket session receiving the twin events of `namespace`; each event carrying a `sentAt` feature
    (as the device endpoint and the Ditto payload put it) is an arrival."""

    def __init__(self, base_url: str, authorization: str, namespace: str) -> None:
        self.arrivals = Arrivals()
        self.closed = False
        self._url = base_url.replace("http://", "ws://") + "/ws/2"
        self._authorization = authorization
        self._namespace = namespace
        self._socket: ClientConnection | None = None
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> EventWatcher:
        self._socket = await connect(self._url, additional_headers={"Authorization": self._authorization},
                                     max_queue=None, open_timeout=30, max_size=None)
        control = f"START-SEND-EVENTS?namespaces={self._namespace}"
        await self._socket.send(control)
        while (frame := await self._socket.recv()) != "START-SEND-EVENTS:ACK":
            if isinstance(frame, str) and frame.startswith("{"):
                raise RuntimeError(f"{control} was answered with {frame}")
        self._task = asyncio.create_task(self._receive(self._socket))
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._socket is not None:
            await self._socket.close()

    async def _receive(self, socket: ClientConnection) -> None:
        try:
            async for frame in socket:
                arrived = time.time()
                if not isinstance(frame, str) or not frame.startswith("{"):
                    continue
                value = orjson.loads(frame).get("value")
                with contextlib.suppress(KeyError, TypeError, ValueError):
                    self.arrivals.add(arrived, float(value["features"]["sentAt"]["properties"]["value"]))
        except ConnectionClosed:
            self.closed = True


def revision_sum(base_url: str, authorization: str, thing_ids: list[str]) -> int:
    """The sum of the things' revisions (a thing not there counts 0): each persisted update adds one."""
    total = 0
    with httpx.Client(base_url=base_url, headers={"Authorization": authorization}, timeout=60) as client:
        for start in range(0, len(thing_ids), 100):
            response = client.get("/api/2/things", params={"ids": ",".join(thing_ids[start:start + 100]),
                                                           "fields": "thingId,_revision"})
            response.raise_for_status()
            total += sum(int(thing["_revision"]) for thing in response.json())
    return total


def wait_for(condition: Any, timeout_s: float, interval_s: float = 0.1) -> bool:
    """Poll `condition()` until it holds or `timeout_s` passed; whether it held."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval_s)
    return bool(condition())
