"""What a connection did, per worker: Ditto's connection metrics and connection logs.

Metrics count successes and failures of each step per source or target address, in one-minute buckets over
the last 24 hours, and render Ditto's `/metrics` shape (counts over `PT1M`, `PT1H`, `PT24H` and the
`lastMessageAt`). Logs keep the last `max_entries` entries: failures always (a malformed payload, an
unauthorized command, a message dropped), successes only while logging is enabled (24 hours after
`enableConnectionLogs`, as Ditto).

The logs are shaped as Ditto's OpenAPI document wants them: a log entry's `correlationId` is Ditto's
`<not-provided>` when the message had none, `enabledSince`/`enabledUntil` are left out while logging is not
enabled.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final, Literal

from twinhub.model.types import JsonObject

__all__ = ["DEFAULT_MAX_LOG_ENTRIES", "LOGS_ENABLED_FOR", "MEASUREMENTS", "NO_CORRELATION_ID", "ConnectionMonitor",
           "Direction", "MetricType"]

DEFAULT_MAX_LOG_ENTRIES: Final = 1000
LOGS_ENABLED_FOR: Final = 24 * 3600.0
_WINDOWS: Final = (("PT1M", 60), ("PT1H", 3600), ("PT24H", 86400))
_BUCKET: Final = 60  # seconds
NO_CORRELATION_ID: Final = "<not-provided>"  # Ditto's InfoProviderFactory fallback

Direction = Literal["inbound", "outbound"]
# Ditto's metric types: inbound consumed, mapped, dropped, enforced, acknowledged, throttled; outbound
# dispatched, filtered, mapped, dropped, published, acknowledged.
MetricType = Literal["consumed", "mapped", "dropped", "enforced", "acknowledged", "throttled", "dispatched",
                     "filtered", "published"]
# What Ditto's document requires in each direction's metrics (each with success and failure).
MEASUREMENTS: Final[dict[Direction, tuple[MetricType, ...]]] = {
    "inbound": ("consumed", "mapped", "dropped", "enforced", "acknowledged", "throttled"),
    "outbound": ("dispatched", "filtered", "mapped", "dropped", "published", "acknowledged"),
}
Category = Literal["source", "target", "response", "connection"]


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(slots=True)
class _Counter:
    buckets: deque[list[int]] = field(default_factory=lambda: deque(maxlen=86400 // _BUCKET + 1))
    last: float | None = None

    def add(self, now: float) -> None:
        minute = int(now // _BUCKET)
        if self.buckets and self.buckets[-1][0] == minute:
            self.buckets[-1][1] += 1
        else:
            self.buckets.append([minute, 1])
        self.last = now

    def to_json(self, now: float) -> JsonObject:
        minute = int(now // _BUCKET)
        result: JsonObject = {}
        for name, seconds in _WINDOWS:
            oldest = minute - seconds // _BUCKET + 1
            result[name] = sum(count for start, count in self.buckets if start >= oldest)
        result["lastMessageAt"] = None if self.last is None else _iso(self.last)
        return result


class ConnectionMonitor:
    def __init__(self, connection_id: str, *, max_entries: int = DEFAULT_MAX_LOG_ENTRIES,
                 clock: Callable[[], float] = time.time) -> None:
        self.connection_id = connection_id
        self._clock = clock
        # (direction, address, type, success) -> counter; addresses are the configured ones (bounded)
        self._counters: dict[tuple[Direction, str, MetricType, bool], _Counter] = {}
        self._logs: deque[JsonObject] = deque(maxlen=max_entries)
        self._enabled_since: float | None = None

    # -- metrics -----------------------------------------------------------------------------------

    def count(self, direction: Direction, address: str, kind: MetricType, *, success: bool = True) -> None:
        key = (direction, address, kind, success)
        counter = self._counters.get(key)
        if counter is None:
            counter = self._counters[key] = _Counter()
        counter.add(self._clock())

    def reset_metrics(self) -> None:
        self._counters.clear()

    def metrics(self) -> JsonObject:
        """Ditto's `/metrics` of this connection on this worker: every measurement type, zero until it counted
        (`lastMessageAt` null until then, as Ditto's ImmutableMeasurement renders it)."""
        now = self._clock()
        groups: dict[tuple[Direction, MetricType, bool], list[_Counter]] = {}
        per_address: dict[Direction, dict[str, dict[tuple[MetricType, bool], _Counter]]] = {
            "inbound": {}, "outbound": {}}
        for (direction, address, kind, success), counter in self._counters.items():
            per_address[direction].setdefault(address, {})[(kind, success)] = counter
            groups.setdefault((direction, kind, success), []).append(counter)
        failures = any(not success and counter.buckets for (_d, _a, _k, success), counter in self._counters.items())

        def measured(direction: Direction, counts: Callable[[MetricType, bool], JsonObject]) -> JsonObject:
            return {kind: {"success": counts(kind, True), "failure": counts(kind, False)}
                    for kind in MEASUREMENTS[direction]}

        def overall(direction: Direction) -> JsonObject:
            return measured(direction, lambda kind, success: _merged(groups.get((direction, kind, success), []), now))

        def of_address(direction: Direction, counters: dict[tuple[MetricType, bool], _Counter]) -> JsonObject:
            return measured(direction, lambda kind, success: counters.get((kind, success), _Counter()).to_json(now))

        return {
            "connectionId": self.connection_id,
            "containsFailures": failures,
            "connectionMetrics": {"inbound": overall("inbound"), "outbound": overall("outbound")},
            "sourceMetrics": {"addressMetrics": {address: of_address("inbound", counters)
                                                for address, counters in per_address["inbound"].items()}},
            "targetMetrics": {"addressMetrics": {address: of_address("outbound", counters)
                                                for address, counters in per_address["outbound"].items()}},
        }

    # -- logs --------------------------------------------------------------------------------------

    @property
    def logging_enabled(self) -> bool:
        return self._enabled_since is not None and self._clock() < self._enabled_since + LOGS_ENABLED_FOR

    def enable_logs(self) -> None:
        self._enabled_since = self._clock()

    def reset_logs(self) -> None:
        self._logs.clear()

    def log(self, category: Category, kind: MetricType | Literal["other"], message: str, *, success: bool = False,
            address: str | None = None, correlation_id: str | None = None, entity_id: str | None = None) -> None:
        """Record an entry: a failure always, a success only while logging is enabled."""
        if success and not self.logging_enabled:
            return
        entry: JsonObject = {"correlationId": correlation_id or NO_CORRELATION_ID, "timestamp": _iso(self._clock()),
                             "category": category, "type": kind, "level": "success" if success else "failure",
                             "message": message[:2000]}
        if address is not None:
            entry["address"] = address
        if entity_id is not None:
            entry["entityId"] = entity_id
        self._logs.append(entry)

    def logs(self) -> JsonObject:
        """Ditto's `/logs` of this connection on this worker."""
        body: JsonObject = {"connectionId": self.connection_id, "connectionLogs": list(self._logs)}
        if self.logging_enabled and self._enabled_since is not None:
            body["enabledSince"] = _iso(self._enabled_since)
            body["enabledUntil"] = _iso(self._enabled_since + LOGS_ENABLED_FOR)
        return body


def _merged(counters: list[_Counter], now: float) -> JsonObject:
    """The total of several addresses' counters: buckets of the same minute added up."""
    summed: dict[int, int] = {}
    for counter in counters:
        for start, count in counter.buckets:
            summed[start] = summed.get(start, 0) + count
    merged = _Counter()
    for start in sorted(summed):
        merged.buckets.append([start, summed[start]])
    merged.last = max((counter.last for counter in counters if counter.last is not None), default=None)
    return merged.to_json(now)
