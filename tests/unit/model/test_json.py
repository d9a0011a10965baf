"""The one parser of untrusted JSON (nesting bounded) and the encoder that writes any depth."""

from __future__ import annotations

import json

import orjson
import pytest

from twinhub.model.json import MAX_JSON_DEPTH, JsonTooDeep, check_depth, dumps, loads
from twinhub.model.types import JsonValue


def nested(levels: int, *, leaf: JsonValue = 1) -> JsonValue:
    """`levels` containers around `leaf`, alternating objects and arrays (with siblings that add no depth)."""
    value = leaf
    for n in range(levels):
        value = [0, value, "x"] if n % 2 else {"a": value, "b": None, "c": "s"}
    return value


@pytest.mark.parametrize("as_text", [False, True])
def test_loads_accepts_the_limit_and_refuses_one_level_more(as_text: bool) -> None:
    for levels, accepted in ((MAX_JSON_DEPTH, True), (MAX_JSON_DEPTH + 1, False)):
        data = orjson.dumps(nested(levels))
        text: bytes | str = data.decode() if as_text else data
        if accepted:
            assert loads(text) == nested(levels)
        else:
            with pytest.raises(JsonTooDeep, match=f"limit of {MAX_JSON_DEPTH} levels"):
                loads(text)


def test_too_deep_is_a_value_error_like_malformed_json() -> None:
    with pytest.raises(ValueError):
        loads("[" * 101 + "]" * 101)
    with pytest.raises(ValueError):
        loads("[" * 2000)


def test_brackets_inside_strings_do_not_count() -> None:
    value: JsonValue = {"text": "[{" * 500, "list": [["[" * 300]]}
    assert loads(orjson.dumps(value)) == value


def test_wide_documents_with_many_containers_are_fine() -> None:
    value: JsonValue = {"attributes": {f"k{n}": {"v": [n, {"w": n}]} for n in range(500)}}
    assert loads(orjson.dumps(value)) == value


def test_the_limit_is_a_parameter_and_none_turns_it_off() -> None:
    with pytest.raises(JsonTooDeep):
        loads(b"[[[1]]]", max_depth=2)
    assert loads(b"[[1]]", max_depth=2) == [[1]]
    deep = "[" * 1000 + "]" * 1000
    assert isinstance(loads(deep, max_depth=None), list)


def test_check_depth_counts_containers_from_one() -> None:
    check_depth(1, 0)
    check_depth([], 1)
    check_depth({"a": [1]}, 2)
    with pytest.raises(JsonTooDeep):
        check_depth([], 0)
    with pytest.raises(JsonTooDeep):
        check_depth({"a": [{}]}, 2)


def test_dumps_is_orjson_for_ordinary_values() -> None:
    value = nested(50, leaf="ü\"\n")
    assert dumps(value) == orjson.dumps(value)


@pytest.mark.parametrize("levels", [255, 256, 900])
def test_dumps_writes_values_deeper_than_orjson_can(levels: int) -> None:
    # Only data stored before the nesting limit can be that deep; it must still render.
    value = nested(levels, leaf=[1.5, None, True, "é"])
    with pytest.raises(orjson.JSONEncodeError):
        orjson.dumps(value)
    assert dumps(value) == json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def test_dumps_still_refuses_what_is_not_json() -> None:
    with pytest.raises(TypeError):
        dumps({"a": {1, 2}})  # type: ignore[dict-item]
    with pytest.raises(TypeError):
        dumps(nested(300, leaf={1: 2}))  # type: ignore[dict-item]
