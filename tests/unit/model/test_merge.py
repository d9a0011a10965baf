from __future__ import annotations

import copy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twinhub.model.errors import ThingInvalid
from twinhub.model.merge import (
    MAX_REGEX_KEYS,
    MAX_REGEX_LENGTH,
    json_equal,
    merge_patch,
    minimize_patch,
    patch_leaves,
    regex_key_pattern,
)
from twinhub.model.types import JsonObject, JsonValue, Pointer

# --- merge_patch: RFC 7396 ----------------------------------------------------------------

# RFC 7396 Appendix A, one row per example: original, patch, result.
RFC7396_APPENDIX_A: list[tuple[JsonValue, JsonValue, JsonValue]] = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, None, None),
    ({"a": "foo"}, "bar", "bar"),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]


@pytest.mark.parametrize(("target", "patch", "expected"), RFC7396_APPENDIX_A)
def test_rfc7396_appendix_a_examples(target: JsonValue, patch: JsonValue, expected: JsonValue) -> None:
    assert json_equal(merge_patch(target, patch), expected)


def test_rfc7396_section_3_example() -> None:
    target: JsonValue = {
        "title": "Goodbye!",
        "author": {"givenName": "John", "familyName": "Doe"},
        "tags": ["example", "sample"],
        "content": "This will be unchanged",
    }
    patch: JsonValue = {
        "title": "Hello!",
        "phoneNumber": "+01-123-456-7890",
        "author": {"familyName": None},
        "tags": ["example"],
    }
    assert merge_patch(target, patch) == {
        "title": "Hello!",
        "author": {"givenName": "John"},
        "tags": ["example"],
        "content": "This will be unchanged",
        "phoneNumber": "+01-123-456-7890",
    }


def test_object_patch_on_a_missing_target_builds_an_object_without_nulls() -> None:
    assert merge_patch(None, {"a": {"b": None, "c": 1}}) == {"a": {"c": 1}}


def test_arrays_in_a_patch_are_taken_verbatim_including_nulls_and_regex_keys() -> None:
    patch: JsonValue = {"a": [None, {"b": None, "{{ ~x~ }}": None}]}
    assert merge_patch({"a": [1]}, patch) == {"a": [None, {"b": None, "{{ ~x~ }}": None}]}


def test_existing_keys_keep_their_position_and_new_keys_are_appended() -> None:
    result = merge_patch({"a": 1, "b": 2, "c": 3}, {"d": 4, "a": 0})
    assert isinstance(result, dict)
    assert list(result) == ["a", "b", "c", "d"]


def test_merge_patch_does_not_mutate_its_inputs() -> None:
    target: JsonValue = {"attributes": {"a": 1, "b": {"c": 2}, "r1": 1}, "features": {}}
    patch: JsonValue = {"attributes": {"{{ ~r.*~ }}": None, "a": None, "b": {"d": 3}}, "features": {"f": {}}}
    before_target, before_patch = copy.deepcopy(target), copy.deepcopy(patch)
    result = merge_patch(target, patch)
    assert result == {"attributes": {"b": {"c": 2, "d": 3}}, "features": {"f": {}}}
    assert target == before_target
    assert patch == before_patch


# --- merge_patch: Ditto's regex deletes ---------------------------------------------------


def test_regex_key_deletes_every_matching_key_at_its_level() -> None:
    # The Ditto documentation's use case: drop aggregated values of a date range in one patch.
    properties: JsonValue = {
        "2022-01-01": 1,
        "2022-02-13": 2,
        "2022-03-31": 3,
        "2022-04-01": 4,
        "total": {"2022-01-01": 10},
    }
    patch: JsonValue = {"{{ ~2022-0[1-3]-[0-3][0-9]~ }}": None, "2022-05-01": 5}
    assert merge_patch(properties, patch) == {"2022-04-01": 4, "total": {"2022-01-01": 10}, "2022-05-01": 5}


