from __future__ import annotations

import copy
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twinhub.model.errors import FieldSelectorInvalid
from twinhub.model.fields import MAX_NESTING, FieldSelector, parse_fields, parse_fields_parameter, select
from twinhub.model.types import JsonObject, JsonValue, Pointer

# --- parsing ------------------------------------------------------------------------------


def test_single_key_parses_to_one_pointer() -> None:
    assert parse_fields("thingId").pointers == (("thingId",),)


def test_leading_slash_is_optional() -> None:
    assert parse_fields("/attributes/model") == parse_fields("attributes/model")
    assert parse_fields("/attributes/model").pointers == (("attributes", "model"),)


def test_single_trailing_slash_is_tolerated_like_in_pointers() -> None:
    assert parse_fields("attributes/").pointers == (("attributes",),)


def test_parentheses_apply_each_sub_field_below_the_key() -> None:
    assert parse_fields("attributes(model,location)").pointers == (
        ("attributes", "model"),
        ("attributes", "location"),
    )


def test_parentheses_may_follow_a_multi_key_path() -> None:
    assert parse_fields("attributes/address/postal(city,street)").pointers == (
        ("attributes", "address", "postal", "city"),
        ("attributes", "address", "postal", "street"),
    )


def test_parentheses_nest() -> None:
    assert parse_fields("attributes(address(city,geo/lat),model)").pointers == (
        ("attributes", "address", "city"),
        ("attributes", "address", "geo", "lat"),
        ("attributes", "model"),
    )


def test_sub_fields_may_be_multi_key_paths_with_optional_leading_slash() -> None:
    assert parse_fields("features(/lamp/properties/on,door/definition)").pointers == (
        ("features", "lamp", "properties", "on"),
        ("features", "door", "definition"),
    )


def test_commas_inside_parentheses_do_not_split_the_top_level() -> None:
    assert parse_fields("thingId,attributes(model,location),features").pointers == (
        ("thingId",),
        ("attributes", "model"),
        ("attributes", "location"),
        ("features",),
    )


def test_whitespace_around_entries_and_parentheses_is_trimmed() -> None:
    assert parse_fields(" thingId , attributes ( model , location ) ,policyId ").pointers == (
        ("thingId",),
        ("attributes", "model"),
        ("attributes", "location"),
        ("policyId",),
    )


def test_whitespace_inside_a_key_is_kept_and_around_it_dropped() -> None:
    assert parse_fields("attributes/ serial number /x").pointers == (("attributes", "serial number", "x"),)


def test_tilde_zero_decodes_to_a_tilde_and_renders_back_escaped() -> None:
    selector = parse_fields("attributes(a~0b,c~d)")
    assert selector.pointers == (("attributes", "a~b"), ("attributes", "c~d"))
    assert str(selector) == "/attributes/a~0b,/attributes/c~0d"
    assert parse_fields(str(selector)) == selector


def test_wildcard_parses_as_an_ordinary_key() -> None:
    assert parse_fields("features/*/properties/on").pointers == (("features", "*", "properties", "on"),)


def test_special_fields_are_ordinary_keys() -> None:
    selector = parse_fields("_revision,_namespace,_created,_modified,_metadata/attributes,_policy,_context")
    assert selector.top_level_keys() == {
        "_revision",
        "_namespace",
        "_created",
        "_modified",
        "_metadata",
        "_policy",
        "_context",
    }


def test_top_level_keys_are_the_first_key_of_every_pointer() -> None:
    assert parse_fields("thingId,attributes(a,b),features/*/properties").top_level_keys() == {
        "thingId",
        "attributes",
        "features",
    }


def test_duplicate_pointers_are_kept_once_in_order_of_first_appearance() -> None:
    assert parse_fields("b,a,b,attributes(x),attributes/x").pointers == (
        ("b",),
        ("a",),
        ("attributes", "x"),
    )


