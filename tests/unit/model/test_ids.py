from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twinhub.model.errors import PolicyIdInvalid, ThingIdInvalid
from twinhub.model.ids import (
    DEFAULT_NAMESPACE,
    MAX_ID_LENGTH,
    EntityId,
    generate_thing_id,
    is_valid_namespace,
    parse_policy_id,
    parse_thing_id,
)

# Ditto's RegexPatternsTest examples.
INVALID_NAMESPACES = [
    "org.eclipse.",
    ".org",
    "_org",
    "org._eclipse",
    "1org",
    "org.ec lipse",
    "$test",
    "-foo",
    "foo.-bar",
    "foo--bar",
]
VALID_NAMESPACES = ["", "com.google", "Foo.bar_122_", "foo-bar.io"]


# --- namespaces -----------------------------------------------------------------------------


@pytest.mark.parametrize("namespace", VALID_NAMESPACES)
def test_ditto_valid_namespace_examples_are_accepted(namespace: str) -> None:
    assert is_valid_namespace(namespace)
    assert parse_thing_id(f"{namespace}:thing") == EntityId(namespace, "thing")


@pytest.mark.parametrize("namespace", INVALID_NAMESPACES)
def test_ditto_invalid_namespace_examples_are_rejected(namespace: str) -> None:
    assert not is_valid_namespace(namespace)
    with pytest.raises(ThingIdInvalid) as caught:
        parse_thing_id(f"{namespace}:thing")
    assert caught.value.code == "things:id.invalid"
    assert caught.value.status == 400


def test_namespace_may_be_empty() -> None:
    entity_id = parse_thing_id(":thing")
    assert entity_id.namespace == ""
    assert entity_id.name == "thing"
    assert str(entity_id) == ":thing"


@pytest.mark.parametrize("namespace", ["1org", "_org", "org.1eclipse", "org._eclipse", "org-1x"])
def test_namespace_segments_must_start_with_a_letter(namespace: str) -> None:
    assert not is_valid_namespace(namespace)


@pytest.mark.parametrize("namespace", ["a", "a1", "a_", "a.b", "a-b", "a.b-c.d", "A_1.b_2-C3"])
def test_namespace_segments_are_joined_by_dot_or_dash(namespace: str) -> None:
    assert is_valid_namespace(namespace)


@pytest.mark.parametrize("namespace", ["a..b", "a.-b", "a-.b", "a--b", "a.", "a-", ".a", "-a"])
def test_namespace_separators_cannot_repeat_lead_or_trail(namespace: str) -> None:
    assert not is_valid_namespace(namespace)


@pytest.mark.parametrize("namespace", ["org.eclipsé", "ä", "a.ö", "a\u0661", "org\u00a0x"])
def test_namespace_word_characters_are_ascii_only(namespace: str) -> None:
    assert not is_valid_namespace(namespace)


@pytest.mark.parametrize("namespace", ["a/b", "a:b", "a b", "a+b", "a%b"])
def test_namespace_rejects_other_punctuation(namespace: str) -> None:
    assert not is_valid_namespace(namespace)


# --- names ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "foo bar",
        "foo%2Fbar",
        "a+b",
        "a:b",
        "urn:x:y",
        "~tilde~",
        "*",
        'with"quote',
        "€uro",
        "日本",
        "x\u0100",
        "emoji\U0001f600",
    ],
)
def test_name_accepts_spaces_percent_plus_colon_and_chars_above_0xff(name: str) -> None:
    entity_id = parse_thing_id(f"ns:{name}")
    assert entity_id == EntityId("ns", name)
    assert str(entity_id) == f"ns:{name}"


def test_name_must_not_be_empty() -> None:
    with pytest.raises(ThingIdInvalid):
        parse_thing_id("ns:")


@pytest.mark.parametrize("name", ["a/b", "/", "a/", "/a"])
def test_name_must_not_contain_a_slash(name: str) -> None:
    with pytest.raises(ThingIdInvalid):
        parse_thing_id(f"ns:{name}")


@pytest.mark.parametrize("code_point", [*range(0x00, 0x20)])
def test_name_rejects_control_characters(code_point: int) -> None:
    with pytest.raises(ThingIdInvalid):
        parse_thing_id(f"ns:a{chr(code_point)}b")


@pytest.mark.parametrize("code_point", [*range(0x7F, 0x100)])
def test_name_rejects_every_char_from_0x7f_to_0xff(code_point: int) -> None:
    with pytest.raises(ThingIdInvalid):
        parse_thing_id(f"ns:a{chr(code_point)}b")


@pytest.mark.parametrize("name", ["müller", "straße", "café", "\u00a0"])
def test_name_rejects_latin1_letters(name: str) -> None:
    with pytest.raises(ThingIdInvalid):
        parse_thing_id(f"ns:{name}")


# Unicode's Bidi_Control characters: invisible, they reorder what is shown around them.
BIDI_CONTROLS = ["\u061c", "\u200e", "\u200f", *map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A))]


@given(st.text(st.characters(min_codepoint=0x100, exclude_categories=["Cs"], exclude_characters=BIDI_CONTROLS),
               min_size=1, max_size=20))
