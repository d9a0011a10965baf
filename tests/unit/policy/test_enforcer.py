"""Behaviour of `Enforcer` on the cases Ditto's policy documentation walks through."""

from __future__ import annotations

import copy

import pytest

from tests.unit.policy.helpers import rule
from twinhub.model.types import MISSING, JsonObject
from twinhub.policy import Enforcer, Rule

ALICE = "user:alice"
INTERNS = "group:interns"
OWNER = "nginx:ditto"

METER: JsonObject = {"properties": {"watts": 7.5}, "desiredProperties": {}}
FEATURES: JsonObject = {
    "lamp": {"properties": {"on": True, "color": {"r": 255, "g": 0, "b": 0}}},
    "meter": METER,
}
THING: JsonObject = {
    "thingId": "org.eclipse.ditto:lamp-1",
    "policyId": "org.eclipse.ditto:lamp-1",
    "attributes": {"location": "kitchen", "secret": {"pin": 1234}, "tags": ["a", "b"]},
    "features": FEATURES,
}


def owner_policy() -> list[Rule]:
    return [
        rule(OWNER, "thing:/", grant="READ WRITE"),
        rule(OWNER, "policy:/", grant="READ WRITE"),
        rule(OWNER, "message:/", grant="READ WRITE"),
    ]


def test_owner_with_read_write_on_root_may_read_and_write_everywhere() -> None:
    enforcer = Enforcer(owner_policy())
    for resource_type in ("thing", "policy", "message"):
        for path in [(), ("attributes",), ("features", "lamp", "properties", "on"), ("x", "y", "z", "w", "v")]:
            assert enforcer.has_permission({OWNER}, resource_type, path, ["READ", "WRITE"])
            assert enforcer.has_unrestricted({OWNER}, resource_type, path, ["READ", "WRITE"])
            assert enforcer.has_partial({OWNER}, resource_type, path, ["READ", "WRITE"])
    assert enforcer.view({OWNER}, "thing", (), THING) == THING


def test_permissions_not_granted_are_denied_even_to_the_owner() -> None:
    enforcer = Enforcer(owner_policy())
    assert not enforcer.has_permission({OWNER}, "policy", ("entries", "x", "actions", "activate"), ["EXECUTE"])
    assert not enforcer.has_permission({OWNER}, "thing", (), ["READ", "EXECUTE"])


def test_unknown_subjects_get_nothing() -> None:
    enforcer = Enforcer(owner_policy())
    assert not enforcer.has_permission({"nginx:mallory"}, "thing", (), ["READ"])
    assert not enforcer.has_partial(set(), "thing", (), ["READ"])
    assert enforcer.view({"nginx:mallory"}, "thing", (), THING) is MISSING


def test_revoke_on_a_nested_path_hides_only_that_path() -> None:
    enforcer = Enforcer(
        [rule(ALICE, "thing:/", grant="READ", revoke=""), rule(ALICE, "thing:/attributes/secret", revoke="READ")]
    )
    assert enforcer.has_permission({ALICE}, "thing", (), ["READ"])
    assert enforcer.has_permission({ALICE}, "thing", ("attributes",), ["READ"])
    assert enforcer.has_permission({ALICE}, "thing", ("attributes", "location"), ["READ"])
    assert not enforcer.has_permission({ALICE}, "thing", ("attributes", "secret"), ["READ"])
    assert not enforcer.has_permission({ALICE}, "thing", ("attributes", "secret", "pin"), ["READ"])


def test_revoke_below_makes_ancestors_restricted_but_still_readable() -> None:
    enforcer = Enforcer([rule(ALICE, "thing:/", grant="READ"), rule(ALICE, "thing:/attributes/secret", revoke="READ")])
    assert not enforcer.has_unrestricted({ALICE}, "thing", (), ["READ"])
    assert not enforcer.has_unrestricted({ALICE}, "thing", ("attributes",), ["READ"])
    assert enforcer.has_unrestricted({ALICE}, "thing", ("features",), ["READ"])
    assert enforcer.has_unrestricted({ALICE}, "thing", ("attributes", "location"), ["READ"])
    assert enforcer.has_partial({ALICE}, "thing", (), ["READ"])
    assert not enforcer.has_partial({ALICE}, "thing", ("attributes", "secret"), ["READ"])