@pytest.mark.parametrize(
    "key", ["{{ ~foo.*~ }}", "{{~foo.*~}}", "{{  ~foo.*~}}", "{{~foo.*~ }}", "{{\t~foo.*~\n}}"]
)
def test_whitespace_inside_the_regex_braces_is_optional(key: str) -> None:
    assert merge_patch({"foo": 1, "foobar": 2, "bar": 3}, {key: None}) == {"bar": 3}


def test_regex_must_match_the_whole_key_as_javas_matches_in_ditto() -> None:
    doc: JsonValue = {"foo": 1, "afoo": 2, "foobar": 3, "bar": 4}
    assert merge_patch(doc, {"{{ ~foo~ }}": None}) == {"afoo": 2, "foobar": 3, "bar": 4}
    assert merge_patch(doc, {"{{ ~.*foo.*~ }}": None}) == {"bar": 4}
    assert merge_patch(doc, {"{{ ~^foo$~ }}": None}) == {"afoo": 2, "foobar": 3, "bar": 4}


def test_regex_deletes_apply_before_the_other_keys_whatever_their_order() -> None:
    doc: JsonValue = {"a1": {"old": 1}, "a2": 2, "b": 3}
    patch: JsonValue = {"a1": {"new": 1}, "{{ ~a.*~ }}": None}
    assert merge_patch(doc, patch) == {"b": 3, "a1": {"new": 1}}


def test_several_regex_keys_in_one_object_all_apply() -> None:
    assert merge_patch({"a": 1, "b": 2, "c": 3}, {"{{~a~}}": None, "{{~b~}}": None}) == {"c": 3}


def test_regex_keys_apply_at_nested_levels_only_there() -> None:
    doc: JsonValue = {"x": 1, "attributes": {"x": 2, "y": 3}}
    assert merge_patch(doc, {"attributes": {"{{ ~x~ }}": None}}) == {"x": 1, "attributes": {"y": 3}}


def test_regex_keys_never_end_up_in_the_result() -> None:
    assert merge_patch({}, {"attributes": {"{{ ~x~ }}": None}}) == {"attributes": {}}
    assert merge_patch(7, {"{{ ~x~ }}": None}) == {}


def test_tilde_inside_the_regex_belongs_to_the_regex() -> None:
    assert merge_patch({"a~b": 1, "ab": 2}, {"{{ ~a~b~ }}": None}) == {"ab": 2}


def test_empty_regex_deletes_only_an_empty_key_and_dot_star_every_key() -> None:
    assert merge_patch({"a": 1, "b": 2}, {"{{~~}}": None, "c": 3}) == {"a": 1, "b": 2, "c": 3}
    assert merge_patch({"a": 1, "b": 2}, {"{{~.*~}}": None, "c": 3}) == {"c": 3}


@pytest.mark.parametrize("key", ["{{ foo }}", "{ ~foo~ }", "{{~foo}}", "{{ ~foo~ }}x", "x{{ ~foo~ }}"])
def test_keys_that_only_look_like_regex_keys_are_ordinary(key: str) -> None:
    assert regex_key_pattern(key) is None
    assert merge_patch({"foo": 1}, {key: 2}) == {"foo": 1, key: 2}


@pytest.mark.parametrize("value", [1, 0, False, "x", "", [], {}, {"a": None}])
def test_regex_key_with_a_non_null_value_raises_thing_invalid(value: JsonValue) -> None:
    with pytest.raises(ThingInvalid) as info:
        merge_patch({"foo": 1}, {"{{ ~foo~ }}": value})
    assert info.value.code == "json.format.invalid"
    assert info.value.status == 400
    assert "{{ ~foo~ }}" in info.value.message


def test_nested_regex_key_with_a_non_null_value_raises_even_where_the_target_is_missing() -> None:
    with pytest.raises(ThingInvalid):
        merge_patch({}, {"attributes": {"deep": {"{{ ~x~ }}": 1}}})


@pytest.mark.parametrize("key", ["{{ ~[~ }}", "{{ ~(a~ }}", "{{~*~}}", "{{ ~a{2,1}~ }}"])
def test_invalid_regex_raises_thing_invalid(key: str) -> None:
    with pytest.raises(ThingInvalid) as info:
        merge_patch({"a": 1}, {key: None})
    assert info.value.status == 400
    assert "regular expression" in info.value.message


