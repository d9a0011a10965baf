"""The Ditto Protocol carries a device's `history-timestamp` header to the history points of its write."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from tests.unit.service.live_world import THING_ID
from tests.unit.service.session.world import client, topic
from twinhub.history import HISTORY_TIMESTAMP_HEADER, parse_device_time
from twinhub.service.session import SessionServices
from twinhub.store.points import to_micros

pytestmark = pytest.mark.anyio

PATH = "attributes/measured"


def stored(database: Path) -> list[tuple[int, float | None]]:
    uri = database.resolve().as_uri() + "?mode=ro"
    with closing(sqlite3.connect(uri, uri=True)) as connection:
        return list(connection.execute("SELECT t_us, num FROM history_points WHERE thing_id = ? AND path = ?",
                                       (THING_ID, PATH)))


async def test_the_header_dates_the_points_and_a_bad_one_is_an_error_that_writes_nothing(
        world: SessionServices, tmp_path: Path) -> None:
    measured = "2025-01-02T03:04:05.678Z"
    async with client(world) as owner:
        answer = await owner.request({"topic": topic("things/twin/commands/modify"), "path": f"/{PATH}", "value": 7,
                                      "headers": {"correlation-id": "c1", HISTORY_TIMESTAMP_HEADER: measured}})
        assert answer["status"] in (201, 204)
        refused = await owner.request({"topic": topic("things/twin/commands/modify"), "path": f"/{PATH}", "value": 8,
                                       "headers": {"correlation-id": "c2", HISTORY_TIMESTAMP_HEADER: "soon"}})
        assert (refused["status"], refused["value"]["error"]) == (400, "header.invalid")
    assert stored(tmp_path / "twinhub.db") == [(to_micros(parse_device_time(measured)), 7.0)]
