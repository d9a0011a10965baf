"""Over HTTP: a write records its history points; `history-timestamp` dates them, and a bad one is a 400."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime

import httpx

from tests.api.helpers import assert_error
from twinhub.history import HISTORY_TIMESTAMP_HEADER
from twinhub.store.points import to_micros
from twinhub.store.sqlite import DATABASE_FILE
from twinhub.testing import Server


def stored_points(server: Server, thing_id: str, path: str) -> list[tuple[float | None, int, int]]:
    """(value, revision, time in µs since the epoch) of each point the server stored, oldest first, read from
    its SQLite file."""
    uri = (server.data_dir / DATABASE_FILE).resolve().as_uri() + "?mode=ro"
    with closing(sqlite3.connect(uri, uri=True)) as connection:
        return list(connection.execute("SELECT num, revision, t_us FROM history_points WHERE thing_id = ? "
                                       "AND path = ? ORDER BY t_us, revision", (thing_id, path)))


def test_writes_over_http_record_points_and_a_device_time_dates_them(client: httpx.Client, server: Server,
                                                                     thing_id: str) -> None:
    thing = f"/things/{thing_id}"
    assert client.put(thing, json={"features": {"temp": {"properties": {"value": 20}}}}).status_code == 201
    measured = "2025-06-01T10:00:00.125+02:00"
    response = client.put(f"{thing}/features/temp/properties/value", json=19,
                          headers={HISTORY_TIMESTAMP_HEADER: measured})
    assert response.status_code == 204
    path = "features/temp/properties/value"
    (late_value, late_revision, late_time), (value, revision, _) = stored_points(server, thing_id, path)
    assert (late_value, late_revision, value, revision) == (19.0, 2, 20.0, 1)  # the late point sorts first
    assert late_time == to_micros(datetime(2025, 6, 1, 8, 0, 0, 125_000, tzinfo=UTC))  # the measured moment


def test_a_bad_history_timestamp_is_a_ditto_header_error_and_changes_nothing(client: httpx.Client, server: Server,
                                                                            thing_id: str) -> None:
    thing = f"/things/{thing_id}"
    assert client.put(thing, json={"attributes": {"a": 1}}).status_code == 201
    response = client.put(f"{thing}/attributes/a", json=2, headers={HISTORY_TIMESTAMP_HEADER: "10:00 yesterday"})
    assert_error(response, 400, "header.invalid")
    assert client.get(f"{thing}/attributes/a").json() == 1
    assert [(value, revision) for value, revision, _ in stored_points(server, thing_id, "attributes/a")] == [(1.0, 1)]


def test_a_history_timestamp_outside_the_representable_range_is_a_header_error_not_a_500(
        client: httpx.Client, server: Server, thing_id: str) -> None:
    thing = f"/things/{thing_id}"
    assert client.put(thing, json={"attributes": {"a": 1}}).status_code == 201
    for edge in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"):  # valid ISO-8601, no UTC moment
        response = client.put(f"{thing}/attributes/a", json=2, headers={HISTORY_TIMESTAMP_HEADER: edge})
        assert_error(response, 400, "header.invalid")
    assert [(value, revision) for value, revision, _ in stored_points(server, thing_id, "attributes/a")] == [(1.0, 1)]
