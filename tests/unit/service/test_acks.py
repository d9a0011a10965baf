"""Acknowledgement labels tied to their subjects, on one worker and as workers tell each other."""

from __future__ import annotations

import pytest

from twinhub.bus.signals import InProcessSignalBus
from twinhub.model.errors import AcknowledgementLabelNotUnique
from twinhub.model.live import Acknowledgement, LabelAnnouncement
from twinhub.service.acks import Acknowledgements, LabelRegistry

pytestmark = pytest.mark.anyio
THING_ID = "org.twinhub.test:lamp"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def acks() -> Acknowledgements:
    return Acknowledgements(InProcessSignalBus(), clock=lambda: 100.0)


async def test_another_workers_earlier_declaration_wins_and_the_local_holder_is_told(acks: Acknowledgements) -> None:
    lost: list[str] = []
    local = await acks.declare(["conn:a", "conn:b"], "session", subject="nginx:late", on_lost=lambda: lost.append("x"))
    acks.learn(LabelAnnouncement("nginx:late", ("conn:a",), 150.0))  # itself, heard back: nothing changes
    acks.learn(LabelAnnouncement("nginx:later", ("conn:b",), 200.0))  # a later one loses
    assert lost == [] and acks.labels.owner("conn:b") == "nginx:late"
    acks.learn(LabelAnnouncement("nginx:early", ("conn:b",), 50.0))  # an earlier one wins
    assert lost == ["x"]
    assert acks.labels.owner("conn:b") == "nginx:early" and not acks.labels.is_held("conn:a")
    assert local.labels == ("conn:a", "conn:b")
    with pytest.raises(AcknowledgementLabelNotUnique):
        await acks.declare(["conn:b"], "session-2", subject="nginx:late")


async def test_a_waiting_write_takes_an_acknowledgement_only_from_the_labels_subject(acks: Acknowledgements) -> None:
    acks.learn(LabelAnnouncement("nginx:device", ("conn:ack",), 10.0))
    wait = acks.expect("c-1", ["conn:ack"], THING_ID)
    forged = Acknowledgement("conn:ack", THING_ID, "c-1", 200, issuer="nginx:mallory")
    anonymous = Acknowledgement("conn:ack", THING_ID, "c-1", 200)
    elsewhere = Acknowledgement("conn:ack", "org.twinhub.test:other", "c-1", 200, issuer="nginx:device")
    genuine = Acknowledgement("conn:ack", THING_ID, "c-1", 204, issuer="nginx:device")
    for ack in (forged, anonymous, elsewhere, genuine):
        acks.collect(ack)
    assert (await wait.wait(1))["conn:ack"].status == 204


def test_bindings_are_bounded_per_subject_and_per_worker_keeping_the_held_ones() -> None:
    registry = LabelRegistry(per_subject=2, capacity=3)
    for n in range(4):
        registry.learn(LabelAnnouncement("nginx:flood", (f"conn:f{n}",), float(n)))
    assert [registry.owner(f"conn:f{n}") for n in range(4)] == [None, None, "nginx:flood", "nginx:flood"]
    registry.learn(LabelAnnouncement("nginx:a", ("conn:a1",), 1.0))
    registry.learn(LabelAnnouncement("nginx:b", ("conn:b1",), 1.0))
    assert registry.owner("conn:f2") is None  # the oldest not held went first
    assert registry.owner("conn:b1") == "nginx:b"