def test_str_renders_the_expanded_normalised_pointer_list() -> None:
    selector = parse_fields(" attributes( model ,location),thingId, /features/*/properties ")
    assert str(selector) == "/attributes/model,/attributes/location,/thingId,/features/*/properties"
    assert parse_fields(str(selector)) == selector


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("   ", id="blank"),
        pytest.param("a,,b", id="empty-entry"),
        pytest.param(",a", id="leading-comma"),
        pytest.param("a,", id="trailing-comma"),
        pytest.param("a, ,b", id="blank-entry"),
        pytest.param("()", id="empty-parentheses"),
        pytest.param("a()", id="no-sub-field"),
        pytest.param("a( )", id="blank-sub-field"),
        pytest.param("a(b,,c)", id="empty-sub-entry"),
        pytest.param("a(b,)", id="trailing-comma-in-group"),
        pytest.param("(a,b)", id="group-without-key"),
        pytest.param("x,(a)", id="later-group-without-key"),
        pytest.param("a(b)c", id="text-after-group"),
        pytest.param("a(b) c", id="text-after-group-after-space"),
        pytest.param("a(b)(c)", id="two-groups"),
        pytest.param("a(b", id="unclosed"),
        pytest.param("a(b(c)", id="unclosed-nested"),
        pytest.param("a)", id="unopened"),
        pytest.param("a(b))", id="one-close-too-many"),
        pytest.param("a)b", id="unopened-mid"),
        pytest.param("a//b", id="consecutive-slashes"),
        pytest.param("a/ /b", id="blank-key"),
        pytest.param("/ /", id="only-blank-key"),
        pytest.param("//a", id="leading-double-slash"),
        pytest.param("a(b//c)", id="consecutive-slashes-in-group"),
        pytest.param("/", id="root"),
        pytest.param("a,/", id="root-entry"),
    ],
)
def test_invalid_selector_raises_field_selector_invalid(text: str) -> None:
    with pytest.raises(FieldSelectorInvalid) as info:
        parse_fields(text)
    assert info.value.code == "things:field.selection.invalid"
    assert info.value.status == 400
    assert f"<{text}>" in info.value.message


def test_parentheses_may_nest_up_to_the_limit_but_not_deeper() -> None:
    deepest = "a(" * MAX_NESTING + "b" + ")" * MAX_NESTING
    assert parse_fields(deepest).pointers == (("a",) * MAX_NESTING + ("b",),)
    assert parse_fields(f"{deepest},{deepest}").pointers == (("a",) * MAX_NESTING + ("b",),)
    with pytest.raises(FieldSelectorInvalid):
        parse_fields("a(" + deepest + ")")
    with pytest.raises(FieldSelectorInvalid):
        parse_fields("a(" * 5000)


@pytest.mark.parametrize("pointers", [((),), (("a", ""),)])
def test_field_selector_refuses_empty_pointers_on_construction(pointers: tuple[Pointer, ...]) -> None:
    with pytest.raises(ValueError):
        FieldSelector(pointers)


def test_an_empty_fields_parameter_selects_nothing() -> None:
    """Ditto answers `fields=` with `{}` (an empty JsonFieldSelector); only the HTTP parameter may be empty."""
    assert parse_fields_parameter("").pointers == ()
    assert select({"thingId": "a:b", "attributes": {"x": 1}}, parse_fields_parameter("")) == {}
    assert parse_fields_parameter("thingId").pointers == (("thingId",),)
    with pytest.raises(FieldSelectorInvalid):
        parse_fields_parameter(" ")
    with pytest.raises(FieldSelectorInvalid):
        parse_fields("")


# --- select -------------------------------------------------------------------------------

THING: JsonObject = {
    "thingId": "org.eclipse.ditto:fancy-car",
    "policyId": "org.eclipse.ditto:fancy-car",
    "attributes": {
        "manufacturer": "ACME",
        "model": "Fancy Car",
        "complex": {"serialNo": 4711, "x": 1},
        "location": {"latitude": 44.673856, "longitude": 8.261719},
    },
    "features": {
        "lamp": {"definition": ["org:lamp:1"], "properties": {"on": True, "color": "red"}},
        "door": {"properties": {"on": False, "open": True}},
        "gps": {"properties": {"lat": 1.0}},
        "plain": 5,
    },
}


