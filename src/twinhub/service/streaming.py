"""The event hub: one per worker, it follows the bus and hands each committed thing event to every
watcher (WebSocket or SSE session) whose filter passes, cut down to what the watcher may READ.

Per event the hub loads the thing and its enforcer once, and computes the READ view, the extra fields
and the filtered JSON once per distinct subjects, whatever the number of watchers (Ditto 3.9's partial
events: a watcher sees exactly the readable part of the change, and nothing when nothing is readable).

* An event visits only the watches it may concern (`twinhub.service.subscriptions`: filed by the thing
  ids or namespaces they name or their filter pins). `namespaces`, `thing_ids` and `path` narrow
  cheaply; `filter` is RQL evaluated in memory (Ditto's event filter semantics, `twinhub.rql.memory`)
  on the thing JSON formed by the readable changed part (`{"thingId": ..., <value at its path>}`,
  `_revision`, `_modified`), merged with the readable extra fields; `topic:*`, `resource:*`, `entity:*`
  and `thing:*` placeholders name the event's own values (see `twinhub.service.event_views`).
* A whole-thing deletion leaves a tombstone without policy: it goes to whoever could READ the thing
  just before, under the policy of the previous revision (replayed from the journal: deletions are rare,
  and this is exact even for a thing this worker never saw).
* Back-pressure: each watch has a bounded buffer; a watcher that falls behind is cut off (`overflowed`)
  and never slows the hub, other watchers or the write path. If the hub itself falls behind the bus,
  every watch is cut off.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Collection
from datetime import UTC, datetime
from typing import Final

from twinhub.bus.base import EventBus
from twinhub.bus.cutoff import Budget, CutOffQueue
from twinhub.model.commands import exists, policy_id_after
from twinhub.model.errors import ThingNotAccessible, TwinhubError
from twinhub.model.events import PolicyEvent, Thing, ThingEvent
from twinhub.model.fields import parse_fields
from twinhub.model.policy import READ
from twinhub.model.types import Pointer
from twinhub.rql import Node, parse_filter, validate_filter_fields
from twinhub.service.enforcement import ensure_readable
from twinhub.service.event_documents import changed_thing, event_placeholders, merge_extra
from twinhub.service.event_views import (
    EVENT_PLACEHOLDERS,
    Delivery,
    EventFilter,
    EventView,
    Interest,
)
from twinhub.service.historical import HistoryAccess
from twinhub.service.policies import PolicyService
from twinhub.service.receipts import Receipts
from twinhub.service.subscriptions import Subscriptions, reach
from twinhub.service.things import ThingService

__all__ = [
    "DEFAULT_WATCH_CAPACITY",
    "EVENT_PLACEHOLDERS",
    "Delivery",
    "EventFilter",
    "EventHub",
    "Watch",
    "changed_thing",
    "event_filter",
    "event_placeholders",
    "merge_extra",
    "parse_event_filter",
    "parse_namespaces",
]

log = logging.getLogger(__name__)

DEFAULT_WATCH_CAPACITY: Final = 1024
DEFAULT_SUBSCRIPTION_CAPACITY: Final = 100_000
# Watchers served per event before the hub lets other tasks run (it shares the event loop with requests).
DISPATCH_SLICE: Final = 200
# Historical streams read the journal in windows of this many revisions (bounded memory).
HISTORY_WINDOW: Final = 500

def parse_event_filter(text: str) -> Node:
    """An event filter parsed and checked (thing fields and `EVENT_PLACEHOLDERS`); raises `RqlInvalid`."""
    node = parse_filter(text)
    validate_filter_fields(node, placeholders=EVENT_PLACEHOLDERS)
    return node


def parse_namespaces(text: str | None) -> frozenset[str] | None:
    """A `namespaces` parameter (comma-separated); None, no restriction, when it names none."""
    names = frozenset(name.strip() for name in (text or "").split(",") if name.strip())
    return names or None


def event_filter(*, namespaces: str | None = None, filter: str | None = None, extra_fields: str | None = None,
                 thing_ids: Collection[str] | None = None, path: Pointer = ()) -> EventFilter:
    """What a subscriber asks for, from the texts of its parameters as every edge takes them (a
    START-SEND-EVENTS, a server-sent events request): `namespaces` comma-separated, `filter` RQL,
    `extraFields` a field selector; an empty one restricts nothing. Raises Ditto's 400s for invalid ones."""
    return EventFilter(namespaces=parse_namespaces(namespaces),
                       thing_ids=None if thing_ids is None else frozenset(thing_ids), path=path,
                       filter=parse_event_filter(filter) if filter else None, filter_text=filter or None,
                       extra_fields=parse_fields(extra_fields) if extra_fields else None)


