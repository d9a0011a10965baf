"""The commit unit: everything one command writes, handed to the store as one value.

A store writes a `Commit` in one transaction, all or nothing. A capability that must be stored
together with the entity it belongs to (history points) becomes a field here and a step of the
backends' transaction, not a new `Store` method.
"""

from __future__ import annotations

from dataclasses import dataclass

from twinhub.history.points import Point
from twinhub.model.events import ConnectionWrite, PolicyWrite, ThingWrite
from twinhub.model.policy import AnnouncementChange
from twinhub.store.index import PolicyIndex, ThingIndexChange

__all__ = ["Commit"]


@dataclass(frozen=True, slots=True)
class Commit:
    """One transaction's writes.

    `things` and `policies` are compare-and-set writes (each stores its entity, appends its event to the
    entity's journal and, for a thing, replaces its search index rows); `policy_indexes` replace what
    search knows of those policies; `connections` are compare-and-set writes of connections (each with
    its event in the connection journal); `points` are the history points of the thing writes, each of
    the revision of its thing's write, stored only if that write is; `index_changes` say which search index
    rows of a thing write change (`thing_index_change`), for the writes whose rows are not all replaced;
    `announcements` change the announcement schedule of the policy writes (`twinhub.store.announcements`).
    Raises ValueError when there is no write, for a point or an index change of no thing write, or for a
    point twice (thing, path, revision) or a thing write's index change twice.
    """

    things: tuple[ThingWrite, ...] = ()
    policies: tuple[PolicyWrite, ...] = ()
    policy_indexes: tuple[PolicyIndex, ...] = ()
    connections: tuple[ConnectionWrite, ...] = ()
    points: tuple[Point, ...] = ()
    index_changes: tuple[ThingIndexChange, ...] = ()
    announcements: tuple[AnnouncementChange, ...] = ()

    def __post_init__(self) -> None:
        if not (self.things or self.policies or self.policy_indexes or self.connections):
            raise ValueError("a commit needs at least one write")
        if self.points:
            self._check_points()
        if self.index_changes:
            self._check_index_changes()

    def _check_index_changes(self) -> None:
        writes = {(write.thing.thing_id, write.thing.revision) for write in self.things}
        changes = [(change.thing_id, change.revision) for change in self.index_changes]
        if not writes.issuperset(changes) or len(set(changes)) != len(changes):
            raise ValueError(f"index changes {changes} do not match the thing writes {sorted(writes)} one to one")

    def _check_points(self) -> None:
        revisions = {(write.thing.thing_id, write.thing.revision) for write in self.things}
        seen: set[tuple[str, str, int]] = set()
        for point in self.points:
            if (point.thing_id, point.revision) not in revisions:
                raise ValueError(f"a point of {point.thing_id!r} revision {point.revision} has no thing write")
            key = (point.thing_id, point.path, point.revision)
            if key in seen:
                raise ValueError(f"the point {point.path!r} of {point.thing_id!r} revision {point.revision} twice")
            seen.add(key)
