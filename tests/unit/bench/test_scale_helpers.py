"""Pure helpers of the scale-out benchmark: wrk's ids match the generator's, the CPU accounting adds up,
the database URL and worker counts are read as meant."""

from __future__ import annotations

import argparse
import re

import pytest
from bench.__main__ import worker_counts
from bench.http_things import CpuUse
from bench.machine import SystemCpu
from bench.scale_data import database_name, database_url
from bench.search_data import SHAPES, Spec, lua_visible_id, shape_indices, visible_id


def lua_ids(lua: str, draws: list[int]) -> list[str]:
    """What the Lua lines of `lua_visible_id` make of the given `math.random` results."""
    match = re.search(r"local n = (\d+) \* math.random\(0, \d+\) \+ (\d+)", lua)
    assert match is not None
    step, start = int(match[1]), int(match[2])
    ids = []
    for draw in draws:
        n = step * draw + start
        ids.append(f"bench.ns{n % 10}:thing-{n}")
    return ids


def test_lua_ids_are_the_generated_ids() -> None:
    lua = lua_visible_id(1000)
    assert "math.random(0, 999)" in lua
    assert lua_ids(lua, [0, 17, 999]) == [visible_id(0), visible_id(17), visible_id(999)]


@pytest.mark.parametrize("shape", SHAPES)
def test_lua_ids_of_one_shape_stay_in_it_and_in_range(shape: str) -> None:
    indices = shape_indices(1_000_000, shape)
    lua = lua_visible_id(1_000_000, shape=shape)
    assert f"math.random(0, {len(indices) - 1})" in lua
    first, last = lua_ids(lua, [0, len(indices) - 1])
    assert (first, last) == (visible_id(indices[0]), visible_id(indices[-1]))
    assert indices[-1] < 1_000_000 and all(index % 3 == SHAPES.index(shape) for index in (indices[0], indices[-1]))


def test_backend_cpu_is_not_counted_as_other_work() -> None:
    before, after = SystemCpu(0, 0, 0, 0), SystemCpu(busy_s=15.0, irq_s=1.0, steal_s=0.5, total_s=20.0)
    cpu = CpuUse.between(0, 5.0, 0, 3.0, before, after, database_s=4.0, bus_s=1.0)
    assert (cpu.server_s, cpu.wrk_s, cpu.irq_s, cpu.database_s, cpu.bus_s) == (5.0, 3.0, 1.0, 4.0, 1.0)
    assert cpu.other_s == 1.0  # 15 busy - 5 server - 3 wrk - 1 irq - 4 database - 1 bus
    assert cpu.other_percent == pytest.approx(100 * 1.5 / 20)


def test_database_url_replaces_only_the_database() -> None:
    assert database_url("postgresql://postgres@127.0.0.1:5432", "twinhub_bench_1m") == \
        "postgresql://postgres@127.0.0.1:5432/twinhub_bench_1m"
    assert database_url("postgresql://u:p@db:5433/other?sslmode=disable", "x") == \
        "postgresql://u:p@db:5433/x?sslmode=disable"
    assert database_name(Spec()) == "twinhub_bench_1m"
    assert database_name(Spec(things=100_000)) == "twinhub_bench_100k"


def testworker_counts() -> None:
    assert worker_counts("1,2") == (1, 2)
    assert worker_counts("4") == (4,)
    for text in ("0", "1,,2", "two", ""):
        with pytest.raises(argparse.ArgumentTypeError):
            worker_counts(text)
