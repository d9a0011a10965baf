from __future__ import annotations

import pytest

from twinhub.auth.templates import MAX_SUBJECTS_PER_TEMPLATE, ClaimPointer, SubjectTemplate

CLAIMS: dict[str, object] = {
    "sub": "alice",
    "aud": ["twinhub", "console"],
    "realm_access": {"roles": ["admin", "operator", "admin"]},
    "groups": [],
    "email_verified": True,
    "level": 3,
    "nested": {"list": [{"name": "x"}, "plain"]},
    "https://example.com/tenant": "acme",
    "empty": "",
    "nothing": None,
    "tilde~key": "t",
}


def resolve(template: str) -> list[str]:
    return SubjectTemplate.parse(template).resolve(CLAIMS)


def test_sub() -> None:
    assert resolve("{{ jwt:sub }}") == ["alice"]
    assert resolve("{{jwt:sub}}") == ["alice"]
    assert resolve("{{ jwt:/sub }}") == ["alice"]


def test_array_claim_yields_one_value_per_element_deduplicated() -> None:
    assert resolve("{{ jwt:aud }}") == ["twinhub", "console"]
    assert resolve("{{ jwt:realm_access/roles }}") == ["admin", "operator"]


def test_literal_text_around_placeholders() -> None:
    assert resolve("role-{{ jwt:realm_access/roles }}") == ["role-admin", "role-operator"]
    assert resolve("{{ jwt:sub }}@{{ jwt:aud }}") == ["alice@twinhub", "alice@console"]


def test_constant_template() -> None:
    assert resolve("everyone") == ["everyone"]


def test_scalars_become_text() -> None:
    assert resolve("{{ jwt:email_verified }}") == ["true"]
    assert resolve("{{ jwt:level }}") == ["3"]


def test_array_index_and_objects_inside_arrays() -> None:
    assert resolve("{{ jwt:aud/1 }}") == ["console"]
    assert resolve("{{ jwt:nested/list }}") == ["plain"]  # objects inside the array yield nothing
    assert resolve("{{ jwt:nested/list/0/name }}") == ["x"]


def test_escaped_slash_reaches_namespaced_claims() -> None:
    assert resolve("{{ jwt:https:~1~1example.com~1tenant }}") == ["acme"]
    assert resolve("{{ jwt:tilde~0key }}") == ["t"]


@pytest.mark.parametrize("template", [
    "{{ jwt:missing }}", "{{ jwt:realm_access }}", "{{ jwt:groups }}", "{{ jwt:empty }}", "{{ jwt:nothing }}",
    "{{ jwt:sub/deeper }}", "{{ jwt:aud/7 }}", "prefix-{{ jwt:missing }}", "{{ jwt:sub }}-{{ jwt:missing }}",
])
def test_unresolvable_template_yields_nothing(template: str) -> None:
    assert resolve(template) == []


def test_array_claims_are_bounded() -> None:
    many = {"roles": [f"r{index}" for index in range(1000)]}
    assert len(SubjectTemplate.parse("{{ jwt:roles }}").resolve(many)) == MAX_SUBJECTS_PER_TEMPLATE
    product = SubjectTemplate.parse("{{ jwt:roles }}-{{ jwt:roles }}").resolve(many)
    assert len(product) == MAX_SUBJECTS_PER_TEMPLATE


def test_values_with_control_characters_are_skipped() -> None:
    assert SubjectTemplate.parse("{{ jwt:sub }}").resolve({"sub": "a\nb"}) == []


@pytest.mark.parametrize("template", [
    "", "   ", "{{ sub }}", "{{ header:x }}", "{{ jwt: }}", "{{ jwt:a//b }}", "{{ jwt:sub | fn:lower() }}",
    "{{ jwt:sub", "jwt:sub }}", "{{ jwt:{{ sub }} }}",
])
def test_invalid_templates_are_refused(template: str) -> None:
    with pytest.raises(ValueError):
        SubjectTemplate.parse(template)


def test_claim_pointer_parse() -> None:
    assert ClaimPointer.parse("a/b~1c~0d").keys == ("a", "b/c~d")
    assert ClaimPointer.parse("/a").keys == ("a",)