def test_deeper_grant_overrides_an_inherited_revoke() -> None:
    enforcer = Enforcer(
        [
            rule(ALICE, "thing:/", grant="READ"),
            rule(ALICE, "thing:/features", revoke="READ"),
            rule(ALICE, "thing:/features/lamp/properties", grant="READ"),
        ]
    )
    assert not enforcer.has_permission({ALICE}, "thing", ("features",), ["READ"])
    assert not enforcer.has_permission({ALICE}, "thing", ("features", "lamp"), ["READ"])
    assert enforcer.has_permission({ALICE}, "thing", ("features", "lamp", "properties"), ["READ"])
    assert enforcer.has_permission({ALICE}, "thing", ("features", "lamp", "properties", "on"), ["READ"])
    assert enforcer.has_partial({ALICE}, "thing", ("features",), ["READ"])
    assert enforcer.has_unrestricted({ALICE}, "thing", ("features", "lamp", "properties"), ["READ"])


def test_deeper_revoke_overrides_a_deeper_grant_again() -> None:
    enforcer = Enforcer(
        [
            rule(ALICE, "thing:/", grant="READ"),
            rule(ALICE, "thing:/a", revoke="READ"),
            rule(ALICE, "thing:/a/b", grant="READ"),
            rule(ALICE, "thing:/a/b/c", revoke="READ"),
        ]
    )
    expected = {(): True, ("a",): False, ("a", "b"): True, ("a", "b", "c"): False, ("a", "b", "c", "d"): False}
    for path, granted in expected.items():
        assert enforcer.has_permission({ALICE}, "thing", path, ["READ"]) is granted


def test_a_revoke_on_any_of_the_callers_subjects_wins() -> None:
    enforcer = Enforcer(
        [
            rule(ALICE, "thing:/", grant="READ"),
            rule(INTERNS, "thing:/attributes/secret", revoke="READ"),
        ]
    )
    assert enforcer.has_permission({ALICE}, "thing", ("attributes", "secret"), ["READ"])
    assert not enforcer.has_permission({ALICE, INTERNS}, "thing", ("attributes", "secret"), ["READ"])
    assert enforcer.has_permission({ALICE, INTERNS}, "thing", ("attributes", "location"), ["READ"])
    assert not enforcer.has_unrestricted({ALICE, INTERNS}, "thing", (), ["READ"])
    assert enforcer.has_unrestricted({ALICE}, "thing", (), ["READ"])


def test_a_deeper_grant_for_one_subject_beats_a_shallower_revoke_for_another() -> None:
    enforcer = Enforcer(
        [
            rule(INTERNS, "thing:/attributes", revoke="READ"),
            rule(ALICE, "thing:/attributes/location", grant="READ"),
        ]
    )
    assert enforcer.has_permission({ALICE, INTERNS}, "thing", ("attributes", "location"), ["READ"])
    assert not enforcer.has_permission({ALICE, INTERNS}, "thing", ("attributes",), ["READ"])


@pytest.mark.parametrize("revoke_first", [False, True])
def test_revoke_beats_grant_on_the_same_node_across_entries(revoke_first: bool) -> None:
    entries = [rule(ALICE, "thing:/attributes", grant="READ"), rule(ALICE, "thing:/attributes", revoke="READ")]
    enforcer = Enforcer(reversed(entries) if revoke_first else entries)
    assert not enforcer.has_permission({ALICE}, "thing", ("attributes",), ["READ"])
    assert not enforcer.has_permission({ALICE}, "thing", ("attributes", "location"), ["READ"])
    assert not enforcer.has_partial({ALICE}, "thing", ("attributes",), ["READ"])


def test_revoke_for_one_caller_subject_beats_grant_for_another_on_the_same_node() -> None:
    enforcer = Enforcer(
        [rule(ALICE, "thing:/attributes", grant="READ"), rule(INTERNS, "thing:/attributes", revoke="READ")]
    )
    assert not enforcer.has_permission({ALICE, INTERNS}, "thing", ("attributes",), ["READ"])
    assert not enforcer.has_partial({ALICE, INTERNS}, "thing", (), ["READ"])
    assert enforcer.has_partial({ALICE}, "thing", (), ["READ"])


def test_grants_of_entries_on_the_same_node_add_up() -> None:
    enforcer = Enforcer(
        [rule(ALICE, "thing:/attributes", grant="READ"), rule(ALICE, "thing:/attributes", grant="WRITE")]
    )
    assert enforcer.has_unrestricted({ALICE}, "thing", ("attributes",), ["READ", "WRITE"])


