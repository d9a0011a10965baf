"""One group commit planned in Python (pure), the same for both stores: which units pass their compare-and-set,
and the rows of those that do.

A backend reads the stored revisions of every entity of the batch inside its transaction, plans here, then
writes the plan: units are checked in queue order against those revisions as updated by the batch's earlier
units, so a later write sees an earlier one (an entity created and modified in one batch chains), and a unit
with any conflict fails alone, writing nothing. Each entity is written once, in its final state; a policy's
search index rows are replaced by its latest ones, and a thing's index changes are combined into one: the
rows every write removes go, then the rows added that no later write of the batch removed come.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from twinhub.store.announcements import AnnouncementRow
from twinhub.store.base import RevisionConflict
from twinhub.store.index import IndexScope
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
    thing_index: dict[str, list[IndexRowValues]] = field(default_factory=dict)  # per thing, the rows added
    thing_index_removed: dict[str, list[IndexScope]] = field(default_factory=dict)  # per thing, removed first
    policy_index: dict[str, EncodedIndex] = field(default_factory=dict)  # replaced per policy
    points: list[PointRow] = field(default_factory=list)  # of the units that pass, with their things
    # things created again over their tombstones: their stored history points and rollups are removed before
    # `points` are written (a new life shows nothing of the earlier ones, as the journal's history)
    lives_restarted: set[str] = field(default_factory=set)
    announcements: list[AnnouncementRow] = field(default_factory=list)  # in order: a later change wins

    def index_removals(self) -> tuple[list[tuple[str, str]], list[tuple[str, str, str]]]:
        """The thing index rows the batch removes: single rows (thing id, path), and the rows below a path as
        ranges (thing id, low, high: low <= path < high), as '/' and '0' are neighbours and keys hold no '/'."""
        rows: list[tuple[str, str]] = []
        below: list[tuple[str, str, str]] = []
        for thing_id, scopes in self.thing_index_removed.items():
            for scope in scopes:
                if scope.path:
                    rows.append((thing_id, scope.path))
                if scope.subtree:
                    below.append((thing_id, scope.path + "/", scope.path + "0"))
        return rows, below

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
            if write.kind == "thing":
                _change_index(plan, write.entity_id, write.index_removed, write.index_rows)
            if write.starts_life_again:  # the earlier life's points of this batch go too
                plan.lives_restarted.add(write.entity_id)
                plan.points = [row for row in plan.points if row[0] != write.entity_id]
        plan.points.extend(unit.points)
        plan.announcements.extend(unit.announcements)
        plan.outcomes.append(None)
    return plan


def _change_index(plan: Plan, thing_id: str, removed: tuple[IndexScope, ...], rows: tuple[IndexRowValues, ...]) -> None:
    """Add one write's index change to the thing's change in `plan`: what it removes goes from the rows earlier
    writes of the batch add, as it would have had they been written first."""
    added = plan.thing_index.setdefault(thing_id, [])
    if added and removed:
        added[:] = [row for row in added if not any(_covers(scope, row[1]) for scope in removed)]
    plan.thing_index_removed.setdefault(thing_id, []).extend(removed)
    added.extend(rows)


def _covers(scope: IndexScope, path: str) -> bool:
    return path == scope.path or (scope.subtree and path.startswith(scope.path + "/"))
