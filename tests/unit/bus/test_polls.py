"""What a worker's polls keep of other workers, with no server: hellos handed in directly."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from twinhub.bus.polls import NatsPolls


@dataclass
class Hello:
    data: bytes


def test_a_flood_of_hellos_keeps_a_bounded_number_of_workers() -> None:
    polls = NatsPolls("nats://unused", subject_prefix="p")  # never opened: it answers no hello

    async def flood() -> None:
        for n in range(5_000):
            await polls._hello(Hello(f"{n:032x}".encode()))  # type: ignore[arg-type]

    asyncio.run(flood())
    assert len(polls.alive()) == 4096 + 1  # itself included
    assert f"{0:032x}" in polls.alive() and f"{4095:032x}" in polls.alive()  # those known first stay
