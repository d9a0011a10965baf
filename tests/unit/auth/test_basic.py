"""`BasicVerifier`: remembered failures and the bounded queue of argon2 checks (issue 10, item 7).

The checks are real argon2 (cheap parameters); `GatedHasher` only holds each one at a gate the test opens,
so the tests can see the queue full without any timing."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Literal

import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST

from tests.unit.auth.conftest import FakeClock
from twinhub.auth import BasicVerifier
from twinhub.auth.basic import RETRY_AFTER_SECONDS
from twinhub.model.errors import TooManyRequests
from twinhub.store.sqlite.users import SqliteUserStore

pytestmark = pytest.mark.anyio

PASSWORD = "the right password"


class GatedHasher(PasswordHasher):
    """Real argon2 checks that wait at a gate (open by default) and signal when they reach it."""

    def __init__(self) -> None:
        parameters = CHEAPEST
        super().__init__(time_cost=parameters.time_cost, memory_cost=parameters.memory_cost,
                         parallelism=parameters.parallelism, hash_len=parameters.hash_len,
                         salt_len=parameters.salt_len, type=parameters.type)
        self.gate = threading.Event()
        self.gate.set()
        self.arrived = threading.Semaphore(0)

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self.arrived.release()
        self.gate.wait(timeout=60)
        return super().verify(hash, password)

    async def wait_for_checks(self, count: int) -> None:
        for _ in range(count):
            assert await asyncio.to_thread(self.arrived.acquire, timeout=60)


@pytest.fixture
def hasher() -> GatedHasher:
    return GatedHasher()


@pytest.fixture
async def users(tmp_path: Path, hasher: GatedHasher) -> SqliteUserStore:
    store = SqliteUserStore(tmp_path / "things.db")
    await store.set_user("alice", hasher.hash(PASSWORD))
    return store


async def admitted(verifier: BasicVerifier, count: int) -> None:
    """Wait until `count` checks hold a place in the queue: each caller first looks its user up in the store
    (in a thread), so a task created earlier is not necessarily admitted yet."""
    for _ in range(6000):
        if verifier.admitted >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"only {verifier.admitted} of {count} checks were admitted")


async def drain(verifier: BasicVerifier) -> None:
    """Wait for every check still running, also those whose caller went away."""
    await asyncio.gather(*verifier._turns, return_exceptions=True)


async def test_a_repeated_wrong_password_is_refused_without_another_check(users: SqliteUserStore,
                                                                          hasher: GatedHasher) -> None:
    verifier = BasicVerifier(users, hasher=hasher)
    assert not await verifier.verify("alice", "wrong")
    assert not await verifier.verify("alice", "wrong")
    assert not await verifier.verify("nobody", "wrong")
    assert not await verifier.verify("nobody", "wrong")
    assert verifier.verifications == 2
    assert not await verifier.verify("alice", "also wrong")  # another password is checked for real
    assert verifier.verifications == 3


async def test_a_remembered_failure_is_checked_again_once_the_stored_hash_changes(users: SqliteUserStore,
                                                                                  hasher: GatedHasher) -> None:
    verifier = BasicVerifier(users, hasher=hasher)
    assert not await verifier.verify("alice", "new password")
    await users.set_user("alice", hasher.hash("new password"))  # `twinhub user passwd` meanwhile
    assert await verifier.verify("alice", "new password")
    assert not await verifier.verify("bob", "bobs password")
    await users.set_user("bob", hasher.hash("bobs password"))  # `twinhub user add` meanwhile
    assert await verifier.verify("bob", "bobs password")


async def test_a_remembered_failure_expires(users: SqliteUserStore, hasher: GatedHasher, clock: FakeClock) -> None:
    verifier = BasicVerifier(users, hasher=hasher, clock=clock, cache_seconds=60)
    assert not await verifier.verify("alice", "wrong")
    clock.advance(61)
    assert not await verifier.verify("alice", "wrong")
    assert verifier.verifications == 2


async def test_remembered_failures_hold_no_password(users: SqliteUserStore, hasher: GatedHasher) -> None:
    verifier = BasicVerifier(users, hasher=hasher)
    assert not await verifier.verify("alice", "a wrong password to look for")
    remembered = repr(vars(verifier._failures))
    assert "a wrong password to look for" not in remembered
    assert b"a wrong password to look for".hex() not in remembered


async def test_checks_beyond_the_waiting_bound_are_refused_at_once(users: SqliteUserStore,
                                                                   hasher: GatedHasher) -> None:
    verifier = BasicVerifier(users, hasher=hasher, max_concurrent=2, max_waiting=3)
    hasher.gate.clear()
    flood = [asyncio.create_task(verifier.verify("alice", f"guess {number}")) for number in range(5)]
    await hasher.wait_for_checks(2)  # two run, three wait
    await admitted(verifier, 5)
    with pytest.raises(TooManyRequests) as refused:
        await verifier.verify("alice", "one guess too many")
    assert (refused.value.status, refused.value.code) == (429, "too.many.requests")
    assert refused.value.retry_after == RETRY_AFTER_SECONDS >= 1
    with pytest.raises(TooManyRequests):
        await verifier.verify("nobody", "an unknown user needs a check too")
    hasher.gate.set()
    assert await asyncio.gather(*flood) == [False] * 5
    assert not await verifier.verify("alice", "one guess too many")  # room again


async def test_known_outcomes_are_answered_while_the_queue_is_full(users: SqliteUserStore,
                                                                   hasher: GatedHasher) -> None:
    verifier = BasicVerifier(users, hasher=hasher, max_concurrent=1, max_waiting=1)
    assert await verifier.verify("alice", PASSWORD)
    assert not await verifier.verify("alice", "known wrong")
    hasher.gate.clear()
    flood = [asyncio.create_task(verifier.verify("alice", f"guess {number}")) for number in range(2)]
    await hasher.wait_for_checks(1)
    await admitted(verifier, 2)
    with pytest.raises(TooManyRequests):
        await verifier.verify("alice", "a new guess")
    assert await verifier.verify("alice", PASSWORD)
    assert not await verifier.verify("alice", "known wrong")
    hasher.gate.set()
    await asyncio.gather(*flood)


async def test_a_caller_that_goes_away_keeps_its_turn_until_its_check_ends(users: SqliteUserStore,
                                                                           hasher: GatedHasher) -> None:
    verifier = BasicVerifier(users, hasher=hasher, max_concurrent=1, max_waiting=0)
    hasher.gate.clear()
    gone = asyncio.create_task(verifier.verify("alice", "guess"))
    await hasher.wait_for_checks(1)
    gone.cancel()
    with pytest.raises(asyncio.CancelledError):
        await gone
    # The argon2 thread still runs: its turn is not free for the next one.
    with pytest.raises(TooManyRequests):
        await verifier.verify("alice", "next guess")
    hasher.gate.set()
    await drain(verifier)
    assert not await verifier.verify("alice", "next guess")


async def test_a_burst_of_the_same_credentials_shares_one_check(users: SqliteUserStore, hasher: GatedHasher) -> None:
    """A client opening many connections at once (or a burst right after start) costs one argon2 run and one
    place in the queue: without sharing, all but one of these would be refused 429."""
    verifier = BasicVerifier(users, hasher=hasher, max_concurrent=1, max_waiting=0)
    hasher.gate.clear()
    burst = [asyncio.create_task(verifier.verify("alice", PASSWORD)) for _ in range(20)]
    await hasher.wait_for_checks(1)
    hasher.gate.set()
    assert await asyncio.gather(*burst) == [True] * 20
    assert verifier.verifications == 1
    # Other credentials are not served by that check.
    assert not await verifier.verify("alice", "wrong")
    assert verifier.verifications == 2
