"""`twinhub simulate` against the machine's Mosquitto: a subscriber counts what arrives; faults show as asked;
bad values and unreachable brokers are one line and exit status 2."""

from __future__ import annotations

import json
import socket
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from tests.integration.services import MOSQUITTO, require
from twinhub.cli import main
from twinhub.connectivity.simulate import Broker, Fleet, SimulationOptions, simulate


class Subscriber:
    """A paho subscriber on `<prefix>/#` collecting (topic, payload)."""

    def __init__(self, prefix: str) -> None:
        self.messages: list[tuple[str, bytes]] = []
        self._subscribed = threading.Event()
        self._lock = threading.Lock()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"sub-{uuid.uuid4().hex[:8]}")
        self.client.on_connect = lambda client, *_: client.subscribe(f"{prefix}/#", qos=1)
        self.client.on_subscribe = lambda *_: self._subscribed.set()
        self.client.on_message = self._on_message

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.messages.append((message.topic, message.payload))

    def __enter__(self) -> Subscriber:
        self.client.connect(*MOSQUITTO)
        self.client.loop_start()
        assert self._subscribed.wait(10), "the subscription was not confirmed"
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def wait_for(self, count: int) -> list[tuple[str, bytes]]:
        """The messages once `count` arrived (polled: paho's thread receives them)."""
        for _ in range(500):
            with self._lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            threading.Event().wait(0.02)
        raise AssertionError(f"only {len(self.messages)} of {count} messages arrived")


@pytest.fixture(scope="module")
def broker() -> str:
    require("Mosquitto", MOSQUITTO)
    return f"mqtt://{MOSQUITTO[0]}:{MOSQUITTO[1]}"


@pytest.fixture
def prefix() -> str:
    return f"twinhub-test-sim-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def subscriber(prefix: str, broker: str) -> Iterator[Subscriber]:
    with Subscriber(prefix) as running:
        yield running


def summary(stderr: str) -> dict[str, int]:
    """The numbers of the last line, `twinhub simulate: done: sent 30  acked 30  rate ...  errors 0 ...`."""
    words = stderr.strip().splitlines()[-1].split("done: ", 1)[1].split()
    return {words[n]: int(words[n + 1]) for n in range(0, len(words) - 1) if words[n + 1].isdigit()}


@pytest.mark.parametrize("qos", ["0", "1"])
def test_publishes_what_it_says_to_the_broker(broker: str, prefix: str, subscriber: Subscriber, qos: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["simulate", "--broker", broker, "--devices", "4", "--count", "30", "--rate", "500", "--qos", qos,
                   "--topic", prefix + "/{thingId}/telemetry", "--namespace", "org.test", "--seed", "1"])
    stderr = capsys.readouterr().err
    assert status == 0, stderr
    numbers = summary(stderr)
    assert numbers["sent"] == numbers["acked"] == 30 and numbers["errors"] == 0
    received = subscriber.wait_for(30)
    assert len(received) == 30
    topics = {topic for topic, _ in received}
    assert topics == {f"{prefix}/org.test:device-{n}/telemetry" for n in range(4)}
    for _, payload in received:
        assert set(json.loads(payload)) == {"temperature", "humidity", "battery", "counter"}


def test_faults_appear_as_asked(broker: str, prefix: str, subscriber: Subscriber,
                                capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["simulate", "--broker", broker, "--devices", "5", "--count", "200", "--rate", "2000",
                   "--topic", prefix + "/{thingId}", "--seed", "5", "--malformed", "0.2", "--duplicate", "0.1",
                   "--out-of-range", "0.1", "--dropout", "0.02", "--quiet"])
    stderr = capsys.readouterr().err
    assert status == 0, stderr
    assert len(stderr.strip().splitlines()) == 1  # --quiet: the summary only
    numbers = summary(stderr)
    assert numbers["sent"] == numbers["acked"] == 200
    received = subscriber.wait_for(200)
    objects, malformed = [], 0
    for _, payload in received:
        try:
            document = json.loads(payload)
        except ValueError:
            document = None
        if isinstance(document, dict):
            objects.append(document)
        else:
            malformed += 1
    assert malformed == numbers["malformed"] > 0
    out_of_range = [value for value in objects if not -10 <= value["temperature"] <= 60
                    or not 0 <= value["humidity"] <= 100 or not 0 <= value["battery"] <= 100]
    assert len(out_of_range) >= numbers["out-of-range"] > 0  # a duplicated one counts twice here
    payloads = [payload for _, payload in received if payload.startswith(b"{")]
    assert len(payloads) - len(set(payloads)) >= numbers["duplicate"] > 0
    assert numbers["dropped"] > 0


def test_progress_lines_say_sent_acked_rate_errors(broker: str, prefix: str,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["simulate", "--broker", broker, "--rate", "20", "--duration", "1.5", "--topic", prefix + "/{name}"])
    lines = capsys.readouterr().err.strip().splitlines()
    assert status == 0
    assert len(lines) >= 2  # at least one progress line (each second) and the summary
    assert all(" acked " in line and "/s" in line and " errors " in line for line in lines)
    assert 0 < summary("\n".join(lines))["sent"] <= 31  # the rate is kept (20/s for 1.5 s, one more to round)


@pytest.mark.parametrize(("arguments", "message"), [
    (["--rate", "0"], "--rate must be a number"),
    (["--rate", "fast"], "--rate must be a number"),
    (["--rate", "nan"], "--rate must be a number"),
    (["--devices", "-3"], "--devices must be a whole number"),
    (["--devices", "1.5"], "--devices must be a whole number"),
    (["--qos", "2"], "--qos must be a whole number from 0 to 1"),
    (["--count", "0"], "--count must be"),
    (["--duration", "-1"], "--duration must be"),
    (["--malformed", "1.5"], "--malformed must be a number from 0 to 1"),
    (["--seed", "x"], "--seed must be"),
    (["--topic", "devices/{thing}/telemetry"], "may use only"),
    (["--topic", "devices/+/x"], "not an MQTT topic"),
    (["--namespace", "a:b"], "namespace"),
    (["--broker", "http://host:1883"], "is not mqtt://"),
    (["--broker", "mqtt://u:secret@host:99999"], "is not mqtt://"),
])
def test_bad_values_are_one_line(arguments: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", *arguments]) == 2
    stderr = capsys.readouterr().err
    assert len(stderr.strip().splitlines()) == 1 and stderr.startswith("twinhub simulate: ")
    assert message in stderr and "secret" not in stderr


def test_unreachable_broker_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert main(["simulate", "--broker", f"mqtt://user:secret@127.0.0.1:{port}", "--count", "1"]) == 2
    stderr = capsys.readouterr().err
    assert stderr.strip() == f"twinhub simulate: cannot connect to mqtt://127.0.0.1:{port}: Connection refused"


def test_qos1_latencies_are_recorded_per_acknowledged_message(broker: str, prefix: str,
                                                               subscriber: Subscriber) -> None:
    fleet = Fleet(3, topic=prefix + "/{name}", seed=2)
    stats = simulate(fleet, SimulationOptions(Broker.parse(broker), rate=1000.0, count=100, record_latency=True))
    assert stats.sent == stats.acked == 100
    assert len(stats.latencies) == 100 and all(latency > 0 for latency in stats.latencies)
    assert len(subscriber.wait_for(100)) == 100
