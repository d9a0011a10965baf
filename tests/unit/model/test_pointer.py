from __future__ import annotations

import copy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twinhub.model.errors import JsonKeyInvalid, JsonPointerInvalid
from twinhub.model.pointer import delete_at, format_pointer, get_at, parse_pointer, set_at, validate_key
from twinhub.model.types import MISSING, JsonObject, JsonValue, Pointer

# --- parse ----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "/"])
def test_empty_and_single_slash_parse_to_the_root(text: str) -> None:
    assert parse_pointer(text) == ()


def test_leading_slash_is_optional() -> None:
    assert parse_pointer("/a/b") == ("a", "b")
    assert parse_pointer("a/b") == ("a", "b")


@pytest.mark.parametrize("text", ["a/", "/a/"])
def test_one_trailing_slash_is_ignored(text: str) -> None:
    assert parse_pointer(text) == ("a",)


def test_keys_keep_spaces_and_punctuation() -> None:
    assert parse_pointer("/a b/c%2Fd/e:f/€") == ("a b", "c%2Fd", "e:f", "€")


@pytest.mark.parametrize("text", ["//", "a//b", "/a//b", "//a", "a//", "/a/b//", "///", "a///b"])
def test_consecutive_slashes_are_json_pointer_invalid(text: str) -> None:
    with pytest.raises(JsonPointerInvalid) as caught:
        parse_pointer(text)
    assert caught.value.code == "json.pointer.invalid"
    assert caught.value.status == 400


@pytest.mark.parametrize("text", ["/a\tb", "/ok/x\x00", "/ä", "/a/\x7f", "/a/\xff/b", "\x1f"])
def test_keys_with_control_or_0x7f_to_0xff_chars_are_json_key_invalid(text: str) -> None:
    with pytest.raises(JsonKeyInvalid) as caught:
        parse_pointer(text)
    assert caught.value.code == "things:json.key.invalid"
    assert caught.value.status == 400


def test_tilde_zero_decodes_to_a_tilde_as_in_ditto() -> None:
    # Ditto's ImmutableJsonPointer.ofParsed replaces "~0" by "~" in every key (and toString escapes it back).
    assert parse_pointer("/a~0b") == ("a~b",)


def test_format_pointer_is_slash_joined_with_a_leading_slash() -> None:
    assert format_pointer(()) == "/"
    assert format_pointer(("a", "b c")) == "/a/b c"


def test_format_pointer_escapes_a_tilde_as_in_ditto() -> None:
    assert format_pointer(("a~b", "~0")) == "/a~0b/~00"


@given(
    st.lists(
        st.text(st.characters(min_codepoint=0x20, exclude_characters="/\x7f"), min_size=1, max_size=5).filter(
            lambda key: not any(0x7F <= ord(c) <= 0xFF for c in key)
        ),
        max_size=5,
    ).map(tuple)
)
def test_format_then_parse_round_trips(pointer: Pointer) -> None:
    assert parse_pointer(format_pointer(pointer)) == pointer


# --- validate_key ---------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["a", "a b", "%", "€", "*", "_x", "x.y", "x:y", "\u0100"])
def test_valid_keys_are_returned_unchanged(key: str) -> None:
    assert validate_key(key) == key


@pytest.mark.parametrize("key", ["", "a/b", "\n", "a\x1fb", "\x7f", "ü", "\xa0", "\xff"])
def test_empty_slashed_control_and_latin1_keys_are_invalid(key: str) -> None:
    with pytest.raises(JsonKeyInvalid):
        validate_key(key)


# --- get_at / set_at / delete_at ------------------------------------------------------------

DOC: JsonObject = {"a": {"b": {"c": 1}, "list": [1, 2]}, "n": None, "s": "x"}


def test_get_at_root_is_the_doc() -> None:
    assert get_at(DOC, ()) is DOC


def test_get_at_follows_keys() -> None:
    assert get_at(DOC, ("a", "b", "c")) == 1
    assert get_at(DOC, ("a", "list")) == [1, 2]


def test_get_at_tells_null_from_missing() -> None:
    assert get_at(DOC, ("n",)) is None
    assert get_at(DOC, ("missing",)) is MISSING


@pytest.mark.parametrize("pointer", [("a", "x"), ("s", "x"), ("a", "list", "0"), ("n", "x"), ("a", "b", "c", "d")])
def test_get_at_does_not_index_into_scalars_or_arrays(pointer: Pointer) -> None:
    assert get_at(DOC, pointer) is MISSING


