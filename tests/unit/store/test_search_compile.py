"""The search SQL compiler, pure: the SQL and parameters it writes for a `SearchSpec`, pages, and its errors.

What the SQL finds is pinned against a real SQLite store in tests/contract/test_search_sql.py.
"""

from __future__ import annotations

import ast as python_ast
import dataclasses
import re
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import pytest

import twinhub.store.postgres.dialect
import twinhub.store.search
import twinhub.store.search.compile
import twinhub.store.search.conditions
import twinhub.store.search.dialect
import twinhub.store.search.fields
import twinhub.store.search.paging
import twinhub.store.search.sql
import twinhub.store.search.visibility
import twinhub.store.sqlite.dialect
from twinhub.model.events import Thing
from twinhub.rql import CursorInvalid, RqlInvalid, RqlOptionInvalid
from twinhub.rql.ast import Comparison, In, Node, Not, Placeholder, SortOption
from twinhub.rql.parser import parse_filter
from twinhub.rql.spec import DEFAULT_PAGE_SIZE, Position, SearchSpec
from twinhub.store.search import THING_COLUMNS, CompiledQuery, Dialect, Row, compile_count, compile_search, hits
from twinhub.store.search.fields import stored
from twinhub.store.sqlite.dialect import SQLITE, glob_pattern

NOW = "2025-06-01T12:00:00.000000Z"  # as bound
NOW_TIME = datetime(2025, 6, 1, 12, tzinfo=UTC)
# A PostgreSQL-like spelling: proves the compiler takes every dialect-specific piece from the Dialect.
DOLLAR = dataclasses.replace(
    SQLITE,
    name="dollar",
    placeholder="${n}",
    true="TRUE",
    false="FALSE",
    like="{value} ~ {pattern}",
    ilike="{value} ~* {pattern}",
    like_pattern=str.upper,
    first_row="LEFT JOIN LATERAL (SELECT i.type, i.value {query}) {alias} ON {on}",
)


def spec(
    filter: Node | str | None = None,
    *,
    subjects: tuple[str, ...] = ("alice",),
    namespaces: tuple[str, ...] | None = None,
    sort: SortOption | None = None,
    size: int = DEFAULT_PAGE_SIZE,
    after: Position | None = None,
    offset: int | None = None,
) -> SearchSpec:
    node = parse_filter(filter) if isinstance(filter, str) else filter
    return SearchSpec(node, subjects, NOW_TIME, namespaces=namespaces, sort=sort, size=size, after=after,
                      offset=offset)


def search(
    filter: Node | str | None = None,
    *,
    subjects: tuple[str, ...] = ("alice",),
    namespaces: tuple[str, ...] | None = None,
    sort: SortOption | None = None,
    size: int = DEFAULT_PAGE_SIZE,
    after: Position | None = None,
    offset: int | None = None,
    dialect: Dialect = SQLITE,
) -> CompiledQuery:
    found = spec(filter, subjects=subjects, namespaces=namespaces, sort=sort, size=size, after=after, offset=offset)
    return compile_search(found, dialect)


def where(filter: Node | str) -> str:
    """The filter's own condition: what stands between the deleted check and the visibility check."""
    sql = search(filter).sql
    return sql.split(" WHERE t.deleted = 0 AND ", 1)[1].split(" AND EXISTS (SELECT 1 FROM policy_index g", 1)[0]


def bound(query: CompiledQuery, value: int | float | str | None) -> str:
    """The placeholder the query uses for `value`."""
    return f"?{query.params.index(value) + 1}"


def assert_placeholders_line_up(query: CompiledQuery, pattern: str = r"\?(\d+)") -> None:
    """Every parameter is used and every placeholder has a parameter (SQLite checks the highest number)."""
    used = {int(n) for n in re.findall(pattern, query.sql)}
    assert used == set(range(1, len(query.params) + 1))


# -- the query around the filter ------------------------------------------------------------------


def test_search_selects_the_thing_columns_then_the_sort_keys() -> None:
    query = search()
    assert query.sql.startswith(
        "SELECT t.thing_id, t.revision, t.created, t.modified, t.deleted, t.doc, "
        "t.thing_id AS s0 FROM things t WHERE t.deleted = 0 AND "
    )
    assert THING_COLUMNS == ("thing_id", "revision", "created", "modified", "deleted", "doc")
    assert query.sql.endswith(f"ORDER BY s0 ASC LIMIT ?{len(query.params)}")
    assert query.params[-1] == DEFAULT_PAGE_SIZE + 1
    assert_placeholders_line_up(query)


