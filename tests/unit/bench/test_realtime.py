from __future__ import annotations

from bench.realtime import percentile


def test_percentile_is_the_nearest_rank() -> None:
    values = [float(value) for value in range(1, 101)]

    assert percentile(values, 0.5) == 50.0
    assert percentile(values, 0.99) == 99.0
    assert percentile(values, 1.0) == 100.0
    assert percentile([7.0], 0.99) == 7.0


def test_percentile_of_nothing_is_zero() -> None:
    assert percentile([], 0.5) == 0.0