# Java's regex has backreferences, look-around, possessive quantifiers and atomic groups; a linear-time engine
# cannot run them, so they are refused like a regex that does not compile (never a 500).
@pytest.mark.parametrize("regex", [r"(a)\1", "(?=a)a", "a(?!b)", "(?<=a)b", "(?<!a)b", "a*+", "(?>a)"])
def test_regex_syntax_a_linear_time_engine_lacks_raises_thing_invalid(regex: str) -> None:
    with pytest.raises(ThingInvalid) as info:
        merge_patch({"a": 1}, {f"{{{{ ~{regex}~ }}}}": None})
    assert info.value.status == 400
    assert "regular expression" in info.value.message


def test_catastrophic_backtracking_patterns_run_in_linear_time() -> None:
    # With a backtracking engine `(a+)+$` against 20,000 a's and a '!' would not finish in this universe.
    doc: JsonValue = {"a" * 20_000 + "!": 1, "a" * 20_000: 2, "b": 3}
    assert merge_patch(doc, {"{{ ~(a+)+~ }}": None}) == {"a" * 20_000 + "!": 1, "b": 3}
    assert minimize_patch(doc, {"{{ ~(a|aa)+~ }}": None}) == {"{{ ~(a|aa)+~ }}": None}


def test_regex_longer_than_the_limit_raises_thing_invalid() -> None:
    assert merge_patch({"a": 1}, {"{{ ~" + "a?" * (MAX_REGEX_LENGTH // 2) + "~ }}": None}) == {}
    with pytest.raises(ThingInvalid) as info:
        merge_patch({"a": 1}, {"{{ ~" + "a" * (MAX_REGEX_LENGTH + 1) + "~ }}": None})
    assert str(MAX_REGEX_LENGTH) in info.value.message


def test_more_regex_deletes_than_the_limit_in_one_patch_raise_thing_invalid() -> None:
    regexes = [f"{{{{ ~k{n}~ }}}}" for n in range(MAX_REGEX_KEYS + 1)]
    assert merge_patch({"k1": 1, "x": 2}, {"a": dict.fromkeys(regexes[:-1]), "k1": None}) == {"x": 2, "a": {}}
    half = MAX_REGEX_KEYS // 2
    nested: JsonValue = {"a": dict.fromkeys(regexes[:half]), **dict.fromkeys(regexes[half:])}
    for patch in ({"a": dict.fromkeys(regexes)}, nested):
        with pytest.raises(ThingInvalid) as info:
            merge_patch({"k1": 1}, patch)
        assert str(MAX_REGEX_KEYS) in info.value.message
        with pytest.raises(ThingInvalid):
            minimize_patch({"k1": 1}, patch)


# --- json_equal ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("left", "right", "equal"),
    [
        (1, 1, True),
        (True, 1, False),
        (False, 0, False),
        (1, 1.0, False),
        (None, None, True),
        ([1, [True]], [1, [True]], True),
        ([1, [True]], [1, [1]], False),
        ([1, 2], [2, 1], False),
        ({"a": 1, "b": 2}, {"b": 2, "a": 1}, True),
        ({"a": 1}, {"a": 1, "b": None}, False),
        ({"a": {"b": True}}, {"a": {"b": 1}}, False),
        ({}, [], False),
        ("1", 1, False),
    ],
)
def test_json_equal_tells_json_types_apart(left: JsonValue, right: JsonValue, equal: bool) -> None:
    assert json_equal(left, right) is equal
    assert json_equal(right, left) is equal


# --- minimize_patch -----------------------------------------------------------------------


def test_minimize_drops_members_equal_to_the_current_values() -> None:
    assert minimize_patch({"a": 1, "b": 2}, {"a": 1, "b": 3}) == {"b": 3}


def test_minimize_returns_none_when_every_member_is_unchanged() -> None:
    assert (
        minimize_patch({"a": 1, "b": [1, 2], "c": {"d": "x"}}, {"a": 1, "b": [1, 2], "c": {"d": "x"}}) is None
    )


def test_minimize_drops_null_deletes_of_absent_keys() -> None:
    assert minimize_patch({"a": 1}, {"b": None}) is None
    assert minimize_patch({"a": 1}, {"a": None, "b": None}) == {"a": None}


def test_minimize_keeps_null_delete_of_a_key_holding_null() -> None:
    assert minimize_patch({"a": None}, {"a": None}) == {"a": None}


def test_minimize_recurses_into_nested_objects() -> None:
    current: JsonValue = {"attributes": {"x": 1, "y": {"z": 2, "w": 3}}, "features": {}}
    patch: JsonValue = {"attributes": {"x": 1, "y": {"z": 4, "w": 3}}, "features": {}}
    assert minimize_patch(current, patch) == {"attributes": {"y": {"z": 4}}}


def test_minimize_of_empty_object_patch_on_an_object_is_none() -> None:
    assert minimize_patch({"a": 1}, {}) is None


def test_minimize_keeps_an_object_patch_that_turns_a_non_object_into_an_object() -> None:
    assert minimize_patch({"a": 5}, {"a": {"b": None}}) == {"a": {}}
    assert minimize_patch({}, {"a": {"b": None, "c": 1}}) == {"a": {"c": 1}}
    assert minimize_patch(5, {"{{ ~x~ }}": None}) == {}


def test_minimize_treats_booleans_and_floats_as_different_from_integers() -> None:
    assert minimize_patch({"a": 1, "b": 1}, {"a": True, "b": 1.0}) == {"a": True, "b": 1.0}


def test_minimize_keeps_a_changed_array_wholesale() -> None:
    assert minimize_patch({"a": [1, 2, 3]}, {"a": [1, 2, 4]}) == {"a": [1, 2, 4]}


def test_minimize_of_a_non_object_patch_is_the_patch_or_none() -> None:
    assert minimize_patch({"a": 1}, "x") == "x"
    assert minimize_patch("x", "x") is None
    assert minimize_patch([1], [1]) is None


def test_minimize_refuses_a_bare_null_patch() -> None:
    with pytest.raises(ValueError):
        minimize_patch({"a": 1}, None)


def test_minimize_keeps_regex_deletes_that_match_and_drops_the_others() -> None:
    current: JsonValue = {"foo1": 1, "foo2": 2, "bar": 3}
    assert minimize_patch(current, {"{{ ~foo.~ }}": None, "{{ ~baz.~ }}": None}) == {"{{ ~foo.~ }}": None}
    assert minimize_patch(current, {"{{ ~baz.~ }}": None}) is None


def test_minimize_compares_other_members_with_the_state_after_regex_deletes() -> None:
    current: JsonValue = {"foo1": 1, "foo2": 2, "bar": 3}
    patch: JsonValue = {"{{ ~foo.~ }}": None, "foo1": 1, "bar": 3}
    assert minimize_patch(current, patch) == {"{{ ~foo.~ }}": None, "foo1": 1}


def test_minimize_is_none_when_regex_deletes_are_put_back_unchanged() -> None:
    current: JsonValue = {"x": {"foo1": 1, "bar": 3}}
    assert minimize_patch(current, {"x": {"{{ ~foo.~ }}": None, "foo1": 1}}) is None


@pytest.mark.parametrize(
    "patch",
    [{"{{ ~[~ }}": None}, {"{{ ~x~ }}": 1}, {"a": {"{{ ~x~ }}": "y"}}, {"new": {"{{ ~(~ }}": None}}],
)
def test_minimize_validates_regex_keys_like_merge_patch(patch: JsonValue) -> None:
    with pytest.raises(ThingInvalid):
        minimize_patch({}, patch)


# --- patch_leaves -------------------------------------------------------------------------


def test_patch_leaves_lists_every_written_or_deleted_leaf_in_patch_order() -> None:
    patch: JsonValue = {"attributes": {"a": 1, "b": {"c": None, "d": [1]}}, "features": {}, "policyId": "x:y"}
    assert patch_leaves(patch) == [
        ("attributes", "a"),
        ("attributes", "b", "c"),
        ("attributes", "b", "d"),
        ("features",),
        ("policyId",),
    ]


@pytest.mark.parametrize("patch", [None, 1, "x", [1, {"a": 2}], {}])
def test_non_object_or_empty_patch_is_one_leaf_at_the_root(patch: JsonValue) -> None:
    assert patch_leaves(patch) == [()]


def test_regex_keys_count_once_as_a_leaf_at_their_parent_path() -> None:
    patch: JsonValue = {"attributes": {"x": 1, "{{ ~a~ }}": None, "{{ ~b~ }}": None}, "{{~c~}}": None}
    assert patch_leaves(patch) == [("attributes", "x"), ("attributes",), ()]


# --- properties ---------------------------------------------------------------------------

KEYS = st.sampled_from(["a", "b", "ab", "ba"])
REGEX_KEYS = st.sampled_from(["{{ ~a.*~ }}", "{{~.*b~}}", "{{ ~ab~}}", "{{~.*~}}"])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-2, 2), st.sampled_from([1.0, 0.5]), st.just("s"))