def test_write_does_not_imply_read() -> None:
    enforcer = Enforcer([rule(ALICE, "thing:/", grant="WRITE")])
    assert enforcer.has_unrestricted({ALICE}, "thing", ("attributes",), ["WRITE"])
    assert not enforcer.has_permission({ALICE}, "thing", ("attributes",), ["READ"])
    assert not enforcer.has_permission({ALICE}, "thing", ("attributes",), ["READ", "WRITE"])
    assert not enforcer.has_partial({ALICE}, "thing", (), ["READ"])
    assert enforcer.view({ALICE}, "thing", (), THING) is MISSING
    assert enforcer.view({ALICE}, "thing", (), THING, permission="WRITE") == THING


def test_resource_types_are_independent() -> None:
    enforcer = Enforcer([rule(ALICE, "policy:/", grant="READ WRITE"), rule(INTERNS, "message:/inbox", grant="WRITE")])
    assert enforcer.has_permission({ALICE}, "policy", ("entries", "owner"), ["READ", "WRITE"])
    assert not enforcer.has_partial({ALICE}, "thing", (), ["READ"])
    assert not enforcer.has_partial({ALICE}, "message", (), ["READ"])
    assert enforcer.has_permission({INTERNS}, "message", ("inbox", "messages", "turnOn"), ["WRITE"])
    assert not enforcer.has_permission({INTERNS}, "message", ("features", "lamp", "inbox"), ["WRITE"])
    assert not enforcer.has_permission({INTERNS}, "thing", ("inbox",), ["WRITE"])
    assert enforcer.view({ALICE}, "thing", (), THING) is MISSING
    assert enforcer.subjects_with_partial("thing", (), "READ") == frozenset()


def test_partial_permission_on_a_feature_is_not_unrestricted_on_the_thing() -> None:
    enforcer = Enforcer([rule(ALICE, "thing:/features/lamp", grant="READ")])
    assert enforcer.has_partial({ALICE}, "thing", (), ["READ"])
    assert enforcer.has_partial({ALICE}, "thing", ("features",), ["READ"])
    assert not enforcer.has_permission({ALICE}, "thing", (), ["READ"])
    assert not enforcer.has_unrestricted({ALICE}, "thing", (), ["READ"])
    assert not enforcer.has_partial({ALICE}, "thing", ("attributes",), ["READ"])
    assert not enforcer.has_partial({ALICE}, "thing", ("features", "meter"), ["READ"])
    assert enforcer.has_unrestricted({ALICE}, "thing", ("features", "lamp", "properties", "on"), ["READ"])


def test_partial_holds_per_permission_at_different_places() -> None:
    enforcer = Enforcer([rule(ALICE, "thing:/attributes", grant="READ"), rule(ALICE, "thing:/features", grant="WRITE")])
    assert enforcer.has_partial({ALICE}, "thing", (), ["READ", "WRITE"])
    assert not enforcer.has_partial({ALICE}, "thing", ("attributes",), ["READ", "WRITE"])
    assert not enforcer.has_permission({ALICE}, "thing", (), ["READ"])


def test_keys_are_compared_whole_not_as_text() -> None:
    enforcer = Enforcer(
        [
            rule(ALICE, "thing:/attributes/a~b", grant="READ"),
            Rule(frozenset({ALICE}), "thing", ("x/y",), frozenset({"READ"}), frozenset()),
        ]
    )
    assert enforcer.has_permission({ALICE}, "thing", ("attributes", "a~b"), ["READ"])
    assert not enforcer.has_permission({ALICE}, "thing", ("attributes", "a"), ["READ"])
    assert not enforcer.has_permission({ALICE}, "thing", ("attributes", "a~"), ["READ"])
    assert enforcer.has_permission({ALICE}, "thing", ("x/y",), ["READ"])
    assert not enforcer.has_permission({ALICE}, "thing", ("x", "y"), ["READ"])


def test_view_drops_revoked_fields_and_keeps_the_structure() -> None:
    enforcer = Enforcer(
        [
            rule(ALICE, "thing:/", grant="READ"),
            rule(ALICE, "thing:/attributes/secret", revoke="READ"),
            rule(ALICE, "thing:/features/lamp/properties/color", revoke="READ"),
        ]
    )
    expected: JsonObject = {
        "thingId": "org.eclipse.ditto:lamp-1",
        "policyId": "org.eclipse.ditto:lamp-1",
        "attributes": {"location": "kitchen", "tags": ["a", "b"]},
        "features": {"lamp": {"properties": {"on": True}}, "meter": METER},
    }
    assert enforcer.view({ALICE}, "thing", (), THING) == expected


