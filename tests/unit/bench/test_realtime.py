from __future__ import annotations

from bench.http_things import CpuUse
from bench.machine import machine_info
from bench.realtime import RealtimeOptions, RealtimeReport, _wrk_json, percentile, to_markdown
from bench.wrk import WrkResult


def test_percentile_is_the_nearest_rank() -> None:
    values = [float(value) for value in range(1, 101)]

    assert percentile(values, 0.5) == 50.0
    assert percentile(values, 0.99) == 99.0
    assert percentile(values, 1.0) == 100.0
    assert percentile([7.0], 0.99) == 7.0


def test_percentile_of_nothing_is_zero() -> None:
    assert percentile([], 0.5) == 0.0


def test_message_round_trips_show_the_servers_cpu_per_request_beside_the_floor() -> None:
    def wrk(requests: int, per_s: float) -> WrkResult:
        return WrkResult(requests=requests, duration_s=1.0, requests_per_s=per_s, p50_ms=1.0, p90_ms=2.0,
                         p99_ms=3.0, max_ms=4.0, mean_ms=1.5, non_2xx=0, socket_errors={}, bytes_read=0)

    def cpu(server_s: float) -> CpuUse:
        return CpuUse(server_s=server_s, wrk_s=0.1, irq_s=0.0, other_s=0.0, steal_s=0.0, capacity_s=2.0)

    report = RealtimeReport("2026-12-07T00:00:00+00:00", machine_info(), RealtimeOptions())
    report.health = _wrk_json(wrk(10_000, 10_000.0), cpu(0.4))
    report.messages = {**_wrk_json(wrk(1_000, 1_000.0), cpu(0.25)), "answered": 1_000, "responder_cpu_s": 0.1,
                       "ratio_to_floor": 0.1}

    markdown = to_markdown(report)

    assert "| ratio to floor | server CPU µs/req |" in markdown
    assert "| 1.000 | 40 |" in markdown  # the floor: 0.4 s over 10,000 requests
    assert "| 0.100 | 250 |" in markdown  # 0.25 s over 1,000 messages
