"""A thing write replaces only the search index rows of what it changed (`thing_index_change`), on every backend:
after any sequence of commands, committed one by one or several to a group commit, the thing's index rows are
those a full rebuild of its final state writes, and every search finds both alike."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.contract.conftest import StoreOpener
from tests.contract.helpers import create, unit
from tests.contract.test_search_sql import grant, spec
from twinhub.model.commands import ThingCommand, apply, exists
from twinhub.model.errors import TwinhubError
from twinhub.model.events import Thing, ThingWrite
from twinhub.model.types import JsonObject, JsonValue
from twinhub.store.base import Store
from twinhub.store.commit import Commit
from twinhub.store.index import PolicyIndex, thing_index_change

POLICY = "org.twinhub:open"
START = datetime(2025, 1, 1, tzinfo=UTC)

# Few keys, so that commands meet each other's paths; `~` needs escaping in index paths.
keys = st.sampled_from(["a", "b", "c~d"])
scalars = (st.none() | st.booleans() | st.integers(-2, 2) | st.sampled_from([1.0, 0.5, 2**62])
           | st.sampled_from(["", "x", "y"]))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3),
                      max_leaves=6)
objects = st.dictionaries(keys, values, max_size=3)
# Merge patches: nulls delete, objects merge, Ditto's regex keys delete what they match.
patch_keys = keys | st.just("{{ ~[ab]~ }}")
patches = st.recursive(scalars, lambda inner: st.dictionaries(patch_keys, inner, max_size=3), max_leaves=6)
features = st.sampled_from(["f", "g"])
definitions = st.sampled_from(["org.twinhub:model:1.0", "org.twinhub:other:2.0"])
feature_bodies = st.fixed_dictionaries({}, optional={"properties": objects, "desiredProperties": objects,
                                                     "definition": st.lists(definitions, min_size=1, max_size=2)})
things = st.fixed_dictionaries({}, optional={"attributes": objects, "definition": definitions,
                                             "features": st.dictionaries(features, feature_bodies, max_size=2)})
sections = st.sampled_from(["properties", "desiredProperties"])


def _path(*parts: Any) -> tuple[str, ...]:
    return tuple(parts)


commands = st.one_of(
    st.builds(lambda path, value: ("modify", path, value),
              st.tuples(features, sections, keys).map(lambda p: _path("features", *p)), values),
    st.builds(lambda path, value: ("modify", path, value),
              st.tuples(features, sections, keys, keys).map(lambda p: _path("features", *p)), values),
    st.builds(lambda path: ("delete", path, None),
              st.tuples(features, sections, keys).map(lambda p: _path("features", *p))),
    st.builds(lambda path, value: ("modify", path, value), st.tuples(keys).map(lambda p: _path("attributes", *p)),
              values),
    st.builds(lambda path: ("delete", path, None), st.tuples(keys).map(lambda p: _path("attributes", *p))),
    st.builds(lambda value: ("modify", ("attributes",), value), objects),
    st.builds(lambda feature, value: ("modify", ("features", feature), value), features, feature_bodies),
    st.builds(lambda feature: ("delete", ("features", feature), None), features),
    st.builds(lambda value: ("modify", ("definition",), value), definitions),
    st.just(("delete", ("definition",), None)),
    st.builds(lambda patch: ("merge", (), patch),
              st.fixed_dictionaries({}, optional={"attributes": patches, "features": st.dictionaries(
                  features, st.none() | st.fixed_dictionaries({}, optional={"properties": patches})), })),
    st.builds(lambda feature, patch: ("merge", ("features", feature, "properties"), patch), features, patches),
    st.builds(lambda path, patch: ("merge", path, patch),
              st.tuples(features, keys).map(lambda p: _path("features", p[0], "properties", p[1])), patches),
    st.builds(lambda body: ("modify", (), body), things),
    st.just(("delete", (), None)),
)


def _applied(current: Thing | None, command: tuple[str, tuple[str, ...], JsonValue], thing_id: str,
             step: int) -> ThingWrite | None:
    """The write of `command` (as ThingService builds it), or None when the model refuses it."""
    action, path, value = command
    if action != "delete" and not path and isinstance(value, dict):
        value = {**value, "policyId": POLICY}
    try:
        applied = apply(current, ThingCommand(action, thing_id, path, value),  # type: ignore[arg-type]
                        now=START + timedelta(seconds=step))
    except TwinhubError:
        return None
    return ThingWrite(applied.thing, applied.event, current.revision if current else 0)


async def _index_rows(backend: str, target: Path | str, thing_id: str) -> Counter[tuple[Any, ...]]:
    """The thing's rows of `thing_index` (without the id), read from the database itself."""
    if backend == "postgres":
        connection = await asyncpg.connect(str(target))
        try:
            rows = await connection.fetch("SELECT path, wpath, type, num, str, empty FROM thing_index "
                                          "WHERE thing_id = $1", thing_id)
        finally:
            await connection.close()
        return Counter(tuple(row) for row in rows)
    import sqlite3

    with closing(sqlite3.connect(target)) as connection:
        return Counter(connection.execute("SELECT path, wpath, type, value, empty FROM thing_index WHERE thing_id = ?",
                                          (thing_id,)).fetchall())


