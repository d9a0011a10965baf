from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twinhub.rql import like_matches, like_to_regex


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("*", "", True),
        ("**", "abc", True),
        ("a**b", "aXYb", True),
        ("?", "", False),
        ("?", "x", True),
        ("??", "x", False),
        ("a?c", "abc", True),
        ("a?c", "abbc", False),
        ("a.c", "abc", False),  # regex metacharacters are literal
        ("a+b(c)[d]{2}$^|\\", "a+b(c)[d]{2}$^|\\", True),
        ("", "", True),
        ("", "a", False),
        ("*a*a*a*a*a*b", "a" * 200, False),  # no catastrophic backtracking in like_matches
        ("a*", "a\nb", False),  # wildcards stop at line terminators, as Java's '.'
        ("a?b", "a\rb", False),
        ("a\n*", "a\nb", True),
        ("*\u2028*", "x\u2028y", True),
        ("😀?", "😀😀", True),  # '?' is one code point
    ],
)
def test_like_rules(pattern: str, value: str, expected: bool) -> None:
    assert like_matches(pattern, value, case_insensitive=False) is expected
    if len(value) < 100:
        assert (like_to_regex(pattern, case_insensitive=False).match(value) is not None) is expected


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [("ABC*", "abcdef", True), ("straße", "STRASSE", False), ("ä*", "Ä", False), ("K", "\u212a", False)],
)
def test_ilike_folds_ascii_letters_only(pattern: str, value: str, expected: bool) -> None:
    assert like_matches(pattern, value, case_insensitive=True) is expected
    assert (like_to_regex(pattern, case_insensitive=True).match(value) is not None) is expected


def test_the_regex_is_anchored_at_both_ends() -> None:
    regex = like_to_regex("b*", case_insensitive=False)
    assert regex.match("abc") is None
    assert regex.search("abc") is None
    assert regex.match("bc\n") is None


_ALPHABET = st.sampled_from(list("ab*?.\nA\u2028"))


@settings(max_examples=500, deadline=None)
@given(st.text(_ALPHABET, max_size=8), st.text(_ALPHABET, max_size=10), st.booleans())
def test_like_matches_agrees_with_the_regex(pattern: str, value: str, insensitive: bool) -> None:
    regex = like_to_regex(pattern, case_insensitive=insensitive)
    assert like_matches(pattern, value, case_insensitive=insensitive) is (regex.match(value) is not None)
