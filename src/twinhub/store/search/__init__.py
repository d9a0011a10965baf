"""Search in SQL, shared by both stores: a `SearchSpec` compiled for a `Dialect` into one query over the tables
the stores write (`things`, and the index rows of `twinhub.store.index`), and its rows back as `Hits`.

    query = compile_search(spec, SQLITE)       # CompiledQuery(sql, params); the dialect is the backend's own
    page = hits(rows, spec, decode_row)        # the rows that query returned -> Hits(things, next position)
    query = compile_count(spec, POSTGRES)      # one row, one column
    query = plans.search(spec)                 # the same, from a cached plan of the spec's shape (`Plans`)

The modules, leaf first: `sql` (parameters), `fields` (where fields live), `visibility` (READ over
`policy_index`), `conditions` (filters), `paging` (sort keys, keyset paging, pages), `compile`, and `plans`
(compiled queries kept by shape, bound to each search's values).
"""

from twinhub.store.search.compile import compile_count, compile_search
from twinhub.store.search.dialect import Dialect
from twinhub.store.search.paging import THING_COLUMNS, Hits, Row, hits
from twinhub.store.search.plans import Plans
from twinhub.store.search.sql import MAX_PARAMETERS, CompiledQuery, SqlValue

__all__ = [
    "MAX_PARAMETERS",
    "THING_COLUMNS",
    "CompiledQuery",
    "Dialect",
    "Hits",
    "Plans",
    "Row",
    "SqlValue",
    "compile_count",
    "compile_search",
    "hits",
]
