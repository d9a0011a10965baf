"""Parsing `merge-thing-patch-conditions` and cutting a patch by them (Ditto `PatchConditionsEvaluator`,
`AbstractDittoHeaders.getThingMergePatchConditions`)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from twinhub.model.errors import HeaderInvalid, ThingConditionInvalid
from twinhub.model.events import Thing
from twinhub.model.types import JsonObject
from twinhub.service.patch_conditions import filter_patch, parse_patch_conditions

NOW = datetime(2025, 1, 1, tzinfo=UTC)
THING = Thing("ns:t", {"thingId": "ns:t", "attributes": {"a": 1, "b": 2}}, 3, NOW, NOW)


def test_pointers_take_an_optional_leading_slash_and_keep_their_order() -> None:
    parsed = parse_patch_conditions('{"/attributes/a": "eq(attributes/a,1)", "b~0c": "exists(thingId)", "": "eq(_r'
                                    'evision,3)"}')
    assert [each.pointer for each in parsed] == [("attributes", "a"), ("b~c",), ()]
    assert parsed[0].condition.text == "eq(attributes/a,1)"


@pytest.mark.parametrize("text", ["", "{", "1", "null", '{"a": null}', '{"a": ["x"]}', '{"a//b": "exists(thingId)"}'])
def test_anything_but_an_object_of_pointers_to_strings_is_header_invalid(text: str) -> None:
    with pytest.raises(HeaderInvalid):
        parse_patch_conditions(text)


def test_a_condition_that_is_no_rql_filter_is_condition_invalid() -> None:
    with pytest.raises(ThingConditionInvalid):
        parse_patch_conditions('{"a": "and(eq(a,1)"}')


def _filter(patch: JsonObject, conditions: str) -> object:
    return filter_patch(patch, parse_patch_conditions(conditions), THING, NOW)


def test_only_present_values_whose_conditions_fail_are_cut_without_touching_the_input() -> None:
    patch: JsonObject = {"attributes": {"a": 5, "b": None, "c": 7}}
    filtered = _filter(patch, '{"attributes/a": "eq(attributes/a,2)", "attributes/b": "eq(attributes/b,3)",'
                              '"attributes/c": "eq(attributes/a,1)", "attributes/d": "eq(attributes/a,2)"}')
    assert filtered == {"attributes": {"c": 7}}
    assert patch == {"attributes": {"a": 5, "b": None, "c": 7}}


def test_a_whole_object_may_be_cut_and_empty_parents_stay() -> None:
    assert _filter({"attributes": {"a": 5}, "x": 1}, '{"attributes": "eq(_revision,1)"}') == {"x": 1}
    assert _filter({"attributes": {"a": 5}}, '{"attributes/a": "eq(_revision,1)"}') == {"attributes": {}}


def test_the_empty_pointer_and_non_object_patches_are_left_alone() -> None:
    assert _filter({"attributes": {"a": 5}}, '{"": "eq(_revision,1)"}') == {"attributes": {"a": 5}}
    assert filter_patch(5, parse_patch_conditions('{"": "eq(_revision,1)"}'), THING, NOW) == 5


def test_a_pointer_through_a_non_object_names_nothing() -> None:
    assert _filter({"attributes": [1, 2]}, '{"attributes/0": "eq(_revision,1)"}') == {"attributes": [1, 2]}