def test_visibility_binds_each_subject_and_now_once() -> None:
    query = search("eq(attributes/a,1)", subjects=("alice", "group:x", "alice"))
    assert query.params.count("alice") == 1 and query.params.count("group:x") == 1 and query.params.count(NOW) == 1
    subjects = f"IN ({bound(query, 'alice')}, {bound(query, 'group:x')})"
    assert f"g.subject {subjects} AND (g.expiry IS NULL OR g.expiry > {bound(query, NOW)})" in query.sql
    assert (
        "NOT EXISTS (SELECT 1 FROM policy_index v WHERE v.policy_id = g.policy_id AND v.path = g.path "
        "AND v.effect = -1" in query.sql
    )


def test_no_subjects_see_nothing_and_bind_nothing_for_it() -> None:
    query = search()
    empty = search(subjects=())
    assert "alice" in query.params and "subject IN" not in empty.sql and " AND 0" in empty.sql
    assert_placeholders_line_up(empty)


def test_namespaces_restrict_by_column() -> None:
    assert "t.namespace" not in search().sql
    query = search(namespaces=("a", "b", "a"))
    assert f"t.namespace IN ({bound(query, 'a')}, {bound(query, 'b')})" in query.sql
    assert "t.deleted = 0 AND 0 AND" in search(namespaces=()).sql


def test_count_has_the_same_conditions_without_paging() -> None:
    query = compile_count(spec("eq(attributes/a,1)", namespaces=("n",), sort=SortOption((("-", "thingId"),))), SQLITE)
    assert query.sql.startswith("SELECT count(*) FROM things t WHERE t.deleted = 0 AND t.namespace IN (?1) AND ")
    assert "ORDER BY" not in query.sql.split("policy_index")[0] and "LIMIT ?" not in query.sql
    assert_placeholders_line_up(query)


# -- JSON fields ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filter", "condition", "value"),
    [
        ("eq(attributes/a/b,1)", "i.type = 1 AND i.value = {v}", 1),
        ("eq(attributes/a/b,1.5)", "i.type = 1 AND i.value = {v}", 1.5),
        ('eq(attributes/a/b,"x")', "i.type = 2 AND i.value = {v}", "x"),
        ("eq(attributes/a/b,true)", "i.type = 5 AND i.value = {v}", 1),
        ("gt(attributes/a/b,false)", "i.type = 5 AND i.value > {v}", 0),
        ("ge(attributes/a/b,2)", "i.type = 1 AND i.value >= {v}", 2),
        ('lt(attributes/a/b,"m")', "i.type = 2 AND i.value < {v}", "m"),
        ("le(attributes/a/b,-4)", "i.type = 1 AND i.value <= {v}", -4),
        ('like(attributes/a/b,"a*[b]?")', "i.type = 2 AND i.value GLOB {v}", "a*[[]b]?"),
        ('ilike(attributes/a/b,"A*")', "i.type = 2 AND lower(i.value) GLOB lower({v})", "A*"),
        ("in(attributes/a/b,1,2)", "(i.type = 1 AND i.value IN ({v}, ?{n2}))", 1),
    ],
)
def test_value_conditions_read_the_value_index_then_check_the_path_once(
    filter: str, condition: str, value: int | float | str
) -> None:
    query = search(filter)
    path = bound(query, "/attributes/a/b")
    v = bound(query, value)
    expected = condition.format(v=v, n2=int(v[1:]) + 1)
    assert where(filter).startswith(
        f"(t.thing_id IN (SELECT i.thing_id FROM thing_index i WHERE (i.path = {path} AND {expected})) AND ((EXISTS"
    )
    chain = ", ".join(bound(query, p) for p in ("", "/attributes", "/attributes/a", "/attributes/a/b"))
    assert f"d.path IN ({chain}) ORDER BY d.depth DESC, d.effect ASC LIMIT 1), 0) = 1)" in query.sql
    assert "AND g.depth = 0 AND" in query.sql  # the fast path: a root grant and no revoke
    assert_placeholders_line_up(query)


def test_eq_null_matches_the_null_type_and_binds_no_value() -> None:
    query = search("eq(attributes/a,null)")
    assert f"WHERE (i.path = {bound(query, '/attributes/a')} AND i.type = 0))" in query.sql
    assert None not in query.params


