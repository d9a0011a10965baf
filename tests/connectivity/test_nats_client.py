"""The `nats` client against the machine's NATS server (JetStream on): core subjects in queue groups,
JetStream durable consumers shared by workers with ack / nak / term, publishing, and a lost link."""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path

import anyio
import nats
import nats.js.errors
import pytest

from tests.connectivity.certificates import self_signed
from tests.connectivity.nats_peer import publish as raw_publish
from tests.connectivity.nats_peer import stream_over
from tests.connectivity.polling import until
from tests.integration.conftest import TcpProxy
from tests.integration.services import NATS
from twinhub.connectivity.clients import open_client
from twinhub.connectivity.clients.base import ClientFailure, ClientSettings, Outcome, SourceSettings
from twinhub.connectivity.clients.nats import (
    FETCH_WAIT_SECONDS,
    NatsClient,
    NatsConfigInvalid,
    NatsDelivery,
    durable_name,
    validate_subject,
)
from twinhub.connectivity.external import ExternalMessage

pytestmark = pytest.mark.anyio

NATS_SERVER = "/usr/sbin/nats-server"


@pytest.fixture
def prefix() -> str:
    """A subject prefix (and stream name part) no other test uses."""
    return f"twinhub-test-conn.{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def stream(nats_url: str, prefix: str) -> AsyncIterator[str]:
    async with stream_over(nats_url, prefix) as name:
        yield name


def settings(uri: str, *, connection_id: str = "conn-1", client_id: str = "worker-1",
             config: Mapping[str, str] | None = None, max_in_flight: int = 16,
             max_message_bytes: int = 1024) -> ClientSettings:
    return ClientSettings(connection_id=connection_id, connection_type="nats", uri=uri, client_id=client_id,
                          group=f"twinhub-{connection_id}", specific_config=dict(config or {}),
                          max_in_flight=max_in_flight, max_message_bytes=max_message_bytes)


@contextlib.asynccontextmanager
async def connected(client_settings: ClientSettings) -> AsyncIterator[NatsClient]:
    client = open_client(client_settings)
    assert isinstance(client, NatsClient)
    await client.connect()
    try:
        yield client
    finally:
        await client.aclose()


