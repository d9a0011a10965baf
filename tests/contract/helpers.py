"""Writes for the contract tests, built by hand so the suite depends on the Store protocol alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from twinhub.history import HistoryRules, changed_points
from twinhub.model.events import Policy, PolicyEvent, PolicyWrite, Thing, ThingEvent, ThingWrite
from twinhub.model.pointer import set_at
from twinhub.model.types import JsonObject, JsonValue, Pointer
from twinhub.store.commit import Commit
from twinhub.store.index import PolicyIndex

BASE = datetime(2024, 1, 1, tzinfo=UTC)
EVERY_LEAF = HistoryRules()
POLICY_DOC: JsonObject = {"policyId": "ns:p", "entries": {"DEFAULT": {"subjects": {}, "resources": {}}}}


def at(seconds: float) -> datetime:
    """The moment `seconds` after BASE; by default revision r of a test thing happens at `at(r)`."""
    return BASE + timedelta(seconds=seconds)


def create(thing_id: str, doc: JsonObject | None = None, *, after: Thing | None = None,
           timestamp: datetime | None = None) -> ThingWrite:
    """Create `thing_id` (again, after the tombstone `after`)."""
    revision = after.revision + 1 if after else 1
    when = timestamp or at(revision)
    body: JsonObject = {"thingId": thing_id, "policyId": thing_id, **(doc or {})}
    thing = Thing(thing_id, body, revision, when, when)
    return ThingWrite(thing, ThingEvent(thing_id, "created", (), body, revision, when),
                      after.revision if after else 0)


def modify(thing: Thing, path: Pointer, value: JsonValue, *, timestamp: datetime | None = None) -> ThingWrite:
    revision = thing.revision + 1
    when = timestamp or at(revision)
    doc = set_at(thing.doc, path, value)
    changed = Thing(thing.thing_id, doc, revision, thing.created, when)
    return ThingWrite(changed, ThingEvent(thing.thing_id, "modified", path, value, revision, when),
                      thing.revision)


def delete(thing: Thing, *, timestamp: datetime | None = None) -> ThingWrite:
    revision = thing.revision + 1
    when = timestamp or at(revision)
    tombstone = Thing(thing.thing_id, {}, revision, thing.created, when, deleted=True)
    return ThingWrite(tombstone, ThingEvent(thing.thing_id, "deleted", (), None, revision, when),
                      thing.revision)


def create_policy(policy_id: str, doc: JsonObject = POLICY_DOC, *, after: Policy | None = None) -> PolicyWrite:
    revision = after.revision + 1 if after else 1
    body = {**doc, "policyId": policy_id}
    policy = Policy(policy_id, body, revision, at(revision), at(revision))
    return PolicyWrite(policy, PolicyEvent(policy_id, "created", (), body, revision, at(revision)),
                       after.revision if after else 0)


def history(thing_id: str, revisions: int) -> list[ThingWrite]:
    """A creation and then `revisions - 1` modifications of attribute `counter` (= the revision)."""
    writes = [create(thing_id, {"attributes": {"counter": 1}})]
    while len(writes) < revisions:
        previous = writes[-1].thing
        writes.append(modify(previous, ("attributes", "counter"), previous.revision + 1))
    return writes


def unit(*writes: ThingWrite | PolicyWrite | PolicyIndex) -> Commit:
    """The writes as one commit, each in its place."""
    return Commit(things=tuple(write for write in writes if isinstance(write, ThingWrite)),
                  policies=tuple(write for write in writes if isinstance(write, PolicyWrite)),
                  policy_indexes=tuple(write for write in writes if isinstance(write, PolicyIndex)))


def with_points(write: ThingWrite, before: Thing | None, *, rules: HistoryRules = EVERY_LEAF,
                time: datetime | None = None) -> Commit:
    """The write as one commit with the points of its change, as the thing service builds it."""
    after = None if write.thing.deleted else write.thing.doc
    points = changed_points(write.thing.thing_id, None if before is None or before.deleted else before.doc, after,
                            time=time or write.event.timestamp, revision=write.thing.revision)
    return Commit(things=(write,), points=rules.select(points))
