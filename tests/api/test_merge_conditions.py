"""`merge-thing-patch-conditions` (Ditto 3.8): a merge applies only the parts of its patch whose conditions hold.

Ditto: `things/service/.../utils/PatchConditionsEvaluator.java`, `MergeThingStrategy.java`,
`ThingCommandEnforcement.enforceReadPermissionOnPatchConditions`, `DittoHeaderDefinition.MERGE_THING_PATCH_CONDITIONS`
and the "Path-specific conditions" section of `basic-conditional-requests.md`.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from tests.api.helpers import MERGE, assert_error, writer_policy

HEADER = "merge-thing-patch-conditions"
# The thing of Ditto's documentation example.
FANCY = {"attributes": {"location": "kitchen"},
         "features": {"temperature": {"properties": {"value": 15, "unit": "celsius"}},
                      "humidity": {"properties": {"value": 90, "unit": "percent"}},
                      "status": {"properties": {"state": "active", "mode": "automatic"}}}}
PATCH = {"features": {"temperature": {"properties": {"value": 25}}, "humidity": {"properties": {"value": 60}},
                      "status": {"properties": {"state": "updated"}}}}


@pytest.fixture
def fancy(client: httpx.Client, thing_id: str) -> str:
    assert client.put(f"/things/{thing_id}", json=FANCY).status_code == 201
    return f"/things/{thing_id}"


def _conditions(**pairs: str) -> dict[str, str]:
    return {HEADER: json.dumps({key.replace("__", "/"): value for key, value in pairs.items()})}


def _properties(client: httpx.Client, thing: str) -> dict[str, object]:
    features = client.get(f"{thing}/features").json()
    return {name: feature["properties"] for name, feature in features.items()}


def test_the_documented_example_merges_only_where_the_conditions_hold(client: httpx.Client, fancy: str) -> None:
    """The example of Ditto's docs: 15 is not > 20 and 90 is not < 80, so only the unconditioned status merges."""
    headers = {**MERGE, HEADER: json.dumps({
        "features/temperature/properties/value": "gt(features/temperature/properties/value,20)",
        "features/humidity/properties/value": "lt(features/humidity/properties/value,80)"})}
    assert client.patch(fancy, json=PATCH, headers=headers).status_code == 204
    assert _properties(client, fancy) == {"temperature": {"value": 15, "unit": "celsius"},
                                         "humidity": {"value": 90, "unit": "percent"},
                                         "status": {"state": "updated", "mode": "automatic"}}


def test_keys_are_relative_to_the_merged_path_and_conditions_to_the_thing(client: httpx.Client, fancy: str) -> None:
    """The docs' second example: PATCH `/features` with keys below it; the conditions still name root fields.
    A condition that holds lets its part through."""
    headers = {**MERGE, HEADER: json.dumps({
        "temperature/properties/value": "lt(features/temperature/properties/value,20)",
        "humidity/properties/value": "lt(features/humidity/properties/value,80)"})}
    assert client.patch(f"{fancy}/features", json=PATCH["features"], headers=headers).status_code == 204
    properties = _properties(client, fancy)
    assert (properties["temperature"]["value"], properties["humidity"]["value"]) == (25, 90)
    assert properties["status"]["state"] == "updated"


def test_a_failing_condition_keeps_a_null_delete_and_whole_objects_out(client: httpx.Client, fancy: str) -> None:
    """A `null` in the patch is a value like any other (`JsonObject.getValue` finds it), and a pointer may name a
    whole object of the patch; a leading `/` is optional (`JsonPointer.of`)."""
    patch = {"attributes": {"location": None, "floor": 2}, "features": {"humidity": {"properties": {"value": 1}}}}
    headers = {**MERGE, HEADER: json.dumps({"/attributes/location": 'eq(attributes/location,"attic")',
                                            "features/humidity": "exists(features/nothing)"})}
    assert client.patch(fancy, json=patch, headers=headers).status_code == 204
    thing = client.get(fancy).json()
    assert thing["attributes"] == {"location": "kitchen", "floor": 2}
    assert thing["features"]["humidity"]["properties"]["value"] == 90


def test_a_fully_filtered_patch_still_makes_a_revision_with_empty_objects(client: httpx.Client, fancy: str) -> None:
    """Ditto's default (`remove-empty-objects-after-patch-condition-filtering = false`) merges what is left, empty
    objects included: a new revision that changes nothing."""
    headers = {**MERGE, **_conditions(features__temperature__properties__value="eq(_revision,99)")}
    patch = {"features": {"temperature": {"properties": {"value": 30}}}}
    assert client.patch(fancy, json=patch, headers=headers).status_code == 204
    after = client.get(fancy, params={"fields": "_revision,features"}).json()
    assert after == {"_revision": 2, "features": FANCY["features"]}


