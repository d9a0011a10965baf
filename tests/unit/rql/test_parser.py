from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twinhub.rql import (
    DEFAULT_MAX_DEPTH,
    DEFAULT_MAX_LENGTH,
    DEFAULT_MAX_TERMS,
    And,
    Comparison,
    CursorOption,
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
    SizeOption,
    SortOption,
    Value,
    check_terms,
    parse_filter,
    parse_options,
    render,
    render_options,
)

# --- what parses to what -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "node"),
    [
        ("eq(a,+5)", Comparison("eq", "a", 5)),
        ("eq(a,-9223372036854775808)", Comparison("eq", "a", -(2**63))),
        ("eq(a,9223372036854775807)", Comparison("eq", "a", 2**63 - 1)),
        ("eq(a,+0)", Comparison("eq", "a", 0)),
        ("eq(a,1 )", Comparison("eq", "a", 1)),
        ("eq(a,1\t\n\r\f)", Comparison("eq", "a", 1)),
        ('eq(a,"x" )', Comparison("eq", "a", "x")),
        ("eq(a,true )", Comparison("eq", "a", True)),
        (" \n\teq(a,1)", Comparison("eq", "a", 1)),
        ("eq( a ,1)", Comparison("eq", " a ", 1)),
        ("eq(,1)", Comparison("eq", "", 1)),
        ("exists()", Exists("")),
        ("exists(/attributes/a b/(c/'d')", Exists("/attributes/a b/(c/'d'")),
        ("empty(a\\u002cb\\u0029)", Empty("a,b)")),
        ('exists(a\\"b\\\\c\\/d\\te)', Exists('a"b\\c/d\te')),
        ("eq(a,'\\'\\\\\\/\\b\\f\\n\\r\\t\\u00e4')", Comparison("eq", "a", "'\\/\b\f\n\r\t\u00e4")),
        ('eq(a,"\\ud83d\\ude00")', Comparison("eq", "a", "\U0001f600")),
        ('eq(a,"😀,)(")', Comparison("eq", "a", "😀,)(")),
        ("in(a,1 ,2)", In("a", (1, 2))),
        ("in(a,time:now,null)", In("a", (Placeholder("time:now"), None))),
        ("and(eq(a,1),\n\t eq(b,2))", And((Comparison("eq", "a", 1), Comparison("eq", "b", 2)))),
        ("or(not(exists(x)))", Or((Not(Exists("x")),))),
        ("lt(_modified,time:now-1h)", Comparison("lt", "_modified", Placeholder("time:now-1h"))),
        (
            "lt(_modified,time:now_epoch_millis[h])",
            Comparison("lt", "_modified", Placeholder("time:now_epoch_millis[h]")),
        ),
        ("lt(_modified,time:now )", Comparison("lt", "_modified", Placeholder("time:now "))),
    ],
)
def test_filters_parse_to_these_trees(text: str, node: Node) -> None:
    assert parse_filter(text) == node


@pytest.mark.parametrize(
    ("text", "value"),
    [("eq(a,1)", 1), ("eq(a,1.0)", 1.0), ("eq(a,-0.0)", -0.0), ("eq(a,0.5)", 0.5), ("eq(a,true)", True)],
)
def test_literal_types_are_kept(text: str, value: Value) -> None:
    node = parse_filter(text)
    assert isinstance(node, Comparison)
    assert type(node.value) is type(value)
    assert node.value == value
    if isinstance(value, float):
        assert math.copysign(1.0, node.value) == math.copysign(1.0, value)  # type: ignore[arg-type]


def test_a_double_beyond_the_java_range_is_infinity_as_in_java() -> None:
    node = parse_filter("eq(a," + "9" * 400 + ".5)")
    assert isinstance(node, Comparison)
    assert node.value == math.inf


