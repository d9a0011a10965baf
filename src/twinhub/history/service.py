"""The history service: queries of recorded points, authorized as reads of the twin, answered by the store.

No HTTP here (`twinhub.history.routes` translates). Every query is checked against the thing's current policy
as a GET of the same path is: a thing the caller cannot read is Ditto's 404 for the thing; a path it may not
READ (the leaf itself: a grant somewhere below it shows no value) is the 404 of that path; several paths are
refused if one is, never silently dropped. Fleet aggregations take the things the caller's search finds
(readable ones only), keep those whose path the caller may READ, and group them by an attribute as the
caller's READ view shows it. Point feeds (`PointFeeds`) are the stored and live points of one thing's paths that
a stream renders.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from twinhub.history.aggregate import Aggregation
from twinhub.history.bodies import SeriesBuckets, buckets_of
from twinhub.history.cursor import PageCursor, Position, decode_cursor, encode_cursor, fingerprint
from twinhub.history.fleet import MAX_FLEET_THINGS, FleetSeries, Group, group_order
from twinhub.history.fleet_query import FleetQuery
from twinhub.history.grafana import GrafanaQuery
from twinhub.history.points import Point, changed_points
from twinhub.history.query import MAX_LIMIT, HistoryQuery
from twinhub.history.series import Scalar, format_time, from_micros, micros
from twinhub.history.timespec import MAX_BUCKETS, TimeRange, bucket_count
from twinhub.model.commands import exists
from twinhub.model.errors import HistoryFleetTooLarge
from twinhub.model.pointer import get_at, parse_pointer
from twinhub.model.resources import classify, not_found
from twinhub.model.types import JsonObject, Pointer
from twinhub.rql import MAX_PAGE_SIZE, Comparison, SizeOption, render, render_options
from twinhub.service.buffers import Budget
from twinhub.service.enforcement import ensure_readable
from twinhub.service.event_views import Delivery, EventFilter, may_read_leaf
from twinhub.service.search import SearchQuery, SearchService
from twinhub.service.search_pages import PagedQuery, search_pages
from twinhub.service.streaming import EventHub, Watch
from twinhub.service.things import ThingService
from twinhub.store.base import Store
from twinhub.store.points import PointCursor

__all__ = ["MAX_METRICS", "HistoryService", "PointFeed", "PointFeeds", "RawSeries", "cursor_key_of"]

MAX_METRICS = 1_000  # series offered to Grafana's metric picker
_METRIC_THINGS = MAX_PAGE_SIZE  # things searched for them: one page


@dataclass(frozen=True, slots=True)
class RawSeries:
    """A page of raw points of one thing's paths, in page order (deletion markers included), and the cursor of
    the next page (None: the last)."""

    points: tuple[Point, ...]
    cursor: str | None


def cursor_key_of(configured: str, epoch: str) -> bytes:
    """The key cursors are tagged with: the configured one, else one derived from the store's epoch, so that
    every worker of one store agrees (and cursors of a store restored from a backup stop working)."""
    # hashed, so that all of a long configured key counts (the tag takes 64 bytes of key)
    if configured:
        return hashlib.blake2b(configured.encode(), person=b"twinhub-key", digest_size=32).digest()
    return hashlib.blake2b(epoch.encode(), person=b"twinhub-cursor", digest_size=32).digest()


class HistoryService:
    def __init__(self, store: Store, things: ThingService, search: SearchService, *, cursor_key: bytes,
                 max_fleet_things: int = MAX_FLEET_THINGS,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._store = store
        self._max_fleet_things = max_fleet_things
        self._things = things
        self._search = search
        self._cursor_key = cursor_key
        self.clock = clock

    # -- one thing ---------------------------------------------------------------------------------

    async def raw(self, thing_id: str, query: HistoryQuery, subjects: tuple[str, ...]) -> RawSeries:
        """A page of the points of `query.paths`; raises Ditto's 404s, HistoryCursorInvalid."""
        await self.authorize(thing_id, query.paths, subjects)
        stored = [path[1:] for path in query.paths]
        query_digest = fingerprint(thing_id, stored)
        time_range, after = query.range, None
        if query.cursor is not None:
            cursor = decode_cursor(query.cursor, query_digest, self._cursor_key)
            time_range = cursor.range
            after = PointCursor(micros(cursor.after.time), cursor.after.revision, cursor.after.path)
        page = await self._store.points(thing_id, stored, start=time_range.start, end=time_range.end,
                                        limit=query.limit, after=after)
        if page.next is None:
            return RawSeries(page.points, None)
        position = Position(from_micros(page.next.micros), page.next.revision, page.next.path)
        return RawSeries(page.points, encode_cursor(PageCursor(position, time_range, query_digest), self._cursor_key))

    async def aggregated(self, thing_id: str, query: HistoryQuery, subjects: tuple[str, ...]) -> list[SeriesBuckets]:
        """The buckets of each of `query.paths` (all of them within `MAX_BUCKETS`); raises Ditto's 404s and the
        History*Invalid errors."""
        assert query.step is not None and query.agg is not None
        bucket_count(query.range, query.step, limit=MAX_BUCKETS // len(query.paths))
        await self.authorize(thing_id, query.paths, subjects)
        return [await self._buckets(thing_id, path, query.range, query.step, query.agg) for path in query.paths]

    async def _buckets(self, thing_id: str, path: str, time_range: TimeRange, step: timedelta,
                       agg: Aggregation) -> SeriesBuckets:
        partials = await self._store.buckets(thing_id, path[1:], start=time_range.start, end=time_range.end,
                                             step=step)
        return buckets_of(path, partials, agg)

    async def stored_points(self, thing_id: str, paths: Sequence[str], time_range: TimeRange, *,
                            up_to_revision: int) -> AsyncIterator[Point]:
        """The stored points of `paths` (as the API spells them) in `time_range`, oldest first, of the thing's
        revisions up to `up_to_revision`, read page by page (for a stream that replays them; the caller has
        authorized the paths)."""
        stored = [path[1:] for path in paths]
        after: PointCursor | None = None
        while True:
            page = await self._store.points(thing_id, stored, start=time_range.start, end=time_range.end,
                                            limit=MAX_LIMIT, after=after)
            for point in page.points:
                if point.revision <= up_to_revision:
                    yield point
            if page.next is None:
                return
            after = page.next

    async def stored_revision(self, thing_id: str) -> int:
        """The thing's revision the store holds now (0: none). Asked after a watch began, every commit after it
        reaches the watch and every one up to it is in the store (read there, not from a cache another worker's
        commit may not have reached)."""
        thing = await self._things.current(thing_id, min_revision=_NEWEST)
        return thing.revision if thing is not None else 0

    async def authorize(self, thing_id: str, paths: Sequence[str], subjects: tuple[str, ...]) -> None:
        """Raise what a GET of each path would raise for the subjects' READ (a path Ditto has no route for,
        a thing they cannot see, a path they may not read): 404s, never 403."""
        pointers = [parse_pointer(path) for path in paths]
        for pointer in pointers:
            classify(pointer)
        thing = await self._things.current(thing_id)
        enforcer = await self._things.enforcer(thing) if thing is not None and exists(thing) else None
        enforcer = ensure_readable(enforcer, subjects, thing_id, ())
        for pointer in pointers:
            if not may_read_leaf(enforcer, subjects, pointer):
                raise not_found(thing_id, pointer)

    # -- fleets ------------------------------------------------------------------------------------

    async def fleet(self, query: FleetQuery, subjects: tuple[str, ...]) -> list[FleetSeries]:
        """One series per group of the readable things the query finds; raises the search's 400s,
        HistoryFleetTooLarge, and the History*Invalid errors."""
        pointer = parse_pointer(query.path)
        classify(pointer)
        groups: dict[tuple[int, str, str], tuple[Group, list[str]]] = {}
        matched = 0
        paged = PagedQuery(() if query.filter is None else (query.filter,), (SizeOption(MAX_PAGE_SIZE),),
                           query.namespaces)
        async for page in search_pages(self._search, paged, subjects):
            matched += len(page.things)
            if matched > self._max_fleet_things:
                raise HistoryFleetTooLarge(self._max_fleet_things)
            for thing, view in page.things:  # only ids and groups are kept, never the things of every page
                enforcer = await self._things.enforcer(thing)
                if enforcer is None or not may_read_leaf(enforcer, subjects, pointer):
                    continue
                group = _group_of(view, query.group_by)
                groups.setdefault(group_order(group), (group, []))[1].append(thing.thing_id)
        ordered = [groups[key] for key in sorted(groups)]
        query.check_groups(len(ordered))
        if not ordered:
            return []
        found = await self._store.fleet_buckets([ids for _, ids in ordered], query.path[1:], start=query.range.start,
                                                end=query.range.end, step=query.step)
        series = []
        for (group, _), partials in zip(ordered, found, strict=True):
            if partials.things:
                buckets = buckets_of(query.path, partials.partials, query.agg).buckets
                series.append(FleetSeries(group, partials.things, [[format_time(t), v] for t, v in buckets]))
        return series

    # -- Grafana -----------------------------------------------------------------------------------

    async def metrics(self, subjects: tuple[str, ...], containing: str = "") -> list[str]:
        """Targets (`<thingId>/<path>`) Grafana may offer: the scalar leaves the subjects may READ of the
        first page of things they may read (whose ids contain the thing part of `containing`, if it names one),
        those history records (a leaf the rules exclude never has data), those containing `containing`, at most
        `MAX_METRICS`."""
        # text that names a thing (ids hold a colon) narrows the search to the ids containing it
        typed_thing = containing.split("/", 1)[0] if ":" in containing.split("/", 1)[0] else ""
        filters = [render(Comparison("ilike", "thingId", f"*{typed_thing}*"))] if typed_thing else []
        options = [render_options((SizeOption(_METRIC_THINGS),))]
        page = await self._search.search(SearchQuery(filters, options), subjects)
        now, rules = self.clock(), self._things.history_rules
        targets: list[str] = []
        for thing, view in page.things:
            for point in rules.select(changed_points(thing.thing_id, None, view, time=now, revision=0)):
                target = f"{thing.thing_id}/{point.path}"
                if containing in target:
                    targets.append(target)
                    if len(targets) == MAX_METRICS:
                        return targets
        return targets

    async def grafana_series(self, query: GrafanaQuery,
                             subjects: tuple[str, ...]) -> list[list[tuple[datetime, Scalar]]]:
        """The buckets of each target of a Grafana query, in its order; raises Ditto's 404s as `authorize`."""
        for target in query.targets:
            await self.authorize(target.thing_id, [target.path], subjects)
        return [(await self._buckets(target.thing_id, target.path, query.range, query.step, target.agg)).buckets
                for target in query.targets]


# -- streams -----------------------------------------------------------------------------------------
#
# A point feed is what any transport that streams history renders (`twinhub.history.live`: server-sent events;
# a WebSocket or MQTT front door would render the same feed). It is authorized as GETs of its paths before it
# starts; its live points come from the committed events on the bus through the event hub, READ-checked per
# point under the policy of that moment (`twinhub.service.event_views`), cut off when the watcher falls too far
# behind. Stored then live, none twice and none missed: the watch starts first, the replay stops at the revision
# the store holds at that moment, and live points of revisions up to it are left out.

_NEWEST: Final = 2**63 - 1


@dataclass(frozen=True, slots=True)
class PointFeed:
    """The stored points first (None: none), then, with a `watch`, the live deliveries (their `points`); those
    of revisions up to `replayed_revision` are among the stored ones (`replayed` tells them)."""

    stored: AsyncIterator[Point] | None
    watch: Watch | None
    replayed_revision: int = 0

    def replayed(self, delivery: Delivery) -> bool:
        """Whether the points of a delivery of `watch` were among the stored ones (to be left out)."""
        return delivery.event.revision <= self.replayed_revision


@dataclass(frozen=True, slots=True)
class PointFeeds:
    """Opens point feeds on the worker's event hub; a feed's watch may fall `session_buffer_bytes` (and all
    buffers together `budget`) behind."""

    history: HistoryService
    events: EventHub
    session_buffer_bytes: int
    budget: Budget

    async def open(self, thing_id: str, paths: Sequence[str], subjects: tuple[str, ...], *,
                   stored: TimeRange | None, live: bool, capacity: int) -> PointFeed:
        """The feed of `paths` (normalised JSON pointers) of one thing: the stored points in `stored` (None:
        none), then, if `live`, each new one as it commits (at most `capacity` deliveries behind). Raises
        Ditto's 404s as a GET of each path would (`HistoryService.authorize`); the caller closes its watch."""
        await self.history.authorize(thing_id, paths, subjects)
        if not live:
            if stored is None:
                raise ValueError("a feed that does not go live must replay")
            return PointFeed(self.history.stored_points(thing_id, paths, stored, up_to_revision=_NEWEST), None)
        watched = EventFilter(thing_ids=frozenset({thing_id}), points=frozenset(path[1:] for path in paths))
        watch = self.events.watch(subjects, watched, capacity=capacity, max_bytes=self.session_buffer_bytes,
                                  budget=self.budget)
        if stored is None:
            return PointFeed(None, watch)
        try:
            revision = await self.history.stored_revision(thing_id)  # watching first: see `stored_revision`
        except BaseException:
            watch.close()
            raise
        return PointFeed(self.history.stored_points(thing_id, paths, stored, up_to_revision=revision), watch,
                         revision)


def _group_of(view: JsonObject, group_by: Pointer | None) -> Group:
    """The group of a thing: the scalar at `group_by` in the caller's view of it, None without one."""
    if group_by is None:
        return None
    value = get_at(view, group_by)
    return value if isinstance(value, bool | int | float | str) else None



