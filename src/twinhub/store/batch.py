"""One group commit planned in Python (pure), the same for both stores: which units pass their compare-and-set,
and the rows of those that do.

A backend reads the stored revisions of every entity of the batch inside its transaction, plans here, then
writes the plan: units are checked in queue order against those revisions as updated by the batch's earlier
units, so a later write sees an earlier one (an entity created and modified in one batch chains), and a unit
with any conflict fails alone, writing nothing. Each entity is written once, in its final state; the search
index rows of a thing and of a policy are replaced by their latest ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from twinhub.store.base import RevisionConflict
from twinhub.store.points import PointRow
from twinhub.store.rows import EncodedCommit, EncodedIndex, IndexRowValues, JournalRow, Kind

__all__ = ["Plan", "plan_batch"]


@dataclass(slots=True)
class Plan:
    """The outcome of each unit (None: it will be written) and what the batch writes."""

    outcomes: list[RevisionConflict | None] = field(default_factory=list)
    entities: dict[tuple[Kind, str], tuple[Any, ...]] = field(default_factory=dict)  # final state of each
    events: dict[Kind, list[JournalRow]] = field(
        default_factory=lambda: {"thing": [], "policy": [], "connection": []})
    thing_index: dict[str, tuple[IndexRowValues, ...]] = field(default_factory=dict)  # per thing, its latest rows
    policy_index: dict[str, EncodedIndex] = field(default_factory=dict)  # replaced per policy
    points: list[PointRow] = field(default_factory=list)  # of the units that pass, with their things
    # things created again over their tombstones: their stored history points and rollups are removed before
    # `points` are written (a new life shows nothing of the earlier ones, as the journal's history)
    lives_restarted: set[str] = field(default_factory=set)

    def entity_rows(self, kind: Kind) -> list[tuple[Any, ...]]:
        """The final rows of the entities of `kind` the batch writes (a thing's with its search columns)."""
        return [row for (of, _), row in self.entities.items() if of == kind]


def plan_batch(units: Sequence[EncodedCommit], stored: Mapping[tuple[Kind, str], int]) -> Plan:
    """Check each unit's expected revisions in queue order against `stored` (absent: 0) and gather the rows
    of those that pass."""
    revisions = dict(stored)
    plan = Plan()
    for unit in units:
        conflict = next((write for write in unit.writes
                         if revisions.get((write.kind, write.entity_id), 0) != write.expected_revision), None)
        if conflict is not None:
            plan.outcomes.append(RevisionConflict(conflict.entity_id, conflict.expected_revision))
            continue
        plan.policy_index.update((index.policy_id, index) for index in unit.policy_indexes)
        for write in unit.writes:
            key = (write.kind, write.entity_id)
            revisions[key] = write.entity_row[1]
            plan.entities[key] = write.entity_row + (write.search_columns or ())
            plan.events[write.kind].append(write.journal_row)
            if write.kind == "thing":  # the latest state's rows replace all earlier ones (none if deleted)
                plan.thing_index[write.entity_id] = write.index_rows
            if write.starts_life_again:  # the earlier life's points of this batch go too
                plan.lives_restarted.add(write.entity_id)
                plan.points = [row for row in plan.points if row[0] != write.entity_id]
        plan.points.extend(unit.points)
        plan.outcomes.append(None)
    return plan
