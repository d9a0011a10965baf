"""A group commit on PostgreSQL (pure): the statements that write a `twinhub.store.batch.Plan`, as column
arrays (`WRITE_*`), and what the committer does before planning.

The committer locks every entity of the batch (`LOCK`, advisory locks in key order, so concurrent
workers neither deadlock nor interleave on an entity), reads their stored revisions (`REVISIONS`), plans
with `plan_batch` (shared with SQLite) and runs `statements(plan)`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from twinhub.store.batch import Plan
from twinhub.store.postgres.announcements import change_statements
from twinhub.store.postgres.rollup_writes import rollup_insert
from twinhub.store.postgres.rows import (
    JournalRecord,
    PolicyIndexRecord,
    encode_text,
    index_record,
    journal_record,
    lock_key,
    point_record,
    policy_index_record,
)
from twinhub.store.rollups import COLUMNS as ROLLUP_COLUMNS
from twinhub.store.rollups import rollup_rows
from twinhub.store.rows import EncodedCommit, Kind

__all__ = ["FORGET_HISTORY", "LOCK", "REVISIONS", "WRITE_CONNECTIONS", "WRITE_POLICIES", "WRITE_POLICY_INDEX",
           "WRITE_THINGS", "entity_ids", "lock_keys", "statements"]

# Acquired in array order, which `lock_keys` sorts; released when the transaction ends.
LOCK = "SELECT count(pg_advisory_xact_lock(k)) FROM unnest($1::bigint[]) AS k"

REVISIONS = """
SELECT 'thing', thing_id, revision FROM things WHERE thing_id = ANY($1::text[])
UNION ALL
SELECT 'policy', policy_id, revision FROM policies WHERE policy_id = ANY($2::text[])
UNION ALL
SELECT 'connection', connection_id, revision FROM connections WHERE connection_id = ANY($3::text[])
"""

# What a batch writes, one statement per part it has (a thing's commit is one statement). Each statement's
# parts share one snapshot, so its DELETEs remove the index rows that were there before (`Plan.index_removals`:
# single rows and the rows below a path; a row both remove is deleted once) and never the ones the INSERT
# beside it adds. A thing's history points ride in its statement: no extra round trip.
WRITE_THINGS = """
WITH things_written AS (
    INSERT INTO things (thing_id, revision, created, modified, deleted, doc, namespace, policy_id)
    SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::smallint[], $6::bytea[],
                         $7::text[], $8::text[])
    ON CONFLICT (thing_id) DO UPDATE SET revision = excluded.revision, created = excluded.created,
        modified = excluded.modified, deleted = excluded.deleted, doc = excluded.doc,
        namespace = excluded.namespace, policy_id = excluded.policy_id
), events AS (
    INSERT INTO thing_journal (thing_id, revision, timestamp, action, path, value, snapshot)
    SELECT * FROM unnest($9::text[], $10::bigint[], $11::text[], $12::text[], $13::text[], $14::bytea[],
                         $15::bytea[])
), rows_removed AS (
    DELETE FROM thing_index i USING unnest($16::text[], $17::text[]) AS r(thing_id, path)
    WHERE i.thing_id = r.thing_id AND i.path = r.path
), rows_below_removed AS (
    DELETE FROM thing_index i USING unnest($18::text[], $19::text[], $20::text[]) AS r(thing_id, low, high)
    WHERE i.thing_id = r.thing_id AND i.path >= r.low AND i.path < r.high
), points_written AS (
    INSERT INTO history_points (thing_id, path, t_us, revision, type, num, str)
    SELECT * FROM unnest($28::text[], $29::text[], $30::bigint[], $31::bigint[], $32::smallint[], $33::float8[],
                         $34::text[])
), rollups_written AS (
    """ + rollup_insert(35) + """
)
INSERT INTO thing_index (thing_id, path, wpath, type, num, str, empty)
SELECT * FROM unnest($21::text[], $22::text[], $23::text[], $24::smallint[], $25::numeric[], $26::text[],
                     $27::smallint[])
