"""A connection's status, metrics and logs of several workers merged into one, as Ditto aggregates those of
a connection's clients: from real monitors' renderings on injected clocks."""

from __future__ import annotations

from typing import Any

from twinhub.connectivity.runtime.aggregate import bounded_logs, merged_logs, merged_metrics, merged_status
from twinhub.connectivity.runtime.monitor import ConnectionMonitor
from twinhub.model.types import JsonObject


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _client(client: str, status: str) -> JsonObject:
    return {"type": "client", "client": client, "status": status, "statusDetails": status,
            "inStateSince": "2027-01-15T08:00:00.000Z"}


def _worker(client: str, live: str, since: str | None = None) -> JsonObject:
    return {"liveStatus": live, "connectedSince": since, "clientStatus": [_client(client, live)],
            "sourceStatus": [{"type": "source", "client": client, "status": live, "address": "a/#"}],
            "targetStatus": []}


def test_status_lists_every_workers_clients_and_sources() -> None:
    merged: Any = merged_status([_worker("w0", "open", "2027-01-15T08:00:02.000Z"),
                                 _worker("w1", "open", "2027-01-15T08:00:01.000Z")])
    assert [entry["client"] for entry in merged["clientStatus"]] == ["w0", "w1"]
    assert [entry["client"] for entry in merged["sourceStatus"]] == ["w0", "w1"]
    assert merged["targetStatus"] == []
    assert (merged["liveStatus"], merged["connectedSince"]) == ("open", "2027-01-15T08:00:01.000Z")


def test_live_status_is_open_with_any_open_client_failed_with_none_open_and_one_failed() -> None:
    assert merged_status([_worker("w0", "failed"), _worker("w1", "open", "2027-01-15T08:00:00.000Z")])[
        "liveStatus"] == "open"
    failed = merged_status([_worker("w0", "failed"), _worker("w1", "failed")])
    assert (failed["liveStatus"], failed["connectedSince"]) == ("failed", None)
    assert merged_status([_worker("w0", "closed"), _worker("w1", "failed")])["liveStatus"] == "failed"
    assert merged_status([_worker("w0", "closed")])["liveStatus"] == "closed"
    nobody = merged_status([])
    assert (nobody["liveStatus"], nobody["clientStatus"]) == ("closed", [])


def test_a_worker_without_the_connection_adds_no_client() -> None:
    merged = merged_status([_worker("w0", "open", "2027-01-15T08:00:00.000Z"),
                            {"liveStatus": "closed", "connectedSince": None}])
    assert (merged["liveStatus"], len(merged["clientStatus"])) == ("open", 1)  # type: ignore[arg-type]


def test_metrics_sum_every_measurement_and_take_the_latest_message() -> None:
    first, second = Clock(), Clock(1_800_000_030.0)
    one, two = ConnectionMonitor("c", clock=first), ConnectionMonitor("c", clock=second)
    for _ in range(3):
        one.count("inbound", "a/#", "consumed")
    two.count("inbound", "a/#", "consumed")
    two.count("inbound", "b/#", "consumed")
    merged: Any = merged_metrics("c", [one.metrics(), two.metrics()])
    consumed = merged["connectionMetrics"]["inbound"]["consumed"]["success"]
    assert (consumed["PT1M"], consumed["PT1H"], consumed["PT24H"]) == (5, 5, 5)
    assert consumed["lastMessageAt"] == "2027-01-15T08:00:30.000Z"
    assert merged["sourceMetrics"]["addressMetrics"]["a/#"]["consumed"]["success"]["PT24H"] == 4
    assert merged["sourceMetrics"]["addressMetrics"]["b/#"]["consumed"]["success"]["PT24H"] == 1
    assert merged["connectionMetrics"]["inbound"]["consumed"]["failure"]["lastMessageAt"] is None
    assert merged["containsFailures"] is False
    assert merged["connectionId"] == "c"
    # The merge keeps Ditto's shape: every measurement of both directions, as one worker renders it.
    assert merged["connectionMetrics"].keys() == one.metrics()["connectionMetrics"].keys()  # type: ignore[union-attr]


def test_metrics_contain_failures_when_any_worker_has_some() -> None:
    one, two = ConnectionMonitor("c", clock=Clock()), ConnectionMonitor("c", clock=Clock())
    two.count("outbound", "out", "published", success=False)
    merged: Any = merged_metrics("c", [one.metrics(), two.metrics()])
    assert merged["containsFailures"] is True
    assert merged["connectionMetrics"]["outbound"]["published"]["failure"]["PT1M"] == 1


def test_metrics_of_no_worker_are_empty_but_well_formed() -> None:
    assert merged_metrics("c", []) == {
        "connectionId": "c", "containsFailures": False, "connectionMetrics": {"inbound": {}, "outbound": {}},
        "sourceMetrics": {"addressMetrics": {}}, "targetMetrics": {"addressMetrics": {}}}


def test_logs_are_merged_by_time_and_bounded_to_the_latest() -> None:
    first, second = Clock(), Clock()
    one, two = ConnectionMonitor("c", clock=first), ConnectionMonitor("c", clock=second)
    for n in range(3):
        first.now, second.now = 1_800_000_000.0 + 2 * n, 1_800_000_001.0 + 2 * n
        one.log("source", "consumed", f"one {n}")
        two.log("source", "consumed", f"two {n}")
    merged: Any = merged_logs("c", [one.logs(), two.logs()], max_entries=4)
    assert [entry["message"] for entry in merged["connectionLogs"]] == ["one 1", "two 1", "one 2", "two 2"]
    assert "enabledSince" not in merged and "enabledUntil" not in merged
    assert merged_logs("c", [one.logs()], max_entries=0)["connectionLogs"] == []


def test_logs_are_enabled_from_the_first_worker_that_enabled_them_until_the_last_ends() -> None:
    first, second = Clock(), Clock(1_800_000_060.0)
    one, two, off = (ConnectionMonitor("c", clock=first), ConnectionMonitor("c", clock=second),
                     ConnectionMonitor("c", clock=first))
    one.enable_logs()
    two.enable_logs()
    merged = merged_logs("c", [one.logs(), off.logs(), two.logs()], max_entries=10)
    assert merged["enabledSince"] == one.logs()["enabledSince"]
    assert merged["enabledUntil"] == two.logs()["enabledUntil"]


def test_a_workers_logs_keep_their_latest_entries_within_the_size_of_an_answer() -> None:
    clock = Clock()
    monitor = ConnectionMonitor("c", clock=clock)
    monitor.enable_logs()
    for n in range(100):
        monitor.log("source", "mapped", f"{n:03d} " + "x" * 1990)  # each entry about 2.2 KiB as JSON
    body: Any = bounded_logs(monitor.logs(), 10_000)
    assert [entry["message"][:3] for entry in body["connectionLogs"]] == ["096", "097", "098", "099"]
    assert "enabledSince" in body
    assert bounded_logs(monitor.logs(), 10**7) == monitor.logs()
    assert bounded_logs(monitor.logs(), 0)["connectionLogs"] == []
