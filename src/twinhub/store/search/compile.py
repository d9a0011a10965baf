"""A search specification as one SQL query over the search index (`twinhub.store.index`), with Ditto's search
semantics (`conditions`) and the caller's READ visibility (`visibility`) inside it. Pure: the `Dialect` is an
argument, and each store runs what it gets.
"""

from __future__ import annotations

from twinhub.model.events import format_timestamp
from twinhub.rql.placeholders import resolve_placeholders
from twinhub.rql.spec import SearchSpec
from twinhub.store.search.conditions import Conditions
from twinhub.store.search.dialect import Dialect
from twinhub.store.search.paging import THING_COLUMNS, Sorting
from twinhub.store.search.sql import Argument, CompiledQuery, Parameters
from twinhub.store.search.visibility import Visibility

__all__ = ["compile_count", "compile_search", "count_sql", "search_sql"]


def compile_search(spec: SearchSpec, dialect: Dialect) -> CompiledQuery:
    """The things of `spec` with `THING_COLUMNS` and the sort key values, in its order, at most `spec.size + 1`
    rows (one more tells whether more follow). Raises CursorInvalid for a position that does not fit the sort,
    RqlInvalid / RqlOptionInvalid for unknown fields and filters too large for one query."""
    params = Parameters(dialect)
    return CompiledQuery(search_sql(spec, params), params.values)


def compile_count(spec: SearchSpec, dialect: Dialect) -> CompiledQuery:
    """How many things `spec` finds, on every page (one row, one column)."""
    params = Parameters(dialect)
    return CompiledQuery(count_sql(spec, params), params.values)


def search_sql(spec: SearchSpec, params: Parameters) -> str:
    """`compile_search`'s SQL, its values bound into `params`."""
    visibility, where = _where(spec, params)
    sorting = Sorting(visibility, spec.sort)
    if spec.after is not None:
        where.append(sorting.after(spec.after))
    select = [f"t.{column}" for column in THING_COLUMNS] + sorting.selected()
    sql = " ".join([f"SELECT {', '.join(select)} FROM things t", *sorting.joins, "WHERE " + " AND ".join(where),
                    f"ORDER BY {sorting.order_by()} LIMIT {params.bind(spec.size + 1, Argument('limit'))}"])
    return sql + (f" OFFSET {params.bind(spec.offset, Argument('offset'))}" if spec.offset else "")


def count_sql(spec: SearchSpec, params: Parameters) -> str:
    """`compile_count`'s SQL, its values bound into `params`."""
    _, where = _where(spec, params)
    return "SELECT count(*) FROM things t WHERE " + " AND ".join(where)


def _where(spec: SearchSpec, params: Parameters) -> tuple[Visibility, list[str]]:
    """The caller's visibility, and the conditions (AND-ed) on the things `spec` finds."""
    visibility = Visibility(params, spec.subjects, format_timestamp(spec.now))
    filter = None if spec.filter is None else resolve_placeholders(spec.filter, spec.now)
    return visibility, Conditions(visibility).where(filter, spec.namespaces)