# --- what does not parse, and where --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "position", "reason"),
    [
        ("", 0, "expected an RQL operator"),
        ("eq(a, 1)", 5, "no whitespace is allowed before a literal"),
        ("eq(a,1) ", 7, "no whitespace is allowed after the last ')'"),
        ("and(eq(a,1) ,eq(b,2))", 11, "expected ',' or ')'"),
        ("not( eq(a,1))", 4, "expected an RQL operator"),
        ("not(eq(a,1),eq(b,2))", 11, "not() takes exactly one query"),
        ("eq(a,1,2)", 6, "eq() takes one value"),
        ("eq(a)", 4, "expected ','"),
        ('exists("a")', 7, "properties are not quoted"),
        ("eqx(a,1)", 2, "expected '('"),
        ("eq (a,1)", 2, "expected '('"),
        ("EQ(a,1)", 0, "expected an RQL operator"),
        ("eq(a,TRUE)", 5, "expected a literal"),
        ("eq(a,test)", 5, "expected a literal"),
        ("eq(a,foo:bar)", 5, "expected a literal"),
        ("eq(a,-0)", 5, "'-0' is not a valid integer literal"),
        ("eq(a,0123)", 6, "expected ')'"),
        ("eq(a,1e5)", 6, "expected ')'"),
        ("eq(a,127.)", 9, "expected a digit after '.'"),
        ("eq(a,.7)", 5, "expected a literal"),
        ("eq(a,9223372036854775808)", 5, "out of the range of a 64-bit long"),
        ("eq(a,-9223372036854775809)", 5, "out of the range of a 64-bit long"),
        ('eq(a,"x\\\'y")', 8, "invalid escape sequence"),
        ("eq(a,'x\\\"y')", 8, "invalid escape sequence"),
        ('eq(a,"\\u12")', 8, "expected four hex digits"),
        ('eq(a,"\\ud800")', 5, "unpaired UTF-16 surrogate"),
        ('eq(a,"abc', 9, 'expected the closing " of the string opened at position 5'),
        ("eq(a\\x,1)", 5, "invalid escape sequence"),
        ("eq(a,time:)", 10, "expected a placeholder name"),
        ("eq(a,time:now\n)", 13, "must not contain a line break"),
        ("eq(a,\ud800)", 5, "unpaired UTF-16 surrogate in the input"),
        ("in(a)", 4, "expected ','"),
        ("in(a,1, 2)", 7, "expected a literal"),
        ("and()", 4, "expected an RQL operator"),
        ("and(eq(a,1),)", 12, "expected an RQL operator"),
    ],
)
def test_errors_point_at_the_offending_position(text: str, position: int, reason: str) -> None:
    with pytest.raises(RqlInvalid) as caught:
        parse_filter(text)
    error = caught.value
    assert error.position == position
    assert reason in error.message
    assert error.message.startswith(f"The RQL expression is invalid at position {position} ")


def test_the_error_shows_the_line_with_a_caret_under_the_position() -> None:
    with pytest.raises(RqlInvalid) as caught:
        parse_filter('and(eq(a,1),eq(b,"x")x)')
    message = caught.value.message
    assert message.splitlines() == [
        "The RQL expression is invalid at position 21 (line 1, column 22): expected ',' or ')', found 'x'",
        'and(eq(a,1),eq(b,"x")x)',
        "                     ^",
    ]


def test_the_error_on_a_later_line_names_line_and_column() -> None:
    with pytest.raises(RqlInvalid) as caught:
        parse_filter("and(eq(a,1),\n  eq(b,x))")
    assert caught.value.position == 20
    assert caught.value.message.splitlines()[1:] == ["  eq(b,x))", "       ^"]
    assert "(line 2, column 8)" in caught.value.message


def test_a_long_input_is_cut_around_the_position() -> None:
    text = "eq(" + "a" * 500 + ",x)"
    with pytest.raises(RqlInvalid) as caught:
        parse_filter(text)
    snippet, caret = caught.value.message.splitlines()[1:]
    assert len(snippet) < 100
    assert snippet.startswith("…") and snippet.endswith(",x)")
    assert snippet[caret.index("^")] == "x"


def test_the_error_carries_dittos_code_status_and_description() -> None:
    with pytest.raises(RqlInvalid) as caught:
        parse_filter("eq(a,")
    assert caught.value.to_json() == {
        "status": 400,
        "error": "rql.expression.invalid",
        "message": caught.value.message,
        "description": "Ensure that all opening parentheses have also closing ones and that the RQL expression "
        "is valid.",
    }


# --- bounds --------------------------------------------------------------------------------------


def _nested(levels: int) -> str:
    return "not(" * (levels - 1) + "eq(a,1)" + ")" * (levels - 1)


def test_nesting_up_to_the_depth_limit_parses() -> None:
    node = parse_filter(_nested(DEFAULT_MAX_DEPTH))
    for _ in range(DEFAULT_MAX_DEPTH - 1):
        assert isinstance(node, Not)
        node = node.child
    assert node == Comparison("eq", "a", 1)


@pytest.mark.parametrize("levels", [DEFAULT_MAX_DEPTH + 1, 10_000])
def test_deeper_nesting_is_rejected_without_a_recursion_error(levels: int) -> None:
    with pytest.raises(RqlInvalid) as caught:
        parse_filter(_nested(levels))
    assert caught.value.position == 4 * DEFAULT_MAX_DEPTH
    assert f"nested deeper than the limit of {DEFAULT_MAX_DEPTH} levels" in caught.value.message


def test_the_depth_limit_is_an_argument() -> None:
    assert parse_filter(_nested(3), max_depth=3)
    with pytest.raises(RqlInvalid):
        parse_filter(_nested(4), max_depth=3)