@pytest.mark.parametrize(
    "filter",
    [
        "gt(attributes/a,null)",
        "lt(attributes/a,null)",
        "like(attributes/a,1)",
        "ilike(attributes/a,null)",
        "like(features/*/properties/a,true)",
    ],
)
def test_comparisons_no_row_can_satisfy_are_false(filter: str) -> None:
    assert where(filter) == "0"


def test_ge_and_le_null_match_stored_nulls() -> None:
    assert "i.type = 0)" in where("ge(attributes/a,null)") and "i.type = 0)" in where("le(attributes/a,null)")


def test_ne_needs_the_field_and_no_equal_element() -> None:
    condition = where("ne(attributes/a,1)")
    assert condition.startswith("((EXISTS (SELECT 1 FROM thing_index i WHERE (i.thing_id = t.thing_id AND i.path = ?")
    assert " AND NOT (t.thing_id IN (SELECT i.thing_id FROM thing_index i WHERE (i.path = ?" in condition
    assert "i.type = 1 AND i.value = ?" in condition


def test_in_groups_values_by_type() -> None:
    query = search('in(attributes/a,1,"1",null,2,true)')
    one, text, two, true = bound(query, 1), bound(query, "1"), bound(query, 2), bound(query, True)
    assert true == one  # booleans are stored as 0/1; the type tells them apart
    assert (
        f"((i.type = 1 AND i.value IN ({one}, {two})) OR (i.type = 2 AND i.value IN ({text})) OR i.type = 0 "
        f"OR (i.type = 5 AND i.value IN ({one})))"
    ) in query.sql


def test_exists_and_empty_probe_the_things_own_rows() -> None:
    assert where("exists(attributes/a)").startswith(
        "EXISTS (SELECT 1 FROM thing_index i WHERE i.thing_id = t.thing_id AND i.path = ?"
    )
    assert where("empty(attributes/a)").startswith(
        "NOT (EXISTS (SELECT 1 FROM thing_index i WHERE i.thing_id = t.thing_id AND i.path = ?"
    )
    assert "AND i.empty = 0 AND" in where("empty(attributes/a)")
    query = search("exists(features/lamp)")
    assert "/features/lamp" in query.params


def test_feature_wildcards_use_wpath_and_check_each_rows_path() -> None:
    condition = where("eq(features/*/properties/on,true)")
    assert condition.startswith(
        "t.thing_id IN (SELECT i.thing_id FROM thing_index i JOIN things r ON "
        "r.thing_id = i.thing_id WHERE (i.wpath = ?"
    )
    assert "AND i.wpath <> i.path AND i.type = 5 AND i.value = ?" in condition  # the partial wildcard index
    assert "d.policy_id = r.policy_id" in condition
    assert "(d.path = i.path OR substr(i.path, 1, length(d.path) + 1) = d.path || '/')" in condition
    assert "/features/*/properties/on" in search("eq(features/*/properties/on,true)").params


def test_logic_nests_with_parentheses() -> None:
    query = search('or(not(exists(attributes/a)),and(eq(thingId,"a:b"),eq(thingId,"a:c")))')
    condition = where('or(not(exists(attributes/a)),and(eq(thingId,"a:b"),eq(thingId,"a:c")))')
    assert condition.startswith("(NOT (EXISTS")
    assert condition.endswith(f" OR (t.thing_id = {bound(query, 'a:b')} AND t.thing_id = {bound(query, 'a:c')}))")


def test_definition_is_the_definition_index_path() -> None:
    query = search('eq(definition,"a:b:1")')
    assert "/definition" in query.params and "i.type = 2 AND i.value = " in query.sql


# -- column fields --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filter", "condition"),
    [
        ('eq(thingId,"a:b")', "t.thing_id = ?1"),
        ('ne(thingId,"a:b")', "t.thing_id <> ?1"),
        ('gt(_namespace,"a")', "(t.namespace IS NOT NULL AND t.namespace > ?1)"),
        ('in(thingId,"a:b",1,"a:c")', "t.thing_id IN (?1, ?2)"),
        ('like(thingId,"a:*")', "t.thing_id GLOB ?1"),
        ('ilike(thingId,"A:*")', "lower(t.thing_id) GLOB lower(?1)"),
        ("le(_revision,3)", "t.revision <= ?1"),
        ('eq(_revision,"3")', "0"),
        ("eq(thingId,1)", "0"),
        ('like(_revision,"1*")', "0"),
        ("ne(thingId,1)", "1"),
        ("exists(thingId)", "1"),
        ("exists(_revision)", "1"),
        ("empty(_revision)", "0"),
        ("exists(_created)", "t.created IS NOT NULL"),
        ("empty(thingId)", "NOT (t.thing_id <> '')"),
        ("empty(namespace)", "NOT ((t.namespace IS NOT NULL AND t.namespace <> ''))"),
    ],
)
def test_column_fields_compare_the_column_of_the_same_type(filter: str, condition: str) -> None:
    assert where(filter) == condition


