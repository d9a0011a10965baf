"""What the edges refuse of a merge patch (Ditto `ThingsRoute`, `FeaturesRoute`, `MergeThing.withThing`)."""

from __future__ import annotations

import pytest

from twinhub.model.errors import JsonParseInvalid, ThingMergeInvalid
from twinhub.model.patches import check_http_patch, check_thing_patch
from twinhub.model.resources import Resource
from twinhub.model.types import JsonValue


@pytest.mark.parametrize("patch", [None, {}, {"_policy": {}, "_copyPolicyFrom": "a:b", "other": 1}])
def test_a_thing_patch_naming_no_field_is_merge_invalid(patch: JsonValue) -> None:
    with pytest.raises(ThingMergeInvalid):
        check_thing_patch(patch)


@pytest.mark.parametrize("patch", [{"thingId": None}, {"policyId": "a:b"}, {"definition": None}, {"attributes": {}},
                                   {"features": None}])
def test_a_thing_patch_naming_a_field_passes(patch: JsonValue) -> None:
    check_thing_patch(patch)
    check_http_patch(Resource.THING, patch)


@pytest.mark.parametrize(("resource", "patch"), [
    (Resource.THING, 1), (Resource.THING, []), (Resource.ATTRIBUTES, "x"), (Resource.FEATURES, False),
    (Resource.FEATURE, 2.5), (Resource.FEATURE_PROPERTIES, []), (Resource.FEATURE_DESIRED_PROPERTIES, "x"),
    (Resource.FEATURE_DEFINITION, {"a": 1}), (Resource.FEATURE_DEFINITION, "x"),
])
def test_an_http_patch_of_the_wrong_type_is_json_invalid(resource: Resource, patch: JsonValue) -> None:
    with pytest.raises(JsonParseInvalid):
        check_http_patch(resource, patch)


@pytest.mark.parametrize(("resource", "patch"), [
    (Resource.ATTRIBUTES, None), (Resource.ATTRIBUTES, {}), (Resource.ATTRIBUTE, 5), (Resource.FEATURE, None),
    (Resource.FEATURE_DEFINITION, ["a:b:1"]), (Resource.FEATURE_DEFINITION, None), (Resource.FEATURE_PROPERTY, "x"),
    (Resource.POLICY_ID, "a:b"), (Resource.DEFINITION, "a:b:1"),
])
def test_an_http_patch_of_the_right_type_or_a_leaf_passes(resource: Resource, patch: JsonValue) -> None:
    check_http_patch(resource, patch)


def test_a_long_value_is_cut_in_the_message() -> None:
    with pytest.raises(JsonParseInvalid) as refused:
        check_http_patch(Resource.ATTRIBUTES, "x" * 10_000)
    assert len(refused.value.message) < 200
