"""Live signals across workers on a real NATS server: two signal buses (two connections, one subject
prefix) stand for two workers, each with its own live hub."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from tests.api.websocket import open_socket, topic
from tests.integration.services import (
    deployment,
    shared_backends,
)
from tests.unit.service.live_world import (
    OWNER,
    READER,
    THING_ID,
    Worker,
    event_requesting,
    live_workers,
    message,
    next_signal,
    nothing_for,
    responder,
)
from twinhub.bus.signals import NatsSignalBus, open_nats_signal_bus
from twinhub.model.errors import AcknowledgementLabelNotUnique, MessagePayloadTooLarge, ServiceUnavailable
from twinhub.model.live import (
    Acknowledgement,
    LiveCommand,
    LiveEvent,
    LiveMessage,
    LiveResponse,
    LiveSignal,
    Signal,
)
from twinhub.service.live import Receipts, Unanswered
from twinhub.testing import Server, free_port

pytestmark = pytest.mark.anyio


@pytest.fixture
def prefix() -> str:
    """A subject prefix no other test (or deployment) uses; core NATS leaves nothing behind to clean."""
    return f"twinhub-test-signals.{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def buses(nats_url: str, prefix: str) -> AsyncIterator[tuple[NatsSignalBus, NatsSignalBus]]:
    async with open_nats_signal_bus(nats_url, subject_prefix=prefix) as first, \
            open_nats_signal_bus(nats_url, subject_prefix=prefix) as second:
        yield first, second


@pytest.fixture
async def workers(tmp_path: Path, buses: tuple[NatsSignalBus, NatsSignalBus]) -> AsyncIterator[list[Worker]]:
    async with live_workers(tmp_path / "twinhub.db", list(buses)) as workers:
        yield workers


def answer(signal: LiveSignal) -> LiveResponse:
    assert isinstance(signal, LiveMessage) and signal.correlation_id is not None
    return LiveResponse(signal.correlation_id, 200, b"answered on B: " + signal.payload, "text/plain")


# -- the bus itself ----------------------------------------------------------------------------------


async def test_every_kind_of_signal_crosses_from_one_bus_to_both(buses: tuple[NatsSignalBus, NatsSignalBus]) -> None:
    first, second = buses
    on_first, on_second = first.subscribe(), second.subscribe()
    signals: list[Signal] = [
        LiveMessage(THING_ID, "ask/question", payload=bytes(range(256)), content_type="application/octet-stream"),
        LiveResponse("c-1", 200, b"\x00binary\n"),
        LiveCommand(THING_ID, "modify", ("attributes", "a"), {"b": None}),
        LiveEvent(THING_ID, "deleted", ("features", "f")),
        Acknowledgement("conn:ack", THING_ID, "c-1", 200, weak=True),
    ]
    for signal in signals:
        await first.publish(signal)
    for subscription in (on_first, on_second):
        received: list[Signal] = []
        async with asyncio.timeout(5):
            async for signal in subscription:
                received.append(signal)
                if len(received) == len(signals):
                    break
        assert received == signals


async def test_a_signal_too_large_for_the_server_is_413(buses: tuple[NatsSignalBus, NatsSignalBus]) -> None:
    first, _ = buses
    with pytest.raises(MessagePayloadTooLarge) as refused:
        await first.publish(LiveMessage(THING_ID, "big", payload=b"x" * (8 * 1024 * 1024)))
    assert refused.value.status == 413


async def test_an_unreachable_server_is_service_unavailable() -> None:
    bus = open_nats_signal_bus(f"nats://127.0.0.1:{free_port()}", connect_timeout_seconds=0.2)
    with pytest.raises(ServiceUnavailable):
        await bus.__aenter__()
    with pytest.raises(RuntimeError):
        bus.subscribe()


# -- two workers -------------------------------------------------------------------------------------


async def test_a_message_sent_on_one_worker_is_answered_from_the_other(workers: list[Worker]) -> None:
    a, b = workers
    device = b.hub.receive(["messages"], OWNER, receipts=Receipts())
    task = responder(b.hub, device, answer)
    response = await a.hub.send_message(message(payload=b"hi", correlation_id="c-ab"), OWNER, timeout=5)
    assert response == LiveResponse("c-ab", 200, b"answered on B: hi", "text/plain")
    task.cancel()


async def test_receivers_on_both_workers_get_a_message_once_and_only_if_they_may_read_it(
        workers: list[Worker]) -> None:
    a, b = workers
    owner_a, owner_b, reader_b = a.hub.receive(["messages"], OWNER), b.hub.receive(["messages"], OWNER), \
        b.hub.receive(["messages"], READER)
    for n in range(3):
        await a.hub.send_message(message("private", str(n).encode()), OWNER, timeout=0)
    for receiver in (owner_a, owner_b):
        assert [(await next_signal(receiver)).payload for _ in range(3)] == [b"0", b"1", b"2"]  # type: ignore[union-attr]
        assert await nothing_for(receiver)  # no duplicates
    assert await nothing_for(reader_b)


async def test_messages_are_delivered_at_most_once_to_who_listens_now(workers: list[Worker]) -> None:
    a, b = workers
    probe = b.hub.receive(["messages"], OWNER)
    await a.hub.send_message(message(payload=b"before"), OWNER, timeout=0)
    assert (await next_signal(probe)).payload == b"before"  # type: ignore[union-attr]
    late = b.hub.receive(["messages"], OWNER)
    assert await nothing_for(late)  # nothing is retained for a receiver that came later
    await a.hub.send_message(message(payload=b"after"), OWNER, timeout=0)
    assert (await next_signal(late)).payload == b"after"  # type: ignore[union-attr]
    assert (await next_signal(probe)).payload == b"after"  # type: ignore[union-attr]
    assert await nothing_for(probe)


async def test_no_response_from_any_worker_is_timed_out_after_the_timeout(workers: list[Worker]) -> None:
    a, b = workers
    b.hub.receive(["messages"], OWNER)  # receives, never answers
    started = time.monotonic()
    assert await a.hub.send_message(message(), OWNER, timeout=0.3) is Unanswered.TIMED_OUT
    assert time.monotonic() - started >= 0.3


async def test_a_live_command_from_one_worker_is_answered_from_the_other(workers: list[Worker]) -> None:
    a, b = workers
    device = b.hub.receive(["live-commands"], OWNER, receipts=Receipts())

    def reply(signal: LiveSignal) -> LiveResponse:
        assert isinstance(signal, LiveCommand) and signal.correlation_id is not None
        return LiveResponse(signal.correlation_id, 200, b'{"model":"live","secret":"x"}', "application/json")

    task = responder(b.hub, device, reply)
    response = await a.hub.send_command(LiveCommand(THING_ID, "retrieve", ("attributes",)), READER, timeout=5)
    assert isinstance(response, LiveResponse) and response.payload == b'{"model":"live"}'  # what the reader may READ
    task.cancel()


async def test_an_acknowledgement_from_one_worker_resolves_the_wait_on_the_other(workers: list[Worker]) -> None:
    a, b = workers
    declaration = await b.hub.declare(["conn:ack"], owner="session-on-b", subject="nginx:device")
    wait = a.hub.expect_acks("c-ack", ["conn:ack"], entity_id=THING_ID)
    declaration.receipts.event(event_requesting("conn:ack"))
    issued = Acknowledgement("conn:ack", THING_ID, "c-ack", 200, {"correlation-id": "c-ack"}, {"outcome": "green"})
    await declaration.acknowledge(issued)
    assert await wait.wait(5) == {"conn:ack": issued}


async def test_only_the_receiver_of_a_message_may_answer_it_from_another_worker(workers: list[Worker]) -> None:
    a, b = workers
    device_receipts = Receipts()
    device = b.hub.receive(["messages"], OWNER, receipts=device_receipts)
    sending = asyncio.create_task(a.hub.send_message(message(correlation_id="c-guess"), OWNER, timeout=5))
    await next_signal(device)
    assert not await b.hub.respond(LiveResponse("c-guess", 200, b"forged"), Receipts())
    assert not await a.hub.respond(LiveResponse("c-guess", 200, b"forged"), Receipts())
    assert await b.hub.respond(LiveResponse("c-guess", 200, b"genuine"), device_receipts)
    response = await sending
    assert isinstance(response, LiveResponse) and response.payload == b"genuine"


async def test_a_partys_response_got_on_another_worker_is_vouched_for_where_the_party_received(
        workers: list[Worker]) -> None:
    # A connection: its target receives on A, its source consumes the device's answers on B (receipts of its own).
    a, b = workers
    target = a.hub.receive(["messages"], OWNER, receipts=Receipts(party="connection:lamps"))
    source_on_b = Receipts(party="connection:lamps")
    for sender in (a, b):
        sending = asyncio.create_task(sender.hub.send_message(message(correlation_id="c-party"), OWNER, timeout=5))
        await next_signal(target)
        assert await b.hub.respond(LiveResponse("c-party", 200, b"from the device"), source_on_b)
        response = await sending
        assert isinstance(response, LiveResponse) and response.payload == b"from the device"


async def test_only_the_party_that_received_a_message_may_answer_it_on_another_worker(
        workers: list[Worker]) -> None:
    a, b = workers
    target = a.hub.receive(["messages"], OWNER, receipts=Receipts(party="connection:lamps"))
    a.hub.receive(["messages"], OWNER, namespaces=["org.elsewhere"], receipts=Receipts(party="connection:other"))
    sending = asyncio.create_task(a.hub.send_message(message(correlation_id="c-vouch"), OWNER, timeout=5))
    await next_signal(target)
    # Passed on, then dropped on A: another connection's, a guessed correlation-id, a party nobody has.
    for party, correlation_id in (("connection:other", "c-vouch"), ("connection:lamps", "c-guessed"),
                                  ("connection:nobody", "c-vouch")):
        assert await b.hub.respond(LiveResponse(correlation_id, 200, b"forged"), Receipts(party=party))
    source_on_b = Receipts(party="connection:lamps")
    assert await b.hub.respond(LiveResponse("c-vouch", 200, b"genuine"), source_on_b)
    assert await b.hub.respond(LiveResponse("c-vouch", 500, b"too late"), source_on_b)  # the first one won
    response = await sending
    assert isinstance(response, LiveResponse) and (response.status, response.payload) == (200, b"genuine")
    again = asyncio.create_task(a.hub.send_message(message(correlation_id="c-vouch"), OWNER, timeout=0.5))
    await next_signal(target)  # a new request with the same correlation-id: answered once, not by the old answer
    assert await again is Unanswered.TIMED_OUT


async def test_a_label_declared_on_one_worker_is_not_another_subjects_on_the_other(workers: list[Worker]) -> None:
    a, b = workers
    await b.hub.declare(["conn:device"], owner="device-on-b", subject="nginx:device")
    lost = asyncio.Event()
    try:  # refused at once once worker A heard of B's declaration, else told it lost when it hears
        await a.hub.declare(["conn:device"], owner="squatter-on-a", subject="nginx:squatter", on_lost=lost.set)
        async with asyncio.timeout(5):
            await lost.wait()
    except AcknowledgementLabelNotUnique:
        pass
    assert a.hub.label_owner("conn:device") == "nginx:device"
    assert not a.hub.is_declared("conn:device") and b.hub.is_declared("conn:device")


async def test_with_other_workers_an_undeclared_label_is_awaited_until_the_timeout(workers: list[Worker]) -> None:
    a, _ = workers
    assert a.hub.shared
    started = time.monotonic()
    acks = await a.hub.await_acks("c-ack", ["conn:elsewhere"], 0.3)
    assert time.monotonic() - started >= 0.3  # a session of another worker might answer: no fail-fast
    assert acks["conn:elsewhere"].status == 408


async def test_a_slow_receiver_is_cut_off_while_the_others_get_everything(workers: list[Worker]) -> None:
    a, b = workers
    slow, fast = b.hub.receive(["messages"], OWNER, capacity=2), b.hub.receive(["messages"], OWNER)
    for n in range(5):
        await a.hub.send_message(message(payload=str(n).encode()), OWNER, timeout=0)
    assert [(await next_signal(fast)).payload for _ in range(5)] == [b"0", b"1", b"2", b"3", b"4"]  # type: ignore[union-attr]
    assert [signal.payload async for signal in slow] == [b"0", b"1"]  # type: ignore[union-attr]
    assert slow.overflowed


# -- two servers: the wiring of the signal bus from the settings ----------------------------------------


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[list[Server]]:
    """Two twinhub servers on a throwaway PostgreSQL database and NATS stream (and signal subjects)."""
    with shared_backends("twinhub_signals") as env, deployment(env, tmp_path) as started:
        yield started


async def test_a_message_posted_to_one_server_reaches_a_message_stream_on_the_other(servers: list[Server]) -> None:
    thing = "/things/org.twinhub.test:signals"
    first, second = (httpx.AsyncClient(base_url=server.base_url + "/api/2", auth=("ditto", "any"), timeout=30)
                     for server in servers)
    async with first, second:
        assert (await first.put(thing, json={})).status_code == 201
        async with second.stream("GET", f"{thing}/inbox/messages", headers={"Accept": "text/event-stream"}) as sse:
            assert sse.status_code == 200
            posted = await first.post(f"{thing}/inbox/messages/hello", content=b"from the first server",
                                      params={"timeout": "0"})
            assert posted.status_code == 202
            lines: list[str] = []
            async with asyncio.timeout(10):
                async for line in sse.aiter_lines():
                    lines.append(line)
                    if line.startswith("data:"):
                        break
        assert lines[-2:] == ["event: hello", "data: from the first server"]
        # Another server's session might issue a custom label: it is awaited, not failed at once.
        started = time.monotonic()
        acked = await first.put(thing, json={}, params={"requested-acks": "twin-persisted,conn:ack", "timeout": "1"})
        assert time.monotonic() - started >= 1
        assert acked.status_code == 424 and acked.json()["conn:ack"]["status"] == 408


def test_across_servers_only_the_receiver_answers_and_a_label_stays_with_its_subject(servers: list[Server]) -> None:
    first, second = servers
    thing, label = "org.twinhub.test:forged", f"device:{uuid.uuid4().hex[:8]}"
    with httpx.Client(base_url=first.base_url + "/api/2", auth=("ditto", "any"), timeout=30) as client, \
            open_socket(second.base_url, query=f"declared-acks={label}") as device, \
            open_socket(first.base_url, "mallory") as mallory, ThreadPoolExecutor(1) as pool:
        assert client.put(f"/things/{thing}", json={}).status_code == 201
        device.control("START-SEND-MESSAGES")
        device.control("START-SEND-EVENTS")
        sent = pool.submit(client.post, f"/things/{thing}/inbox/messages/ping", content=b"?",
                           headers={"content-type": "text/plain", "correlation-id": "guessed", "timeout": "20"})
        message = device.receive_until(lambda frame: isinstance(frame, dict) and "/live/messages/" in frame["topic"])
        assert isinstance(message, dict)
        mallory.send({"topic": message["topic"], "path": message["path"], "status": 200, "value": "forged",
                      "headers": {"correlation-id": "guessed", "content-type": "text/plain"}})
        mallory.request({"topic": topic(thing, "things/twin/commands/retrieve"), "path": "/", "headers": {}})
        device.send({"topic": message["topic"], "path": message["path"], "status": 200, "value": "genuine",
                     "headers": {"correlation-id": "guessed", "content-type": "text/plain"}})
        assert sent.result(30).text == "genuine"

        # mallory cannot take the device's label on the other server: refused, or closed once it hears.
        squatter = open_socket(first.base_url, "mallory", query=f"declared-acks={label}")
        with pytest.raises(ConnectionClosed) as closed:
            squatter.receive(10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
        assert closed.value.rcvd.reason.startswith("acknowledgement:label.not.unique")

        acked = pool.submit(client.put, f"/things/{thing}/attributes/x", json=1,
                            headers={"requested-acks": label, "timeout": "20"})
        event = device.receive_until(lambda frame: isinstance(frame, dict) and "/twin/events/" in frame["topic"])
        assert isinstance(event, dict)
        device.send({"topic": topic(thing, f"things/twin/acks/{label}"), "path": "/", "status": 200,
                     "value": "seen", "headers": {"correlation-id": event["headers"]["correlation-id"]}})
        response = acked.result(30)
    assert response.status_code == 200 and response.json() == "seen"