def test_timestamps_compare_in_the_stored_form() -> None:
    query = search('gt(_modified,"2024-01-01T01:00:00+01:00")')
    assert "t.modified > ?" in query.sql and "2024-01-01T00:00:00.000000Z" in query.params
    assert "2024-01" in search('eq(_created,"2024-01")').params  # not a full timestamp: compared as it is


def test_policy_id_needs_read_on_policy_id() -> None:
    query = search('eq(policyId,"a:p")')
    assert where('eq(policyId,"a:p")').startswith("(t.policy_id IS NOT NULL AND t.policy_id = ?1 AND ((EXISTS")
    assert [p for p in query.params if p in ("", "/policyId")] == ["", "/policyId"]


# -- sorting and paging ---------------------------------------------------------------------------


def test_json_sort_keys_join_one_readable_row_per_thing() -> None:
    query = search(sort=SortOption((("-", "attributes/k"),)))
    assert (
        "coalesce(k0.type, -1) AS s0, coalesce(k0.value, 0) AS s1 FROM things t LEFT JOIN thing_index k0 ON "
        "k0.rowid = (SELECT i.rowid FROM thing_index i WHERE i.thing_id = t.thing_id AND i.path = ?"
    ) in query.sql
    assert "ORDER BY i.type = 4, i.type DESC, i.value DESC LIMIT 1) AND ((EXISTS" in query.sql
    assert "ORDER BY s0 DESC, s1 DESC, t.thing_id ASC LIMIT" in query.sql


def test_sorting_by_thing_id_needs_no_tie_break() -> None:
    query = search(sort=SortOption((("-", "thingId"),)))
    assert query.sql.endswith(f"ORDER BY s0 DESC LIMIT ?{len(query.params)}")
    guarded = search(sort=SortOption((("+", "policyId"), ("+", "_revision"))))
    assert "coalesce(CASE WHEN ((EXISTS" in guarded.sql and "t.revision AS s1" in guarded.sql
    assert "ORDER BY s0 ASC, s1 ASC, t.thing_id ASC" in guarded.sql


def test_unknown_fields_are_rql_errors() -> None:
    with pytest.raises(RqlInvalid):
        search("eq(foo,1)")
    with pytest.raises(RqlOptionInvalid):
        search(sort=SortOption((("+", "features/x/definition"),)))


def test_placeholders_are_resolved_at_the_specs_now() -> None:
    query = search(Comparison("gt", "_modified", Placeholder("time:now")))
    assert f"t.modified > {bound(query, NOW)}" in query.sql  # the same moment as the visibility's expiry check
    with pytest.raises(TypeError):  # what the conditions get must be resolved
        stored(Placeholder("time:now"))


def test_keyset_condition_follows_the_sort_directions() -> None:
    sort = SortOption((("-", "attributes/k"),))
    query = search(sort=sort, size=10, after=Position((1, 42), "a:z"))
    k, v, tid = "coalesce(k0.type, -1)", "coalesce(k0.value, 0)", "t.thing_id"
    one, forty_two, z = bound(query, 1), bound(query, 42), bound(query, "a:z")
    assert (
        f"({k} < {one} OR ({k} = {one} AND {v} < {forty_two}) OR ({k} = {one} AND {v} = {forty_two} AND {tid} > {z}))"
    ) in query.sql
    assert "OFFSET" not in query.sql and query.params[-1] == 11
    assert " AND t.thing_id > ?" in search(after=Position(("a:z",), "a:z")).sql  # the primary key range


def test_offset_pages_skip_rows() -> None:
    query = search(size=10, offset=30)
    assert query.sql.endswith(f"LIMIT {bound(query, 11)} OFFSET {bound(query, 30)}")
    assert "OFFSET" not in search(size=10, offset=0).sql


