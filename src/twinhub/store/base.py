"""The `Store` protocol: what the services need from a database, and nothing more."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from twinhub.history import FleetPartials, Partial, Point
from twinhub.history.retention import HistoryRetention
from twinhub.model.events import JournalEntry, Policy, PolicyJournalEntry, StoredConnection, Thing
from twinhub.rql.spec import SearchSpec
from twinhub.store.announcements import ClaimedAnnouncement
from twinhub.store.commit import Commit
from twinhub.store.points import PointCursor, PointPage
from twinhub.store.pruning import PRUNE_ROWS, PRUNE_SERIES, Pruned, SeriesKey
from twinhub.store.search import Hits


class RevisionConflict(Exception):
    """The stored revision of `entity_id` is no longer `expected`: another writer committed first. An internal
    signal, never an answer: the entity writer reloads and reapplies, and answers with a Ditto error only when
    the retries run out."""

    def __init__(self, entity_id: str, expected: int) -> None:
        super().__init__(f"the stored revision of '{entity_id}' is not {expected}")
        self.entity_id = entity_id
        self.expected = expected


class Store(Protocol):
    """A thing store. Writes are group-committed; each `commit` returns once its transaction is durable."""

    async def search(self, spec: SearchSpec) -> Hits:
        """One page of the things `spec` finds, in its order, read on one snapshot, with the position after the
        last when more follow. Raises CursorInvalid when `spec.after` does not fit the sort (a position of another
        search), RqlInvalid when the filter is too large for one query."""
        ...

    async def count(self, spec: SearchSpec) -> int:
        """How many things `spec` finds, on all pages."""
        ...

    async def load(self, thing_id: str) -> Thing | None:
        """The current thing (a tombstone if deleted), or None if the id was never used."""
        ...

    async def load_with_policy(self, thing_id: str) -> tuple[Thing | None, Policy | None]:
        """The current thing (as `load`) and the current policy it names (as `load_policy`; None when the thing
        names none), read together: one round trip for a thing not cached."""
        ...

    async def load_policy(self, policy_id: str) -> Policy | None:
        """The current policy (a tombstone if deleted), or None if the id was never used."""
        ...

    async def load_connection(self, connection_id: str) -> StoredConnection | None:
        """The current connection (a tombstone if deleted), or None if the id was never used."""
        ...

    async def connections(self, *, limit: int | None = None) -> list[StoredConnection]:
        """The connections that are not deleted, by id: every one, or the first `limit`."""
        ...

    async def importers_of(self, policy_id: str) -> list[str]:
        """The ids of the policies that import `policy_id` (as last indexed)."""
        ...

    async def commit(self, unit: Commit) -> None:
        """Store each entity of `unit` (things, policies, connections) and append its event to its journal,
        all in one transaction, together with the search index: a thing's index rows, and the unit's
        policy indexes.

        Raises RevisionConflict, and writes nothing, when a stored revision is not the write's
        `expected_revision` (0: no row may exist yet).
        """
        ...

    async def journal(self, thing_id: str, *, to_revision: int | None = None,
                      to_timestamp: datetime | None = None) -> list[JournalEntry]:
        """The entries needed to rebuild the thing as of a revision or timestamp (inclusive).

        Starts at the latest entry with a snapshot at or before the bound and ends at the bound;
        empty when the thing had no revision by then.
        """
        ...

    async def policy_journal(self, policy_id: str, *, to_revision: int | None = None,
                             to_timestamp: datetime | None = None) -> list[PolicyJournalEntry]:
        """The entries needed to rebuild the policy as of a revision or timestamp (inclusive), as `journal`
        answers for a thing."""
        ...

    async def points(self, thing_id: str, paths: Sequence[str], *, start: datetime, end: datetime, limit: int,
                     after: PointCursor | None = None) -> PointPage:
        """The history points of the thing's leaves `paths` (as `Point.path` spells them; each read once) from
        `start` (inclusive) to `end` (exclusive), oldest first in the order of `twinhub.history.paging` (time,
        revision, path), deletion markers included, at most `limit`, after the cursor `after` (from the
        previous page's `next`) when given. Raises ValueError for no path or more than
        `twinhub.history.MAX_PATHS`, and for a limit below 1 or above `twinhub.history.MAX_LIMIT`."""
        ...

    async def rollups(self, thing_id: str, path: str, *, start: datetime, end: datetime,
                      width: timedelta) -> dict[datetime, Partial]:
        """The partials the rollup of `width` keeps for one leaf, per bucket of `width` starting in [start, end),
        oldest first; empty for a width the store does not maintain (see `twinhub.store.rollups` for what is
        exact)."""
        ...

    async def prune_points(self, retention: HistoryRetention, now: datetime, *, start: SeriesKey | None = None,
                           series: int = PRUNE_SERIES, rows: int = PRUNE_ROWS) -> Pruned[SeriesKey]:
        """Delete the history points older than `retention` keeps them as of `now` (its cutoff is exclusive: a
        point at the cutoff stays), in at most `series` series from `start` on and at most `rows` rows, in one
        short transaction; `next` is where the following call starts (see `twinhub.store.pruning`)."""
        ...

    async def prune_rollups(self, width: timedelta, cutoff: datetime, *, rows: int = PRUNE_ROWS) -> int:
        """Delete up to `rows` rollup buckets of `width` that end at or before `cutoff`; how many it deleted
        (fewer than `rows`: none is left)."""
        ...

    async def prune_journal(self, cutoff: datetime, *, start: str | None = None, things: int = PRUNE_SERIES,
                            rows: int = PRUNE_ROWS) -> Pruned[str]:
        """Delete, per thing (at most `things` from the id `start` on), the journal entries before its latest
        snapshot at or before `cutoff`, so that every revision from that snapshot on can still be rebuilt; at
        most `rows` rows in one short transaction. A thing without such a snapshot keeps all of its journal."""
        ...

    async def buckets(self, thing_id: str, path: str, *, start: datetime, end: datetime,
                      step: timedelta) -> dict[datetime, Partial]:
        """The partials of the thing's leaf `path` per bucket of `step` in [start, end), by bucket start, oldest
        first: what `twinhub.history.partials` gives for its samples there (deletion markers are none), computed
        in the database. Exact but for sums of floats, which are the database's double sums (see
        `twinhub.store.buckets`). Raises ValueError for a step below a microsecond or a range of more than
        `twinhub.history.MAX_BUCKETS` buckets."""
        ...

    async def fleet_buckets(self, groups: Sequence[Sequence[str]], path: str, *, start: datetime, end: datetime,
                            step: timedelta) -> list[FleetPartials]:
        """Per group of thing ids, in order: how many of its things have a sample of `path` in [start, end), and
        the partials of all their samples per bucket (as `buckets`; first and last ordered by time, revision,
        thing id), in one statement. Raises ValueError as `buckets` does, and for more than
        `twinhub.history.MAX_FLEET_THINGS` ids in all."""
        ...

    async def import_points(self, points: Sequence[Point]) -> int:
        """The bulk path (backfill, import, benchmarks): write history points without a thing command (no revision
        checks, no events: live history streams and the InfluxDB sink do not see them), all in one transaction,
        skipping each point equal in (thing id, path, time, revision) to a stored one (or an earlier one of
        `points`); returns how many were new. Raises ValueError as `twinhub.store.points.import_rows` does (at most
        `MAX_IMPORT` points), ServiceUnavailable when the transaction fails."""
        ...

    async def life_start(self, thing_id: str) -> int:
        """The first revision of the thing's latest life: that of its latest creation as a whole (a thing
        deleted and created again starts a new life), or, when journal retention pruned that creation, the oldest
        revision kept (a snapshot, see `prune_journal`); 0 when it was never created."""
        ...

    async def epoch(self) -> str:
        """The store's identity on the event bus: a random id made with the database, renewed when it is
        restored from a backup (see `renew_epoch`)."""
        ...

    async def renew_epoch(self, expected: str) -> str:
        """Replace the epoch with a new random one if it still is `expected`; the epoch afterwards (the new
        one, or the one another worker renewed it to first)."""
        ...

    async def claim_announcements(self, now: datetime, lease: timedelta, *,
                                  limit: int) -> list[ClaimedAnnouncement]:
        """Lease up to `limit` subject deletion announcements due at `now` (the earliest first) until `now + lease`:
        no other worker claims them meanwhile. Settle each with `settle_announcement`."""
        ...

    async def settle_announcement(self, claimed: ClaimedAnnouncement, *, retry_at: datetime | None) -> None:
        """The claimed announcement was delivered (`retry_at` None: never again, unless a write schedules it anew)
        or is to be sent again at `retry_at`. Nothing happens when the claim is stale (its lease ran out and another
        worker claimed it, or a policy write changed it)."""
        ...

    async def aclose(self) -> None: ...
