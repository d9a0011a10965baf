"""Helpers of the MQTT tests: a device that publishes with paho (independent of twinhub's client), a
subscriber that collects, and the removal of persistent sessions."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson
import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from twinhub.connectivity.clients.base import ClientSettings
from twinhub.connectivity.clients.mqtt import MqttClient
from twinhub.connectivity.model import parse_connection
from twinhub.connectivity.runtime.worker import WorkerIdentity


def settings(url: str, client_id: str | None = None, *, kind: str = "mqtt-5", group: str = "",
             config: dict[str, str] | None = None) -> ClientSettings:
    return ClientSettings(connection_id="test-connection", connection_type=kind, uri=url,
                          client_id=client_id or f"twinhub-test-{uuid.uuid4().hex[:12]}", group=group,
                          specific_config=config or {})


def _device(url: str, *, v5: bool = True, on_message: Callable[..., None] | None = None,
            on_subscribe: Callable[..., None] | None = None) -> paho.Client:
    parts = urlsplit(url)
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"device-{uuid.uuid4().hex[:12]}",
                         protocol=MQTTProtocolVersion.MQTTv5 if v5 else MQTTProtocolVersion.MQTTv311)
    if on_message is not None:
        client.on_message = on_message
    if on_subscribe is not None:
        client.on_subscribe = on_subscribe
    if parts.username:
        client.username_pw_set(parts.username, parts.password)
    client.connect(parts.hostname or "127.0.0.1", parts.port or 1883)
    client.loop_start()
    return client


def _publish_all(url: str, messages: Sequence[tuple[str, bytes | str, int, dict[str, str] | None]]) -> None:
    client = _device(url)
    try:
        infos = []
        for topic, payload, qos, user in messages:
            properties = None
            if user:
                properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
                for name, value in user.items():
                    if name == "content-type":
                        properties.ContentType = value
                    elif name == "correlation-id":
                        properties.CorrelationData = value.encode()
                    elif name == "reply-to":
                        properties.ResponseTopic = value
                    else:
                        properties.UserProperty = [*getattr(properties, "UserProperty", []), (name, value)]
            infos.append(client.publish(topic, payload, qos, properties=properties))
        for info in infos:
            info.wait_for_publish(timeout=30)
            assert info.is_published()
    finally:
        client.disconnect()
        client.loop_stop()


async def publish(url: str, topic: str, payload: bytes | str, *, qos: int = 1,
                  headers: dict[str, str] | None = None) -> None:
    """Publish as a device would (MQTT 5, paho in a thread), returning once the broker has it."""
    await asyncio.to_thread(_publish_all, url, [(topic, payload, qos, headers)])


async def publish_many(url: str, messages: Sequence[tuple[str, bytes | str]], *, qos: int = 1) -> None:
    await asyncio.to_thread(_publish_all, url, [(topic, payload, qos, None) for topic, payload in messages])


async def forget_sessions(url: str, client_ids: Sequence[str]) -> None:
    """Remove the persistent sessions of `client_ids` from the broker (a clean start that expires at once)."""
    for client_id in client_ids:
        client = MqttClient(settings(url, client_id, config={"cleanSession": "true"}))
        with contextlib.suppress(Exception):
            await client.connect()
        await client.aclose()


class Collector:
    """A device's subscription (paho in its own thread): what arrives on `topic`, in order."""

    def __init__(self, url: str, topic: str, *, on_message: Callable[..., None] | None = None) -> None:
        self.messages: list[paho.MQTTMessage] = []
        self._subscribed = threading.Event()
        self._client = _device(url, on_message=on_message or (lambda _c, _u, message: self.messages.append(message)),
                               on_subscribe=lambda *_args: self._subscribed.set())
        self._client.subscribe(topic, qos=1)
        assert self._subscribed.wait(15), "the collector's subscription was not confirmed"

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()


@contextlib.contextmanager
def collecting(url: str, topic: str) -> Iterator[Collector]:
    collector = Collector(url, topic)
    try:
        yield collector
    finally:
        collector.close()


def publish_now(url: str, topic: str, payload: bytes | str, *, qos: int = 1,
                headers: dict[str, str] | None = None) -> None:
    """`publish` for synchronous tests."""
    _publish_all(url, [(topic, payload, qos, headers)])


def publish_many_now(url: str, messages: Sequence[tuple[str, bytes | str]], *, qos: int = 1) -> None:
    _publish_all(url, [(topic, payload, qos, None) for topic, payload in messages])


def server_client_ids(connection_id: str, data_dir: Path, workers: int = 1) -> list[str]:
    """The client ids the workers of a server on `data_dir` give a connection (`runtime/worker.py`)."""
    connection = parse_connection({"id": connection_id, "connectionType": "mqtt-5", "connectionStatus": "open",
                                   "uri": "tcp://127.0.0.1:1883"})
    return [WorkerIdentity(socket.gethostname(), data_dir, slot).client_id(connection) for slot in range(workers)]


@contextlib.contextmanager
def responding(url: str, topic: str, answer: Callable[[dict[str, Any]], None]) -> Iterator[None]:
    """A device that calls `answer` (in a thread of its own) with each Ditto Protocol message on `topic`."""
    def on_message(_client: paho.Client, _data: object, message: paho.MQTTMessage) -> None:
        threading.Thread(target=answer, args=(orjson.loads(message.payload),), daemon=True).start()

    collector = Collector(url, topic, on_message=on_message)
    try:
        yield
    finally:
        collector.close()


async def publish_in_order(url: str, messages: Sequence[tuple[str, bytes | str, int]]) -> None:
    """Publish `(topic, payload, qos)` on one connection, so that the broker passes them on in this order."""
    await asyncio.to_thread(_publish_all, url, [(topic, payload, qos, None) for topic, payload, qos in messages])
