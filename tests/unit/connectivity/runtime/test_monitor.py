"""A connection's metrics and logs in Ditto's shapes, on an injected clock."""

from __future__ import annotations

from twinhub.connectivity.runtime.monitor import LOGS_ENABLED_FOR, ConnectionMonitor


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_counts_fall_out_of_each_window_as_time_passes() -> None:
    clock = Clock()
    monitor = ConnectionMonitor("c", clock=clock)
    monitor.count("inbound", "telemetry/#", "consumed")
    clock.now += 120
    monitor.count("inbound", "telemetry/#", "consumed")
    consumed = monitor.metrics()["sourceMetrics"]["addressMetrics"]["telemetry/#"]["consumed"]  # type: ignore[index, call-overload]
    assert (consumed["success"]["PT1M"], consumed["success"]["PT1H"], consumed["success"]["PT24H"]) == (1, 2, 2)
    clock.now += 3600
    consumed = monitor.metrics()["connectionMetrics"]["inbound"]["consumed"]  # type: ignore[index, call-overload]
    assert (consumed["success"]["PT1M"], consumed["success"]["PT1H"], consumed["success"]["PT24H"]) == (0, 0, 2)
    assert consumed["success"]["lastMessageAt"] == "2027-01-15T08:02:00.000Z"


def test_connection_totals_add_up_the_addresses_and_failures_are_flagged() -> None:
    monitor = ConnectionMonitor("c", clock=Clock())
    monitor.count("inbound", "a", "mapped")
    monitor.count("inbound", "b", "mapped")
    assert monitor.metrics()["containsFailures"] is False
    monitor.count("outbound", "events/x", "published", success=False)
    metrics = monitor.metrics()
    assert metrics["connectionMetrics"]["inbound"]["mapped"]["success"]["PT1M"] == 2  # type: ignore[index, call-overload]
    assert metrics["connectionMetrics"]["outbound"]["published"]["failure"]["PT1M"] == 1  # type: ignore[index, call-overload]
    assert metrics["containsFailures"] is True
    monitor.reset_metrics()
    reset = monitor.metrics()
    assert reset["containsFailures"] is False
    # Every measurement type is rendered, zero until counted again (Ditto's document requires them all).
    for direction in ("inbound", "outbound"):
        for counts in reset["connectionMetrics"][direction].values():  # type: ignore[index, call-overload, union-attr]
            assert counts["success"]["PT24H"] == counts["failure"]["PT24H"] == 0


def test_failures_are_always_logged_successes_only_while_enabled_for_24_hours() -> None:
    clock = Clock()
    monitor = ConnectionMonitor("c", clock=clock)
    monitor.log("source", "mapped", "bad payload", address="t/1", correlation_id="c-1", entity_id="a:b")
    monitor.log("source", "consumed", "fine", success=True)
    assert [entry["message"] for entry in monitor.logs()["connectionLogs"]] == ["bad payload"]  # type: ignore[index, union-attr]
    monitor.enable_logs()
    monitor.log("source", "consumed", "fine", success=True)
    logs = monitor.logs()
    assert logs["enabledSince"] == "2027-01-15T08:00:00.000Z"
    assert logs["enabledUntil"] == "2027-01-16T08:00:00.000Z"
    assert [entry["level"] for entry in logs["connectionLogs"]] == ["failure", "success"]  # type: ignore[index, union-attr]
    clock.now += LOGS_ENABLED_FOR
    monitor.log("source", "consumed", "not any more", success=True)
    assert len(monitor.logs()["connectionLogs"]) == 2  # type: ignore[arg-type]
    assert "enabledSince" not in monitor.logs()  # as Ditto, left out while logging is off


def test_logs_keep_the_latest_entries_only() -> None:
    monitor = ConnectionMonitor("c", max_entries=3, clock=Clock())
    for n in range(5):
        monitor.log("target", "published", f"failure {n}")
    assert [entry["message"] for entry in monitor.logs()["connectionLogs"]] == [  # type: ignore[index, union-attr]
        "failure 2", "failure 3", "failure 4"]
    monitor.log("target", "published", "x" * 10_000)
    assert len(monitor.logs()["connectionLogs"][-1]["message"]) == 2000  # type: ignore[index, arg-type]