def test_view_of_a_sub_resource_only_exposes_granted_leaves() -> None:
    enforcer = Enforcer(
        [rule(ALICE, "thing:/thingId", grant="READ"), rule(ALICE, "thing:/features/lamp/properties/on", grant="READ")]
    )
    assert enforcer.view({ALICE}, "thing", (), THING) == {
        "thingId": "org.eclipse.ditto:lamp-1",
        "features": {"lamp": {"properties": {"on": True}}},
    }
    assert enforcer.view({ALICE}, "thing", ("features",), FEATURES) == {"lamp": {"properties": {"on": True}}}
    assert enforcer.view({ALICE}, "thing", ("features", "meter"), METER) is MISSING
    assert enforcer.view({ALICE}, "thing", ("features", "lamp", "properties", "on"), True) is True


def test_view_below_the_deepest_rule_is_all_or_nothing() -> None:
    enforcer = Enforcer([rule(ALICE, "thing:/attributes", grant="READ"), rule(ALICE, "thing:/features", revoke="READ")])
    value: JsonObject = {"deep": {"er": [1, 2]}}
    assert enforcer.view({ALICE}, "thing", ("attributes", "x"), value) is value
    assert enforcer.view({ALICE}, "thing", ("features", "x"), value) is MISSING


def test_view_shares_unrestricted_parts_and_never_modifies_its_input() -> None:
    enforcer = Enforcer([rule(ALICE, "thing:/", grant="READ"), rule(ALICE, "thing:/attributes/secret", revoke="READ")])
    before = copy.deepcopy(THING)
    result = enforcer.view({ALICE}, "thing", (), THING)
    assert before == THING
    assert isinstance(result, dict)
    assert result["features"] is THING["features"]
    assert result["attributes"] is not THING["attributes"]


def test_view_keeps_an_empty_object_only_where_it_is_granted() -> None:
    enforcer = Enforcer(
        [rule(ALICE, "thing:/attributes", grant="READ"), rule(ALICE, "thing:/features/meter/properties", grant="READ")]
    )
    value: JsonObject = {
        "attributes": {},
        "features": {"meter": {"desiredProperties": {}, "properties": {}}, "lamp": {}},
    }
    assert enforcer.view({ALICE}, "thing", (), value) == {"attributes": {}, "features": {"meter": {"properties": {}}}}
    assert enforcer.view({ALICE}, "thing", ("features", "lamp"), {}) is MISSING


def test_view_keeps_a_granted_object_whose_fields_are_all_revoked() -> None:
    enforcer = Enforcer([rule(ALICE, "thing:/", grant="READ"), rule(ALICE, "thing:/attributes/secret", revoke="READ")])
    assert enforcer.view({ALICE}, "thing", (), {"attributes": {"secret": 1}}) == {"attributes": {}}


def test_view_drops_an_ungranted_object_when_nothing_inside_is_readable() -> None:
    enforcer = Enforcer([rule(ALICE, "thing:/features/lamp/properties/on", grant="READ")])
    assert enforcer.view({ALICE}, "thing", (), {"features": {"lamp": {"properties": {"color": "red"}}}}) is MISSING
    assert enforcer.view({ALICE}, "thing", (), {"features": {"lamp": {"properties": {"on": False}}}}) == {
        "features": {"lamp": {"properties": {"on": False}}}
    }


def test_view_treats_arrays_and_scalars_as_leaves() -> None:
    enforcer = Enforcer(
        [rule(ALICE, "thing:/attributes/tags/name", grant="READ"), rule(ALICE, "thing:/attributes/list", grant="READ")]
    )
    value: JsonObject = {"attributes": {"tags": [{"name": "x"}], "list": [{"a": 1}], "n": None}}
    assert enforcer.view({ALICE}, "thing", (), value) == {"attributes": {"list": [{"a": 1}]}}


def test_view_returns_null_values_that_are_readable() -> None:
    enforcer = Enforcer([rule(ALICE, "thing:/", grant="READ")])
    assert enforcer.view({ALICE}, "thing", ("attributes", "gone"), None) is None


