"""The connectivity benchmark's floor, small, against a Mosquitto of its own, and its report's shape."""

from __future__ import annotations

import shutil

import pytest
from bench.connectivity import ConnectivityOptions, ConnectivityReport, PathRun, _relay_floor
from bench.connectivity_report import to_markdown
from bench.machine import machine_info
from bench.mosquitto import MOSQUITTO, running_mosquitto


@pytest.mark.skipif(shutil.which(MOSQUITTO) is None, reason=f"{MOSQUITTO} is not installed (apt-get install mosquitto)")
def test_relay_floor_counts_every_message_once_and_the_report_names_every_path() -> None:
    options = ConnectivityOptions(messages=300, latency_messages=40, rate=400.0, devices=7)
    with running_mosquitto() as broker:
        floor = _relay_floor(broker, options)
    assert floor.throughput is not None and floor.latency is not None
    for leg, count in ((floor.throughput, 300), (floor.latency, 40)):
        assert leg.sent == leg.acked == leg.arrived == count and leg.duplicates == 0
        assert leg.per_s > 0 and 0 < leg.p50_ms <= leg.p99_ms <= leg.max_ms
        assert 0 < leg.puback_p50_ms <= leg.puback_p99_ms
    report = ConnectivityReport("2026-12-07T00:00:00+00:00", machine_info(), options, mosquitto=broker.version,
                                floor=floor, runs=[PathRun("connection, 1 worker", 1, "PostgreSQL + NATS",
                                                           skipped="no connections API")])
    markdown = to_markdown(report)
    assert "| floor: Mosquitto relay (publisher → subscriber) | none |" in markdown
    assert "| 1.000 |" in markdown  # the floor's ratio to itself
    assert "not measured: no connections API" in markdown
