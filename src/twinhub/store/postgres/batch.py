"""One group commit planned in Python (pure): which units pass their compare-and-set, and the rows of
those that do, as the column arrays of the one statement that writes them (`WRITE`).

The committer locks every entity of the batch (`LOCK`, advisory locks in key order, so concurrent
workers neither deadlock nor interleave on an entity), reads their stored revisions (`REVISIONS`), and
plans here: units are checked in queue order against those revisions as updated by the batch's earlier
units, so a later write sees an earlier one and a unit with any conflict fails alone, writing nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from twinhub.store.base import RevisionConflict
from twinhub.store.postgres.rows import (
    IndexRecord,
    JournalRecord,
    PolicyIndexRecord,
    index_record,
    journal_record,
    lock_key,
    policy_index_record,
)
from twinhub.store.sqlite.rows import EncodedIndex, EncodedWrite, Kind

__all__ = ["LOCK", "REVISIONS", "WRITE", "Plan", "Unit", "lock_keys", "plan_batch"]

Unit = tuple[EncodedWrite | EncodedIndex, ...]

# Acquired in array order, which `lock_keys` sorts; released when the transaction ends.
LOCK = "SELECT count(pg_advisory_xact_lock(k)) FROM unnest($1::bigint[]) AS k"

REVISIONS = """
SELECT 'thing', thing_id, revision FROM things WHERE thing_id = ANY($1::text[])
UNION ALL
SELECT 'policy', policy_id, revision FROM policies WHERE policy_id = ANY($2::text[])
"""

# Everything a batch writes, in one statement: its parts share one snapshot, so the DELETEs remove the
# index rows that were there before and never the ones the INSERTs beside them add.
WRITE = """
WITH things_written AS (
    INSERT INTO things (thing_id, revision, created, modified, deleted, doc, namespace, policy_id)
    SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::smallint[], $6::bytea[],
                         $7::text[], $8::text[])
    ON CONFLICT (thing_id) DO UPDATE SET revision = excluded.revision, created = excluded.created,
        modified = excluded.modified, deleted = excluded.deleted, doc = excluded.doc,
        namespace = excluded.namespace, policy_id = excluded.policy_id
), thing_events AS (
    INSERT INTO thing_journal (thing_id, revision, timestamp, action, path, value, snapshot)
    SELECT * FROM unnest($9::text[], $10::bigint[], $11::text[], $12::text[], $13::text[], $14::bytea[],
                         $15::bytea[])
), thing_rows_removed AS (
    DELETE FROM thing_index WHERE thing_id = ANY($16::text[])
), thing_rows_added AS (
    INSERT INTO thing_index (thing_id, path, wpath, type, num, str, empty)
    SELECT * FROM unnest($17::text[], $18::text[], $19::text[], $20::smallint[], $21::numeric[], $22::text[],
                         $23::smallint[])
), policies_written AS (
    INSERT INTO policies (policy_id, revision, created, modified, deleted, doc)
    SELECT * FROM unnest($24::text[], $25::bigint[], $26::text[], $27::text[], $28::smallint[], $29::bytea[])
    ON CONFLICT (policy_id) DO UPDATE SET revision = excluded.revision, created = excluded.created,
        modified = excluded.modified, deleted = excluded.deleted, doc = excluded.doc
), policy_events AS (
    INSERT INTO policy_journal (policy_id, revision, timestamp, action, path, value, snapshot)
    SELECT * FROM unnest($30::text[], $31::bigint[], $32::text[], $33::text[], $34::text[], $35::bytea[],
                         $36::bytea[])
), policy_rows_removed AS (
    DELETE FROM policy_index WHERE policy_id = ANY($37::text[])
), policy_rows_added AS (
    INSERT INTO policy_index (policy_id, subject, path, depth, effect, expiry)
    SELECT * FROM unnest($38::text[], $39::text[], $40::text[], $41::integer[], $42::smallint[], $43::text[])
), imports_removed AS (
    DELETE FROM policy_imports WHERE policy_id = ANY($37::text[])
)
INSERT INTO policy_imports (policy_id, imported_id) SELECT * FROM unnest($44::text[], $45::text[])
"""


@dataclass(slots=True)
class Plan:
    """The outcome of each unit (None: it will be written) and what the batch writes."""

    outcomes: list[RevisionConflict | None] = field(default_factory=list)
    entities: dict[tuple[Kind, str], tuple[Any, ...]] = field(default_factory=dict)  # final state of each
    events: dict[Kind, list[JournalRecord]] = field(default_factory=lambda: {"thing": [], "policy": []})
    thing_index: dict[str, list[IndexRecord]] = field(default_factory=dict)  # replaced per thing
    policy_index: dict[str, EncodedIndex] = field(default_factory=dict)  # replaced per policy

    @property
    def writes(self) -> bool:
        return bool(self.entities or self.policy_index)

    def arguments(self) -> list[list[Any]]:
        """The 45 column arrays of `WRITE`."""
        things = [row for (kind, _), row in self.entities.items() if kind == "thing"]
        policies = [row for (kind, _), row in self.entities.items() if kind == "policy"]
        index_rows = [row for rows in self.thing_index.values() for row in rows]
        policy_rows: list[PolicyIndexRecord] = [policy_index_record(row) for index in self.policy_index.values()
                                                for row in index.rows]
        imports = [row for index in self.policy_index.values() for row in index.imports]
        return [
            *_columns(things, 8), *_columns(self.events["thing"], 7),
            list(self.thing_index), *_columns(index_rows, 7),
            *_columns(policies, 6), *_columns(self.events["policy"], 7),
            list(self.policy_index), *_columns(policy_rows, 6), *_columns(imports, 2),
        ]


def _columns(rows: Sequence[Sequence[Any]], width: int) -> list[list[Any]]:
    """Rows to column arrays (`width` arrays, empty when there are no rows)."""
    return [list(column) for column in zip(*rows, strict=True)] if rows else [[] for _ in range(width)]


def lock_keys(units: Iterable[Unit]) -> list[int]:
    """The sorted advisory lock keys of every entity (and policy index) the units write."""
    keys = set()
    for unit in units:
        for write in unit:
            if isinstance(write, EncodedIndex):
                keys.add(lock_key("policy", write.policy_id))
            else:
                keys.add(lock_key(write.kind, write.entity_id))
    return sorted(keys)


def entity_ids(units: Iterable[Unit], kind: Kind) -> list[str]:
    return list({write.entity_id: None for unit in units for write in unit
                 if isinstance(write, EncodedWrite) and write.kind == kind})


def plan_batch(units: Sequence[Unit], stored: Mapping[tuple[Kind, str], int]) -> Plan:
    """Check each unit's expected revisions in queue order and gather the rows of those that pass."""
    revisions = dict(stored)
    plan = Plan()
    for unit in units:
        conflict = next((write for write in unit if isinstance(write, EncodedWrite)
                         and revisions.get((write.kind, write.entity_id), 0) != write.expected_revision), None)
        if conflict is not None:
            plan.outcomes.append(RevisionConflict(conflict.entity_id, conflict.expected_revision))
            continue
        for write in unit:
            if isinstance(write, EncodedIndex):
                plan.policy_index[write.policy_id] = write
                continue
            key = (write.kind, write.entity_id)
            revisions[key] = write.entity_row[1]
            plan.entities[key] = write.entity_row + (write.search_columns or ())
            plan.events[write.kind].append(journal_record(write.journal_row))
            if write.kind == "thing":  # the latest state's rows replace all earlier ones (none if deleted)
                plan.thing_index[write.entity_id] = [index_record(row) for row in write.index_rows]
        plan.outcomes.append(None)
    return plan
