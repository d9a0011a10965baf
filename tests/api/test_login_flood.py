"""A flood of wrong basic passwords on a real server: bounded, and harmless to users already verified.

Each wrong password costs an argon2 check (tens of milliseconds, 64 MiB); only a few run at once and only a
bounded number may wait for them. Beyond that the server answers `429 too.many.requests` with `Retry-After`
at once. A login that needs no check is never refused that way: a user whose credentials were verified
recently, and a password already known to be wrong for that user (answered 401 from a cache of failures).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

from tests.api.helpers import assert_error
from tests.api.test_authentication import add_user
from twinhub.testing import Server, running_server

pytestmark = pytest.mark.anyio

ALICE_PASSWORD = "alice's real password"
BOB_PASSWORD = "bob's real password"
# Far more wrong passwords at once than the server lets run (4) and wait (16) for an argon2 check.
FLOOD = 60


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("flood") / "data"
    add_user(data_dir, "alice", ALICE_PASSWORD)
    add_user(data_dir, "bob", BOB_PASSWORD)
    with running_server(data_dir, args=()) as server:
        yield server


async def _whoami(http: httpx.AsyncClient, user: str, password: str) -> httpx.Response:
    return await http.get("/api/2/whoami", auth=(user, password))


async def test_a_flood_of_wrong_passwords_is_refused_with_429_while_known_logins_are_answered(server: Server) -> None:
    limits = httpx.Limits(max_connections=FLOOD + 10, max_keepalive_connections=FLOOD + 10)
    async with httpx.AsyncClient(base_url=server.base_url, timeout=120, limits=limits) as http:
        # Bob's credentials are verified once (and remembered); Alice's wrong password is checked once (and
        # its failure remembered).
        assert (await _whoami(http, "bob", BOB_PASSWORD)).status_code == 200
        assert_error(await _whoami(http, "alice", "a known wrong password"), 401, "gateway:authentication.failed")

        first_refusal = asyncio.Event()

        async def guess(number: int) -> httpx.Response:
            response = await _whoami(http, "alice", f"guess number {number}")
            if response.status_code == 429:
                first_refusal.set()
            return response

        flood = asyncio.gather(*(guess(number) for number in range(FLOOD)))
        flood.add_done_callback(lambda _: first_refusal.set())  # no 429 at all: the assertions below say so
        # Probe while the queue is full: right after the first 429, when the flood's checks still run.
        await first_refusal.wait()
        probes = []
        for _ in range(3):
            probes.append(("bob", await _whoami(http, "bob", BOB_PASSWORD)))
            probes.append(("alice", await _whoami(http, "alice", "a known wrong password")))
        guesses = await flood

    statuses = Counter(response.status_code for response in guesses)
    assert set(statuses) <= {401, 429}, statuses
    assert statuses[429] > 0, f"no wrong password was refused for overload: {statuses}"
    for response in guesses:
        if response.status_code == 429:
            assert_error(response, 429, "too.many.requests")
            assert int(response.headers["Retry-After"]) >= 1
    for user, response in probes:
        if user == "bob":
            assert response.status_code == 200, response.text
        else:
            assert_error(response, 401, "gateway:authentication.failed")


async def test_a_burst_of_first_logins_of_one_user_runs_one_argon2_check(server: Server) -> None:
    """Right after start (or a password change) many connections of one client log in at once: they share one
    argon2 check, so none is refused for overload although far more arrive than may run (4) and wait (16)."""
    add_user(server.data_dir, "carol", "carol's password")
    limits = httpx.Limits(max_connections=FLOOD + 10, max_keepalive_connections=FLOOD + 10)
    async with httpx.AsyncClient(base_url=server.base_url, timeout=120, limits=limits) as http:
        burst = await asyncio.gather(*(_whoami(http, "carol", "carol's password") for _ in range(FLOOD)))
    assert Counter(response.status_code for response in burst) == {200: FLOOD}
