"""The InfluxDB sink against a real InfluxDB 1.x (`influxd`, started here on its own port and directories): the
points written through a real twinhub server arrive, value, type and time exact; InfluxDB stopped and started
again meanwhile loses nothing the buffer holds; with two workers each point is sent once (InfluxDB counts the
points it was sent); a full buffer drops the oldest lines and counts them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import AUTH
from tests.integration.influxdb import InfluxDB, require_influxd
from tests.integration.services import deployment, shared_backends
from twinhub.history.sink import InfluxSink
from twinhub.model.points import Point
from twinhub.testing import running_server

DATABASE = "twinhub"
THING = "org.twinhub.test:influx"
BASE = datetime(2026, 3, 1, 8, tzinfo=UTC)


@pytest.fixture
def influxdb(tmp_path: Path) -> Iterator[InfluxDB]:
    directory = tmp_path / "influxdb"
    directory.mkdir()
    server = InfluxDB(require_influxd(), directory)
    server.start()
    try:
        server.query(f"CREATE DATABASE {DATABASE}")
        yield server
    finally:
        server.stop()


def stored(influxdb: InfluxDB, thing_id: str) -> dict[tuple[str, int], object]:
    """What InfluxDB holds of a thing: (path, microseconds) -> the value of whichever typed field is set."""
    series = influxdb.query(f"SELECT * FROM twinhub WHERE \"thingId\" = '{thing_id}'", DATABASE)
    found: dict[tuple[str, int], object] = {}
    for one in series:
        columns = one["columns"]
        for row in one["values"]:
            record = dict(zip(columns, row, strict=True))
            values = [record[key] for key in ("value", "value_bool", "value_str") if record.get(key) is not None]
            assert len(values) == 1, record
            found[(record["path"], record["time"])] = values[0]
    return found


def wait_for(influxdb: InfluxDB, thing_id: str, count: int, within: float = 30.0) -> dict[tuple[str, int], object]:
    deadline = time.monotonic() + within
    while True:
        found = stored(influxdb, thing_id)
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def micros(moment: datetime) -> int:
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


def test_points_written_through_twinhub_reach_influxdb_exactly_across_an_influxdb_restart(
        influxdb: InfluxDB, tmp_path: Path) -> None:
    env = {"TWINHUB_HISTORY_INFLUXDB_URL": f"{influxdb.url}/write?db={DATABASE}"}
    expected: dict[tuple[str, int], object] = {}
    with running_server(tmp_path / "data", env=env) as server, \
            httpx.Client(base_url=server.base_url + "/api/2", auth=AUTH, timeout=30) as client:

        def put(path: str, value: object, moment: datetime) -> None:
            response = client.put(f"/things/{THING}/{path}", json=value,
                                  headers={"history-timestamp": moment.isoformat()})
            assert response.status_code in (201, 204), response.text

        created = client.put(f"/things/{THING}", json={"attributes": {"site": 'hall "7", row=1', "on": True},
                                                        "features": {"t": {"properties": {"value": 0}}}},
                             headers={"history-timestamp": BASE.isoformat()})
        assert created.status_code == 201
        expected |= {("attributes/site", micros(BASE)): 'hall "7", row=1', ("attributes/on", micros(BASE)): True,
                     ("features/t/properties/value", micros(BASE)): 0.0}

        def write(numbers: range) -> None:
            for n in numbers:
                moment = BASE + timedelta(milliseconds=n)
                value = n if n % 2 else n + 0.25  # integers and fractions in one series
                put("features/t/properties/value", value, moment)
                expected[("features/t/properties/value", micros(moment))] = float(value)

        write(range(1, 41))
        assert wait_for(influxdb, THING, len(expected)) == expected

        influxdb.stop()
        write(range(41, 81))
        put("attributes/on", False, BASE + timedelta(seconds=5))
        expected[("attributes/on", micros(BASE + timedelta(seconds=5)))] = False
        deleted = client.delete(f"/things/{THING}/attributes/site")  # a deletion marker: not sent
        assert deleted.status_code == 204
        time.sleep(2.5)  # the sink fails and retries meanwhile
        influxdb.start()
        write(range(81, 121))

        assert wait_for(influxdb, THING, len(expected)) == expected
        time.sleep(1.5)  # nothing more arrives (the deletion marker, duplicates at new times)
        assert stored(influxdb, THING) == expected
        assert "InfluxDB sink: cannot write" in server.log()


def test_each_point_is_forwarded_once_by_the_worker_that_committed_it(influxdb: InfluxDB, tmp_path: Path) -> None:
    thing = "org.twinhub.test:two-workers"
    with shared_backends("twinhub_sink") as env, \
            deployment({**env, "TWINHUB_HISTORY_INFLUXDB_URL": f"{influxdb.url}/write?db={DATABASE}"},
                       tmp_path) as workers:
        clients = [httpx.Client(base_url=worker.base_url + "/api/2", auth=AUTH, timeout=30) for worker in workers]
        try:
            assert clients[0].put(f"/things/{thing}", json={"attributes": {"n": 0}}).status_code == 201
            for n in range(1, 61):  # each worker commits half of them, and hears all of them on the bus
                assert clients[n % 2].put(f"/things/{thing}/attributes/n", json=n).status_code == 204
            assert len(wait_for(influxdb, thing, 61)) == 61
            time.sleep(2.5)  # longer than the sinks' flush interval: a second copy would have come by now
        finally:
            for client in clients:
                client.close()
    [write] = influxdb.query("SHOW STATS FOR 'write'")
    assert dict(zip(write["columns"], write["values"][0], strict=True))["pointReq"] == 61


def test_a_full_buffer_drops_the_oldest_points_and_counts_them(influxdb: InfluxDB) -> None:
    points = [Point("org.twinhub.test:buffer", "attributes/n", BASE + timedelta(seconds=n), n, n + 1)
              for n in range(200)]
    line_bytes = len(f"twinhub,path=attributes/n,thingId=org.twinhub.test:buffer value=100.0 {10**18}\n")

    async def scenario() -> InfluxSink:
        sink = InfluxSink(f"{influxdb.url}/write?db={DATABASE}", batch_lines=50, flush_seconds=0.05,
                          buffer_bytes=50 * line_bytes, retry_delays=(0.05,))
        influxdb.stop()
        async with sink:
            sink.offer(points[:100])
            sink.offer(points[100:])
            await asyncio.sleep(0.3)  # the sender keeps failing while InfluxDB is away
            assert sink.dropped >= 150 and sink.pending == 200 - sink.dropped
            await asyncio.to_thread(influxdb.start)
            for _ in range(400):  # 20 s at most
                if not sink.pending:
                    break
                await asyncio.sleep(0.05)
        return sink

    sink = asyncio.run(scenario())

    kept = 200 - sink.dropped
    assert sink.sent == kept and sink.skipped == 0
    assert stored(influxdb, "org.twinhub.test:buffer") == {
        ("attributes/n", micros(point.time)): float(point.value) for point in points[-kept:]  # type: ignore[arg-type]
    }
