"""The commit unit: everything one command writes, handed to the store as one value.

A store writes a `Commit` in one transaction, all or nothing. A capability that must be stored
together with the entity it belongs to (history points) becomes a field here and a step of the
backends' transaction, not a new `Store` method.
"""

from __future__ import annotations

from dataclasses import dataclass

from twinhub.history.points import Point
from twinhub.model.events import ConnectionWrite, PolicyWrite, ThingWrite
from twinhub.store.index import PolicyIndex

__all__ = ["Commit"]


@dataclass(frozen=True, slots=True)
class Commit:
    """One transaction's writes.

    `things` and `policies` are compare-and-set writes (each stores its entity, appends its event to the
    entity's journal and, for a thing, replaces its search index rows); `policy_indexes` replace what
    search knows of those policies; `connections` are compare-and-set writes of connections (each with
    its event in the connection journal); `points` are the history points of the thing writes, each of
    the revision of its thing's write, stored only if that write is. Raises ValueError when there is no
    write, or for a point of no thing write or a point twice (thing, path, revision).
    """

    things: tuple[ThingWrite, ...] = ()
    policies: tuple[PolicyWrite, ...] = ()
    policy_indexes: tuple[PolicyIndex, ...] = ()
    connections: tuple[ConnectionWrite, ...] = ()
    points: tuple[Point, ...] = ()

    def __post_init__(self) -> None:
        if not (self.things or self.policies or self.policy_indexes or self.connections):
            raise ValueError("a commit needs at least one write")
        if self.points:
            self._check_points()

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
