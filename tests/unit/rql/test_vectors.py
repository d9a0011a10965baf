"""Every RQL conformance vector of `data/rql_vectors.json` (from Ditto's own tests and docs)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.rql.vectors import load_vectors
from twinhub.rql import (
    And,
    Comparison,
    Empty,
    Exists,
    In,
    LimitOption,
    Node,
    Not,
    Option,
    Or,
    Placeholder,
    RqlInvalid,
    RqlOptionInvalid,
    SortOption,
    Value,
    like_matches,
    like_to_regex,
    matches,
    parse_filter,
    parse_options,
    validate_filter_fields,
)

VECTORS: list[dict[str, Any]] = load_vectors()


def _of_kind(kind: str) -> list[Any]:
    return [
        pytest.param(vector, id=f"{index}:{vector['input'][:50]}")
        for index, vector in enumerate(VECTORS)
        if vector["kind"] == kind
    ]


def test_the_vector_file_has_all_146_vectors() -> None:
    kinds = [vector["kind"] for vector in VECTORS]
    assert len(VECTORS) == 146
    assert {kind: kinds.count(kind) for kind in set(kinds)} == {
        "filter": 99,
        "option": 15,
        "like-match": 13,
        "eval": 19,
    }


# --- filters ---------------------------------------------------------------------------------------


_VALUE_TYPES: dict[str, type[Any]] = {"long": int, "double": float, "string": str, "boolean": bool, "null": type(None)}


def _typed(values: tuple[Value, ...]) -> list[tuple[type, Value]]:
    """Values with their exact types, so that 1 == True == 1.0 cannot pass for one another."""
    return [(type(value), value) for value in values]


def _assert_parsed_as(node: Node, expected: dict[str, Any]) -> None:
    """Map a vector's `expected_parse` (Ditto's AST as JSON) onto ours."""
    op = expected["op"]
    if op in ("and", "or"):
        assert isinstance(node, And if op == "and" else Or)
        assert len(node.children) == expected["children"]
    elif op == "not":
        assert isinstance(node, Not)
        assert expected["children"] == 1
    elif op in ("exists", "empty"):
        assert node == (Exists if op == "exists" else Empty)(expected["property"])
    elif op == "in":
        assert isinstance(node, In)
        assert node.field == expected["property"]
        assert _typed(node.values) == _typed(tuple(expected["values"]))
    else:
        placeholder = expected["value_type"] == "placeholder"
        value = Placeholder(expected["value"]) if placeholder else expected["value"]
        assert isinstance(node, Comparison)
        assert (node.op, node.field) == (op, expected["property"])
        assert type(node.value) is (Placeholder if placeholder else _VALUE_TYPES[expected["value_type"]])
        assert node.value == value


@pytest.mark.parametrize("vector", _of_kind("filter"))
def test_filter_vector(vector: dict[str, Any]) -> None:
    if not vector["valid"]:
        # Includes the one documented doc bug (conditionParam.yml lacks a ')'): it must be rejected.
        with pytest.raises(RqlInvalid) as caught:
            parse_filter(vector["input"])
        assert caught.value.code == "rql.expression.invalid"
        assert caught.value.position is not None
        return
    node = parse_filter(vector["input"])
    if "expected_parse" in vector:
        _assert_parsed_as(node, vector["expected_parse"])


# --- options ---------------------------------------------------------------------------------------


def _option_as_vector_json(option: Option) -> dict[str, Any]:
    """Our option in the vectors' shape: sort fields as Ditto's JSON pointers (leading '/', no empty keys)."""
    if isinstance(option, SortOption):
        return {
            "sort": [
                [direction, "/" + "/".join(k for k in field.split("/") if k)] for direction, field in option.fields
            ]
        }
    assert isinstance(option, LimitOption)
    return {"limit": [option.offset, option.count]}


@pytest.mark.parametrize("vector", _of_kind("option"))
def test_option_vector(vector: dict[str, Any]) -> None:
    if not vector["valid"]:
        with pytest.raises(RqlOptionInvalid) as caught:
            parse_options(vector["input"])
        assert caught.value.code == "thing-search:search.option.invalid"
        return
    options = parse_options(vector["input"])
    if "expected_parse" in vector:
        assert [_option_as_vector_json(option) for option in options] == vector["expected_parse"]


# --- like patterns and in-memory evaluation --------------------------------------------------------


@pytest.mark.parametrize("vector", _of_kind("like-match"))
def test_like_match_vector(vector: dict[str, Any]) -> None:
    pattern, value, insensitive = vector["input"], vector["value"], vector["case_insensitive"]
    assert like_matches(pattern, value, case_insensitive=insensitive) is vector["expected_match"]
    assert (like_to_regex(pattern, case_insensitive=insensitive).match(value) is not None) is vector["expected_match"]


@pytest.mark.parametrize("vector", _of_kind("eval"))
def test_eval_vector(vector: dict[str, Any]) -> None:
    node = parse_filter(vector["input"])
    validate_filter_fields(node)
    assert matches(node, vector["thing"]) is vector["expected_match"]
