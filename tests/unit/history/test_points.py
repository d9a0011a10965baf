from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import assume, example, given
from hypothesis import strategies as st

from twinhub.history import Point, changed_points
from twinhub.model.types import JsonObject, JsonValue

T = datetime(2026, 1, 1, tzinfo=UTC)


def points(before: JsonObject | None, after: JsonObject | None) -> dict[str, object]:
    found = changed_points("ns:t", before, after, time=T, revision=7)
    assert all(point.thing_id == "ns:t" and point.time == T and point.revision == 7 for point in found)
    return {point.path: point.value for point in found}


def test_a_creation_records_every_scalar_leaf_of_attributes_properties_and_desired_properties() -> None:
    doc: JsonObject = {
        "thingId": "ns:t", "policyId": "ns:t", "definition": "a:b:1",
        "attributes": {"name": "x", "location": {"lat": 1.5, "on": True}, "tags": ["a", "b"], "empty": {}},
        "features": {"temp": {"definition": ["d:e:1"], "properties": {"value": 21},
                              "desiredProperties": {"value": 20.5}},
                     "bare": {}},
    }
    assert points(None, doc) == {
        "attributes/name": "x", "attributes/location/lat": 1.5, "attributes/location/on": True,
        "features/temp/properties/value": 21, "features/temp/desiredProperties/value": 20.5,
    }


def test_only_changed_leaves_are_recorded() -> None:
    before: JsonObject = {"attributes": {"a": 1, "b": "same"}, "features": {"f": {"properties": {"x": 1}}}}
    after: JsonObject = {"attributes": {"a": 2, "b": "same"}, "features": {"f": {"properties": {"x": 1}}}}
    assert points(before, after) == {"attributes/a": 2}


def test_a_change_of_json_type_is_a_change() -> None:
    assert points({"attributes": {"a": 1}}, {"attributes": {"a": True}}) == {"attributes/a": True}
    assert points({"attributes": {"a": 1}}, {"attributes": {"a": 1.0}}) == {"attributes/a": 1.0}


def test_removed_or_nulled_leaves_and_a_deleted_thing_record_deletion_markers() -> None:
    before: JsonObject = {"attributes": {"a": 1, "b": 2, "c": {"d": "x"}}}
    assert points(before, {"attributes": {"a": 1, "b": None}}) == {"attributes/b": None, "attributes/c/d": None}
    assert points(before, None) == {"attributes/a": None, "attributes/b": None, "attributes/c/d": None}


def test_keys_are_escaped_as_in_a_json_pointer() -> None:
    assert points(None, {"attributes": {"a/b": {"c~d": 1}}}) == {"attributes/a~1b/c~0d": 1}


def test_arrays_and_other_top_level_fields_are_not_recorded() -> None:
    assert points({"attributes": {"l": [1]}}, {"attributes": {"l": [2]}, "definition": "x:y:2"}) == {}


_scalars = st.one_of(st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=3))
_values: st.SearchStrategy[JsonValue] = st.recursive(
    st.one_of(st.none(), _scalars), lambda children: st.dictionaries(st.sampled_from("abc"), children, max_size=3),
    max_leaves=8)
_docs = st.fixed_dictionaries({"attributes": st.dictionaries(st.sampled_from("xyz"), _values, max_size=3)})


@given(_docs, _docs)
def test_replaying_the_points_of_a_change_onto_the_old_leaves_gives_the_new_leaves(before: JsonObject,
                                                                                  after: JsonObject) -> None:
    leaves = {point.path: point.value for point in changed_points("ns:t", None, before, time=T, revision=1)}
    for point in changed_points("ns:t", before, after, time=T, revision=2):
        leaves[point.path] = point.value
    expected = {point.path: point.value for point in changed_points("ns:t", None, after, time=T, revision=3)}
    assert {path: value for path, value in leaves.items() if value is not None} == expected


def test_a_point_is_a_value() -> None:
    assert Point("ns:t", "attributes/a", T, 1, 1) == Point("ns:t", "attributes/a", T, 1, 1)


_paths = st.one_of(
    st.sampled_from([(), ("attributes",), ("attributes", "x"), ("attributes", "x", "a"), ("features",),
                     ("features", "f"), ("features", "f", "properties"), ("features", "f", "properties", "x"),
                     ("features", "f", "desiredProperties", "a"), ("features", "f", "definition"), ("definition",)]),
    st.lists(st.sampled_from(["attributes", "features", "f", "properties", "x", "a"]), max_size=4).map(tuple))
_things = st.fixed_dictionaries({
    "attributes": st.dictionaries(st.sampled_from("xa"), _values, max_size=2),
    "features": st.dictionaries(st.just("f"), st.fixed_dictionaries(
        {"properties": st.dictionaries(st.sampled_from("xa"), _values, max_size=2)},
        optional={"desiredProperties": st.dictionaries(st.sampled_from("xa"), _values, max_size=2)}), max_size=1)})


def _set(doc: JsonValue, path: tuple[str, ...], value: JsonValue) -> JsonValue:
    if not path:
        return value
    node = dict(doc) if isinstance(doc, dict) else {}
    node[path[0]] = _set(node.get(path[0]), path[1:], value)
    return node


@given(_things, _paths, st.one_of(_values, st.lists(_scalars, max_size=2)))
@example({"attributes": {"x": 1}, "features": {}}, ("attributes", "x", "y"), 2)  # a write below a scalar ends it
def test_the_points_under_the_commands_path_are_all_the_points_of_the_change(
        before: JsonObject, path: tuple[str, ...], value: JsonValue) -> None:
    after = _set(before, path, value)
    assume(isinstance(after, dict))  # a whole thing is an object
    assert isinstance(after, dict)
    whole = changed_points("ns:t", before, after, time=T, revision=2)
    assert changed_points("ns:t", before, after, time=T, revision=2, under=path) == whole
    assert changed_points("ns:t", None, after, time=T, revision=1, under=()) == \
        changed_points("ns:t", None, after, time=T, revision=1)


def test_under_a_path_through_an_array_or_a_missing_key_nothing_is_recorded() -> None:
    before: JsonObject = {"attributes": {"l": [{"x": 1}]}}
    after: JsonObject = {"attributes": {"l": [{"x": 2}]}}
    assert changed_points("ns:t", before, after, time=T, revision=2, under=("attributes", "l", "0", "x")) == ()
    assert changed_points("ns:t", before, {**after, "attributes": {}}, time=T, revision=2,
                          under=("attributes", "m")) == ()