def test_name_accepts_any_char_above_0xff_but_bidi_controls(name: str) -> None:
    assert parse_thing_id(f"ns:{name}").name == name


@pytest.mark.parametrize("char", BIDI_CONTROLS)
def test_name_rejects_bidirectional_control_characters(char: str) -> None:
    # Beyond Ditto's pattern (which lets them through): "ns:evil\u202egnp.exe" would show as "ns:evilexe.png".
    for text in (f"ns:a{char}b", f"ns:{char}", f"ns:ab{char}"):
        with pytest.raises(ThingIdInvalid):
            parse_thing_id(text)
        with pytest.raises(PolicyIdInvalid):
            parse_policy_id(text)


@pytest.mark.parametrize("char", ["\u200b", "\u2060", "\u2065", "\u206a", "\ufffd", "\ufeff"])
def test_name_accepts_other_format_characters_as_ditto_does(char: str) -> None:
    assert parse_thing_id(f"ns:a{char}b").name == f"a{char}b"


def test_name_may_contain_further_colons_and_the_first_colon_splits() -> None:
    entity_id = parse_thing_id("org.eclipse:a:b:c")
    assert entity_id == EntityId("org.eclipse", "a:b:c")


@pytest.mark.parametrize("text", ["", "nocolon", ":", "ns", "ns/name"])
def test_id_needs_a_colon_and_a_name(text: str) -> None:
    with pytest.raises(ThingIdInvalid):
        parse_thing_id(text)


# --- length ---------------------------------------------------------------------------------


def test_id_of_exactly_256_chars_is_accepted() -> None:
    text = "org.eclipse:" + "x" * (MAX_ID_LENGTH - len("org.eclipse:"))
    assert len(text) == 256
    assert str(parse_thing_id(text)) == text
    assert str(parse_policy_id(text)) == text


def test_id_of_257_chars_is_rejected() -> None:
    text = "org.eclipse:" + "x" * (MAX_ID_LENGTH + 1 - len("org.eclipse:"))
    assert len(text) == 257
    with pytest.raises(ThingIdInvalid):
        parse_thing_id(text)
    with pytest.raises(PolicyIdInvalid):
        parse_policy_id(text)


def test_length_limit_counts_the_namespace_too() -> None:
    namespace = "n" * 200
    ok = f"{namespace}:" + "x" * (256 - 201)
    assert len(ok) == 256
    parse_thing_id(ok)
    with pytest.raises(ThingIdInvalid):
        parse_thing_id(ok + "x")


def test_length_limit_counts_characters_not_bytes() -> None:
    text = "ns:" + "€" * (MAX_ID_LENGTH - 3)
    assert len(text) == 256
    assert len(text.encode()) > 256
    assert str(parse_thing_id(text)) == text


# --- policy ids -----------------------------------------------------------------------------


@pytest.mark.parametrize("namespace", VALID_NAMESPACES)
def test_policy_ids_follow_the_same_namespace_rules(namespace: str) -> None:
    assert parse_policy_id(f"{namespace}:policy") == EntityId(namespace, "policy")


@pytest.mark.parametrize(
    "text", [*(f"{ns}:policy" for ns in INVALID_NAMESPACES), "ns:a/b", "ns:ä", "ns:", "nocolon", "ns:a\tb"]
)
def test_invalid_policy_id_gives_policies_id_invalid(text: str) -> None:
    with pytest.raises(PolicyIdInvalid) as caught:
        parse_policy_id(text)
    assert caught.value.code == "policies:id.invalid"
    assert caught.value.status == 400
    assert text in caught.value.message


def test_invalid_thing_id_message_names_the_id() -> None:
    with pytest.raises(ThingIdInvalid) as caught:
        parse_thing_id("1org:x")
    assert "'1org:x'" in caught.value.message


# --- generated ids --------------------------------------------------------------------------


def test_generated_id_uses_the_namespace_and_a_uuid_name() -> None:
    entity_id = generate_thing_id("com.acme")
    assert entity_id.namespace == "com.acme"
    assert str(uuid.UUID(entity_id.name)) == entity_id.name
    assert parse_thing_id(str(entity_id)) == entity_id


def test_generated_ids_are_unique() -> None:
    assert len({generate_thing_id(DEFAULT_NAMESPACE) for _ in range(50)}) == 50


def test_default_namespace_is_dittos() -> None:
    assert DEFAULT_NAMESPACE == "org.eclipse.ditto"
    assert generate_thing_id(DEFAULT_NAMESPACE).namespace == "org.eclipse.ditto"


def test_generated_id_may_use_the_empty_namespace() -> None:
    assert str(generate_thing_id("")).startswith(":")


@pytest.mark.parametrize("namespace", INVALID_NAMESPACES)
def test_generating_an_id_in_an_invalid_namespace_fails(namespace: str) -> None:
    with pytest.raises(ThingIdInvalid):
        generate_thing_id(namespace)


def test_entity_id_string_form_round_trips() -> None:
    entity_id = EntityId("org.eclipse.ditto", "fancy thing:1")
    assert parse_thing_id(str(entity_id)) == entity_id
