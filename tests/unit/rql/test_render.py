from __future__ import annotations

import math

import pytest

from twinhub.rql import (
    And,
    Comparison,
    CursorOption,
    Empty,
    Exists,
    In,
    LimitOption,
    Node,
    Not,
    Placeholder,
    SizeOption,
    SortOption,
    parse_filter,
    render,
    render_options,
)

# Round trips over generated trees and options are in test_parser.py.


@pytest.mark.parametrize(
    ("node", "text"),
    [
        (Comparison("eq", "a,b)c", 'x"\\\n\x01'), 'eq(a\\u002cb\\u0029c,"x\\"\\\\\\n\\u0001")'),
        (Comparison("gt", "a", 1e22), "gt(a,10000000000000000000000.0)"),
        (Comparison("gt", "a", 1e-7), "gt(a,0.0000001)"),
        (Comparison("gt", "a", -math.inf), "gt(a,-1" + "0" * 309 + ".0)"),
        (In("a", (None, True, -3, "s", Placeholder("time:now"))), 'in(a,null,true,-3,"s",time:now)'),
        (And((Exists("x"), Not(Empty("y")))), "and(exists(x),not(empty(y)))"),
    ],
)
def test_render_is_canonical(node: Node, text: str) -> None:
    assert render(node) == text
    assert parse_filter(text) == node


@pytest.mark.parametrize(
    "node",
    [Comparison("eq", "a", math.nan), Comparison("eq", "a", 2**63), In("a", (-(2**63) - 1,))],
)
def test_render_refuses_what_rql_cannot_express(node: Node) -> None:
    with pytest.raises(ValueError):
        render(node)


def test_render_options_is_canonical() -> None:
    options = (SortOption((("+", "thingId"), ("-", "a,b"))), SizeOption(3), CursorOption("c)"), LimitOption(0, 1))
    assert render_options(options) == "sort(+thingId,-a\\u002cb),size(3),cursor(c\\u0029),limit(0,1)"
    with pytest.raises(ValueError):
        render_options([])