def test_conditions_of_paths_the_patch_lacks_are_not_evaluated(client: httpx.Client, fancy: str) -> None:
    """`PatchConditionsEvaluator.filterByConditions` skips a pointer with no value in the patch; a time
    placeholder is resolved where one is evaluated."""
    headers = {**MERGE, **_conditions(attributes__other="eq(attributes/location,\"nowhere\")",
                                      attributes__location="lt(_modified,time:now)")}
    assert client.patch(fancy, json={"attributes": {"location": "hall"}}, headers=headers).status_code == 204
    assert client.get(f"{fancy}/attributes/location").json() == "hall"


def test_a_non_object_patch_is_merged_as_sent(client: httpx.Client, fancy: str) -> None:
    """`PatchConditionsEvaluator.evaluatePatchConditions` returns a patch that is no object unchanged."""
    headers = {**MERGE, **_conditions(**{"": "eq(attributes/location,\"nowhere\")"})}
    assert client.patch(f"{fancy}/attributes/location", json="hall", headers=headers).status_code == 204
    assert client.get(f"{fancy}/attributes/location").json() == "hall"


def test_the_header_may_come_as_a_query_parameter_and_with_a_condition(client: httpx.Client, fancy: str) -> None:
    """Like every Ditto header over HTTP; the request's `condition` is checked first (`ThingConditionValidator`)."""
    params = {HEADER: json.dumps({"attributes/location": 'eq(attributes/location,"attic")'})}
    patch = {"attributes": {"location": "hall", "floor": 1}}
    assert client.patch(fancy, json=patch, params=params, headers=MERGE).status_code == 204
    assert client.get(f"{fancy}/attributes").json() == {"location": "kitchen", "floor": 1}
    refused = client.patch(fancy, json=patch, params={**params, "condition": "eq(attributes/floor,7)"}, headers=MERGE)
    assert_error(refused, 412, "things:condition.failed")


@pytest.mark.parametrize(("value", "code"), [
    ("not json", "header.invalid"), ("[]", "header.invalid"), ('"x"', "header.invalid"), ("", "header.invalid"),
    ('{"attributes/location": 5}', "header.invalid"), ('{"attributes//location": "exists(thingId)"}', "header.invalid"),
    ('{"attributes/location": "eq(attributes/location"}', "things:condition.invalid"),
    ('{"attributes/location": "eq(unknown,1)"}', "things:condition.invalid"),
])
def test_an_invalid_header_is_400_and_merges_nothing(client: httpx.Client, fancy: str, value: str, code: str) -> None:
    """Ditto validates the header as a JSON object (`HeaderValueValidators.getJsonObjectValidator`), reads it as
    pointers to strings (`AbstractDittoHeaders.getThingMergePatchConditions`: `header.invalid` otherwise) and
    parses each condition in its enforcement (`things:condition.invalid`)."""
    response = client.patch(fancy, json={"attributes": {"location": "hall"}}, headers={**MERGE, HEADER: value})
    assert_error(response, 400, code)
    assert client.get(fancy).headers["ETag"] == '"rev:1"'


def test_a_condition_on_an_unreadable_field_fails_the_merge(as_user: Callable[[str], httpx.Client],
                                                            thing_id: str) -> None:
    """`ThingCommandEnforcement.enforceReadPermissionOnPatchConditions`: unrestricted READ on every field of every
    condition, whether its path is in the patch or not, else 412 `things:condition.failed`."""
    alice = as_user("alice")
    assert alice.put(f"/things/{thing_id}", json={"attributes": {"secret": 1, "model": "T1"}}).status_code == 201
    policy = writer_policy("alice", "gina", {"thing:/attributes/secret": ["READ"]})
    assert alice.put(f"/policies/{thing_id}", json=policy).status_code == 204
    gina = as_user("gina")
    for condition in ("not(exists(attributes/secret))", "eq(attributes/secret,1)"):
        headers = {**MERGE, **_conditions(attributes__unrelated=condition)}
        assert_error(gina.patch(f"/things/{thing_id}", json={"attributes": {"model": "T2"}}, headers=headers), 412,
                     "things:condition.failed")
    headers = {**MERGE, **_conditions(attributes__model='eq(attributes/model,"T1")')}
    assert gina.patch(f"/things/{thing_id}", json={"attributes": {"model": "T2"}}, headers=headers).status_code == 204
    assert alice.get(f"/things/{thing_id}/attributes").json() == {"secret": 1, "model": "T2"}


def test_a_merge_that_creates_its_thing_ignores_the_conditions(client: httpx.Client, thing_id: str) -> None:
    """Ditto evaluates them in `MergeThingStrategy`, for an existing thing only; they are still parsed."""
    headers = {**MERGE, **_conditions(attributes__a="exists(attributes/a)")}
    assert client.patch(f"/things/{thing_id}", json={"attributes": {"a": 1}}, headers=headers).status_code == 201
    assert client.get(f"/things/{thing_id}/attributes").json() == {"a": 1}
    assert_error(client.patch(f"/things/{thing_id}-2", json={"attributes": {"a": 1}},
                              headers={**MERGE, HEADER: "[]"}), 400, "header.invalid")
