"""The live hub on the in-process signal bus (one worker), on a real SQLite store: who may send, who
receives, responses, overflow and acknowledgements."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import orjson
import pytest

import twinhub.service.live_receiver as receiver_module
from tests.unit.service.live_world import (
    OWNER,
    PINGER,
    READER,
    STRANGER,
    THING_ID,
    Worker,
    event_requesting,
    live_workers,
    message,
    next_signal,
    nothing_for,
    responder,
)
from twinhub.bus.signals import InProcessSignalBus
from twinhub.model.errors import (
    AcknowledgementLabelNotDeclared,
    AcknowledgementLabelNotUnique,
    EventSendNotAllowed,
    MessageSendNotAllowed,
    ThingConditionFailed,
    ThingNotAccessible,
    TwinhubError,
)
from twinhub.model.live import Acknowledgement, LiveCommand, LiveEvent, LiveMessage, LiveResponse, LiveSignal
from twinhub.policy import Enforcer
from twinhub.rql import parse_filter
from twinhub.service.conditions import Condition
from twinhub.service.live import LiveHub, Receipts, Unanswered

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def worker(tmp_path: Path) -> AsyncIterator[Worker]:
    async with live_workers(tmp_path / "twinhub.db", [InProcessSignalBus()]) as (worker,):
        yield worker


def answer_with(status: int, payload: bytes = b"",
                content_type: str | None = None) -> Callable[[LiveSignal], LiveResponse]:
    def answer(signal: LiveSignal) -> LiveResponse:
        assert isinstance(signal, LiveMessage | LiveCommand)
        assert signal.correlation_id is not None
        return LiveResponse(signal.correlation_id, status, payload, content_type)

    return answer


# -- messages ----------------------------------------------------------------------------------------


async def test_a_message_is_answered_by_the_first_response_with_its_correlation_id(worker: Worker) -> None:
    hub = worker.hub
    device = hub.receive(["messages"], OWNER, receipts=Receipts())
    task = responder(hub, device, answer_with(200, b'{"mood":"fine"}', "application/json"))
    response = await hub.send_message(message(correlation_id="c-1"), OWNER, timeout=5)
    assert response == LiveResponse("c-1", 200, b'{"mood":"fine"}', "application/json")
    task.cancel()


async def test_a_message_without_correlation_id_gets_one(worker: Worker) -> None:
    hub = worker.hub
    device = hub.receive(["messages"], OWNER)
    await hub.send_message(message(), OWNER, timeout=0)
    received = await next_signal(device)
    assert isinstance(received, LiveMessage) and received.correlation_id
    assert received.payload == b"hello" and received.content_type == "text/plain"


async def test_nobody_answering_is_timed_out_after_the_timeout(worker: Worker) -> None:
    silent = worker.hub.receive(["messages"], OWNER)  # receives, never answers
    started = time.monotonic()
    assert await worker.hub.send_message(message(), OWNER, timeout=0.2) is Unanswered.TIMED_OUT
    assert 0.2 <= time.monotonic() - started < 2
    assert isinstance(await next_signal(silent), LiveMessage)


async def test_with_nobody_listening_on_a_single_worker_it_is_no_receiver_at_once(worker: Worker) -> None:
    if worker.hub.shared:
        pytest.skip("on a shared bus a receiver may listen on another worker")
    stranger = worker.hub.receive(["messages"], STRANGER)  # listens, but may not read it: no receiver either
    started = time.monotonic()
    assert await worker.hub.send_message(message(), OWNER, timeout=30) is Unanswered.NO_RECEIVER
    assert time.monotonic() - started < 5
    assert await nothing_for(stranger)


async def test_timeout_zero_is_fire_and_forget(worker: Worker) -> None:
    hub = worker.hub
    device = hub.receive(["messages"], OWNER)
    started = time.monotonic()
    assert await hub.send_message(message(), OWNER, timeout=0) is Unanswered.NOT_AWAITED
    assert time.monotonic() - started < 0.5
    assert isinstance(await next_signal(device), LiveMessage)


async def test_later_responses_and_responses_nobody_waits_for_are_dropped(worker: Worker) -> None:
    hub = worker.hub
    receipts = Receipts()
    device = hub.receive(["messages"], OWNER, receipts=receipts)
    assert not await hub.respond(LiveResponse("unknown", 200), receipts)  # nobody waits: dropped
    sending = asyncio.create_task(hub.send_message(message(correlation_id="c-2"), OWNER, timeout=5))
    await next_signal(device)
    assert await hub.respond(LiveResponse("c-2", 201, b"first"), receipts)
    assert not await hub.respond(LiveResponse("c-2", 500, b"second"), receipts)
    response = await sending
    assert isinstance(response, LiveResponse) and (response.status, response.payload) == (201, b"first")


async def test_only_a_party_that_received_a_message_may_answer_it(worker: Worker) -> None:
    hub = worker.hub
    device_receipts, bystander_receipts = Receipts(), Receipts()
    device = hub.receive(["messages"], OWNER, receipts=device_receipts)
    hub.receive(["messages"], OWNER, namespaces=["org.elsewhere"], receipts=bystander_receipts)
    sending = asyncio.create_task(hub.send_message(message(correlation_id="c-3"), OWNER, timeout=5))
    await next_signal(device)
    assert not await hub.respond(LiveResponse("c-3", 200, b"forged"), bystander_receipts)
    assert not await hub.respond(LiveResponse("c-3", 200, b"forged"), Receipts())
    assert await hub.respond(LiveResponse("c-3", 200, b"genuine"), device_receipts)
    response = await sending
    assert isinstance(response, LiveResponse) and response.payload == b"genuine"


async def test_on_a_single_worker_a_named_partys_response_to_nothing_it_received_is_dropped(worker: Worker) -> None:
    hub = worker.hub
    target = hub.receive(["messages"], OWNER, receipts=Receipts(party="connection:lamps"))
    sending = asyncio.create_task(hub.send_message(message(correlation_id="c-one"), OWNER, timeout=5))
    await next_signal(target)
    assert not await hub.respond(LiveResponse("c-one", 200, b"forged"), Receipts(party="connection:other"))
    assert not await hub.respond(LiveResponse("c-guessed", 200, b"forged"), Receipts(party="connection:lamps"))
    assert target.receipts is not None and await hub.respond(LiveResponse("c-one", 200, b"genuine"), target.receipts)
    response = await sending
    assert isinstance(response, LiveResponse) and response.payload == b"genuine"


async def test_a_response_answers_the_request_its_party_received_not_its_correlation_id(worker: Worker) -> None:
    hub = worker.hub
    receipts = Receipts()
    device = hub.receive(["messages"], OWNER, receipts=receipts)
    first = asyncio.create_task(hub.send_message(message(correlation_id="same"), OWNER, timeout=5))
    await next_signal(device)
    second = asyncio.create_task(hub.send_message(message(correlation_id="same"), OWNER, timeout=5))
    await next_signal(device)
    await hub.respond(LiveResponse("same", 201, b"to the first"), receipts)
    await hub.respond(LiveResponse("same", 202, b"to the second"), receipts)
    assert [(await first).payload, (await second).payload] == [b"to the first", b"to the second"]  # type: ignore[union-attr]


async def test_a_receiver_gets_only_messages_whose_resource_it_may_read(worker: Worker) -> None:
    hub = worker.hub
    owner, reader, stranger = (hub.receive(["messages"], subjects) for subjects in (OWNER, READER, STRANGER))
    await hub.send_message(message("private"), OWNER, timeout=0)
    await hub.send_message(message("public"), OWNER, timeout=0)
    assert [(await next_signal(owner)).subject, (await next_signal(owner)).subject] == ["private", "public"]  # type: ignore[union-attr]
    assert (await next_signal(reader)).subject == "public"  # type: ignore[union-attr]
    assert await nothing_for(reader)
    assert await nothing_for(stranger)


async def test_sending_needs_write_on_the_message_resource(worker: Worker) -> None:
    hub = worker.hub
    assert await hub.send_message(message("ping"), PINGER, timeout=0) is Unanswered.NOT_AWAITED
    with pytest.raises(MessageSendNotAllowed):
        await hub.send_message(message("pong"), PINGER, timeout=0)
    with pytest.raises(MessageSendNotAllowed):
        await hub.send_message(message("public"), READER, timeout=0)


async def test_a_message_to_an_unknown_thing_is_404(worker: Worker) -> None:
    with pytest.raises(ThingNotAccessible):
        await worker.hub.send_message(LiveMessage("org.twinhub.test:nothing", "ask"), OWNER, timeout=0)


async def test_the_claim_message_needs_no_permission_and_reaches_every_message_receiver(worker: Worker) -> None:
    hub = worker.hub
    stranger, events_only = hub.receive(["messages"], STRANGER), hub.receive(["live-events"], OWNER)
    claim = LiveMessage(THING_ID, "claim", "inbox", payload=b"mine?", claim=True)
    await hub.send_message(claim, STRANGER, timeout=0)
    received = await next_signal(stranger)
    assert isinstance(received, LiveMessage) and received.claim
    assert await nothing_for(events_only)


async def test_a_message_whose_condition_fails_is_412_and_not_sent(worker: Worker) -> None:
    hub = worker.hub
    device = hub.receive(["messages"], OWNER)
    condition = Condition("eq(attributes/model,\"T2\")", parse_filter("eq(attributes/model,\"T2\")"))
    with pytest.raises(ThingConditionFailed):
        await hub.send_message(message(), OWNER, timeout=0, condition=condition)
    assert await nothing_for(device)
    condition = Condition("eq(attributes/model,\"T1\")", parse_filter("eq(attributes/model,\"T1\")"))
    await hub.send_message(message(), OWNER, timeout=0, condition=condition)
    assert isinstance(await next_signal(device), LiveMessage)


async def test_receivers_filter_by_namespace_and_predicate(worker: Worker) -> None:
    hub = worker.hub
    elsewhere = hub.receive(["messages"], OWNER, namespaces=["org.elsewhere"])
    only_pings = hub.receive(["messages"], OWNER, accept=lambda signal: getattr(signal, "subject", "") == "ping")
    everything = hub.receive(["messages"], OWNER)
    await hub.send_message(message("public"), OWNER, timeout=0)
    await hub.send_message(message("ping"), OWNER, timeout=0)
    await next_signal(everything)
    await next_signal(everything)
    assert (await next_signal(only_pings)).subject == "ping"  # type: ignore[union-attr]
    assert await nothing_for(elsewhere)


async def test_a_receiver_that_falls_behind_is_cut_off_without_slowing_the_others(worker: Worker) -> None:
    hub = worker.hub
    slow, fast = hub.receive(["messages"], OWNER, capacity=2), hub.receive(["messages"], OWNER, capacity=10)
    for n in range(5):
        await hub.send_message(message(payload=str(n).encode()), OWNER, timeout=0)
    payloads = [(await next_signal(fast)).payload for _ in range(5)]  # type: ignore[union-attr]
    assert payloads == [b"0", b"1", b"2", b"3", b"4"]
    assert [signal.payload async for signal in slow] == [b"0", b"1"]  # type: ignore[union-attr]
    assert slow.overflowed and slow.closed


async def test_a_closed_hub_answers_waiting_senders_with_no_response(tmp_path: Path) -> None:
    async with live_workers(tmp_path / "twinhub.db", [InProcessSignalBus()]) as (worker,):
        worker.hub.receive(["messages"], OWNER)  # receives, never answers: the sender waits
        sending = asyncio.create_task(worker.hub.send_message(message(), OWNER, timeout=30))
        await asyncio.sleep(0.1)
        await worker.hub.aclose()
        assert await asyncio.wait_for(sending, 2) is Unanswered.TIMED_OUT
        with pytest.raises(RuntimeError):
            worker.hub.receive(["messages"], OWNER)


async def test_a_hub_must_be_opened_before_use(worker: Worker) -> None:
    with pytest.raises(RuntimeError):
        LiveHub(InProcessSignalBus(), worker.things).receive(["messages"], OWNER)


# -- live commands and live events --------------------------------------------------------------------


async def test_a_live_retrieve_is_answered_with_what_the_sender_may_read(worker: Worker) -> None:
    hub = worker.hub
    device = hub.receive(["live-commands"], OWNER, receipts=Receipts())
    everything = {"thingId": THING_ID, "attributes": {"model": "live", "secret": "live-secret"}}
    task = responder(hub, device, answer_with(200, orjson.dumps(everything), "application/json"))
    command = LiveCommand(THING_ID, "retrieve", ())
    owner_sees = await hub.send_command(command, OWNER, timeout=5)
    reader_sees = await hub.send_command(command, READER, timeout=5)
    assert isinstance(owner_sees, LiveResponse) and orjson.loads(owner_sees.payload) == everything
    assert isinstance(reader_sees, LiveResponse) and orjson.loads(reader_sees.payload) == {
        "thingId": THING_ID, "attributes": {"model": "live"}}
    task.cancel()


async def test_live_commands_are_authorized_as_twin_commands(worker: Worker) -> None:
    hub = worker.hub
    with pytest.raises(TwinhubError) as refused:
        await hub.send_command(LiveCommand(THING_ID, "modify", ("attributes", "model"), "T9"), READER, timeout=0)
    assert (refused.value.status, refused.value.code) == (403, "things:attribute.notmodifiable")
    with pytest.raises(ThingNotAccessible):
        await hub.send_command(LiveCommand(THING_ID, "retrieve"), STRANGER, timeout=0)
    device = hub.receive(["live-commands"], OWNER)
    await hub.send_command(LiveCommand(THING_ID, "modify", ("attributes", "model"), "T9"), OWNER, timeout=0)
    received = await next_signal(device)
    assert isinstance(received, LiveCommand) and received.value == "T9" and received.correlation_id


async def test_live_commands_reach_only_receivers_reading_all_of_their_path(worker: Worker) -> None:
    hub = worker.hub
    owner, reader = hub.receive(["live-commands"], OWNER), hub.receive(["live-commands"], READER)
    await hub.send_command(LiveCommand(THING_ID, "retrieve", ("attributes",)), OWNER, timeout=0)
    await hub.send_command(LiveCommand(THING_ID, "retrieve", ("attributes", "model")), OWNER, timeout=0)
    assert (await next_signal(owner)).path == ("attributes",)
    assert (await next_signal(reader)).path == ("attributes", "model")
    assert await nothing_for(reader)  # all of /attributes includes the revoked secret


async def test_live_events_need_write_and_reach_live_event_receivers(worker: Worker) -> None:
    hub = worker.hub
    receiver, messages_only = hub.receive(["live-events"], READER), hub.receive(["messages"], OWNER)
    event = LiveEvent(THING_ID, "modified", ("attributes", "model"), "T3")
    with pytest.raises(EventSendNotAllowed):
        await hub.publish_event(event, READER)
    await hub.publish_event(event, OWNER)
    assert await next_signal(receiver) == event
    assert await nothing_for(messages_only)


# -- acknowledgements --------------------------------------------------------------------------------


def ack(label: str, correlation_id: str = "c-ack", status: int = 200) -> Acknowledgement:
    return Acknowledgement(label, THING_ID, correlation_id, status, {"correlation-id": correlation_id},
                           {"outcome": "green"})


async def test_an_issued_acknowledgement_resolves_the_wait(worker: Worker) -> None:
    hub = worker.hub
    declaration = await hub.declare(["conn:ack"], owner="session-1", subject="nginx:device")
    wait = hub.expect_acks("c-ack", ["conn:ack"], entity_id=THING_ID)
    declaration.receipts.event(event_requesting("conn:ack"))  # what the event hub notes on delivery
    assert await declaration.acknowledge(ack("conn:ack"))
    assert not await declaration.acknowledge(ack("conn:ack", status=500))  # only the first counts
    received = await wait.wait(5)
    assert received == {"conn:ack": ack("conn:ack")} and received["conn:ack"].issuer == "nginx:device"


async def test_an_acknowledgement_of_an_event_its_issuer_did_not_receive_is_dropped(worker: Worker) -> None:
    hub = worker.hub
    declaration = await hub.declare(["conn:ack"], owner="session-1", subject="nginx:device")
    wait = hub.expect_acks("c-ack", ["conn:ack"], entity_id=THING_ID)
    assert not await declaration.acknowledge(ack("conn:ack"))  # guessed the correlation-id
    declaration.receipts.event(event_requesting("conn:ack", thing_id="org.twinhub.test:other"))
    assert await declaration.acknowledge(ack("conn:ack"))  # issued, but about the other thing it received
    assert (await wait.wait(0.2))["conn:ack"].status == 408


async def test_a_label_nobody_declared_times_out_at_once_on_a_single_worker(worker: Worker) -> None:
    started = time.monotonic()
    acks = await worker.hub.await_acks("c-ack", ["conn:nobody"], 10, entity_id=THING_ID)
    assert time.monotonic() - started < 1
    assert acks["conn:nobody"].status == 408
    assert acks["conn:nobody"].payload == {
        "status": 408, "error": "acknowledgement:request.timeout",
        "message": "The acknowledgement request reached the specified timeout of 10000ms.",
        "description": "Try increasing the timeout and make sure that the requested acknowledgement is sent back "
                       "in time."}


async def test_a_declared_label_is_awaited_until_the_timeout(worker: Worker) -> None:
    hub = worker.hub
    await hub.declare(["conn:late"], owner="session-1", subject="nginx:device")
    started = time.monotonic()
    acks = await hub.await_acks("c-ack", ["conn:late", "conn:nobody"], 0.3)
    assert time.monotonic() - started >= 0.3
    assert [a.status for a in acks.values()] == [408, 408]


async def test_a_label_is_held_by_one_declaration_and_stays_with_its_subject(worker: Worker) -> None:
    hub = worker.hub
    first = await hub.declare(["conn:one", "conn:two"], owner="session-1", subject="nginx:device")
    with pytest.raises(AcknowledgementLabelNotUnique):  # held: not even the same subject, as in Ditto
        await hub.declare(["conn:two"], owner="session-2", subject="nginx:device")
    assert hub.is_declared("conn:one") and hub.label_owner("conn:one") == "nginx:device"
    first.release()
    assert not hub.is_declared("conn:one")
    with pytest.raises(AcknowledgementLabelNotUnique):  # released, but still the device's
        await hub.declare(["conn:two"], owner="session-3", subject="nginx:squatter")
    await hub.declare(["conn:two"], owner="session-2", subject="nginx:device")
    await hub.declare(["conn:three"], owner="session-3", subject="nginx:squatter")


async def test_an_issuer_may_only_send_acknowledgements_it_declared(worker: Worker) -> None:
    declaration = await worker.hub.declare(["conn:one"], owner="session-1", subject="nginx:device")
    with pytest.raises(AcknowledgementLabelNotDeclared):
        await declaration.acknowledge(ack("conn:other"))


async def test_acknowledgements_for_other_correlation_ids_are_ignored(worker: Worker) -> None:
    hub = worker.hub
    declaration = await hub.declare(["conn:ack"], owner="session-1", subject="nginx:device")
    wait = hub.expect_acks("c-mine", ["conn:ack"])
    declaration.receipts.event(event_requesting("conn:ack", correlation_id="c-other"))
    assert await declaration.acknowledge(ack("conn:ack", correlation_id="c-other"))
    assert (await wait.wait(0.2))["conn:ack"].status == 408


async def test_a_receiver_more_bytes_behind_than_it_may_be_is_cut_off(worker: Worker) -> None:
    hub = worker.hub
    slow = hub.receive(["messages"], OWNER, max_bytes=250)
    for n in range(3):
        await hub.send_message(message(payload=str(n).encode() * 100), OWNER, timeout=0)
    assert [signal.payload async for signal in slow] == [b"0" * 100, b"1" * 100]  # type: ignore[union-attr]
    assert slow.overflowed


async def test_a_signal_is_sized_once_and_permitted_once_per_subjects_whatever_the_receivers(
        worker: Worker, monkeypatch: pytest.MonkeyPatch) -> None:
    sized: list[LiveSignal] = []
    permitted: list[tuple[str, ...]] = []
    real_size, real_may = receiver_module.signal_size, receiver_module.may_receive

    def counting_size(signal: LiveSignal) -> int:
        sized.append(signal)
        return real_size(signal)

    def counting_may(enforcer: Enforcer, subjects: tuple[str, ...], signal: LiveSignal) -> bool:
        permitted.append(subjects)
        return real_may(enforcer, subjects, signal)

    monkeypatch.setattr(receiver_module, "signal_size", counting_size)
    monkeypatch.setattr(receiver_module, "may_receive", counting_may)
    hub = worker.hub
    owners = [hub.receive(["messages"], OWNER, max_bytes=1024) for _ in range(5)]
    readers = [hub.receive(["messages"], READER, max_bytes=1024) for _ in range(5)]
    await hub.send_message(message("public", payload=b"x" * 100), OWNER, timeout=0)
    for receiver in [*owners, *readers]:
        assert (await next_signal(receiver)).subject == "public"  # type: ignore[union-attr]
    assert len(sized) == 1
    assert sorted(permitted) == sorted([OWNER, READER])
    bounded = [hub.receive(["messages"], OWNER, max_bytes=150) for _ in range(2)]  # the size still counts
    for _ in range(2):
        await hub.send_message(message("public", payload=b"x" * 100), OWNER, timeout=0)
    for receiver in bounded:
        assert [signal.payload async for signal in receiver] == [b"x" * 100]  # type: ignore[union-attr]
        assert receiver.overflowed