_END: Final = None


class Watch(CutOffQueue[Delivery]):
    """A watcher's bounded stream of deliveries; iteration ends when it is closed or cut off (`overflowed`).

    Iteration may be cancelled mid-wait (a keep-alive timeout) and resumed. `on_skipped` is told of the
    events that request acknowledgements but that this watcher did not get (filtered out, or unreadable):
    a WebSocket session that declared those labels answers them with weak acknowledgements.

    A watch with a `sink` hands each delivery to it at once instead of queueing it (iteration then only
    waits for the end): a WebSocket session puts the frame straight into its own bounded outbox, saving a
    queue and a task switch per delivery, which at 1,000 sessions is most of an event's fan-out.
    """

    def __init__(self, hub: EventHub, subjects: tuple[str, ...], event_filter: EventFilter, capacity: int, *,
                 max_bytes: int | None = None, budget: Budget | None = None,
                 on_skipped: Callable[[ThingEvent], None] | None = None, receipts: Receipts | None = None,
                 sink: Callable[[Delivery], None] | None = None) -> None:
        super().__init__(capacity, max_bytes=max_bytes, budget=budget, on_close=lambda: hub._forget(self))
        self.sink = sink
        self.counts_bytes = max_bytes is not None or budget is not None
        self.receipts = receipts
        self.subjects = subjects
        self.event_filter = event_filter
        self.interest = Interest(subjects, event_filter)
        self.on_skipped = on_skipped

    def offer(self, item: Delivery, size: int = 0) -> None:
        if self.sink is None:
            super().offer(item, size)
        elif not self.closed:
            try:
                self.sink(item)
            except Exception:  # a bug in one watcher's rendering must not stop the hub for all the others
                log.exception("could not hand an event of %s to its watcher; cutting it off", item.event.thing_id)
                self.cut_off()

    def cut_off(self) -> None:
        self.overflowed = True
        self.close()

    def close(self, *, drop_pending: bool = True) -> None:
        """Stop watching; pending deliveries are dropped and iteration ends. Idempotent."""
        super().close(drop_pending=drop_pending)


