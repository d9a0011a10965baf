"""The MQTT client against real Mosquitto brokers: deliveries acknowledged only when settled, unsettled ones
coming again after a reconnect and a broker restart, shared subscriptions, publishing, and failures."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import anyio
import pytest

from tests.connectivity.mosquitto import Mosquitto, free_port, own_mosquitto
from tests.connectivity.mqtt import publish, publish_in_order, publish_many, settings
from twinhub.connectivity.clients.base import ClientFailure, ClientSettings, Delivery, Outcome, SourceSettings
from twinhub.connectivity.clients.mqtt import MqttClient
from twinhub.connectivity.external import ExternalMessage

pytestmark = pytest.mark.anyio


@pytest.fixture(params=[pytest.param(("asyncio", {}), id="asyncio"),
                        pytest.param(("asyncio", {"use_uvloop": True}), id="uvloop")])
def anyio_backend(request: pytest.FixtureRequest) -> tuple[str, dict[str, bool]]:
    """The client on the standard loop and on uvloop (what the server runs)."""
    return request.param  # type: ignore[no-any-return]

WITHIN = 15.0


@contextlib.asynccontextmanager
async def connected(client_settings: ClientSettings) -> AsyncIterator[MqttClient]:
    client = MqttClient(client_settings)
    try:
        await client.connect()
        yield client
    finally:
        await client.aclose()


class Receiver:
    """Takes a source's deliveries in a task of its own, so that the test can wait for them."""

    def __init__(self, client: MqttClient, source: SourceSettings, *, signal: asyncio.Event | None = None,
                 accept: bool = False) -> None:
        self.received: list[Delivery] = []
        self._accept = accept  # settle each delivery as it comes (the broker's window stays open)
        self._signal = signal or asyncio.Event()  # set on each arrival (may be shared by several receivers)
        self.failure: ClientFailure | None = None
        self._arrived = asyncio.Condition()
        self._task = asyncio.create_task(self._run(client, source))

    async def _run(self, client: MqttClient, source: SourceSettings) -> None:
        try:
            async for delivery in client.deliveries(source):
                if self._accept:
                    await delivery.settle(Outcome.ACCEPT)
                async with self._arrived:
                    self.received.append(delivery)
                    self._signal.set()
                    self._arrived.notify_all()
        except ClientFailure as failure:
            async with self._arrived:
                self.failure = failure
                self._arrived.notify_all()

    async def wait_for(self, count: int) -> list[Delivery]:
        with anyio.fail_after(WITHIN):
            async with self._arrived:
                await self._arrived.wait_for(lambda: len(self.received) >= count or self.failure is not None)
        assert len(self.received) >= count, f"only {len(self.received)} of {count} came: {self.failure}"
        return self.received[:count]

    async def wait_failed(self) -> ClientFailure:
        with anyio.fail_after(WITHIN):
            async with self._arrived:
                await self._arrived.wait_for(lambda: self.failure is not None)
        assert self.failure is not None
        return self.failure

    async def until_subscribed(self, client: MqttClient, url: str, topic: str) -> None:
        """Publish QoS 0 pings until one arrives: the subscription is in place (they are settled here)."""
        with anyio.fail_after(WITHIN):
            while not self.received:
                await publish(url, topic, b"ping", qos=0)
                await asyncio.sleep(0.05)
        self.received.clear()

    async def aclose(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


@contextlib.asynccontextmanager
async def receiving(client_settings: ClientSettings, source: SourceSettings,
                    ping: str | None = None) -> AsyncIterator[tuple[MqttClient, Receiver]]:
    """Connected, taking `source`'s deliveries; with `ping` (a topic of the source), once a ping published
    there arrived: the subscription is in place."""
    async with connected(client_settings) as client:
        receiver = Receiver(client, source)
        try:
            if ping is not None:
                await receiver.until_subscribed(client, client_settings.uri, ping)
            yield client, receiver
        finally:
            await receiver.aclose()


async def only_a_marker_comes(client_settings: ClientSettings, source: SourceSettings, topic: str) -> None:
    """Reconnected with the session of `client_settings`, a marker published to `topic` is the first delivery:
    nothing of before comes again."""
    async with receiving(client_settings, source) as (_client, receiver):
        await publish(client_settings.uri, topic, b"marker")
        assert payloads(await receiver.wait_for(1)) == [b"marker"]
        await receiver.received[0].settle(Outcome.ACCEPT)


def payloads(deliveries: list[Delivery]) -> list[bytes]:
    return [delivery.message.payload for delivery in deliveries]


@pytest.mark.parametrize("kind", ["mqtt", "mqtt-5"])
async def test_a_delivery_carries_payload_topic_and_qos(mosquitto_url: str, prefix: str, client_ids: list[str],
                                                        kind: str) -> None:
    client_settings = settings(mosquitto_url, kind=kind)
    client_ids.append(client_settings.client_id)
    source = SourceSettings((f"{prefix}/+/telemetry",), qos=1)
    async with receiving(client_settings, source, ping=f"{prefix}/ping/telemetry") as (_client, receiver):
        await publish(mosquitto_url, f"{prefix}/lamp/telemetry", b'{"on":true}',
                      headers={"content-type": "application/json", "correlation-id": "c-1", "device": "lamp"})
        [delivery] = await receiver.wait_for(1)
        message = delivery.message
        assert (message.payload, message.address) == (b'{"on":true}', f"{prefix}/lamp/telemetry")
        assert message.headers["mqtt.topic"] == f"{prefix}/lamp/telemetry"
        assert message.headers["mqtt.qos"] == "1"
        if kind == "mqtt-5":  # MQTT 3.1.1 carries no properties
            assert message.content_type == "application/json"
            assert message.headers["correlation-id"] == "c-1"
            assert message.headers["device"] == "lamp"
        await delivery.settle(Outcome.ACCEPT)


async def test_an_unsettled_delivery_comes_again_after_a_reconnect_and_a_settled_one_does_not(
        mosquitto_url: str, prefix: str, client_ids: list[str]) -> None:
    client_settings = settings(mosquitto_url)
    client_ids.append(client_settings.client_id)
    source = SourceSettings((f"{prefix}/#",), qos=1)
    async with receiving(client_settings, source, ping=f"{prefix}/ping") as (_client, receiver):
        await publish_many(mosquitto_url, [(f"{prefix}/a", b"settled"), (f"{prefix}/b", b"unsettled")])
        first, _second = await receiver.wait_for(2)
        await first.settle(Outcome.ACCEPT)
    # The session outlived the link: the broker sends the unsettled one again, the settled one never.
    async with receiving(client_settings, source) as (_client, receiver):
        [again] = await receiver.wait_for(1)
        assert again.message.payload == b"unsettled"
        await again.settle(Outcome.ACCEPT)
        await publish(mosquitto_url, f"{prefix}/c", b"marker")
        assert payloads(await receiver.wait_for(2)) == [b"unsettled", b"marker"]
        await receiver.received[1].settle(Outcome.ACCEPT)


async def test_redeliver_ends_the_link_and_the_message_comes_again(mosquitto_url: str, prefix: str,
                                                                   client_ids: list[str]) -> None:
    client_settings = settings(mosquitto_url, kind="mqtt")
    client_ids.append(client_settings.client_id)
    source = SourceSettings((f"{prefix}/#",), qos=1)
    async with receiving(client_settings, source, ping=f"{prefix}/ping") as (client, receiver):
        await publish(mosquitto_url, f"{prefix}/x", b"try again")
        [delivery] = await receiver.wait_for(1)
        await delivery.settle(Outcome.REDELIVER)
        assert "lost" in str(await receiver.wait_failed())
        with pytest.raises(ClientFailure):
            await client.publish(ExternalMessage(b"-", address=f"{prefix}/out"))
    async with receiving(client_settings, source) as (client, receiver):
        [again] = await receiver.wait_for(1)
        assert again.message.payload == b"try again"
        assert again.message.headers["mqtt.topic"] == f"{prefix}/x"
        await again.settle(Outcome.ACCEPT)


async def test_reject_acknowledges_so_the_message_never_comes_again(mosquitto_url: str, prefix: str,
                                                                    client_ids: list[str]) -> None:
    client_settings = settings(mosquitto_url)
    client_ids.append(client_settings.client_id)
    source = SourceSettings((f"{prefix}/#",), qos=1)
    async with receiving(client_settings, source, ping=f"{prefix}/ping") as (_client, receiver):
        await publish(mosquitto_url, f"{prefix}/x", b"poison")
        [delivery] = await receiver.wait_for(1)
        await delivery.settle(Outcome.REJECT)
        with pytest.raises(RuntimeError, match="settled once"):
            await delivery.settle(Outcome.ACCEPT)
    await only_a_marker_comes(client_settings, source, f"{prefix}/y")


async def test_workers_of_a_group_share_a_source_each_message_reaching_one(mosquitto_url: str, prefix: str,
                                                                          client_ids: list[str]) -> None:
    group = prefix.rsplit("/", 1)[-1]
    first_settings, second_settings = settings(mosquitto_url, group=group), settings(mosquitto_url, group=group)
    client_ids += [first_settings.client_id, second_settings.client_id]
    source = SourceSettings((f"{prefix}/#",), qos=1)
    async with connected(first_settings) as first, connected(second_settings) as second:
        signal = asyncio.Event()
        receivers = [Receiver(first, source, signal=signal, accept=True),
                     Receiver(second, source, signal=signal, accept=True)]
        # Both subscriptions are in place once each has had a ping (shared: the pings alternate).
        with anyio.fail_after(WITHIN):
            while not all(receiver.received for receiver in receivers):
                await publish(mosquitto_url, f"{prefix}/ping", b"ping", qos=0)
                await asyncio.sleep(0.05)
        for receiver in receivers:
            receiver.received.clear()
        count = 40
        await publish_many(mosquitto_url, [(f"{prefix}/t", str(n).encode()) for n in range(count)])
        with anyio.fail_after(WITHIN):
            while signal.clear() or sum(len(receiver.received) for receiver in receivers) < count:
                await signal.wait()
        got = [payloads(receiver.received) for receiver in receivers]
        assert sorted(int(payload) for payload in got[0] + got[1]) == list(range(count))  # each exactly once
        assert got[0] and got[1]  # both had a share
        for receiver in receivers:
            await receiver.aclose()


@pytest.mark.parametrize(("kind", "qos"), [("mqtt", 0), ("mqtt", 1), ("mqtt-5", 0), ("mqtt-5", 1)])
async def test_publish_returns_once_the_broker_has_the_message(mosquitto_url: str, prefix: str,
                                                               client_ids: list[str], kind: str, qos: int) -> None:
    subscriber_settings = settings(mosquitto_url)
    client_ids.append(subscriber_settings.client_id)
    async with connected(subscriber_settings) as subscriber, connected(settings(mosquitto_url, kind=kind,
                                                                                config={"cleanSession": "true"})) \
            as publisher:
        receiver = Receiver(subscriber, SourceSettings((f"{prefix}/#",), qos=1))
        await receiver.until_subscribed(subscriber, mosquitto_url, f"{prefix}/ping")
        await publisher.publish(ExternalMessage(b"event", {"correlation-id": "c-7", "x-thing": "lamp"},
                                                "application/json", f"{prefix}/events"), qos=qos)
        [delivery] = await receiver.wait_for(1)
        assert delivery.message.payload == b"event"
        if kind == "mqtt-5":
            assert delivery.message.headers["x-thing"] == "lamp"
            assert delivery.message.headers["correlation-id"] == "c-7"
            assert delivery.message.content_type == "application/json"
        await delivery.settle(Outcome.ACCEPT)
        await receiver.aclose()


async def test_publishing_to_a_topic_with_wildcards_fails_cleanly(mosquitto_url: str, prefix: str) -> None:
    async with connected(settings(mosquitto_url, config={"cleanSession": "true"})) as client:
        with pytest.raises(ClientFailure, match="cannot be published"):
            await client.publish(ExternalMessage(b"x", address=f"{prefix}/+/bad"))


async def test_unsettled_deliveries_survive_a_broker_restart(broker: Mosquitto) -> None:
    client_settings = settings(broker.url)
    source = SourceSettings(("plant/#",), qos=1)
    async with receiving(client_settings, source, ping="plant/ping") as (_client, receiver):
        await publish_many(broker.url, [("plant/a", b"1"), ("plant/b", b"2")])
        await receiver.wait_for(2)
        broker.restart()
        assert "lost" in str(await receiver.wait_failed())
    # Offline meanwhile: a message for the session waits at the broker too.
    await publish(broker.url, "plant/c", b"3")
    async with receiving(client_settings, source) as (_client, receiver):
        received = await receiver.wait_for(3)
        assert sorted(payloads(received)) == [b"1", b"2", b"3"]
        for delivery in received:
            await delivery.settle(Outcome.ACCEPT)


async def test_wrong_credentials_are_a_client_failure(tmp_path: Path) -> None:
    with own_mosquitto(tmp_path / "mosquitto", users={"device": "secret"}) as secured:
        right = settings(f"tcp://device:secret@127.0.0.1:{secured.port}", config={"cleanSession": "true"})
        async with connected(right):
            pass
        for kind in ("mqtt", "mqtt-5"):
            wrong = settings(f"tcp://device:wrong@127.0.0.1:{secured.port}", kind=kind)
            client = MqttClient(wrong)
            with pytest.raises(ClientFailure, match="refused the connection"):
                await client.connect()
            await client.aclose()


async def test_no_broker_is_a_client_failure() -> None:
    client = MqttClient(settings(f"tcp://127.0.0.1:{free_port()}"))
    with pytest.raises(ClientFailure, match="Could not connect"):
        await client.connect()
    await client.aclose()
    with pytest.raises(RuntimeError):
        await client.connect()  # not reopenable


async def test_a_server_that_never_answers_times_out_as_a_client_failure() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        client = MqttClient(replace(settings(f"tcp://127.0.0.1:{silent.getsockname()[1]}"), connect_timeout=0.5))
        with pytest.raises(ClientFailure, match="did not accept the connection"):
            await client.connect()
        await client.aclose()


async def test_an_unknown_scheme_is_a_client_failure() -> None:
    client = MqttClient(settings("amqp://127.0.0.1:5672"))
    with pytest.raises(ClientFailure, match="scheme"):
        await client.connect()
    await client.aclose()


async def test_a_message_larger_than_the_limit_is_given_up_and_never_yielded(mosquitto_url: str, prefix: str,
                                                                            client_ids: list[str],
                                                                            caplog: pytest.LogCaptureFixture) -> None:
    client_settings = replace(settings(mosquitto_url), max_message_bytes=1000)
    client_ids.append(client_settings.client_id)
    source = SourceSettings((f"{prefix}/#",), qos=1)
    async with receiving(client_settings, source, ping=f"{prefix}/ping") as (_client, receiver):
        await publish(mosquitto_url, f"{prefix}/big", b"x" * 1001)
        await publish(mosquitto_url, f"{prefix}/small", b"after")
        [delivery] = await receiver.wait_for(1)
        assert delivery.message.payload == b"after"
        await delivery.settle(Outcome.ACCEPT)
    assert any("1001 bytes" in record.getMessage() for record in caplog.records)
    await only_a_marker_comes(client_settings, source, f"{prefix}/marker")  # the big one was acknowledged


async def test_qos0_messages_beyond_the_bound_are_dropped_while_the_consumer_falls_behind(
        mosquitto_url: str, prefix: str) -> None:
    client_settings = replace(settings(mosquitto_url, config={"cleanSession": "true"}), max_in_flight=5)
    async with connected(client_settings) as client:
        deliveries = client.deliveries(SourceSettings((f"{prefix}/#",), qos=1))  # QoS 0 ones stay QoS 0
        ping = asyncio.ensure_future(anext(deliveries))  # subscribes; takes one
        with anyio.fail_after(WITHIN):
            while not ping.done():
                await publish(mosquitto_url, f"{prefix}/ping", b"ping", qos=0)
                await asyncio.sleep(0.05)
        dropped_before = client.dropped
        marker = f"{prefix}/marker"
        # On one connection, so in this order: the flood, then a QoS 1 marker (never dropped) that ends it.
        await publish_in_order(mosquitto_url, [*((f"{prefix}/flood", str(n).encode(), 0) for n in range(100)),
                                               (marker, b"end", 1)])
        with anyio.fail_after(WITHIN):  # the consumer takes nothing meanwhile: 5 wait, the rest is dropped
            for _attempt in range(1_000_000):
                if client.dropped - dropped_before >= 95:
                    break
                await asyncio.sleep(0.05)
        taken = []
        with anyio.fail_after(WITHIN):
            async for delivery in deliveries:
                taken.append(delivery.message.payload)
                if delivery.message.address == marker:
                    await delivery.settle(Outcome.ACCEPT)
                    break
        flood = [payload for payload in taken if payload not in (b"ping", b"end")]
        assert flood == [str(n).encode() for n in range(5)]  # the bound waited for the consumer, in order
        assert client.dropped - dropped_before == 95  # the rest was dropped (and counted), not buffered
        await deliveries.aclose()  # type: ignore[attr-defined]
