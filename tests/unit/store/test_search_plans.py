"""Search plans kept by shape (`twinhub.store.search.plans`): a search bound from a cached plan is exactly the
query the compiler writes for it, whoever runs it and whatever its values; the cache stays within its bounds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from twinhub.rql.ast import Node, SortOption
from twinhub.rql.parser import parse_filter
from twinhub.rql.spec import Position, SearchSpec
from twinhub.store.postgres.dialect import POSTGRES
from twinhub.store.search import CompiledQuery, Dialect, Plans, compile_count, compile_search
from twinhub.store.sqlite.dialect import SQLITE

NOW = datetime(2025, 6, 1, 12, tzinfo=UTC)


def spec(filter: str | None = None, subjects: tuple[str, ...] = ("alice",), *, now: datetime = NOW,
         namespaces: tuple[str, ...] | None = None, sort: str | None = None, size: int = 25,
         after: Position | None = None, offset: int | None = None) -> SearchSpec:
    node: Node | None = None if filter is None else parse_filter(filter)
    order = None if sort is None else SortOption(((sort[0], sort[1:]),))  # type: ignore[arg-type]
    return SearchSpec(node, subjects, now, namespaces=namespaces, sort=order, size=size, after=after, offset=offset)


def planned(plans: Plans, found: SearchSpec) -> CompiledQuery:
    return plans.search(found)


# Pairs of searches of one shape: the second is bound from the first's plan.
SAME_SHAPE = [
    (spec("eq(thingId,'a:1')"), spec("eq(thingId,'b:2')", ("bob",))),
    (spec('eq(attributes/room,"room-1")'), spec('eq(attributes/room,"room-2")')),
    (spec('eq(attributes/room,"room-1")', ("alice", "group:x")), spec('eq(attributes/room,"k")', ("bob", "carol"))),
    (spec("and(ge(attributes/t,1.5),lt(attributes/t,2))"), spec("and(ge(attributes/t,5.5),lt(attributes/t,7))")),
    (spec('in(attributes/a,3,"x",null,2,false)'), spec('in(attributes/a,4,"y",null,5,true)')),
    (spec('in(thingId,"a:b",1,"a:c")'), spec('in(thingId,"x:y",2,"x:z")')),
    (spec('like(attributes/a,"x*")'), spec('like(attributes/a,"[y]?*")')),
    (spec('or(ne(attributes/a,2),ilike(thingId,"A*"),eq(features/*/properties/on,true))'),
     spec('or(ne(attributes/a,7),ilike(thingId,"B?"),eq(features/*/properties/on,false))')),
    (spec('gt(_modified,"2024-01-01T01:00:00+01:00")'), spec('gt(_modified,"2025-01-01T01:00:00-05:00")')),
    (spec("gt(_modified,time:now-1h)"), spec("gt(_modified,time:now-1h)", now=NOW + timedelta(seconds=7))),
    (spec("exists(attributes/a)", namespaces=("n1", "n2")), spec("exists(attributes/a)", namespaces=("n3", "n4"))),
    (spec(None, sort="-_revision", after=Position((3,), "a:z"), size=10),
     spec(None, sort="-_revision", after=Position((9,), "b:y"), size=30)),
    (spec(None, size=10, offset=30), spec(None, size=5, offset=60)),
    (spec("eq(attributes/a,1)", ()), spec("eq(attributes/a,2)", ())),
]


@pytest.mark.parametrize("dialect", [SQLITE, POSTGRES], ids=lambda dialect: dialect.name)
@pytest.mark.parametrize(("first", "second"), SAME_SHAPE)
def test_a_plan_binds_each_searchs_own_values(dialect: Dialect, first: SearchSpec, second: SearchSpec) -> None:
    plans = Plans(dialect)
    assert plans.search(first) == compile_search(first, dialect)
    assert plans.count(first) == compile_count(first, dialect)
    assert len(plans) == 2
    assert plans.search(second) == compile_search(second, dialect)  # the same SQL, the second's values
    assert plans.count(second) == compile_count(second, dialect)
    assert len(plans) == 2  # served by the plans of the first
    assert plans.search(first) == compile_search(first, dialect)


def test_one_plan_serves_two_callers_each_with_their_own_subjects_and_time() -> None:
    plans = Plans(SQLITE)
    alice = plans.search(spec("eq(attributes/a,1)", ("alice",)))
    bob = plans.search(spec("eq(attributes/a,1)", ("bob", "group:b"), now=NOW + timedelta(hours=1)))
    assert len(plans) == 2  # a second subject is another visibility shape
    carol = plans.search(spec("eq(attributes/a,1)", ("carol",), now=NOW + timedelta(hours=2)))
    assert len(plans) == 2 and carol.sql == alice.sql
    assert "alice" in alice.params and "alice" not in carol.params and "carol" in carol.params
    assert "bob" in bob.params and "group:b" in bob.params and "bob" not in carol.params
    assert "2025-06-01T14:00:00.000000Z" in carol.params and "2025-06-01T12:00:00.000000Z" not in carol.params


@pytest.mark.parametrize(("first", "second"), [
    ('in(attributes/a,1,1)', 'in(attributes/a,1,2)'),  # the plan binds the two literals once
    ('in(attributes/a,1,true)', 'in(attributes/a,1,false)'),  # true is stored as 1
    ('eq(attributes/a,"/attributes/a")', 'eq(attributes/a,"b")'),  # a literal equal to the field's path
    ('and(eq(attributes/a,"alice"),exists(attributes/b))', 'and(eq(attributes/a,"bob"),exists(attributes/b))'),
])
def test_values_that_do_not_repeat_where_the_plans_did_are_compiled_anew(first: str, second: str) -> None:
    plans = Plans(SQLITE)
    assert plans.search(spec(first)) == compile_search(spec(first), SQLITE)
    assert plans.search(spec(second)) == compile_search(spec(second), SQLITE)
    assert len(plans) == 1  # one shape: the plan of the latest kept


def test_values_may_repeat_where_the_plans_did_not() -> None:
    plans = Plans(SQLITE)
    distinct = plans.search(spec("in(attributes/a,1,2)"))
    repeated = plans.search(spec("in(attributes/a,1,1)"))
    assert repeated.sql == distinct.sql and "IN (?1, ?2)" in repeated.sql  # the same rows as IN (?1)
    assert repeated.params == [1, 1, *distinct.params[2:]]


@pytest.mark.parametrize(("first", "second"), [
    ("eq(attributes/a,1)", 'eq(attributes/a,"1")'),  # another type compares other rows
    ("eq(attributes/a,1)", "eq(attributes/a,null)"),
    ("eq(attributes/a,1)", "eq(attributes/b,1)"),
    ("eq(attributes/a,1)", "ne(attributes/a,1)"),
    ("in(attributes/a,1,2)", "in(attributes/a,1,2,3)"),
    ("and(gt(attributes/a,1),lt(attributes/a,5))", "and(gt(attributes/a,1),lt(attributes/b,5))"),
])
def test_searches_of_other_shapes_get_plans_of_their_own(first: str, second: str) -> None:
    plans = Plans(SQLITE)
    plans.search(spec(first))
    assert plans.search(spec(second)) == compile_search(spec(second), SQLITE)
    assert len(plans) == 2


def test_plans_are_bounded_in_number_and_bytes() -> None:
    plans = Plans(SQLITE, max_plans=3)
    for n in range(10):
        plans.search(spec(f"exists(attributes/a{n})"))
    assert len(plans) == 3
    assert plans.search(spec("exists(attributes/a9)")) == compile_search(spec("exists(attributes/a9)"), SQLITE)
    small = Plans(SQLITE, max_bytes=8_000)
    for n in range(10):
        small.search(spec(f"exists(attributes/a{n})"))
    assert 0 < small.bytes <= 8_000 and 0 < len(small) < 10
    tiny = Plans(SQLITE, max_bytes=100)  # no plan is that small: none is kept, every search compiled
    assert tiny.search(spec("exists(attributes/a)")) == compile_search(spec("exists(attributes/a)"), SQLITE)
    assert len(tiny) == 0 and tiny.bytes == 0


def test_the_least_recently_used_plan_leaves_first() -> None:
    plans = Plans(SQLITE, max_plans=2)
    plans.search(spec("exists(attributes/a)"))
    plans.search(spec("exists(attributes/b)"))
    plans.search(spec("exists(attributes/a)"))  # used again: b is now the oldest
    plans.search(spec("exists(attributes/c)"))
    held = len(plans)
    plans.search(spec("exists(attributes/a)"))
    assert held == 2 and len(plans) == 2  # a was still held
    plans.search(spec("exists(attributes/b)"))  # b had left: compiled and kept again, evicting c
    assert len(plans) == 2
