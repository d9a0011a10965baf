"""Stream creation against a JetStream that fails it (no server: the failure is a server race that cannot be
staged on demand), for the retry in `twinhub.bus.nats_streams`."""

from __future__ import annotations

import asyncio

import nats.js.errors
import pytest
from nats.js.api import StreamConfig

from twinhub.bus.nats_streams import ensure_stream, stream_config

CONFIG = stream_config("S_e", "p.e", max_age_seconds=60, max_bytes=1 << 20, duplicate_window_seconds=10, replicas=1)


class FailingJetStream:
    """Knows no stream; `add_stream` raises `errors` one by one, then succeeds."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.attempts = 0

    async def stream_info(self, name: str) -> None:
        raise nats.js.errors.NotFoundError()

    async def add_stream(self, config: StreamConfig) -> None:
        self.attempts += 1
        if self.errors:
            raise self.errors.pop(0)


def ensure(js: FailingJetStream) -> bool:
    return asyncio.run(ensure_stream(js, CONFIG))  # type: ignore[arg-type]


def test_a_transient_server_error_is_tried_again() -> None:
    js = FailingJetStream(nats.js.errors.ServerError(code=500), nats.js.errors.ServerError(code=500))
    assert ensure(js) is True
    assert js.attempts == 3


def test_a_lasting_server_error_passes_through_after_four_attempts() -> None:
    js = FailingJetStream(*(nats.js.errors.ServerError(code=500) for _ in range(5)))
    with pytest.raises(nats.js.errors.ServerError):
        ensure(js)
    assert js.attempts == 4


def test_other_errors_are_not_tried_again() -> None:
    js = FailingJetStream(nats.js.errors.ServiceUnavailableError(code=503))
    with pytest.raises(nats.js.errors.ServiceUnavailableError):
        ensure(js)
    assert js.attempts == 1
