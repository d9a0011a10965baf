"""Thing metadata on every backend: kept with the thing (inside its stored document, no column of its own), in the
journal's snapshots, and in the search index under `/_metadata`, where it is found as Ditto's `_metadata/<ptr>`
fields and hidden where its data is not readable."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.contract.helpers import at, unit
from tests.contract.test_search_sql import OPEN, grant, revoke, spec
from twinhub.model.events import Thing, ThingEvent, ThingWrite
from twinhub.model.types import JsonObject
from twinhub.store.base import Store
from twinhub.store.index import PolicyIndex, thing_index_change

pytestmark = pytest.mark.anyio

METADATA: JsonObject = {"attributes": {"t": {"unit": "C"}, "secret": {"unit": "K"}}}


def _with_metadata(thing_id: str, metadata: JsonObject | None, *, after: Thing | None = None,
                   policy: str = OPEN) -> ThingWrite:
    revision = after.revision + 1 if after else 1
    doc: JsonObject = {"thingId": thing_id, "policyId": policy, "attributes": {"t": 20, "secret": 1}}
    thing = Thing(thing_id, doc, revision, at(1), at(revision), metadata=metadata)
    action = "modified" if after else "created"
    return ThingWrite(thing, ThingEvent(thing_id, action, (), doc, revision, at(revision)),
                      after.revision if after else 0)


async def test_metadata_round_trips_with_the_thing_and_its_snapshot(store: Store) -> None:
    write = _with_metadata("org.twinhub:m", METADATA)
    await store.commit(unit(write))
    loaded = await store.load("org.twinhub:m")
    assert loaded is not None and loaded.metadata == METADATA and "_metadata" not in loaded.doc
    [entry] = await store.journal("org.twinhub:m")
    assert entry.snapshot is not None and entry.snapshot.metadata == METADATA
    plain = replace(write.thing, thing_id="org.twinhub:plain", doc={**write.thing.doc, "thingId": "org.twinhub:plain"},
                    metadata=None)
    await store.commit(unit(ThingWrite(plain, replace(write.event, thing_id="org.twinhub:plain"), 0)))
    loaded_plain = await store.load("org.twinhub:plain")
    assert loaded_plain is not None and loaded_plain.metadata is None


async def test_search_finds_metadata_and_follows_its_changes(store: Store) -> None:
    """The index rows of metadata change with it (`thing_index_change`), as those of data do."""
    await store.commit(unit(PolicyIndex(OPEN, (grant("alice"),), ())))
    first = _with_metadata("org.twinhub:a", METADATA)
    await store.commit(unit(first))
    hits = await store.search(spec('eq(_metadata/attributes/t/unit,"C")'))
    assert [thing.thing_id for thing in hits.things] == ["org.twinhub:a"]
    second = _with_metadata("org.twinhub:a", {"attributes": {"t": {"unit": "F"}}}, after=first.thing)
    change = thing_index_change(second, first.thing.doc, first.thing.metadata)
    await store.commit(replace(unit(second), index_changes=(change,)))
    assert (await store.search(spec('eq(_metadata/attributes/t/unit,"C")'))).things == ()
    assert (await store.search(spec("exists(_metadata/attributes/secret)"))).things == ()
    assert len((await store.search(spec('eq(_metadata/attributes/t/unit,"F")'))).things) == 1


async def test_search_hides_the_metadata_of_unreadable_data(store: Store) -> None:
    """Metadata at `/_metadata/P` is searchable where both it and P are readable."""
    policy = "org.twinhub:partial"
    await store.commit(unit(PolicyIndex(policy, (grant("alice"), revoke("alice", "/attributes/secret"),
                                                 grant("bob"), revoke("bob", "/_metadata")), ())))
    await store.commit(unit(_with_metadata("org.twinhub:p", METADATA, policy=policy)))
    assert len((await store.search(spec('eq(_metadata/attributes/t/unit,"C")'))).things) == 1
    assert (await store.search(spec('eq(_metadata/attributes/secret/unit,"K")'))).things == ()
    assert (await store.search(spec("exists(_metadata/attributes/secret)"))).things == ()
    assert (await store.search(spec('eq(_metadata/attributes/t/unit,"C")', subjects=("bob",)))).things == ()
    assert len((await store.search(spec("eq(attributes/t,20)", subjects=("bob",)))).things) == 1


async def test_search_sorts_by_metadata(store: Store) -> None:
    """`sort(+_metadata/<ptr>)` orders by the metadata's index rows, things without it first (as for data)."""
    await store.commit(unit(PolicyIndex(OPEN, (grant("alice"),), ())))
    for name, unit_name in (("x", "K"), ("y", "C"), ("z", None)):
        metadata = None if unit_name is None else {"attributes": {"t": {"unit": unit_name}}}
        await store.commit(unit(_with_metadata(f"org.twinhub:{name}", metadata)))
    hits = await store.search(spec(sort="sort(+_metadata/attributes/t/unit)"))
    assert [thing.thing_id for thing in hits.things] == ["org.twinhub:z", "org.twinhub:y", "org.twinhub:x"]
    descending = await store.search(spec(sort="sort(-_metadata/attributes/t/unit)"))
    assert [thing.thing_id for thing in descending.things] == ["org.twinhub:x", "org.twinhub:y", "org.twinhub:z"]
