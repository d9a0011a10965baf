"""The InfluxDB sink's own bookkeeping, without a server (its sending is tested against a real InfluxDB in
tests/integration/test_influxdb_sink.py): what it queues, skips and drops, and the URLs it accepts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from twinhub.history.sink import ENTRY_BYTES, InfluxSink
from twinhub.model.points import Point

T = datetime(2026, 1, 1, tzinfo=UTC)
URL = "http://127.0.0.1:1/write?db=twinhub"


def test_deletion_markers_and_values_line_protocol_cannot_carry_are_skipped_not_queued() -> None:
    sink = InfluxSink(URL)
    sink.offer([Point("a:b", "attributes/x", T, 1, 1), Point("a:b", "attributes/y", T, None, 1),
                Point("a:b", "attributes/z", T, "two\nlines", 1), Point("a:b", "attributes/w", T, "ok", 1)])
    assert (sink.pending, sink.skipped, sink.dropped) == (2, 2, 0)


def test_times_line_protocol_cannot_carry_are_skipped() -> None:
    sink = InfluxSink(URL)
    sink.offer([Point("a:b", "attributes/x", T.replace(year=1600), 1, 1),
                Point("a:b", "attributes/x", T.replace(year=2300), 1, 2),
                Point("a:b", "attributes/x", T.replace(year=1700), 1, 3)])
    assert (sink.pending, sink.skipped) == (1, 2)


def test_the_buffer_keeps_the_newest_lines_within_its_bytes() -> None:
    # each held line counts its bytes and what holding it costs beyond them
    line = len("twinhub,path=attributes/x,thingId=a:b value=1.0 1767225600000000000\n") + ENTRY_BYTES
    sink = InfluxSink(URL, buffer_bytes=3 * line)
    sink.offer(Point("a:b", "attributes/x", T, n, n) for n in range(10))
    assert (sink.pending, sink.dropped) == (3, 7)


@pytest.mark.parametrize("url", ["", "127.0.0.1:8086/write", "ftp://h/write", "http:///write", "http://[::1/w"])
def test_a_url_that_is_no_http_endpoint_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="URL"):
        InfluxSink(url)


def test_the_token_and_url_stay_out_of_repr() -> None:
    sink = InfluxSink("http://user:pw@127.0.0.1:1/write?db=x", token="t0ken")
    assert "pw" not in repr(sink) and "t0ken" not in repr(sink)