def test_dialect_supplies_placeholders_literals_like_and_joins() -> None:
    query = search(
        'and(like(attributes/a,"x*"),ilike(thingId,"y"),not(exists(thingId)),empty(_revision))',
        namespaces=(),
        sort=SortOption((("+", "attributes/k"),)),
        dialect=DOLLAR,
    )
    assert "?" not in query.sql and "GLOB" not in query.sql and "rowid" not in query.sql
    assert "i.value ~ $" in query.sql and "t.thing_id ~* $" in query.sql and "X*" in query.params
    assert "NOT (TRUE)" in query.sql and "AND FALSE" in query.sql and "LEFT JOIN LATERAL (SELECT i.type" in query.sql
    assert_placeholders_line_up(query, r"\$(\d+)")


@pytest.mark.parametrize(
    ("like", "glob"),
    [
        ("a*b?c", "a*b?c"),
        ("[x]", "[[]x]"),
        ("a**b***", "a*b*"),
        ("^.$+(){}|\\", "^.$+(){}|\\"),
        ("", ""),
    ],
)
def test_glob_pattern_keeps_wildcards_and_makes_the_rest_literal(like: str, glob: str) -> None:
    assert glob_pattern(like) == glob


# -- pages ------------------------------------------------------------------------------------------


def test_a_position_is_refused_by_another_sort_shape() -> None:
    # A position of another query is refused before: its cursor's fingerprint (tests/unit/rql/test_cursor.py).
    with pytest.raises(CursorInvalid, match="cursor"):
        search(after=Position((1, 2), "a:b"))
    with pytest.raises(CursorInvalid):
        search(after=Position((None,), "a:b"))
    with pytest.raises(CursorInvalid) as caught:
        search(sort=SortOption((("-", "attributes/k"),)), after=Position(("a:b",), "a:b"))
    assert caught.value.code == "thing-search:search.option.invalid" and caught.value.status == 400


def _thing(row: Row) -> Thing:
    assert len(row) > len(THING_COLUMNS)  # the sort keys follow
    return Thing(str(row[0]), {}, 1, NOW_TIME, NOW_TIME)


def test_hits_cut_the_extra_row_and_give_the_next_position() -> None:
    rows = [(f"a:{n}", 1, "", "", 0, b"{}", 1, key) for n, key in ((1, "x"), (2, 5), (3, 0))]
    page = hits(rows, spec(size=2), _thing)
    assert [thing.thing_id for thing in page.things] == ["a:1", "a:2"]
    assert page.next == Position((1, 5), "a:2")
    assert hits(rows[:2], spec(size=2), _thing).next is None and len(hits(rows[:2], spec(size=2), _thing).things) == 2
    # offset pages too say that more follow (the service answers the next offset instead of a cursor)
    assert hits(rows, spec(size=2, offset=0), _thing).next == Position((1, 5), "a:2")
    assert hits([], spec(size=2), _thing).things == ()


# -- purity ---------------------------------------------------------------------------------------


COMPILER_MODULES = [
    twinhub.store.search,
    twinhub.store.search.compile,
    twinhub.store.search.conditions,
    twinhub.store.search.dialect,
    twinhub.store.search.fields,
    twinhub.store.search.paging,
    twinhub.store.search.sql,
    twinhub.store.search.visibility,
    twinhub.store.sqlite.dialect,
    twinhub.store.postgres.dialect,
]


@pytest.mark.parametrize("module", COMPILER_MODULES, ids=lambda module: module.__name__)
def test_compiler_modules_import_no_driver_and_nothing_of_the_edges(module: ModuleType) -> None:
    tree = python_ast.parse(Path(str(getattr(module, "__file__", ""))).read_text(encoding="utf-8"))
    imported = {
        alias.name for node in python_ast.walk(tree) if isinstance(node, python_ast.Import) for alias in node.names
    }
    imported |= {node.module or "" for node in python_ast.walk(tree) if isinstance(node, python_ast.ImportFrom)}
    assert not {
        name
        for name in imported
        if re.match(
            r"sqlite3|asyncpg|aiosqlite|psycopg|twinhub\.(api|bus|service)|"
            r"twinhub\.store\.(?!index$|search\b)|starlette",  # of the store, the index rows and search only
            name,
        )
    }


def test_in_and_not_nodes_compile() -> None:  # the AST classes, built directly
    assert "NOT (t.thing_id IN (?1))" in search(Not(In("thingId", ("a:b",)))).sql