def _json(keys: st.SearchStrategy[str]) -> st.SearchStrategy[JsonValue]:
    return st.recursive(
        SCALARS,
        lambda children: st.one_of(
            st.lists(children, max_size=2), st.dictionaries(keys, children, max_size=4)
        ),
        max_leaves=12,
    )


def _with_regex_deletes(obj: JsonObject, regexes: list[str]) -> JsonObject:
    return {**dict.fromkeys(regexes), **obj}


PATCH_OBJECTS: st.SearchStrategy[JsonValue] = st.recursive(
    st.dictionaries(KEYS, SCALARS, max_size=3),
    lambda children: st.builds(
        _with_regex_deletes,
        st.dictionaries(KEYS, st.one_of(SCALARS, children), max_size=4),
        st.lists(REGEX_KEYS, max_size=2, unique=True),
    ),
    max_leaves=12,
)
CURRENTS = _json(KEYS)
PATCHES: st.SearchStrategy[JsonValue] = st.one_of(PATCH_OBJECTS, _json(KEYS).filter(lambda v: v is not None))


@given(CURRENTS, PATCHES)
def test_merge_patch_never_mutates_its_inputs(current: JsonValue, patch: JsonValue) -> None:
    before_current, before_patch = copy.deepcopy(current), copy.deepcopy(patch)
    merge_patch(current, patch)
    assert json_equal(current, before_current)
    assert json_equal(patch, before_patch)


