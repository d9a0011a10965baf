from __future__ import annotations

import pytest

from tests.unit.auth.keys import SigningKey


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# Key generation is the slow part; the keys are immutable, so one set serves the whole session.
@pytest.fixture(scope="session")
def rsa_key() -> SigningKey:
    return SigningKey.rsa("rsa-1")


@pytest.fixture(scope="session")
def other_rsa_key() -> SigningKey:
    return SigningKey.rsa("rsa-2")


@pytest.fixture(scope="session")
def ec_key() -> SigningKey:
    return SigningKey.ec("ec-1")


class FakeClock:
    """A monotonic clock the test moves by hand (for TTLs and reload intervals)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
