from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twinhub.model.errors import ThingNotModified, ThingPreconditionFailed, TwinhubError
from twinhub.model.etag import check_preconditions, hash_tag, revision_tag
from twinhub.model.types import MISSING, JsonValue

REV4 = '"rev:4"'


def _check(*, if_match: str | None = None, if_none_match: str | None = None, current: str | None = REV4,
           is_read: bool = False) -> TwinhubError | None:
    try:
        check_preconditions(if_match=if_match, if_none_match=if_none_match, current=current, is_read=is_read)
    except TwinhubError as error:
        return error
    return None


# --- tags -----------------------------------------------------------------------------------


def test_revision_tag_is_a_quoted_rev() -> None:
    assert revision_tag(4711) == '"rev:4711"'


def test_hash_tag_is_a_quoted_strong_hash() -> None:
    tag = hash_tag({"a": 1})
    assert tag.startswith('"hash:')
    assert tag.endswith('"')
    assert not tag.startswith("W/")


def test_hash_tags_differ_for_different_json() -> None:
    assert hash_tag({"a": 1}) != hash_tag({"a": 2})
    assert hash_tag(1) != hash_tag(True)
    assert hash_tag(1) != hash_tag(1.0)
    assert hash_tag(None) != hash_tag({})
    assert hash_tag([1, 2]) != hash_tag([2, 1])


def test_nothing_readable_has_a_tag_of_its_own() -> None:
    assert hash_tag(MISSING).startswith('"hash:')
    assert hash_tag(MISSING) not in {hash_tag(None), hash_tag({}), hash_tag(""), hash_tag([])}


def test_hash_tag_ignores_key_order_at_every_level() -> None:
    assert hash_tag({"a": 1, "b": {"x": 1, "y": [{"p": 1, "q": 2}]}}) == hash_tag(
        {"b": {"y": [{"q": 2, "p": 1}], "x": 1}, "a": 1}
    )


KEYS = st.text(max_size=3)
# orjson parses integers outside [-2**63, 2**64) as floats, so JSON never carries bigger ones.
SCALARS = (st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1)
           | st.floats(allow_nan=False, allow_infinity=False) | st.text())
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=4),
                    max_leaves=15)


def _reordered(value: JsonValue, rng: st.DataObject) -> JsonValue:
    if isinstance(value, dict):
        keys = rng.draw(st.permutations(list(value)))
        return {key: _reordered(value[key], rng) for key in keys}
    if isinstance(value, list):
        return [_reordered(item, rng) for item in value]
    return value


@given(JSON, st.data())
def test_hash_tags_are_equal_for_equal_json_in_any_key_order(value: JsonValue, data: st.DataObject) -> None:
    assert hash_tag(_reordered(value, data)) == hash_tag(value)


# --- If-Match -------------------------------------------------------------------------------


@pytest.mark.parametrize("is_read", [True, False])
def test_if_match_with_the_current_tag_passes(is_read: bool) -> None:
    assert _check(if_match=REV4, is_read=is_read) is None


@pytest.mark.parametrize("header", ['"rev:3", "rev:4"', '"rev:4","rev:5"', ' "rev:1" ,  "rev:4" ', '"rev:4",'])
def test_if_match_passes_when_any_tag_of_the_list_matches(header: str) -> None:
    assert _check(if_match=header) is None


@pytest.mark.parametrize("is_read", [True, False])
def test_if_match_with_another_tag_is_precondition_failed_for_reads_and_writes(is_read: bool) -> None:
    error = _check(if_match='"rev:3", "rev:5"', is_read=is_read)
    assert isinstance(error, ThingPreconditionFailed)
    assert error.code == "things:precondition.failed"
    assert error.status == 412


@pytest.mark.parametrize("is_read", [True, False])
def test_if_match_star_passes_when_the_resource_exists(is_read: bool) -> None:
    assert _check(if_match="*", is_read=is_read) is None
    assert _check(if_match='"rev:1", *', is_read=is_read) is None