def test_the_depth_limit_is_what_sqlite_plans_with_room_to_spare() -> None:
    # 63 nested not() used to parse, then overflowed SQLite's parser stack: 503 instead of 400.
    assert DEFAULT_MAX_DEPTH == 10
    with pytest.raises(RqlInvalid, match="nested deeper than the limit of 10 levels"):
        parse_filter(_nested(63))
    mixed = "and(eq(a,1),or(not(" * 3 + "exists(b)" + ")))" * 3
    assert parse_filter(mixed)
    with pytest.raises(RqlInvalid):
        parse_filter("not(" + mixed + ")")


def _terms(count: int, operator: str = "and") -> str:
    return f"{operator}(" + ",".join(f"eq(attributes/a{n},{n})" for n in range(count)) + ")"


def test_up_to_the_term_limit_parses_and_one_more_is_rejected_at_that_term() -> None:
    assert DEFAULT_MAX_TERMS == 32
    node = parse_filter(_terms(DEFAULT_MAX_TERMS))
    assert isinstance(node, And) and len(node.children) == DEFAULT_MAX_TERMS
    text = _terms(DEFAULT_MAX_TERMS + 1, "or")
    with pytest.raises(RqlInvalid) as caught:
        parse_filter(text)
    assert caught.value.position == text.index(f"eq(attributes/a{DEFAULT_MAX_TERMS},")
    assert f"more than the limit of {DEFAULT_MAX_TERMS} terms" in caught.value.message


@pytest.mark.parametrize("text", [
    _terms(2000),  # 503 before: PostgreSQL planned it past the statement timeout
    "and(" + ",".join(f"not(exists(attributes/a{n}))" for n in range(DEFAULT_MAX_TERMS + 1)) + ")",
    "or(" + ",".join(f"in(a{n},1,2)" for n in range(20)) + "," + ",".join(f"empty(b{n})" for n in range(13)) + ")",
])
def test_every_kind_of_term_counts_wherever_it_is(text: str) -> None:
    with pytest.raises(RqlInvalid, match="terms"):
        parse_filter(text)


def test_the_term_limit_is_an_argument() -> None:
    assert parse_filter(_terms(3), max_terms=3)
    with pytest.raises(RqlInvalid):
        parse_filter(_terms(4), max_terms=3)


def test_check_terms_bounds_several_filters_together() -> None:
    half = parse_filter(_terms(DEFAULT_MAX_TERMS // 2))
    check_terms(And((half, half)))
    with pytest.raises(RqlInvalid, match=f"{DEFAULT_MAX_TERMS + 1} terms"):
        check_terms(And((half, half, Not(Exists("x")))))


def test_inputs_longer_than_the_limit_are_rejected_before_parsing() -> None:
    text = "eq(a," + "1" * (DEFAULT_MAX_LENGTH - 6) + ")"
    assert len(text) == DEFAULT_MAX_LENGTH
    with pytest.raises(RqlInvalid, match="out of the range"):
        parse_filter(text)
    with pytest.raises(RqlInvalid, match=f"more than the limit of {DEFAULT_MAX_LENGTH}"):
        parse_filter(text + " ")
    with pytest.raises(RqlInvalid, match="more than the limit of 5"):
        parse_filter("eq(a,1)", max_length=5)
    with pytest.raises(RqlOptionInvalid, match="more than the limit of 5"):
        parse_options("size(10)", max_length=5)


def test_a_huge_fraction_parses_quickly() -> None:
    node = parse_filter("eq(a,1." + "1" * (DEFAULT_MAX_LENGTH - 10) + ")")
    assert isinstance(node, Comparison)
    assert node.value == pytest.approx(1.1111111)


# --- options -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "options"),
    [
        ("sort(+thingId)", (SortOption((("+", "thingId"),)),)),
        ("sort(+a,-/b/c d)", (SortOption((("+", "a"), ("-", "/b/c d"))),)),
        ("sort(+)", (SortOption((("+", ""),)),)),
        ("size(007)", (SizeOption(7),)),
        ("size(2147483647)", (SizeOption(2**31 - 1),)),
        ("size(000000000000000000002)", (SizeOption(2),)),
        ("cursor()", (CursorOption(""),)),
        ("cursor(a b\\u0029)", (CursorOption("a b)"),)),
        ("limit(-1 ,5 )", (LimitOption(-1, 5),)),
        ("limit(+3,9223372036854775807)", (LimitOption(3, 2**63 - 1),)),
        (" size(1),size(2)", (SizeOption(1), SizeOption(2))),
    ],
)
def test_options_parse_to_these_values(text: str, options: tuple[Option, ...]) -> None:
    assert parse_options(text) == options


@pytest.mark.parametrize(
    ("text", "position", "reason"),
    [
        ("", 0, "expected an option"),
        ("sort(+a, -b)", 8, "expected the sort direction"),
        ("sort( thingId)", 5, "must be encoded as %2B"),
        ("sort(+a//b)", 6, "consecutive slashes"),
        ("size(-1)", 5, "expected a digit"),
        ("size(2147483648)", 5, "out of the range of a 32-bit int"),
        ("size(1) ", 7, "expected ',' or end of input"),
        ("size(1), size(2)", 8, "expected an option"),
        ("limit(0)", 7, "expected ','"),
        ("limit(-0,1)", 6, "'-0' is not a valid integer literal"),
        ("limit(0.5,1)", 7, "expected ','"),
        ("Sort(+a)", 0, "expected an option"),
    ],
)
def test_option_errors_point_at_the_offending_position(text: str, position: int, reason: str) -> None:
    with pytest.raises(RqlOptionInvalid) as caught:
        parse_options(text)
    error = caught.value
    assert (error.code, error.status, error.position) == ("thing-search:search.option.invalid", 400, position)
    assert error.description == "At least one provided option is invalid."
    assert reason in error.message
    assert error.message.startswith(f"The RQL option is invalid at position {position} ")


# --- robustness: any text is a tree or RqlInvalid --------------------------------------------------

_RQL_ALPHABET = st.sampled_from(
    [*"eqnlgtikoradxsmpy(),\"'\\/ \t+-.0123456789:*?u", "eq(", "and(", "not(", "time:now", "\\u0041", "sort("]
)
_RQL_LIKE_TEXT = st.lists(_RQL_ALPHABET, max_size=40).map("".join)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=60), _RQL_LIKE_TEXT))
def test_any_text_is_a_filter_or_rql_invalid(text: str) -> None:
    try:
        parse_filter(text)
    except RqlInvalid as error:
        assert error.position is not None


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=60), _RQL_LIKE_TEXT))
def test_any_text_is_options_or_rql_option_invalid(text: str) -> None:
    try:
        parse_options(text)
    except RqlOptionInvalid as error:
        assert error.position is not None


