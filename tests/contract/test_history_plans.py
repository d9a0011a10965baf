"""The history queries' plans on SQLite: every read walks the key (thing_id, path, t_us, revision) as a range,
never the table. (PostgreSQL's plans depend on its statistics; the same statements were checked there by hand
with EXPLAIN ANALYZE on a million points: index scans per thing, and key probes for first and last.)"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from twinhub.store.sqlite.history import BIG_INTEGERS, FLEET_PARTIALS, SERIES_PARTIALS, BigIntegers, page_sql
from twinhub.store.sqlite.rollups import DENSITY, RAW_SAMPLES
from twinhub.store.sqlite.schema import connect_writer, migrate

RANGE = "SEARCH {} USING PRIMARY KEY (thing_id=? AND path=? AND t_us>? AND t_us<?)"
PROBE = "SEARCH {} USING PRIMARY KEY (thing_id=? AND path=? AND t_us=? AND revision=?)"


@pytest.fixture
def connection(db_path: Path) -> Iterator[sqlite3.Connection]:
    connection = connect_writer(db_path)
    migrate(connection, db_path)
    connection.create_aggregate(BIG_INTEGERS, 1, BigIntegers)  # type: ignore[arg-type]
    yield connection
    connection.close()


def plan(connection: sqlite3.Connection, sql: str, parameters: object) -> list[str]:
    return [row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {sql}", parameters)]  # type: ignore[arg-type]


def test_a_page_of_several_paths_merges_their_key_ranges_without_sorting(connection: sqlite3.Connection) -> None:
    steps = plan(connection, page_sql(3), ["ns:t", "a", 0, 0, 10] * 3 + [5])
    assert steps.count("SEARCH history_points USING PRIMARY KEY "
                       "(thing_id=? AND path=? AND (t_us,revision)>(?,?) AND t_us<?)") == 3
    assert "MERGE (UNION ALL)" in steps
    assert not any("TEMP B-TREE" in step or step.startswith("SCAN") for step in steps)


def test_buckets_of_a_series_read_its_key_range_and_probe_first_and_last(connection: sqlite3.Connection) -> None:
    steps = plan(connection, SERIES_PARTIALS, {"thing_id": "ns:t", "path": "a", "start": 0, "end": 10, "width": 3})
    assert RANGE.format("h") in steps
    assert PROBE.format("f") in steps and PROBE.format("l") in steps
    assert not any(step.startswith("SCAN history_points") or step.startswith("SCAN h") for step in steps)


def test_fleet_buckets_read_each_things_key_range(connection: sqlite3.Connection) -> None:
    steps = plan(connection, FLEET_PARTIALS, {"ids": '[["ns:a", 0], ["ns:b", 1]]', "path": "a", "start": 0, "end": 10,
                                      "width": 3})
    assert steps.count(RANGE.format("h")) == 2  # the buckets, and the things with samples
    assert PROBE.format("f") in steps and PROBE.format("l") in steps
    assert not any(step.startswith("SCAN history_points") or step.startswith("SCAN h") for step in steps)


def test_the_density_of_a_rollup_segment_is_counted_on_each_things_key_range(connection: sqlite3.Connection) -> None:
    bounds = {"ids": '[["ns:a", 0], ["ns:b", 1]]', "path": "a", "start": 0, "end": 10}
    steps = plan(connection, DENSITY, {**bounds, "width": 3})
    assert "SEARCH r USING PRIMARY KEY (thing_id=? AND path=? AND width_us=? AND bucket_us>? AND bucket_us<?)" in steps
    assert not any(step.startswith("SCAN r") or "history_rollups_by_age" in step for step in steps)
    steps = plan(connection, RAW_SAMPLES, {**bounds, "limit": 5})
    assert RANGE.format("h") in steps
    assert not any(step.startswith("SCAN history_points") or step.startswith("SCAN h") for step in steps)