@pytest.mark.parametrize("header", ["*", REV4])
@pytest.mark.parametrize("is_read", [True, False])
def test_if_match_fails_when_the_resource_is_missing(header: str, is_read: bool) -> None:
    error = _check(if_match=header, current=None, is_read=is_read)
    assert isinstance(error, ThingPreconditionFailed)
    assert error.status == 412


def test_if_match_uses_strong_comparison() -> None:
    assert isinstance(_check(if_match=f"W/{REV4}"), ThingPreconditionFailed)


def test_if_match_does_not_match_an_unquoted_tag() -> None:
    assert isinstance(_check(if_match="rev:4"), ThingPreconditionFailed)


def test_if_match_works_with_hash_tags() -> None:
    tag = hash_tag({"on": True})
    assert _check(if_match=tag, current=hash_tag({"on": True})) is None
    assert isinstance(_check(if_match=tag, current=hash_tag({"on": False})), ThingPreconditionFailed)


# --- If-None-Match --------------------------------------------------------------------------


def test_if_none_match_star_on_a_missing_resource_passes() -> None:
    assert _check(if_none_match="*", current=None) is None
    assert _check(if_none_match="*", current=None, is_read=True) is None


def test_if_none_match_star_on_an_existing_resource_fails_a_write_with_412() -> None:
    error = _check(if_none_match="*", is_read=False)
    assert isinstance(error, ThingPreconditionFailed)
    assert error.code == "things:precondition.failed"
    assert error.status == 412


def test_if_none_match_star_on_an_existing_resource_answers_a_read_with_304() -> None:
    error = _check(if_none_match="*", is_read=True)
    assert isinstance(error, ThingNotModified)
    assert error.code == "things:precondition.notmodified"
    assert error.status == 304
    assert error.etag == REV4


@pytest.mark.parametrize("header", [REV4, f'"rev:1", {REV4}', f"W/{REV4}", f'"rev:1",W/{REV4}'])
def test_if_none_match_list_containing_the_tag_gives_304_on_read_and_412_on_write(header: str) -> None:
    assert isinstance(_check(if_none_match=header, is_read=True), ThingNotModified)
    assert isinstance(_check(if_none_match=header, is_read=False), ThingPreconditionFailed)


@pytest.mark.parametrize("header", ['"rev:3"', '"rev:3", "rev:5"', 'W/"rev:3"', '"rev:44"'])
@pytest.mark.parametrize("is_read", [True, False])
def test_if_none_match_with_other_tags_passes(header: str, is_read: bool) -> None:
    assert _check(if_none_match=header, is_read=is_read) is None


def test_if_none_match_compares_weakly_against_a_weak_current_tag() -> None:
    assert isinstance(_check(if_none_match=REV4, current=f"W/{REV4}", is_read=True), ThingNotModified)


@pytest.mark.parametrize("header", [REV4, '"rev:3"'])
def test_if_none_match_with_tags_on_a_missing_resource_passes(header: str) -> None:
    assert _check(if_none_match=header, current=None) is None


# --- both headers and no headers ------------------------------------------------------------


@pytest.mark.parametrize("current", [REV4, None])
@pytest.mark.parametrize("is_read", [True, False])
def test_no_conditional_headers_always_pass(current: str | None, is_read: bool) -> None:
    assert _check(current=current, is_read=is_read) is None


def test_a_failing_if_match_wins_over_if_none_match_even_on_reads() -> None:
    error = _check(if_match='"rev:3"', if_none_match="*", is_read=True)
    assert isinstance(error, ThingPreconditionFailed)
    assert error.status == 412


def test_passing_if_match_then_matching_if_none_match_gives_304_on_read() -> None:
    assert isinstance(_check(if_match=REV4, if_none_match=REV4, is_read=True), ThingNotModified)


def test_passing_both_headers_passes() -> None:
    assert _check(if_match=REV4, if_none_match='"rev:3"') is None


def test_precondition_failed_message_names_header_value_and_current_tag() -> None:
    error = _check(if_match='"rev:3"')
    assert error is not None
    assert "if-match" in error.message
    assert '"rev:3"' in error.message
    assert REV4 in error.message