class EventHub:
    """Fans committed thing events out to watches; `run()` follows the bus (a task of the app's lifespan)."""

    def __init__(self, bus: EventBus, things: ThingService, *, policies: PolicyService | None = None,
                 subscription_capacity: int = DEFAULT_SUBSCRIPTION_CAPACITY,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._bus = bus
        self._things = things
        self._policies = policies
        self._subscription_capacity = subscription_capacity
        self._clock = clock
        self._watches: Subscriptions[Watch] = Subscriptions()
        # Watches told of the events requesting acknowledgements that they did not get (few: sessions that
        # declared acknowledgement labels), whatever their reach.
        self._acknowledging: dict[Watch, None] = {}  # (a dict: ordered, unlike a set)

    @property
    def watch_count(self) -> int:
        """How many watches are open (for tests and metrics)."""
        return len(self._watches)

    def watch(self, subjects: tuple[str, ...], event_filter: EventFilter, *,
              capacity: int = DEFAULT_WATCH_CAPACITY, max_bytes: int | None = None, budget: Budget | None = None,
              on_skipped: Callable[[ThingEvent], None] | None = None, receipts: Receipts | None = None,
              sink: Callable[[Delivery], None] | None = None) -> Watch:
        """Start watching: events committed from now on that pass `event_filter`, as `subjects` may READ them.

        The watch is cut off when it falls `capacity` deliveries or `max_bytes` (their JSON size) behind, or
        when `budget`, shared with other buffers, runs out and it holds the most (`on_skipped`: see `Watch`).
        The events it gets are noted in `receipts`, so that its party may acknowledge them; with a `sink`, they
        are handed to it as they come instead of being queued."""
        watch = Watch(self, subjects, event_filter, capacity, max_bytes=max_bytes, budget=budget,
                      on_skipped=on_skipped, receipts=receipts, sink=sink)
        self._watches.add(watch, reach(thing_ids=event_filter.thing_ids, namespaces=event_filter.namespaces,
                                       filter=event_filter.filter))
        if on_skipped is not None:
            self._acknowledging[watch] = None
        return watch

    async def authorize(self, subjects: tuple[str, ...], thing_id: str, path: Pointer = ()) -> None:
        """Raise Ditto's 404s unless `subjects` may READ something of the thing at `path`: a stream of one
        thing, or of a part of it, is refused before it starts (a stream of many shows what it may)."""
        ensure_readable(await self._things.enforcer(thing_id), subjects, thing_id, path)

    def _forget(self, watch: Watch) -> None:
        self._watches.remove(watch)
        self._acknowledging.pop(watch, None)

    async def run(self) -> None:
        """Follow the bus until cancelled or closed; then every watch ends."""
        try:
            while True:
                subscription = self._bus.subscribe(capacity=self._subscription_capacity)
                try:
                    async for event in subscription:
                        if isinstance(event, ThingEvent):
                            await self._dispatch(event)
                        elif isinstance(event, PolicyEvent) and self._policies is not None:
                            # In order with the thing events that follow (coherence runs beside, unordered).
                            self._policies.forget_older(event.policy_id, event.revision)
                finally:
                    subscription.close()
                if not subscription.overflowed:
                    return
                log.warning("the event hub fell behind the event bus; cutting off every watcher")
                self._end_all(overflowed=True)
        finally:
            self._end_all(overflowed=False)

    def _end_all(self, *, overflowed: bool) -> None:
        for watch in self._watches:
            if overflowed:
                watch.cut_off()
            else:
                watch.close()

    async def _dispatch(self, event: ThingEvent) -> None:
        candidates = [watch for watch in self._watches.candidates(event.thing_id)
                      if _narrows_to(watch.event_filter, event)]
        delivered = await self._deliver(event, candidates) if candidates else set()
        if "requested-acks" in event.headers:
            # Issuers of requested acknowledgements that did not get this event must say so (weak acks):
            # those watching any thing, or this one.
            for watch in list(self._acknowledging):
                thing_ids = watch.event_filter.thing_ids
                if (thing_ids is None or event.thing_id in thing_ids) and watch not in delivered and not watch.closed:
                    assert watch.on_skipped is not None  # only such watches are filed here
                    watch.on_skipped(event)

    async def _deliver(self, event: ThingEvent, candidates: list[Watch]) -> set[Watch]:
        """Offer the event to each candidate as it may see it; the watches that got it."""
        try:
            view = await self._view(event)
        except TwinhubError as error:  # the store failed: these watchers miss this event, so cut them off
            log.warning("could not load thing %s for its event (%s); cutting off its watchers",
                        event.thing_id, error.message)
            for watch in candidates:
                watch.cut_off()
            return set()
        delivered: set[Watch] = set()
        if view is None:
            return delivered
        for index, watch in enumerate(candidates, 1):
            if not watch.closed:
                delivery = view.deliver(watch.interest)
                if delivery is not None:
                    if watch.receipts is not None:
                        watch.receipts.event(event)
                    watch.offer(delivery, delivery.size if watch.counts_bytes else 0)
                    delivered.add(watch)
            if index % DISPATCH_SLICE == 0:
                await asyncio.sleep(0)  # thousands of watchers: let requests run in between
        return delivered

    async def _view(self, event: ThingEvent) -> EventView | None:
        """The thing and enforcer an event is seen through; None when no policy applies (nobody may read)."""
        if event.action == "deleted" and not event.path:
            before = await self._things.historical(event.thing_id, revision=event.revision - 1)
            thing = None
            policy_source = before if exists(before) else None
        else:
            thing = await self._things.current(event.thing_id, min_revision=event.revision)
            if not exists(thing):  # deleted since: the event is seen as the thing was then
                thing = await self._things.historical(event.thing_id, revision=event.revision)
                thing = thing if exists(thing) else None
            policy_source = thing
        if policy_source is None:
            return None
        enforcer = await self._things.enforcer(policy_source)
        if enforcer is None:
            return None
        return EventView(event, thing, enforcer, self._clock())

    # -- history -----------------------------------------------------------------------------------

    async def history(self, thing_id: str, subjects: tuple[str, ...], event_filter: EventFilter, *,
                      from_revision: int | None = None, to_revision: int | None = None,
                      from_timestamp: datetime | None = None, to_timestamp: datetime | None = None,
                      ) -> AsyncIterator[Delivery]:
        """The journal's events of a thing in a range, from its current life only, each READ-filtered with
        the policy it was under and the current one (`twinhub.service.historical`), and filtered as live
        events are; raises ThingNotAccessible (404) before the first one when the caller may not read the
        thing now.

        Revisions: `from_revision` 0 is the first, negative counts back from the current revision;
        `to_revision` None or 0 is the current one, negative counts back. Timestamps (normalised ISO-8601
        as the journal stores them) are inclusive. Extra fields come from the current thing.
        """
        thing = await self._things.current(thing_id)
        enforcer = await self._things.enforcer(thing) if exists(thing) and thing is not None else None
        if thing is None or enforcer is None or not enforcer.has_partial(subjects, "thing", (), [READ]):
            raise ThingNotAccessible(thing_id)
        low, high = await self._range(thing, from_revision, to_revision, from_timestamp, to_timestamp)
        life = await self._things.life_start(thing_id)
        policy_id = None  # the thing's policy id before `low`: none before its life starts
        before = None
        if life < low <= high:
            before = await self._things.historical(thing_id, revision=low - 1)
        elif life > 0 and low <= life <= high:
            # The first revision known: after journal retention a snapshot, not a creation, and what came before
            # it is gone. Its own state serves, as its event leaves the policy id it already shows as it is.
            before = await self._things.historical(thing_id, revision=life)
        if before is not None and exists(before):
            policy_id = before.doc.get("policyId")
        access = self._things.history_access(thing, enforcer)
        return self._replay(thing, access, subjects, event_filter, max(low, life), high,
                            policy_id if isinstance(policy_id, str) else None)

    async def _range(self, thing: Thing, from_revision: int | None, to_revision: int | None,
                     from_timestamp: datetime | None, to_timestamp: datetime | None) -> tuple[int, int]:
        current = thing.revision
        low, high = 1, current
        if from_revision is not None:
            low = current + from_revision if from_revision < 0 else max(from_revision, 1)
        if to_revision is not None and to_revision != 0:
            high = min(current + to_revision if to_revision < 0 else to_revision, current)
        if from_timestamp is not None:
            before = await self._things.journal(thing.thing_id, to_timestamp=from_timestamp)
            at = [entry.event.revision for entry in before if entry.event.timestamp == from_timestamp]
            low = max(low, at[0] if at else (before[-1].event.revision + 1 if before else 1))
        if to_timestamp is not None:
            until = await self._things.journal(thing.thing_id, to_timestamp=to_timestamp)
            high = min(high, until[-1].event.revision if until else 0)
        return max(low, 1), high

    async def _replay(self, thing: Thing, access: HistoryAccess, subjects: tuple[str, ...],
                      event_filter: EventFilter, low: int, high: int, policy_id: str | None,
                      ) -> AsyncIterator[Delivery]:
        interest = Interest(subjects, event_filter)
        async for event in self._journal_events(thing.thing_id, low, high):
            policy_id = policy_id_after(policy_id, event)  # followed through every event, shown or not
            if not _touches(event.path, event_filter.path):
                continue
            enforcer = await access.enforcer_at(policy_id, event.timestamp)
            if enforcer is not None:
                delivery = EventView(event, thing, enforcer, self._clock()).deliver(interest)
                if delivery is not None:
                    yield delivery

    async def _journal_events(self, thing_id: str, low: int, high: int) -> AsyncIterator[ThingEvent]:
        """Events low..high in order. The journal answers "from the last snapshot up to a bound", so each
        window is read backwards, snapshot to snapshot, until it reaches its first revision."""
        cursor = low
        while cursor <= high:
            bound = min(high, cursor + HISTORY_WINDOW - 1)
            chunks: list[list[ThingEvent]] = []
            top = bound
            while top >= cursor:
                entries = await self._things.journal(thing_id, to_revision=top)
                if not entries:
                    break
                chunks.append([entry.event for entry in entries if cursor <= entry.event.revision <= top])
                top = entries[0].event.revision - 1
            for chunk in reversed(chunks):
                for event in chunk:
                    yield event
            cursor = bound + 1


def _narrows_to(event_filter: EventFilter, event: ThingEvent) -> bool:
    """The cheap checks: namespace, thing id, the watched points, path."""
    if event_filter.namespaces is not None and event.thing_id.split(":", 1)[0] not in event_filter.namespaces:
        return False
    if event_filter.thing_ids is not None and event.thing_id not in event_filter.thing_ids:
        return False
    if event_filter.points is not None and not any(point.path in event_filter.points for point in event.points):
        return False
    return _touches(event.path, event_filter.path)


def _touches(event_path: Pointer, watched: Pointer) -> bool:
    """Whether a change at `event_path` is at, above or below `watched`."""
    shorter = min(len(event_path), len(watched))
    return event_path[:shorter] == watched[:shorter]