"""
# A thing created again starts its history anew: the earlier lives' points and rollups go, in a statement
# before WRITE_THINGS (whose rollup upserts must not meet rows this statement deletes).
FORGET_HISTORY = """
WITH points_removed AS (
    DELETE FROM history_points WHERE thing_id = ANY($1::text[])
)
DELETE FROM history_rollups WHERE thing_id = ANY($1::text[])
"""
WRITE_POLICIES = """
WITH policies_written AS (
    INSERT INTO policies (policy_id, revision, created, modified, deleted, doc)
    SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::smallint[], $6::bytea[])
    ON CONFLICT (policy_id) DO UPDATE SET revision = excluded.revision, created = excluded.created,
        modified = excluded.modified, deleted = excluded.deleted, doc = excluded.doc
)
INSERT INTO policy_journal (policy_id, revision, timestamp, action, path, value, snapshot)
SELECT * FROM unnest($7::text[], $8::bigint[], $9::text[], $10::text[], $11::text[], $12::bytea[], $13::bytea[])
"""
WRITE_CONNECTIONS = """
WITH connections_written AS (
    INSERT INTO connections (connection_id, revision, created, modified, deleted, doc)
    SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::smallint[], $6::bytea[])
    ON CONFLICT (connection_id) DO UPDATE SET revision = excluded.revision, created = excluded.created,
        modified = excluded.modified, deleted = excluded.deleted, doc = excluded.doc
)
INSERT INTO connection_journal (connection_id, revision, timestamp, action, path, value, snapshot)
SELECT * FROM unnest($7::text[], $8::bigint[], $9::text[], $10::text[], $11::text[], $12::bytea[], $13::bytea[])
"""
WRITE_POLICY_INDEX = """
WITH rows_removed AS (
    DELETE FROM policy_index WHERE policy_id = ANY($1::text[])
), rows_added AS (
    INSERT INTO policy_index (policy_id, subject, path, depth, effect, expiry)
    SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::integer[], $6::smallint[], $7::text[])
), imports_removed AS (
    DELETE FROM policy_imports WHERE policy_id = ANY($1::text[])
        AND (policy_id, imported_id) NOT IN (SELECT * FROM unnest($8::text[], $9::text[]))
)
INSERT INTO policy_imports (policy_id, imported_id) SELECT * FROM unnest($8::text[], $9::text[])
ON CONFLICT DO NOTHING
"""
def statements(plan: Plan, rollups: tuple[int, ...] = ()) -> list[tuple[str, list[list[Any]]]]:
    """The statements that write `plan`, with their column arrays (with the history rollups of `rollups`, widths
    in microseconds): none when every unit conflicted."""
    result: list[tuple[str, list[list[Any]]]] = []
    things = plan.entity_rows("thing")
    if plan.lives_restarted:
        result.append((FORGET_HISTORY, [sorted(plan.lives_restarted)]))
    if things:  # every thing written has the index rows it changed replaced
        single, below = plan.index_removals()
        ranges = [(key, encode_text(low), encode_text(high)) for key, low, high in below]
        index_rows = [index_record(row) for rows in plan.thing_index.values() for row in rows]
        points = [point_record(row) for row in plan.points]
        result.append((WRITE_THINGS, [*_columns(things, 8), *_columns(_journal(plan, "thing"), 7),
                                      *_columns([(key, encode_text(path)) for key, path in single], 2),
                                      *_columns(ranges, 3),
                                      *_columns(index_rows, 7), *_columns(points, 7),
                                      *_columns(rollup_rows(points, rollups), len(ROLLUP_COLUMNS))]))
    policies = plan.entity_rows("policy")
    if policies:
        result.append((WRITE_POLICIES, [*_columns(policies, 6), *_columns(_journal(plan, "policy"), 7)]))
    connections = plan.entity_rows("connection")
    if connections:
        result.append((WRITE_CONNECTIONS, [*_columns(connections, 6), *_columns(_journal(plan, "connection"), 7)]))
    if plan.policy_index:
        rows: list[PolicyIndexRecord] = [policy_index_record(row) for index in plan.policy_index.values()
                                         for row in index.rows]
        imports = [row for index in plan.policy_index.values() for row in index.imports]
        result.append((WRITE_POLICY_INDEX, [list(plan.policy_index), *_columns(rows, 6), *_columns(imports, 2)]))
    result.extend(change_statements(plan.announcements))
    return result


def _journal(plan: Plan, kind: Kind) -> list[JournalRecord]:
    return [journal_record(row) for row in plan.events[kind]]


def _columns(rows: Sequence[Sequence[Any]], width: int) -> list[list[Any]]:
    """Rows to column arrays (`width` arrays, empty when there are no rows)."""
    return [list(column) for column in zip(*rows, strict=True)] if rows else [[] for _ in range(width)]


def lock_keys(units: Iterable[EncodedCommit]) -> list[int]:
    """The sorted advisory lock keys of every entity (and policy index) the units write."""
    keys: set[int] = set()
    for unit in units:
        keys.update(lock_key(write.kind, write.entity_id) for write in unit.writes)
        keys.update(lock_key("policy", index.policy_id) for index in unit.policy_indexes)
    return sorted(keys)


def entity_ids(units: Iterable[EncodedCommit], kind: Kind) -> list[str]:
    return list({write.entity_id: None for unit in units for write in unit.writes if write.kind == kind})