class Receiver:
    """Drains one source of a client in a task: what arrived, settled by `outcome` (None: left unsettled)."""

    def __init__(self, client: NatsClient, source: SourceSettings, outcome: Outcome | None = Outcome.ACCEPT) -> None:
        self.client, self.source, self.outcome = client, source, outcome
        self.received: list[NatsDelivery] = []
        self.failure: ClientFailure | None = None

    async def run(self, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """Started once the source's subscriptions are on the server: what is published then reaches it."""
        async with anyio.create_task_group() as group:
            group.start_soon(self._drain)
            await wait_for_interest(self.client, len(self.source.addresses))
            task_status.started()

    async def _drain(self) -> None:
        try:
            async for delivery in self.client.deliveries(self.source):
                await self._take(delivery)
        except ClientFailure as failure:
            self.failure = failure

    async def _take(self, delivery: NatsDelivery) -> None:
        self.received.append(delivery)
        if self.outcome is not None:
            await delivery.settle(self.outcome)

    def payloads(self) -> list[bytes]:
        return [delivery.message.payload for delivery in self.received]


async def wait_for_interest(client: NatsClient, count: int) -> None:
    """Until the client has `count` subscriptions (core ones, or the inboxes of JetStream pull consumers, made
    after their consumer) and the server has them too (a flush is a round trip after the SUB)."""
    nc = client._nc  # the client's own NATS connection: no public way to ask what it subscribed
    assert nc is not None
    await until(lambda: len(nc._subs) >= count, f"{count} subscriptions")
    await nc.flush()


async def test_core_source_receives_messages_with_headers_and_reply_subject(nats_url: str, prefix: str) -> None:
    async with connected(settings(nats_url)) as client, anyio.create_task_group() as group:
        receiver = Receiver(client, SourceSettings((f"{prefix}.telemetry.*",)))
        await group.start(receiver.run)
        async with await nats.connect(nats_url) as connection:
            await connection.publish(f"{prefix}.telemetry.dev1", b'{"t":1}', reply="answers.here",
                                     headers={"Content-Type": "application/json", "Device-Id": "dev1"})
            await connection.flush()
            await until(lambda: len(receiver.received) == 1, "one delivery")
        message = receiver.received[0].message
        assert message.payload == b'{"t":1}'
        assert message.address == f"{prefix}.telemetry.dev1"
        assert message.header("device-id") == "dev1"
        assert message.content_type == "application/json"
        assert message.header("reply-to") == "answers.here"
        group.cancel_scope.cancel()


async def test_queue_group_shares_a_core_source_between_workers(nats_url: str, prefix: str) -> None:
    source = SourceSettings((f"{prefix}.in",))
    async with connected(settings(nats_url, client_id="w1")) as one, \
            connected(settings(nats_url, client_id="w2")) as two, anyio.create_task_group() as group:
        first, second = Receiver(one, source), Receiver(two, source)
        await group.start(first.run)
        await group.start(second.run)
        sent = [str(n).encode() for n in range(60)]
        await raw_publish(nats_url, f"{prefix}.in", sent)
        await until(lambda: len(first.received) + len(second.received) >= len(sent), "every message")
        await raw_publish(nats_url, f"{prefix}.in", [b"last"])  # nothing else still on its way after this one
        await until(lambda: b"last" in first.payloads() + second.payloads(), "the last message")
        received = first.payloads() + second.payloads()
        assert sorted(received) == sorted([*sent, b"last"])  # each message once, none twice
        assert first.received and second.received  # both workers took part (2**-59 that one got all by chance)
        group.cancel_scope.cancel()


async def test_core_publish_reaches_a_subscriber_with_headers(nats_url: str, prefix: str) -> None:
    async with await nats.connect(nats_url) as connection:
        subscription = await connection.subscribe(f"{prefix}.out")
        await connection.flush()
        async with connected(settings(nats_url)) as client:
            await client.publish(ExternalMessage(b"hello", {"correlation-id": "c1"}, "text/plain", f"{prefix}.out"))
        msg = await subscription.next_msg(timeout=5)
        assert msg.data == b"hello"
        assert msg.headers == {"correlation-id": "c1", "content-type": "text/plain"}


async def test_jetstream_publish_awaits_the_stream(nats_url: str, prefix: str, stream: str) -> None:
    async with connected(settings(nats_url, config={"jetstream": "true"})) as client:
        await client.publish(ExternalMessage(b"stored", {}, None, f"{prefix}.events"))
        with pytest.raises(ClientFailure, match="could not publish"):  # no stream holds this subject
            await client.publish(ExternalMessage(b"lost", {}, None, f"nowhere-{uuid.uuid4().hex}"))
    async with await nats.connect(nats_url) as connection:
        info = await connection.jetstream().stream_info(stream)
        assert info.state.messages == 1


async def test_jetstream_accept_acks_redeliver_comes_again_reject_never(nats_url: str, prefix: str,
                                                                         stream: str) -> None:
    config = {"jetstream": "true", "ackWaitSeconds": "30"}
    await raw_publish(nats_url, f"{prefix}.a", [b"accept", b"redeliver", b"reject"], jetstream=True)
    outcomes = {b"accept": Outcome.ACCEPT, b"redeliver": Outcome.REDELIVER, b"reject": Outcome.REJECT}
    seen: list[bytes] = []
    async with connected(settings(nats_url, config=config)) as client:
        with anyio.fail_after(10):
            async for delivery in client.deliveries(SourceSettings((f"{prefix}.a",))):
                payload = delivery.message.payload
                seen.append(payload)
                # The second time the nak'ed one comes, it is accepted.
                await delivery.settle(Outcome.ACCEPT if seen.count(payload) > 1 else outcomes[payload])
                if seen.count(b"redeliver") == 2:
                    break
    assert sorted(seen) == [b"accept", b"redeliver", b"redeliver", b"reject"]
    async with await nats.connect(nats_url) as connection:
        name = durable_name("twinhub", "conn-1", 0, f"{prefix}.a")
        async def settled() -> bool:  # the last ack may still be on its way
            info = await connection.jetstream().consumer_info(stream, name)
            return info.num_ack_pending == 0 and info.num_pending == 0

        await until(settled, "nothing left to deliver or to acknowledge")


async def test_jetstream_durable_is_shared_by_workers(nats_url: str, prefix: str, stream: str) -> None:
    config = {"jetstream": "true"}
    source = SourceSettings((f"{prefix}.shared",))
    sent = [str(n).encode() for n in range(40)]
    async with connected(settings(nats_url, client_id="w1", config=config)) as one, \
            connected(settings(nats_url, client_id="w2", config=config)) as two, anyio.create_task_group() as group:
        first, second = Receiver(one, source), Receiver(two, source)
        await group.start(first.run)
        await group.start(second.run)
        await raw_publish(nats_url, f"{prefix}.shared", sent, jetstream=True)
        await until(lambda: len(first.received) + len(second.received) >= len(sent), "every message")
        group.cancel_scope.cancel()
    assert sorted(first.payloads() + second.payloads()) == sorted(sent)


async def test_jetstream_message_of_a_dropped_worker_comes_again(nats_url: str, prefix: str, stream: str) -> None:
    config = {"jetstream": "true", "ackWaitSeconds": "1"}
    source = SourceSettings((f"{prefix}.drop",))
    await raw_publish(nats_url, f"{prefix}.drop", [b"unsettled"], jetstream=True)
    async with connected(settings(nats_url, client_id="w1", config=config)) as doomed:
        with anyio.fail_after(10):
            async for delivery in doomed.deliveries(source):
                assert delivery.message.payload == b"unsettled"
                break  # and the worker goes away without settling it
    async with connected(settings(nats_url, client_id="w2", config=config)) as survivor:
        with anyio.fail_after(15):
            async for delivery in survivor.deliveries(source):
                assert delivery.message.payload == b"unsettled"
                await delivery.settle(Outcome.ACCEPT)
                break


async def test_jetstream_holds_at_most_max_in_flight_unsettled(nats_url: str, prefix: str, stream: str) -> None:
    sent = [str(n).encode() for n in range(20)]
    await raw_publish(nats_url, f"{prefix}.bounded", sent, jetstream=True)
    async with connected(settings(nats_url, config={"jetstream": "true"}, max_in_flight=4)) as client, \
            anyio.create_task_group() as group:
        receiver = Receiver(client, SourceSettings((f"{prefix}.bounded",)), outcome=None)  # settles nothing
        await group.start(receiver.run)
        await until(lambda: len(receiver.received) == 4, "four deliveries")
        # Two fetch cycles later still four: none is fetched while four are unsettled (a slower machine could
        # only hide a fifth, never invent one).
        await anyio.sleep(FETCH_WAIT_SECONDS * 2)
        assert len(receiver.received) == 4
        receiver.outcome = Outcome.ACCEPT
        for delivery in list(receiver.received):
            await delivery.settle(Outcome.ACCEPT)
        await until(lambda: len(receiver.received) == len(sent), "the rest once the first four were settled")
        group.cancel_scope.cancel()
    assert sorted(receiver.payloads()) == sorted(sent)


@pytest.mark.parametrize("jetstream", ["false", "true"])
async def test_oversize_messages_are_refused_not_yielded(nats_url: str, prefix: str, stream: str,
                                                        jetstream: str, caplog: pytest.LogCaptureFixture) -> None:
    async with connected(settings(nats_url, config={"jetstream": jetstream}, max_message_bytes=100)) as client, \
            anyio.create_task_group() as group:
        receiver = Receiver(client, SourceSettings((f"{prefix}.big",)))
        await group.start(receiver.run)
        await raw_publish(nats_url, f"{prefix}.big", [b"x" * 101, b"small"], jetstream=jetstream == "true")
        await until(lambda: len(receiver.received) == 1, "the small message")
        assert receiver.payloads() == [b"small"]
        assert any("larger than the limit of 100 bytes" in record.getMessage() for record in caplog.records)
        group.cancel_scope.cancel()


@pytest.mark.parametrize("jetstream", ["false", "true"])
async def test_lost_connection_ends_deliveries_with_client_failure(nats_url: str, prefix: str, stream: str,
                                                                  jetstream: str) -> None:
    async with TcpProxy(NATS[0], NATS[1]) as proxy:
        uri = f"nats://127.0.0.1:{proxy.port}"
        async with connected(settings(uri, config={"jetstream": jetstream})) as client, \
                anyio.create_task_group() as group:
            receiver = Receiver(client, SourceSettings((f"{prefix}.lost",)))
            await group.start(receiver.run)
            await proxy.cut()
            await until(lambda: receiver.failure is not None, "a ClientFailure")
            with pytest.raises(ClientFailure):
                await client.publish(ExternalMessage(b"x", {}, None, f"{prefix}.lost"))


async def test_unreachable_server_is_a_client_failure_without_the_password() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = NatsClient(settings(f"nats://user:s3cret@127.0.0.1:{port}"))
    with pytest.raises(ClientFailure, match="cannot connect") as failure:
        await client.connect()
    assert "s3cret" not in str(failure.value) and "nats://***@127.0.0.1" in str(failure.value)
    await client.aclose()


@pytest.mark.parametrize(("config", "message"), [
    ({"jetstream": "yes"}, "jetstream"),
    ({"maxAckPending": "0"}, "maxAckPending"),
    ({"maxAckPending": "1e9"}, "maxAckPending"),
    ({"ackWaitSeconds": "nan"}, "ackWaitSeconds"),
    ({"deliverPolicy": "last"}, "deliverPolicy"),
    ({"durable": "a.b"}, "durable"),
    ({"stream": "a b"}, "stream"),
    ({"queue": "x"}, "unknown"),
])
def test_bad_specific_config_is_refused(config: dict[str, str], message: str) -> None:
    with pytest.raises(NatsConfigInvalid, match=message):
        NatsClient(settings("nats://127.0.0.1:4222", config=config))


@pytest.mark.parametrize("uri", ["http://127.0.0.1:4222", "nats://", "nats://host:4222/path", "nats:// host"])
def test_bad_uri_is_refused_without_the_password(uri: str) -> None:
    with pytest.raises(NatsConfigInvalid, match="not nats://"):
        NatsClient(settings(uri))


@pytest.mark.parametrize("subject", ["", "a..b", "a b", "a.>.b", ".a", "a."])
def test_bad_source_subjects_are_refused(subject: str) -> None:
    with pytest.raises(NatsConfigInvalid):
        validate_subject(subject, wildcards=True)


def test_wildcards_only_in_sources() -> None:
    validate_subject("devices.*.telemetry.>", wildcards=True)
    with pytest.raises(NatsConfigInvalid, match="target"):
        validate_subject("devices.*.commands", wildcards=False)


def test_durable_names_differ_by_connection_source_and_address() -> None:
    names = {durable_name("twinhub", connection, index, address)
             for connection in ("c:1", "c_1") for index in (0, 1) for address in ("a", "b")}
    assert len(names) == 8
    assert all("." not in name and ":" not in name for name in names)


@pytest.fixture
def tls_nats(tmp_path: Path) -> Iterator[int]:
    """A NATS server of the test's own with TLS (a certificate no authority signed) on a free port; its port."""
    if shutil.which(NATS_SERVER) is None:
        pytest.skip(f"{NATS_SERVER} is not installed (apt-get install nats-server)")
    certificate = self_signed(tmp_path)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([NATS_SERVER, "-a", "127.0.0.1", "-p", str(port), "--tls", "--tlscert",
                                str(certificate.certificate), "--tlskey", str(certificate.key)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(500):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            time.sleep(0.02)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


async def test_tls_with_validate_certificates_refuses_an_unknown_authority_and_accepts_it_when_off(
        tls_nats: int, prefix: str) -> None:
    uri = f"tls://127.0.0.1:{tls_nats}"
    checked = open_client(settings(uri))
    with pytest.raises(ClientFailure, match="CERTIFICATE_VERIFY_FAILED"):
        await checked.connect()
    await checked.aclose()
    async with connected(dataclasses.replace(settings(uri), validate_certificates=False)) as client:
        await client.publish(ExternalMessage(b"over tls", {}, None, f"{prefix}.tls"))