def test_selecting_a_nested_leaf_keeps_the_structure_around_it() -> None:
    doc: JsonObject = {"attributes": {"complex": {"serialNo": 4711, "x": 1}}}
    assert select(doc, parse_fields("attributes/complex/serialNo")) == {
        "attributes": {"complex": {"serialNo": 4711}}
    }


def test_parenthesised_sub_fields_select_each_sub_field() -> None:
    assert select(THING, parse_fields("thingId,attributes(model,location)")) == {
        "thingId": "org.eclipse.ditto:fancy-car",
        "attributes": {"model": "Fancy Car", "location": {"latitude": 44.673856, "longitude": 8.261719}},
    }


def test_wildcard_feature_selects_property_of_every_feature() -> None:
    assert select(THING, parse_fields("features/*/properties/on")) == {
        "features": {"lamp": {"properties": {"on": True}}, "door": {"properties": {"on": False}}}
    }


def test_wildcard_is_allowed_at_any_level() -> None:
    assert select(THING, parse_fields("*/complex/serialNo")) == {
        "attributes": {"complex": {"serialNo": 4711}}
    }
    assert select(THING, parse_fields("features/lamp/*/on")) == {
        "features": {"lamp": {"properties": {"on": True}}}
    }


def test_wildcard_and_literal_selections_at_one_level_merge() -> None:
    assert select(THING, parse_fields("features/*/properties/on,features/lamp/definition")) == {
        "features": {
            "lamp": {"definition": ["org:lamp:1"], "properties": {"on": True}},
            "door": {"properties": {"on": False}},
        }
    }


def test_missing_fields_are_omitted_without_empty_parents() -> None:
    assert select(THING, parse_fields("thingId,attributes/nope/deeper,features/nope,_revision")) == {
        "thingId": "org.eclipse.ditto:fancy-car"
    }


def test_nothing_selected_gives_an_empty_object() -> None:
    assert select(THING, parse_fields("nope")) == {}


def test_pointer_through_a_non_object_selects_nothing() -> None:
    assert select(THING, parse_fields("attributes/model/length,features/plain/x")) == {}


def test_selecting_an_object_keeps_it_whole() -> None:
    assert select(THING, parse_fields("attributes/location")) == {
        "attributes": {"location": {"latitude": 44.673856, "longitude": 8.261719}}
    }


def test_selecting_an_existing_empty_object_keeps_it() -> None:
    assert select({"attributes": {}, "features": {}}, parse_fields("attributes")) == {"attributes": {}}


def test_a_whole_selection_absorbs_deeper_ones_in_either_order() -> None:
    expected = {"attributes": THING["attributes"]}
    assert select(THING, parse_fields("attributes/model,attributes")) == expected
    assert select(THING, parse_fields("attributes,attributes/model")) == expected


def test_several_pointers_merge_deeply() -> None:
    assert select(
        THING, parse_fields("attributes/complex/x,attributes/location/latitude,attributes/complex/serialNo")
    ) == {"attributes": {"complex": {"serialNo": 4711, "x": 1}, "location": {"latitude": 44.673856}}}


def test_result_keys_follow_document_order_not_selector_order() -> None:
    result = select(THING, parse_fields("features,attributes(location,model),thingId"))
    assert list(result) == ["thingId", "attributes", "features"]
    assert list(result["attributes"]) == ["model", "location"]  # type: ignore[arg-type]


def test_special_fields_are_selected_like_other_keys() -> None:
    doc: JsonObject = {
        "thingId": "a:b",
        "_revision": 3,
        "_metadata": {"attributes": {"x": 1}, "features": {}},
    }
    assert select(doc, parse_fields("_revision,_metadata/attributes")) == {
        "_revision": 3,
        "_metadata": {"attributes": {"x": 1}},
    }


def test_select_does_not_mutate_the_document() -> None:
    before = copy.deepcopy(THING)
    select(THING, parse_fields("attributes(complex/serialNo,model),features/*/properties/on"))
    assert before == THING