@given(CURRENTS, PATCHES)
def test_minimized_patch_has_the_same_effect_and_is_none_exactly_when_nothing_changes(
    current: JsonValue, patch: JsonValue
) -> None:
    before_current, before_patch = copy.deepcopy(current), copy.deepcopy(patch)
    full = merge_patch(current, patch)
    minimized = minimize_patch(current, patch)
    assert json_equal(current, before_current)
    assert json_equal(patch, before_patch)
    if minimized is None:
        assert json_equal(full, current)
    else:
        assert not json_equal(full, current)
        assert json_equal(merge_patch(current, minimized), full)
        assert json_equal(minimize_patch(current, minimized), minimized)


def _changed_paths(before: JsonValue, after: JsonValue, prefix: Pointer = ()) -> list[Pointer]:
    if isinstance(before, dict) and isinstance(after, dict):
        return [
            path
            for key in dict.fromkeys([*before, *after])
            for path in (
                _changed_paths(before[key], after[key], (*prefix, key))
                if key in before and key in after
                else [(*prefix, key)]
            )
        ]
    return [] if json_equal(before, after) else [prefix]


def _related(left: Pointer, right: Pointer) -> bool:
    shorter = min(len(left), len(right))
    return left[:shorter] == right[:shorter]


@given(CURRENTS, PATCHES)
def test_every_change_a_patch_makes_lies_on_the_path_of_one_of_its_leaves(
    current: JsonValue, patch: JsonValue
) -> None:
    leaves = patch_leaves(patch)
    for path in _changed_paths(current, merge_patch(current, patch)):
        assert any(_related(path, leaf) for leaf in leaves), (path, leaves)
