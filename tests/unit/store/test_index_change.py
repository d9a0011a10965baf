"""Which search index rows a thing write changes (pure): those of the branch it wrote, and there only what differs."""

from __future__ import annotations

from datetime import UTC, datetime

from twinhub.model.commands import ThingCommand, apply
from twinhub.model.events import Thing, ThingWrite
from twinhub.model.types import JsonObject, JsonValue, Pointer
from twinhub.store.index import NUMBER, OBJECT, IndexRow, IndexScope, thing_index_change

NOW = datetime(2025, 1, 1, tzinfo=UTC)
THING: JsonObject = {"thingId": "ns:t", "policyId": "ns:t", "attributes": {"a": {"b": 1}},
                     "features": {"f": {"properties": {f"p{n}": n for n in range(1000)}}}}


def _write(action: str, path: Pointer, value: JsonValue = None, doc: JsonObject = THING) -> ThingWrite:
    current = Thing("ns:t", doc, 1, NOW, NOW)
    applied = apply(current, ThingCommand(action, "ns:t", path, value), now=NOW)  # type: ignore[arg-type]
    return ThingWrite(applied.thing, applied.event, 1)


def test_a_property_write_replaces_that_property_row_alone() -> None:
    change = thing_index_change(_write("modify", ("features", "f", "properties", "p7"), 70), THING)
    assert change.removed == (IndexScope("/features/f/properties/p7", True),)
    assert change.rows == (IndexRow("/features/f/properties/p7", "/features/*/properties/p7", NUMBER, 70, 0),)


def test_a_merge_writes_the_rows_of_the_merged_paths_and_not_of_what_it_left_alone() -> None:
    patch = {"features": {"f": {"properties": {"p1": None, "p2": 2, "p3": 30}}}, "attributes": {"a": {"b": None}}}
    change = thing_index_change(_write("merge", (), patch), THING)
    properties = "/features/f/properties"
    assert change.removed == (IndexScope("/attributes/a", False), IndexScope("/attributes/a/b", True),
                              IndexScope(f"{properties}/p3", True), IndexScope(f"{properties}/p1", True))
    assert change.rows == (IndexRow("/attributes/a", "/attributes/a", OBJECT, None, 1),
                           IndexRow("/features/f/properties/p3", "/features/*/properties/p3", NUMBER, 30, 0))


def test_a_value_that_changes_its_type_has_all_its_rows_replaced() -> None:
    change = thing_index_change(_write("merge", ("attributes",), {"a": {"b": {"c": 1}}}), THING)
    assert change.removed == (IndexScope("/attributes/a/b", True),)
    assert [row.path for row in change.rows] == ["/attributes/a/b", "/attributes/a/b/c"]


def test_deleting_the_thing_removes_every_root_it_had() -> None:
    change = thing_index_change(_write("delete", ()), THING)
    assert change.removed == (IndexScope("/attributes", True), IndexScope("/features", True)) and change.rows == ()