# --- properties ---------------------------------------------------------------------------

KEYS = st.sampled_from(["a", "b", "c", "_revision", "*"])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text(alphabet="xyz", max_size=3))
JSON: st.SearchStrategy[JsonValue] = st.recursive(
    SCALARS,
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(KEYS, children, max_size=4)),
    max_leaves=20,
)
DOCS: st.SearchStrategy[JsonObject] = st.dictionaries(KEYS, JSON, max_size=4)
POINTERS = st.lists(KEYS, min_size=1, max_size=4).map(tuple)
SELECTORS = st.lists(POINTERS, min_size=1, max_size=5, unique=True).map(lambda ps: FieldSelector(tuple(ps)))


def _leaves(value: JsonValue, prefix: Pointer = ()) -> list[tuple[Pointer, JsonValue]]:
    if isinstance(value, dict) and value:
        return [leaf for key, sub in value.items() for leaf in _leaves(sub, (*prefix, key))]
    return [(prefix, value)]


def _at(doc: JsonValue, pointer: Pointer) -> JsonValue:
    for key in pointer:
        assert isinstance(doc, dict) and key in doc, pointer
        doc = doc[key]
    return doc


@given(DOCS, SELECTORS)
def test_select_result_is_a_sub_document_of_the_input(doc: JsonObject, selector: FieldSelector) -> None:
    result = select(doc, selector)
    for pointer, value in _leaves(result):
        if pointer:
            assert _at(doc, pointer) == value


@given(DOCS, SELECTORS)
def test_select_is_idempotent_and_never_mutates(doc: JsonObject, selector: FieldSelector) -> None:
    before = copy.deepcopy(doc)
    once = select(doc, selector)
    assert doc == before
    assert select(once, selector) == once


@given(DOCS, POINTERS)
def test_an_existing_wildcard_free_pointer_is_always_selected(doc: JsonObject, pointer: Pointer) -> None:
    pointer = tuple(key for key in pointer if key != "*") or ("a",)
    value: JsonValue = doc
    for key in pointer:
        if not isinstance(value, dict) or key not in value:
            return
        value = value[key]
    assert _at(select(doc, FieldSelector((pointer,))), pointer) == value


@dataclass(frozen=True)
class _Entry:
    """One entry of a generated selector: a path, optionally followed by a parenthesised group."""

    path: Pointer
    group: tuple[_Entry, ...] = ()

    def render(self) -> str:
        text = "/".join(self.path)
        return f"{text}({','.join(e.render() for e in self.group)})" if self.group else text

    def expand(self, prefix: Pointer = ()) -> list[Pointer]:
        here = (*prefix, *self.path)
        return [p for e in self.group for p in e.expand(here)] if self.group else [here]


NAMES = st.sampled_from(["a", "b", "_revision", "*", "x y", "~"])
ENTRIES: st.SearchStrategy[_Entry] = st.recursive(
    st.lists(NAMES, min_size=1, max_size=3).map(lambda ks: _Entry(tuple(ks))),
    lambda children: st.builds(
        _Entry,
        st.lists(NAMES, min_size=1, max_size=2).map(tuple),
        st.lists(children, min_size=1, max_size=3).map(tuple),
    ),
    max_leaves=8,
)


@given(st.lists(ENTRIES, min_size=1, max_size=4))
def test_parentheses_expand_to_prefixed_pointers(entries: list[_Entry]) -> None:
    text = ",".join(e.render() for e in entries)
    expected = tuple(dict.fromkeys(p for e in entries for p in e.expand()))
    selector = parse_fields(text)
    assert selector.pointers == expected
    assert parse_fields(str(selector)) == selector


@given(st.text(alphabet="ab/(), *_~0", max_size=12))
def test_any_text_parses_or_raises_field_selector_invalid(text: str) -> None:
    try:
        selector = parse_fields(text)
    except FieldSelectorInvalid:
        return
    assert parse_fields(str(selector)) == selector