def test_subjects_with_partial_lists_each_subject_that_could_read_something() -> None:
    enforcer = Enforcer(
        [
            rule(OWNER, "thing:/", grant="READ WRITE"),
            rule(ALICE, "thing:/features/lamp", grant="READ"),
            rule({ALICE, INTERNS}, "thing:/features/lamp/properties/color", revoke="READ"),
            rule(INTERNS, "thing:/features/lamp/properties/on", grant="READ"),
            rule("user:bob", "thing:/features", grant="WRITE"),
        ]
    )
    assert enforcer.subjects_with_partial("thing", (), "READ") == {OWNER, ALICE, INTERNS}
    assert enforcer.subjects_with_partial("thing", ("features", "lamp", "properties", "color"), "READ") == {OWNER}
    assert enforcer.subjects_with_partial("thing", ("features", "meter"), "READ") == {OWNER}
    assert enforcer.subjects_with_partial("thing", ("features", "meter"), "WRITE") == {OWNER, "user:bob"}
    assert enforcer.subjects_with_partial("policy", (), "READ") == frozenset()


def test_rules_with_nothing_in_them_change_nothing() -> None:
    enforcer = Enforcer(
        [rule(ALICE, "thing:/", grant="READ"), rule(ALICE, "thing:/a/b"), rule(set(), "thing:/a", revoke="READ")]
    )
    assert enforcer.has_unrestricted({ALICE}, "thing", (), ["READ"])
    assert enforcer.view({ALICE}, "thing", (), {"a": {"b": 1}}) == {"a": {"b": 1}}


def test_an_empty_policy_grants_nothing() -> None:
    enforcer = Enforcer([])
    assert not enforcer.has_partial({ALICE}, "thing", (), ["READ"])
    assert enforcer.view({ALICE}, "thing", (), {}) is MISSING


def test_misuse_is_refused_instead_of_answered() -> None:
    enforcer = Enforcer(owner_policy())
    with pytest.raises(TypeError):
        enforcer.has_permission(OWNER, "thing", (), ["READ"])
    with pytest.raises(TypeError):
        enforcer.has_permission({OWNER}, "thing", (), "READ")
    with pytest.raises(ValueError):
        enforcer.has_unrestricted({OWNER}, "thing", (), [])
    with pytest.raises(TypeError):
        Rule(OWNER, "thing", (), frozenset({"READ"}), frozenset())  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Rule(frozenset({OWNER}), "thing", "/attributes", frozenset({"READ"}), frozenset())  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Rule(frozenset({OWNER}), "", (), frozenset({"READ"}), frozenset())


def test_rule_normalises_liberal_inputs() -> None:
    given = Rule({OWNER}, "thing", ["a"], {"READ"}, [])  # type: ignore[arg-type]
    assert given == Rule(frozenset({OWNER}), "thing", ("a",), frozenset({"READ"}), frozenset())
    assert hash(given)


# -- narrowed_by: what two policies both grant ----------------------------------------------------------------


def test_a_narrowed_enforcer_grants_only_what_both_grant() -> None:
    features_only = Enforcer([rule(ALICE, "thing:/features", grant="READ")])
    all_but_secret = Enforcer([rule(ALICE, "thing:/", grant="READ WRITE"),
                               rule(ALICE, "thing:/features/lamp/properties/color", revoke="READ")])
    both = features_only.narrowed_by(all_but_secret)
    expected = {"features": {"lamp": {"properties": {"on": True}}, "meter": METER}}
    assert both.view({ALICE}, "thing", (), THING) == expected
    assert all_but_secret.narrowed_by(features_only).view({ALICE}, "thing", (), THING) == expected
    assert both.view({ALICE}, "thing", ("attributes",), THING["attributes"]) is MISSING
    assert both.has_partial({ALICE}, "thing", (), ["READ"])
    assert not both.has_partial({ALICE}, "thing", ("attributes",), ["READ"])
    assert both.has_permission({ALICE}, "thing", ("features", "meter"), ["READ"])
    assert not both.has_permission({ALICE}, "thing", ("features", "meter"), ["WRITE"])
    assert not both.has_unrestricted({ALICE}, "thing", ("features",), ["READ"])
    assert both.has_unrestricted({ALICE}, "thing", ("features", "meter"), ["READ"])
    assert both.subjects_with_partial("thing", ("attributes",), "READ") == frozenset()
    assert both.subjects_with_partial("thing", ("features",), "READ") == {ALICE}


def test_a_narrowed_enforcer_shows_nothing_where_one_grants_nothing() -> None:
    owner = Enforcer(owner_policy())
    stranger = Enforcer([rule(ALICE, "thing:/", grant="READ")])
    assert owner.narrowed_by(stranger).view({OWNER}, "thing", (), THING) is MISSING
    assert not owner.narrowed_by(stranger).has_partial({OWNER}, "thing", (), ["READ"])
    assert owner.narrowed_by(owner).view({OWNER}, "thing", (), THING) == THING
