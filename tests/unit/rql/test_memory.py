"""In-memory evaluation: Ditto's ThingPredicateVisitor semantics, incl. where they differ from search."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twinhub.model.types import JsonObject, JsonValue
from twinhub.rql import (
    Comparison,
    Empty,
    Exists,
    Node,
    Not,
    Or,
    Placeholder,
    matches,
    parse_filter,
    resolve_placeholders,
)

THING: JsonObject = {
    "thingId": "org.eclipse.ditto:foo-matching",
    "policyId": "org.eclipse.ditto:policy",
    "definition": "org.eclipse.ditto:lamp:1.0",
    "_revision": 7,
    "_created": "2024-01-01T00:00:00Z",
    "_modified": "2024-01-06T14:23:42.123Z",
    "attributes": {
        "anInteger": 42,
        "aWholeDouble": 42.0,
        "aLong": 42456489489489,
        "aDouble": 22.26,
        "aTinyDouble": 1.5e-5,
        "aBoolean": True,
        "aString": "ccc_string",
        "aNumericString": "42",
        "aNull": None,
        "anEmptyString": "",
        "anEmptyArray": [],
        "anEmptyObject": {},
        "aZero": 0,
        "aFalse": False,
        "tags": ["red", "green"],
        "nested": [[1, 2], [3, [4]]],
        "rooms": [{"name": "kitchen", "size": 12}, {"name": "hall"}, {"name": "cellar", "size": None}],
        "anObject": {"x": 1},
        "supplementary": "\U00010000",
        "umlaut": "Äpfel",
        "multiline": "a\nb",
    },
    "features": {
        "lamp": {"definition": ["org:lamp:1"], "properties": {"on": True, "watts": 60}},
        "sensor": {"properties": {"on": False, "temperature": 21.5}, "desiredProperties": {}},
        "empty": {},
    },
    "_metadata": {"attributes": {"sensorType": "self-pushing"}, "list": [{"a": 1}]},
}


def _matches(rql: str, thing: JsonObject = THING, extra: dict[str, JsonValue] | None = None) -> bool:
    return matches(parse_filter(rql), thing, extra=extra)


@pytest.mark.parametrize(
    ("rql", "expected"),
    [
        # ne is "no candidate equals": true for a missing field (search would say false); not(eq) alike.
        ("ne(attributes/missing,1)", True),
        ("eq(attributes/missing,1)", False),
        ("not(eq(attributes/missing,1))", True),
        ("ne(attributes/anInteger,42)", False),
        ("ne(attributes/anInteger,41)", True),
        # null: eq only for a JSON null; never ordered, never like
        ("eq(attributes/aNull,null)", True),
        ("eq(attributes/missing,null)", False),
        ("ne(attributes/missing,null)", True),
        ("ne(attributes/aNull,null)", False),
        ("eq(attributes/anInteger,null)", False),
        ("ge(attributes/aNull,null)", False),
        ('like(attributes/aNull,"*")', False),
        ("in(attributes/aNull,null)", False),
        # string against number: the string is read as a BigDecimal when it is one (search: no match)
        ('ge(attributes/anInteger,"41")', True),
        ('eq(attributes/anInteger,"42.00")', True),
        ('eq(attributes/anInteger,"4.2E1")', True),
        ("eq(attributes/aNumericString,42)", True),
        ("lt(attributes/aNumericString,42.5)", True),
        # otherwise mixed classes compare their toString() texts
        ('eq(attributes/aBoolean,"true")', True),
        ("eq(attributes/aNumericString,true)", False),
        ("gt(attributes/aString,5)", True),  # "ccc_string" > "5"
        ('lt(attributes/anInteger," 43")', False),  # not a BigDecimal: "42" vs " 43" as text
        ("gt(attributes/aBoolean,41)", True),  # "true" > "41"
        # numbers compare as BigDecimal, whatever their JSON form
        ("eq(attributes/aWholeDouble,42)", True),
        ("eq(attributes/anInteger,42.0)", True),
        ("gt(attributes/aLong,42456489489488.5)", True),
        ("eq(attributes/aDouble,22.26)", True),
        ("lt(attributes/aTinyDouble,0.0001)", True),
        # booleans: false < true; strings by UTF-16 code units
        ("lt(attributes/aFalse,true)", True),
        ('gt(attributes/aString,"ccc")', True),
        ('lt(attributes/supplementary,"\\uffff")', True),  # U+10000 is D800 DC00 in UTF-16
        # arrays: any element; ne fails if any equals; paths go through arrays of objects; nesting flattens
        ('eq(attributes/tags,"green")', True),
        ('ne(attributes/tags,"green")', False),
        ('ne(attributes/tags,"blue")', True),
        ('eq(attributes/rooms/name,"hall")', True),
        ("gt(attributes/rooms/size,10)", True),
        ("eq(attributes/rooms/size,null)", True),
        ("eq(attributes/nested,4)", True),
        ("in(attributes/nested,9,3)", True),
        # objects are never comparable
        ("eq(attributes/anObject,1)", False),
        ("ne(attributes/anObject,1)", True),
        ("eq(attributes/anObject/x,1)", True),
        # in: any candidate equals any value; null values match nothing
        ('in(attributes/tags,"blue","red")', True),
        ('in(attributes/anInteger,null,"42")', True),
        ("in(attributes/anInteger,1,2)", False),
        # like/ilike on the Java text of any scalar
        ('like(attributes/anInteger,"4?")', True),
        ('like(attributes/aWholeDouble,"42")', True),  # 42.0 is an Integer for Ditto
        ('like(attributes/aDouble,"22.2*")', True),
        ('like(attributes/aTinyDouble,"1.5E-5")', True),
        ('like(attributes/aBoolean,"t*e")', True),
        ('like(attributes/tags,"g*")', True),
        ('ilike(attributes/umlaut,"äPFEL")', False),  # Java folds US-ASCII only
        ('ilike(attributes/umlaut,"ÄPFEL")', True),
        ('like(attributes/multiline,"a*")', False),  # * does not cross a line break
        ('like(attributes/multiline,"a\\n?")', True),
        ("like(attributes/anInteger,42)", False),  # not a string: Ditto refuses it, here no match
        # simple fields and derived _namespace
        ('eq(thingId,"org.eclipse.ditto:foo-matching")', True),
        ('eq(_namespace,"org.eclipse.ditto")', True),
        ('eq(namespace,"org.eclipse.ditto")', True),
        ('eq(/policyId,"org.eclipse.ditto:policy")', True),
        ('like(definition,"*lamp*")', True),
        ("eq(_revision,7)", True),
        ('gt(_modified,"2024-01-06")', True),
        ('eq(_metadata/attributes/sensorType,"self-pushing")', True),
        ("eq(_metadata/list/a,1)", True),
        # features
        ("eq(features/lamp/properties/on,true)", True),
        ('eq(features/lamp/definition,"org:lamp:1")', True),
        ("eq(features/*/properties/on,false)", True),
        ("gt(features/*/properties/temperature,21)", True),
        ("ne(features/*/properties/on,true)", False),
        ("eq(features/*/properties/missing,1)", False),
        # unknown properties are missing (validate_filter_fields rejects them beforehand)
        ("eq(foo,1)", False),
        ("ne(foo,1)", True),
        ("exists(foo)", False),
    ],
)
def test_comparisons(rql: str, expected: bool) -> None:
    assert _matches(rql) is expected


@pytest.mark.parametrize(
    ("rql", "expected"),
    [
        ("exists(attributes/aNull)", True),
        ("exists(attributes/missing)", False),
        ("exists(attributes/rooms/size)", True),
        ("exists(attributes)", False),
        ("exists(attributes/)", True),
        ("exists(features/lamp)", True),
        ("exists(features/empty)", True),
        ("exists(features/nope)", False),
        ("exists(features/lamp/properties)", True),
        ("exists(features/lamp/desiredProperties)", False),
        ("exists(features/sensor/desiredProperties)", True),
        ("exists(features/lamp/definition)", True),
        ("exists(features/*)", True),
        ("exists(features/*/properties/temperature)", True),
        ("exists(features/*/properties/nothing)", False),
        ("exists(thingId)", True),
        ("exists(policyId)", True),
        ("exists(_metadata/attributes/sensorType)", True),
        ("exists(_metadata/list/a)", False),  # metadata exists does not walk through arrays
        # Ditto checks exists/empty on the JSON without hidden fields
        ("exists(_modified)", False),
        ("exists(_revision)", False),
        ("exists(_created)", False),
        ("exists(_namespace)", False),
        ("exists(_metadata)", False),
    ],
)
def test_exists(rql: str, expected: bool) -> None:
    assert _matches(rql) is expected


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("attributes/missing", True),
        ("attributes/aNull", True),
        ("attributes/anEmptyString", True),
        ("attributes/anEmptyArray", True),
        ("attributes/anEmptyObject", True),
        ("attributes/aZero", False),
        ("attributes/aFalse", False),
        ("attributes/aString", False),
        ("attributes/rooms/size", False),  # found through an array: a non-empty array of values
        ("features/empty", True),
        ("features/nope", True),
        ("features/lamp", False),
        ("features/sensor/desiredProperties", True),
        ("features/lamp/properties", False),
        ("features/empty/properties", True),
        ("features/*/desiredProperties", True),
        ("features/*/properties", False),
        ("thingId", False),
        ("_modified", True),  # hidden, see test_exists
        ("_metadata/attributes/sensorType", False),
        ("_metadata/attributes/nothing", True),
    ],
)
def test_empty(field: str, expected: bool) -> None:
    assert _matches(f"empty({field})") is expected


def test_empty_everywhere_on_a_thing_without_attributes_or_features() -> None:
    bare: JsonObject = {"thingId": "a:b"}
    assert _matches("empty(attributes/x)", bare)
    assert _matches("empty(features/f/properties/x)", bare)
    assert _matches("empty(features/*/properties/x)", bare)
    assert not _matches("exists(features/*)", bare)
    assert not _matches("eq(features/*/properties/x,1)", bare)


def test_namespace_is_derived_from_the_thing_id_only() -> None:
    thing: JsonObject = {"thingId": "ns:name", "_namespace": "other"}
    assert _matches('eq(_namespace,"ns")', thing)
    assert not _matches('eq(_namespace,"other")', thing)
    assert _matches('eq(_namespace,"")', {"thingId": ":name"})
    assert not _matches("exists(thingId)", {})
    assert _matches("ne(_namespace,1)", {})


@pytest.mark.parametrize(
    ("rql", "expected"),
    [
        ("and(eq(attributes/anInteger,42),exists(features/lamp))", True),
        ("and(eq(attributes/anInteger,42),exists(features/nope))", False),
        ("or(eq(attributes/anInteger,1),eq(attributes/anInteger,42))", True),
        ("or(eq(attributes/anInteger,1))", False),
        ("not(or(eq(attributes/anInteger,1)))", True),
    ],
)
def test_logical_operators(rql: str, expected: bool) -> None:
    assert _matches(rql) is expected


# --- placeholders and extra values ---------------------------------------------------------------


def test_extra_supplies_placeholder_properties_of_event_filters() -> None:
    extra: dict[str, JsonValue] = {"topic:action": "modified", "resource:path": "/attributes/x"}
    assert _matches("and(in(topic:action,'created','modified'),like(resource:path,'/attributes/*'))", extra=extra)
    assert _matches("exists(topic:action)", extra=extra)
    assert not _matches("exists(topic:subject)", extra=extra)
    assert _matches("empty(topic:subject)", extra=extra)
    assert not _matches("eq(topic:action,'created')", extra=extra)
    assert _matches("eq(attributes/anInteger,42)", extra={"attributes/anInteger": 1})  # thing fields come first


def test_placeholder_values_resolve_through_resolve_placeholders() -> None:
    now = datetime(2024, 1, 6, 15, 0, tzinfo=UTC)
    node = resolve_placeholders(parse_filter("and(lt(_modified,time:now),gt(_modified,time:now-1h))"), now)
    assert matches(node, THING)
    assert not matches(resolve_placeholders(parse_filter("lt(_modified,time:now[d])"), now), THING)
    millis = resolve_placeholders(parse_filter("lt(attributes/aLong,time:now_epoch_millis)"), now)
    assert matches(millis, {"attributes": {"aLong": 1704553199999}})
    assert not matches(millis, {"attributes": {"aLong": 1704553200000}})


def test_unresolved_placeholder_values_come_from_extra_or_are_null() -> None:
    node = Comparison("lt", "_modified", Placeholder("time:now"))
    assert matches(node, THING, extra={"time:now": "2025-01-01T00:00:00Z"})
    assert not matches(node, THING)
    # as in Ditto, an unresolvable value is null, and eq(f,null) matches a JSON null
    assert matches(Comparison("eq", "attributes/aNull", Placeholder("time:nope")), THING)


# --- properties ----------------------------------------------------------------------------------


_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=5),
)


@settings(max_examples=300, deadline=None)
@given(_SCALARS, _SCALARS)
def test_ne_is_always_the_negation_of_eq(field_value: JsonValue, literal: JsonValue) -> None:
    thing: JsonObject = {"attributes": {"x": field_value}}
    eq = matches(Comparison("eq", "attributes/x", literal), thing)  # type: ignore[arg-type]
    ne = matches(Comparison("ne", "attributes/x", literal), thing)  # type: ignore[arg-type]
    assert eq is not ne


_FINITE = st.floats(allow_nan=False, allow_infinity=False, allow_subnormal=False)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.integers(-(2**63), 2**63 - 1), _FINITE), _FINITE)
def test_numbers_order_as_big_decimals_of_their_shortest_texts(field_value: float, literal: float) -> None:
    # Java compares new BigDecimal(Double.toString(d)): the shortest decimal text, not the binary value; a JSON
    # double that is integral (and fits a long) reaches it as a Long, exactly.
    thing: JsonObject = {"attributes": {"x": field_value}}
    lt = matches(Comparison("lt", "attributes/x", literal), thing)
    eq = matches(Comparison("eq", "attributes/x", literal), thing)
    gt = matches(Comparison("gt", "attributes/x", literal), thing)
    assert [lt, eq, gt].count(True) == 1
    integral = isinstance(field_value, float) and field_value.is_integer() and abs(field_value) < 2**63
    field_decimal = Decimal(int(field_value)) if integral else Decimal(repr(field_value))
    assert lt is (field_decimal < Decimal(repr(literal)))


def test_an_integral_json_double_is_an_exact_long_but_a_double_literal_its_shortest_text() -> None:
    thing: JsonObject = {"attributes": {"x": 3.842865584956737e16}}  # exactly 38428655849567368
    assert matches(Comparison("eq", "attributes/x", 38428655849567368), thing)
    assert matches(Comparison("lt", "attributes/x", 3.842865584956737e16), thing)  # literal reads ...370


@pytest.mark.parametrize("special", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize(
    "rql", ["eq(attributes/x,1)", "gt(attributes/x,1.5)", 'like(attributes/x,"*")', "ne(attributes/x,1)"]
)
def test_non_finite_numbers_never_raise(special: float, rql: str) -> None:
    thing: JsonObject = {"attributes": {"x": special}}
    matches(parse_filter(rql), thing)
    matches(Comparison("gt", "attributes/x", special), {"attributes": {"x": 1}})


def test_infinities_order_beyond_all_numbers_and_nan_matches_no_comparison() -> None:
    assert _matches("gt(attributes/x,1.5)", {"attributes": {"x": math.inf}})
    assert not _matches("gt(attributes/x,1.5)", {"attributes": {"x": -math.inf}})
    assert not _matches("gt(attributes/x,1.5)", {"attributes": {"x": math.nan}})
    assert not _matches("lt(attributes/x,1.5)", {"attributes": {"x": math.nan}})


_JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=4)),
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.sampled_from(["a", "b", "*", "x"]), children, max_size=3)
    ),
    max_leaves=10,
)
_FIELDS = st.sampled_from(
    ["attributes/a", "attributes/a/b", "features/*/properties/a", "features/x/properties/a/b", "_metadata/a/b",
     "features/x", "thingId", "_namespace", "_modified", "topic:action", "", "attributes/a//b"]
)  # fmt: skip
_LITERALS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=4), st.just(Placeholder("time:now"))
)
_FILTERS = st.recursive(
    st.one_of(
        st.builds(
            Comparison, st.sampled_from(["eq", "ne", "gt", "ge", "lt", "le", "like", "ilike"]), _FIELDS, _LITERALS
        ),
        st.builds(Exists, _FIELDS),
        st.builds(Empty, _FIELDS),
    ),
    lambda children: st.one_of(st.builds(Not, children), st.builds(Or, st.lists(children, min_size=1).map(tuple))),
    max_leaves=4,
)


@settings(max_examples=400, deadline=None)
@given(_FILTERS, _JSON, _JSON, _JSON)
def test_any_filter_on_any_json_is_a_bool(
    node: Node, attributes: JsonValue, features: JsonValue, extra: JsonValue
) -> None:
    thing: JsonObject = {"thingId": "a:b", "attributes": attributes, "features": features, "_metadata": attributes}
    assert isinstance(matches(node, thing, extra={"topic:action": extra, "time:now": extra}), bool)