# --- round trips through render ------------------------------------------------------------------

_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
_PLACEHOLDERS = st.one_of(
    st.sampled_from(["time:now", "time:now-1h", "time:now[d]", "time:now_epoch_millis+3mo[w]", "time:a\\u0029 b"]),
    st.text(st.characters(exclude_categories=["Cs"], exclude_characters=',)"\\\n\r\x85\u2028\u2029'), min_size=1).map(
        lambda name: "time:" + name
    ),
).map(Placeholder)
_VALUES: st.SearchStrategy[Value] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False),
    _TEXT,
    _PLACEHOLDERS,
)
_OPS = st.sampled_from(["eq", "ne", "gt", "ge", "lt", "le", "like", "ilike"])
_LEAVES: st.SearchStrategy[Node] = st.one_of(
    st.builds(Comparison, _OPS, _TEXT, _VALUES),
    st.builds(In, _TEXT, st.lists(_VALUES, min_size=1, max_size=4).map(tuple)),
    st.builds(Exists, _TEXT),
    st.builds(Empty, _TEXT),
)
_NODES: st.SearchStrategy[Node] = st.recursive(
    _LEAVES,
    lambda children: st.one_of(
        st.builds(And, st.lists(children, min_size=1, max_size=3).map(tuple)),
        st.builds(Or, st.lists(children, min_size=1, max_size=3).map(tuple)),
        st.builds(Not, children),
    ),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None)
@given(_NODES)
def test_rendered_trees_parse_back_to_the_same_tree(node: Node) -> None:
    text = render(node)
    parsed = parse_filter(text)
    assert parsed == node
    assert render(parsed) == text  # also tells 1 from 1.0 and True, and 0.0 from -0.0


_SORT_FIELDS = _TEXT.filter(lambda field: "//" not in field)
_OPTIONS: st.SearchStrategy[Option] = st.one_of(
    st.builds(
        SortOption,
        st.lists(st.tuples(st.sampled_from(["+", "-"]), _SORT_FIELDS), min_size=1, max_size=3).map(tuple),
    ),
    st.builds(SizeOption, st.integers(min_value=0, max_value=2**31 - 1)),
    st.builds(CursorOption, _TEXT),
    st.builds(LimitOption, st.integers(-(2**63), 2**63 - 1), st.integers(-(2**63), 2**63 - 1)),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_OPTIONS, min_size=1, max_size=4))
def test_rendered_options_parse_back_to_the_same_options(options: list[Option]) -> None:
    assert parse_options(render_options(options)) == tuple(options)