def test_set_at_creates_intermediate_objects() -> None:
    assert set_at({}, ("a", "b", "c"), 1) == {"a": {"b": {"c": 1}}}
    assert set_at({"a": {"x": 0}}, ("a", "b", "c"), 1) == {"a": {"x": 0, "b": {"c": 1}}}


@pytest.mark.parametrize("parent", [5, "s", [1, 2], None, True])
def test_set_at_replaces_non_object_parents_with_objects(parent: JsonValue) -> None:
    assert set_at({"a": parent, "k": 0}, ("a", "b"), 1) == {"a": {"b": 1}, "k": 0}


def test_set_at_replaces_the_leaf() -> None:
    assert set_at({"a": {"b": 1}}, ("a",), [1]) == {"a": [1]}


def test_set_at_stores_null_as_a_value() -> None:
    assert set_at({}, ("a",), None) == {"a": None}


def test_set_at_root_replaces_the_doc_with_an_object() -> None:
    assert set_at({"a": 1}, (), {"b": 2}) == {"b": 2}


def test_set_at_root_refuses_a_non_object() -> None:
    with pytest.raises(ValueError):
        set_at({"a": 1}, (), 5)


def test_delete_at_removes_the_leaf_only() -> None:
    assert delete_at(DOC, ("a", "b", "c")) == {"a": {"b": {}, "list": [1, 2]}, "n": None, "s": "x"}


def test_delete_at_removes_a_null_member() -> None:
    assert delete_at(DOC, ("n",)) == {"a": {"b": {"c": 1}, "list": [1, 2]}, "s": "x"}


@pytest.mark.parametrize("pointer", [("missing",), ("a", "missing"), ("s", "x"), ("a", "list", "0")])
def test_delete_at_a_missing_path_leaves_the_doc_equal(pointer: Pointer) -> None:
    assert delete_at(DOC, pointer) == DOC


def test_delete_at_root_gives_an_empty_object() -> None:
    assert delete_at(DOC, ()) == {}


# --- never mutating: properties over random documents ---------------------------------------

KEYS = st.sampled_from(["a", "b", "c", "d"])
SCALARS = st.none() | st.booleans() | st.integers(-5, 5) | st.floats(allow_nan=False) | st.text(max_size=3)
JSON = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=4), max_leaves=12
)
DOCS = st.dictionaries(KEYS, JSON, max_size=4)
POINTERS = st.lists(KEYS, max_size=4).map(tuple)


@given(DOCS, POINTERS)
def test_get_at_never_mutates_the_doc(doc: JsonObject, pointer: Pointer) -> None:
    before = copy.deepcopy(doc)
    get_at(doc, pointer)
    assert doc == before


@given(DOCS, POINTERS, JSON)
def test_set_at_never_mutates_its_inputs_and_puts_the_value_there(
    doc: JsonObject, pointer: Pointer, value: JsonValue
) -> None:
    if not pointer and not isinstance(value, dict):
        return
    doc_before, value_before = copy.deepcopy(doc), copy.deepcopy(value)
    result = set_at(doc, pointer, value)
    assert doc == doc_before
    assert value == value_before
    assert get_at(result, pointer) == value


@given(DOCS, POINTERS, JSON)
def test_set_at_leaves_siblings_along_the_path_untouched(doc: JsonObject, pointer: Pointer, value: JsonValue) -> None:
    if not pointer:
        return
    result = set_at(doc, pointer, value)
    for depth in range(len(pointer)):
        before, after = get_at(doc, pointer[:depth]), get_at(result, pointer[:depth])
        assert isinstance(after, dict)
        if isinstance(before, dict):
            assert {k: v for k, v in before.items() if k != pointer[depth]} == {
                k: v for k, v in after.items() if k != pointer[depth]
            }


@given(DOCS, POINTERS)
def test_delete_at_never_mutates_the_doc_and_removes_the_target(doc: JsonObject, pointer: Pointer) -> None:
    before = copy.deepcopy(doc)
    result = delete_at(doc, pointer)
    assert doc == before
    if pointer:
        assert get_at(result, pointer) is MISSING
    else:
        assert result == {}


@given(DOCS, POINTERS)
def test_delete_at_changes_nothing_else(doc: JsonObject, pointer: Pointer) -> None:
    if not pointer or get_at(doc, pointer) is MISSING:
        assert pointer == () or delete_at(doc, pointer) == doc
        return
    result = delete_at(doc, pointer)
    assert set_at(result, pointer, get_at(doc, pointer)) == doc  # type: ignore[arg-type]
