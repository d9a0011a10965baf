"""The commit unit: everything one command writes, handed to the store as one value.

A store writes a `Commit` in one transaction, all or nothing. A capability that must be stored
together with the entity it belongs to (history points, later) becomes a field here and a step of the
backends' transaction, not a new `Store` method.
"""

from __future__ import annotations

from dataclasses import dataclass

from twinhub.model.events import ConnectionWrite, PolicyWrite, ThingWrite
from twinhub.store.index import PolicyIndex

__all__ = ["Commit"]


@dataclass(frozen=True, slots=True)
class Commit:
    """One transaction's writes.

    `things` and `policies` are compare-and-set writes (each stores its entity, appends its event to the
    entity's journal and, for a thing, replaces its search index rows); `policy_indexes` replace what
    search knows of those policies; `connections` are compare-and-set writes of connections (each with
    its event in the connection journal). Raises ValueError when empty.
    """

    things: tuple[ThingWrite, ...] = ()
    policies: tuple[PolicyWrite, ...] = ()
    policy_indexes: tuple[PolicyIndex, ...] = ()
    connections: tuple[ConnectionWrite, ...] = ()

    def __post_init__(self) -> None:
        if not (self.things or self.policies or self.policy_indexes or self.connections):
            raise ValueError("a commit needs at least one write")
