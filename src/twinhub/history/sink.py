"""The InfluxDB sink: forwards the points this worker commits to an InfluxDB `/write` endpoint, as line protocol.

Optional (`TWINHUB_HISTORY_INFLUXDB_URL`, e.g. `http://127.0.0.1:8086/write?db=twinhub`; a token in
`TWINHUB_HISTORY_INFLUXDB_TOKEN` is sent as `Authorization: Token <token>`, user and password may be in the URL).
Each worker forwards only the points of the writes it committed itself, so several workers send no duplicates.

The history in the store stays the authority; the sink is a best-effort copy:

* `offer(points)` never blocks the write path: it renders lines into a buffer bounded in bytes. When InfluxDB is
  away long enough for the buffer to fill, the oldest lines are dropped, counted (`dropped`) and logged.
* A background task sends the buffer in batches (`batch_lines`, or what came within `flush_seconds`), in order;
  a batch leaves the buffer only once InfluxDB accepted it. A failure (no connection, 5xx, 429, 401...) is
  retried with a growing pause; a batch InfluxDB refuses as malformed (400) is dropped and counted.
  InfluxDB overwrites a point written again (same series and time), so a retried batch duplicates nothing.
* Lines are `twinhub,path=<path>,thingId=<id> <field>=<value> <ns>`, the field keyed by type (`value` for
  numbers, as floats; `value_bool`, `value_str`: see `twinhub.history.lineprotocol`).
* Deletion markers are not sent (line protocol has no null; the store keeps them), nor points line protocol
  cannot carry (a line break in a string, a device time outside the years 1677 to 2262): all are counted in
  `skipped`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable
from itertools import islice
from types import TracebackType
from typing import Final, cast

import httpx

from twinhub.history.lineprotocol import DEFAULT_MEASUREMENT, NANOSECOND_MICROS, line_of
from twinhub.history.series import RecordedPoint, micros
from twinhub.model.errors import HistoryFormatInvalid
from twinhub.model.points import Point

__all__ = [
    "DEFAULT_BATCH_LINES",
    "DEFAULT_BUFFER_BYTES",
    "DEFAULT_FLUSH_SECONDS",
    "ENTRY_BYTES",
    "InfluxSink",
    "PointListener",
    "open_influx_sink",
]

log = logging.getLogger(__name__)

DEFAULT_BATCH_LINES: Final = 5_000  # InfluxDB's advice: batches of 5,000 to 10,000 points
DEFAULT_FLUSH_SECONDS: Final = 1.0
DEFAULT_BUFFER_BYTES: Final = 16 * 1024 * 1024
RETRY_DELAYS: Final = (0.2, 0.5, 1.0, 2.0, 5.0, 10.0)  # seconds; the last repeats while InfluxDB stays away
_REQUEST_TIMEOUT: Final = 10.0
_CLOSE_SECONDS: Final = 5.0  # what a stopping worker gives the sink to send what it holds
# What one held line costs beyond its bytes: its deque slot, tuple, sequence int and bytes header (CPython, 64-bit):
# the buffer's bound counts it, so that it bounds the memory held, not only the text.
ENTRY_BYTES: Final = 128


class InfluxSink:
    """The sink of one worker; an async context manager that runs its sender while open (not reopenable)."""

    def __init__(self, url: str, *, token: str = "", measurement: str = DEFAULT_MEASUREMENT,
                 batch_lines: int = DEFAULT_BATCH_LINES, flush_seconds: float = DEFAULT_FLUSH_SECONDS,
                 buffer_bytes: int = DEFAULT_BUFFER_BYTES, retry_delays: tuple[float, ...] = RETRY_DELAYS) -> None:
        if batch_lines < 1 or buffer_bytes < 1 or flush_seconds <= 0 or not retry_delays:
            raise ValueError("the sink needs a positive batch size, buffer, flush interval and retry delays")
        try:
            parsed = httpx.URL(url)
        except httpx.InvalidURL as exc:
            raise ValueError(f"the InfluxDB sink's URL is invalid: {exc}") from None
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise ValueError("the InfluxDB sink's URL must be http(s)://host[:port]/write?db=<database>")
        self.url = url
        self._headers = {"Authorization": f"Token {token}"} if token else {}
        self._measurement = measurement
        self._batch_lines = batch_lines
        self._flush_seconds = flush_seconds
        self._buffer_bytes = buffer_bytes
        self._retry_delays = retry_delays
        self._lines: deque[tuple[int, bytes]] = deque()  # (sequence number, line with its newline)
        self._held = 0  # bytes in `_lines`
        self._next = 0  # the sequence number of the next line offered
        self._ready = asyncio.Event()  # a batch is full, or the sink closes
        self._task: asyncio.Task[None] | None = None
        self._opened = False
        self._closing = False
        self._failing = False
        self.sent = 0  # lines InfluxDB accepted
        self.dropped = 0  # lines lost: pushed out of the full buffer, or refused by InfluxDB as malformed
        self.skipped = 0  # points not sent: deletion markers, values line protocol cannot carry

    def __repr__(self) -> str:  # the URL may hold a password
        return f"<InfluxSink held={len(self._lines)} sent={self.sent} dropped={self.dropped}>"

    @property
    def pending(self) -> int:
        """Lines waiting to be sent."""
        return len(self._lines)

    def offer(self, points: Iterable[Point]) -> None:
        """Queue `points` to be sent; never waits. The oldest lines go when the buffer is full."""
        for point in points:
            if point.value is None or micros(point.time) not in NANOSECOND_MICROS:
                self.skipped += 1
                continue
            try:  # the value is no longer None here
                line = (line_of(cast(RecordedPoint, point), self._measurement, typed_fields=True) + "\n").encode()
            except HistoryFormatInvalid:
                self.skipped += 1
                continue
            self._lines.append((self._next, line))
            self._next += 1
            self._held += len(line) + ENTRY_BYTES
        if self._held > self._buffer_bytes:
            self._drop_oldest()
        if len(self._lines) >= self._batch_lines:
            self._ready.set()

    def _drop_oldest(self) -> None:
        dropped = 0
        while self._held > self._buffer_bytes and self._lines:
            self._held -= len(self._lines.popleft()[1]) + ENTRY_BYTES
            dropped += 1
        if not self.dropped or (self.dropped + dropped) // 100_000 > self.dropped // 100_000:
            log.warning("InfluxDB sink: the buffer (%d bytes) is full, dropping the oldest points (%d so far); the "
                        "store still holds them", self._buffer_bytes, self.dropped + dropped)
        self.dropped += dropped

    async def __aenter__(self) -> InfluxSink:
        if self._opened:
            raise RuntimeError("an InfluxDB sink cannot be reopened")
        self._opened = True
        self._task = asyncio.create_task(self._run(httpx.AsyncClient(timeout=_REQUEST_TIMEOUT)))
        self._task.add_done_callback(_report_failure)
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        self._ready.set()
        self._closing = True
        try:
            async with asyncio.timeout(_CLOSE_SECONDS):
                await asyncio.wait([task])  # its failure, if any, was logged when it ended
        except TimeoutError:
            log.warning("InfluxDB sink: stopped with %d points unsent (the store holds them)", len(self._lines))
        finally:
            task.cancel()
            await asyncio.wait([task])

    async def _run(self, client: httpx.AsyncClient) -> None:
        async with client:
            while True:
                if len(self._lines) < self._batch_lines and not self._closing:
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(self._flush_seconds):
                            await self._ready.wait()
                self._ready.clear()
                while self._lines and await self._send_batch(client):
                    pass
                if self._closing:
                    return

    async def _send_batch(self, client: httpx.AsyncClient) -> bool:
        """Send the oldest lines (up to a batch) until InfluxDB takes them or refuses them as malformed; False
        when the sink closes first."""
        attempt = 0
        while self._lines:
            batch = [line for _, line in islice(self._lines, self._batch_lines)]
            last = self._lines[len(batch) - 1][0]
            outcome = await self._post(client, b"".join(batch))
            if outcome != "retry":
                self._release(last, refused=outcome == "refused")
                return True
            if self._closing:
                return False
            await asyncio.sleep(self._retry_delays[min(attempt, len(self._retry_delays) - 1)])
            attempt += 1
        return True

    async def _post(self, client: httpx.AsyncClient, body: bytes) -> str:
        try:
            response = await client.post(self.url, content=body, headers=self._headers)
        except httpx.HTTPError as exc:
            self._failed(f"{type(exc).__name__}: {exc}")
            return "retry"
        if response.is_success:
            if self._failing:
                log.info("InfluxDB sink: InfluxDB takes points again")
                self._failing = False
            return "sent"
        if response.status_code == 400:
            log.error("InfluxDB sink: InfluxDB refused a batch as malformed, dropping it: %s", response.text[:500])
            return "refused"
        self._failed(f"HTTP {response.status_code}: {response.text[:200]}")
        return "retry"

    def _failed(self, reason: str) -> None:
        if not self._failing:
            log.warning("InfluxDB sink: cannot write (%s); retrying, holding up to %d bytes", reason,
                        self._buffer_bytes)
            self._failing = True

    def _release(self, last: int, *, refused: bool) -> None:
        """Drop the lines up to sequence number `last` (some may have been pushed out meanwhile)."""
        while self._lines and self._lines[0][0] <= last:
            self._held -= len(self._lines.popleft()[1]) + ENTRY_BYTES
            if refused:
                self.dropped += 1
            else:
                self.sent += 1


def _report_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and (error := task.exception()) is not None:
        log.error("InfluxDB sink: the sender failed; no more points are forwarded", exc_info=error)


PointListener = Callable[[tuple[Point, ...]], None]


@contextlib.asynccontextmanager
async def open_influx_sink(url: str, *, follow: Callable[[PointListener], Callable[[], None]],
                           token: str = "") -> AsyncIterator[InfluxSink | None]:
    """The sink of `url`, fed while the context runs with what `follow` (the thing service's `follow_points`:
    this worker's commits) reports; None when `url` is empty (no sink configured)."""
    if not url:
        yield None
        return
    async with InfluxSink(url, token=token) as sink:
        stop = follow(sink.offer)
        try:
            yield sink
        finally:
            stop()
