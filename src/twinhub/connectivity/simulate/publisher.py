"""Publishing a fleet's telemetry to an MQTT broker at a steady rate (paho-mqtt, its network loop in a thread).

`simulate(options)` connects, publishes `Fleet.next()` at `rate` messages per second in total until `count`
messages were sent, `duration` seconds passed or `stop` is set, waits for the outstanding acknowledgements
(QoS 1 PUBACKs; for QoS 0 paho reports a message once written to the socket) and returns the `Stats`. At most
`window` messages are unacknowledged at a time: a broker that stops acknowledging slows the simulator down
instead of filling its memory. A lost connection counts as an error; paho reconnects by itself and sends the
unacknowledged QoS 1 messages again.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion
from paho.mqtt.reasoncodes import ReasonCode

from twinhub.connectivity.simulate.fleet import Fleet
from twinhub.model.random_ids import random_uuid_hex

__all__ = ["Broker", "SimulationFailed", "SimulationOptions", "Stats", "simulate"]

CONNECT_TIMEOUT_SECONDS: Final = 10.0
DRAIN_TIMEOUT_SECONDS: Final = 10.0
DEFAULT_WINDOW: Final = 100
PROGRESS_SECONDS: Final = 1.0


class SimulationFailed(Exception):
    """The simulation could not start or go on (a broker that cannot be reached or refuses): one line."""


@dataclass(frozen=True, slots=True)
class Broker:
    """An MQTT broker as `mqtt://[user:password@]host[:port]` (`mqtts://` for TLS)."""

    host: str
    port: int
    username: str | None = None
    password: str | None = None
    tls: bool = False

    @classmethod
    def parse(cls, url: str) -> Broker:
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise SimulationFailed(f"the broker {_redacted(url)} is not mqtt://[user:password@]host[:port]: "
                                   f"{exc}") from exc
        if parts.scheme not in ("mqtt", "mqtts", "tcp", "ssl") or not parts.hostname or parts.path not in ("", "/") \
                or parts.query or parts.fragment:
            raise SimulationFailed(f"the broker {_redacted(url)} is not mqtt://[user:password@]host[:port]")
        tls = parts.scheme in ("mqtts", "ssl")
        return cls(parts.hostname, port or (8883 if tls else 1883),
                   unquote(parts.username) if parts.username else None,
                   unquote(parts.password) if parts.password is not None else None, tls)

    def __str__(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}"


def _redacted(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://***@{rest.rsplit('@', 1)[1]}" if "@" in rest else url


@dataclass(frozen=True, slots=True)
class SimulationOptions:
    broker: Broker
    rate: float  # messages per second, all devices together
    qos: int = 1
    count: int | None = None  # messages to send; None: no limit
    duration: float | None = None  # seconds; None: no limit
    mqtt5: bool = False
    client_id: str = ""
    window: int = DEFAULT_WINDOW
    record_latency: bool = False  # keep each QoS 1 message's seconds from publish to PUBACK in Stats.latencies


@dataclass(slots=True)
class Stats:
    sent: int = 0
    acked: int = 0
    errors: int = 0
    elapsed: float = 0.0
    faults: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.acked / self.elapsed if self.elapsed > 0 else 0.0

    def line(self) -> str:
        extra = "".join(f"  {kind} {number}" for kind, number in sorted(self.faults.items()))
        return (f"sent {self.sent}  acked {self.acked}  rate {self.rate:.1f}/s  errors {self.errors}{extra}"
                f"  ({self.elapsed:.1f} s)")


class _Link:
    """The paho client and what its thread reports: connected or refused, acknowledgements, losses."""

    def __init__(self, options: SimulationOptions) -> None:
        protocol = MQTTProtocolVersion.MQTTv5 if options.mqtt5 else MQTTProtocolVersion.MQTTv311
        client_id = options.client_id or f"twinhub-sim-{random_uuid_hex()[:8]}"
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=protocol,
                                  clean_session=None if options.mqtt5 else True)
        if options.broker.username is not None:
            self.client.username_pw_set(options.broker.username, options.broker.password)
        if options.broker.tls:
            self.client.tls_set()
        self.client.max_inflight_messages_set(options.window)
        self.client.reconnect_delay_set(min_delay=1, max_delay=5)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_publish = self._on_publish
        self.window = threading.BoundedSemaphore(options.window)
        self.connected = threading.Event()
        self.refused: str | None = None
        self.closing = False
        self.acked = 0
        self.losses = 0
        self._lock = threading.Lock()
        self._record = options.record_latency and options.qos > 0
        self._published_at: dict[int, float] = {}
        self._acked_at: dict[int, float] = {}  # PUBACKs that came before publish() returned the message id
        self.latencies: list[float] = []
        self._answered = threading.Event()

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: ReasonCode,
                    properties: Any) -> None:
        if reason.is_failure:
            self.refused = str(reason)
        else:
            self.connected.set()
        self._answered.set()

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: ReasonCode,
                       properties: Any) -> None:
        if self.connected.is_set() and not self.closing:
            with self._lock:
                self.losses += 1
        self.connected.clear()

    def _on_publish(self, client: mqtt.Client, userdata: Any, mid: int, reason: ReasonCode, properties: Any) -> None:
        now = time.perf_counter()
        with self._lock:
            self.acked += 1
            if self._record:
                published_at = self._published_at.pop(mid, None)
                if published_at is None:
                    self._acked_at[mid] = now
                else:
                    self.latencies.append(now - published_at)
        self.window.release()

    def publish(self, topic: str, payload: bytes, qos: int) -> mqtt.MQTTMessageInfo:
        # Not under our lock: paho reports PUBACKs holding its own, which publish() takes too.
        published_at = time.perf_counter()
        info = self.client.publish(topic, payload, qos=qos)
        if self._record:
            with self._lock:
                acked_at = self._acked_at.pop(info.mid, None)
                if acked_at is None:
                    self._published_at[info.mid] = published_at
                else:
                    self.latencies.append(acked_at - published_at)
        return info

    def open(self, broker: Broker) -> None:
        try:
            self.client.connect(broker.host, broker.port, keepalive=30)
        except (OSError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise SimulationFailed(f"cannot connect to {broker}: {reason}") from exc
        self.client.loop_start()
        if not self._answered.wait(CONNECT_TIMEOUT_SECONDS):
            self.close()
            raise SimulationFailed(f"{broker} did not answer within {CONNECT_TIMEOUT_SECONDS:g} s")
        if self.refused is not None:
            self.close()
            raise SimulationFailed(f"{broker} refused the connection: {self.refused}")

    def close(self) -> None:
        self.closing = True
        self.client.disconnect()
        self.client.loop_stop()


def simulate(fleet: Fleet, options: SimulationOptions, *, stop: threading.Event | None = None,
             progress: Callable[[Stats], None] | None = None, wall: Callable[[], float] = time.time) -> Stats:
    """Run the simulation (see the module docstring); raises SimulationFailed when it cannot start."""
    stop = stop or threading.Event()
    link = _Link(options)
    link.open(options.broker)
    stats = Stats(faults=fleet.faults)
    started = time.monotonic()
    next_report = started + PROGRESS_SECONDS
    turn = 0
    refused = 0  # messages paho would not take: they never reach the broker
    try:
        while not stop.is_set() and (options.count is None or stats.sent < options.count):
            now = time.monotonic()
            if options.duration is not None and now - started >= options.duration:
                break
            due = started + turn / options.rate
            if due > now and stop.wait(due - now):
                break
            turn += 1
            for message in fleet.next(wall()):
                if options.count is not None and stats.sent >= options.count:
                    break
                while not link.window.acquire(timeout=0.2):
                    if stop.is_set():
                        break
                else:
                    info = link.publish(message.topic, message.payload, options.qos)
                    stats.sent += 1
                    # Disconnected, paho keeps a QoS 1 message for after the reconnect, and drops a QoS 0 one.
                    kept = info.rc == MQTTErrorCode.MQTT_ERR_SUCCESS or (
                        info.rc == MQTTErrorCode.MQTT_ERR_NO_CONN and options.qos > 0)
                    if not kept:
                        refused += 1
                        link.window.release()
            if progress is not None and time.monotonic() >= next_report:
                _update(stats, link, started, refused)
                progress(stats)
                next_report += PROGRESS_SECONDS
        deadline = time.monotonic() + DRAIN_TIMEOUT_SECONDS
        while link.acked + refused < stats.sent and time.monotonic() < deadline:
            if stop.wait(0.05):
                break
    finally:
        link.close()
        _update(stats, link, started, refused)
    return stats


def _update(stats: Stats, link: _Link, started: float, refused: int) -> None:
    stats.acked = link.acked
    stats.latencies = link.latencies
    stats.errors = refused + link.losses
    stats.elapsed = time.monotonic() - started
