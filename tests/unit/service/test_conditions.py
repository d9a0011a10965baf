"""The thing resources a condition names, whose READ Ditto's enforcement requires
(`ThingCommandEnforcement.determineResourceKeys`: every field of the RQL, as `PoliciesResourceType.thingResource`)."""

from __future__ import annotations

import pytest

from tests.unit.policy.helpers import rule
from twinhub.model.errors import ThingConditionFailed, ThingConditionInvalid
from twinhub.policy import Enforcer
from twinhub.service.conditions import condition_resources, parse_condition, require_readable_condition


def test_every_field_of_every_operator_is_named() -> None:
    condition = parse_condition('and(eq(attributes/a,1),or(in(/features/f/properties/p,1,2),not(exists(features/g))),'
                                'empty(features/h/desiredProperties),gt(_revision,3),like(thingId,"x*"))')
    assert condition_resources(condition.node) == [
        ("attributes", "a"), ("features", "f", "properties", "p"), ("features", "g"),
        ("features", "h", "desiredProperties"), ("_revision",), ("thingId",)]


def test_an_invalid_condition_is_refused_before_any_field_is_named() -> None:
    with pytest.raises(ThingConditionInvalid):
        parse_condition("exists(attributes)")


def _enforcer() -> Enforcer:
    return Enforcer([rule("nginx:bob", "thing:/", grant="READ"), rule("nginx:bob", "thing:/attributes/secret",
                                                                      revoke="READ")])


def test_a_condition_on_a_revoked_field_or_its_parent_fails() -> None:
    enforcer = _enforcer()
    for text in ("not(exists(attributes/secret))", "exists(attributes/)", "exists(attributes/secret/deeper)"):
        with pytest.raises(ThingConditionFailed) as failed:
            require_readable_condition((parse_condition(text),), enforcer, ("nginx:bob",), "ns:t")
        assert failed.value.status == 412
    require_readable_condition((parse_condition("not(exists(attributes/other))"),), enforcer, ("nginx:bob",), "ns:t")
