"""A real MQTT client (paho-mqtt) for the device endpoint's tests: blocking calls that wait on conditions."""

from __future__ import annotations

import queue
import threading
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

WAIT = 15.0  # seconds any step may take before the test fails


class Device:
    """One MQTT 3.1.1 connection (or MQTT 5 with `protocol=paho.MQTTv5`), its received messages in a queue."""

    def __init__(self, port: int, username: str, password: str = "", *, client_id: str = "",
                 protocol: int = paho.MQTTv311, clean_session: bool | None = None) -> None:
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=protocol,
                                  clean_session=clean_session)
        self.client.username_pw_set(username, password)
        self.messages: queue.Queue[paho.MQTTMessage] = queue.Queue()
        self.connected = threading.Event()
        self.disconnected = threading.Event()
        self._settled = threading.Event()  # a CONNACK came, or the connection ended
        self.connect_result: ReasonCode | None = None
        self.granted: queue.Queue[list[ReasonCode]] = queue.Queue()
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = lambda _client, _data, message: self.messages.put(message)
        self.client.on_subscribe = lambda _client, _data, _mid, codes, _props: self.granted.put(list(codes))
        self.unsubscribed: queue.Queue[int] = queue.Queue()
        self.client.on_unsubscribe = lambda _client, _data, mid, _codes, _props: self.unsubscribed.put(mid)
        self.client.connect("127.0.0.1", port, keepalive=30)
        self.client.loop_start()

    def _on_connect(self, _client: Any, _data: Any, _flags: Any, reason: ReasonCode, _props: Any) -> None:
        self.connect_result = reason
        self.connected.set()
        self._settled.set()

    def _on_disconnect(self, *_args: Any) -> None:
        self.disconnected.set()
        self._settled.set()

    def wait_connected(self) -> ReasonCode | None:
        """The CONNACK's return code, or None when the server closed the connection without one."""
        assert self._settled.wait(WAIT), "neither a CONNACK nor a disconnect"
        return self.connect_result

    def publish(self, topic: str, payload: bytes | str, qos: int = 1) -> paho.MQTTMessageInfo:
        """Publish and wait for the acknowledgement (QoS 1: the PUBACK)."""
        info = self.client.publish(topic, payload, qos=qos)
        info.wait_for_publish(WAIT)
        return info

    def subscribe(self, topic: str, qos: int = 1) -> ReasonCode:
        self.client.subscribe(topic, qos)
        codes = self.granted.get(timeout=WAIT)
        assert len(codes) == 1
        return codes[0]

    def unsubscribe(self, topic: str) -> None:
        """Unsubscribe and wait for the UNSUBACK."""
        _result, mid = self.client.unsubscribe(topic)
        assert self.unsubscribed.get(timeout=WAIT) == mid

    def next_message(self) -> paho.MQTTMessage:
        return self.messages.get(timeout=WAIT)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def __enter__(self) -> Device:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