def _filters() -> list[str]:
    """Searches that tell index rows apart: existence, emptiness and values of the paths commands write."""
    paths = ["attributes/a", "attributes/a/b", "attributes/c~0d", "definition", "features/f", "features/*/properties/a",
             "features/f/properties/a/b", "features/g/desiredProperties/b", "features/f/definition"]
    filters = [f"exists({path})" for path in paths]
    filters += [f"eq({path},{value})" for path in (*paths[:3], *paths[5:7]) for value in ("1", '"x"', "true", "null")]
    filters += ['like(features/*/properties/b,"*")', "empty(attributes/a)", "empty(features/f/properties/a)",
                'eq(definition,"org.twinhub:model:1.0")', 'eq(features/f/definition,"org.twinhub:model:1.0")']
    return filters


@asynccontextmanager
async def _opened(open_store: StoreOpener) -> AsyncIterator[Store]:
    async with open_store(batch_max=8) as store:
        await store.commit(unit(PolicyIndex(POLICY, (grant("alice"),), ())))
        yield store


def test_incremental_index_writes_equal_a_full_rebuild_and_search_alike(
        backend: str, open_store: StoreOpener, request: pytest.FixtureRequest) -> None:
    target = request.getfixturevalue("postgres_dsn" if backend == "postgres" else "db_path")
    runner = asyncio.Runner()
    opened = _opened(open_store)
    store = runner.run(opened.__aenter__())
    examples = iter(range(1_000_000))

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(first=things, steps=st.lists(st.tuples(commands, st.booleans()), min_size=1, max_size=12))
    def check(first: JsonObject, steps: Sequence[tuple[tuple[str, tuple[str, ...], JsonValue], bool]]) -> None:
        runner.run(_check(backend, target, store, next(examples), first, steps))

    try:
        check()
    finally:
        runner.run(opened.__aexit__(None, None, None))
        runner.close()


async def _check(backend: str, target: Path | str, store: Store, example: int, first: JsonObject,
                 steps: Sequence[tuple[tuple[str, tuple[str, ...], JsonValue], bool]]) -> None:
    incremental, rebuilt = f"org.twinhub:inc-{example}", f"org.twinhub:full-{example}"
    current: Thing | None = None
    batch: list[Commit] = []
    for step, (command, alongside) in enumerate([(("modify", (), first), False), *steps]):
        write = _applied(current, command, incremental, step)
        if write is None:
            continue
        before = current.doc if exists(current) and current is not None else None
        if not alongside and batch:  # the earlier writes in one group commit, then this one starts the next
            await asyncio.gather(*(store.commit(commit) for commit in batch))
            batch = []
        batch.append(Commit(things=(write,), index_changes=(thing_index_change(write, before),)))
        current = write.thing
    await asyncio.gather(*(store.commit(commit) for commit in batch))
    if current is None:  # the model refused every creation
        return
    final: JsonObject = {} if current.deleted else {**current.doc, "thingId": rebuilt}
    await store.commit(unit(create(rebuilt, final)))  # no index change given: all its rows, from its document
    assert await _index_rows(backend, target, incremental) == await _index_rows(backend, target, rebuilt)
    for filter in _filters():
        both = f'and(in(thingId,"{incremental}","{rebuilt}"),{filter})'
        found = {thing.thing_id for thing in (await store.search(spec(both))).things}
        assert (incremental in found) == (rebuilt in found) or current.deleted, filter
