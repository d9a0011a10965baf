from __future__ import annotations

import pytest

from twinhub.rql import (
    FieldPath,
    RqlInvalid,
    RqlOptionInvalid,
    parse_filter,
    parse_options,
    resolve_field,
    resolve_sort_field,
    validate_filter_fields,
    validate_sort_fields,
)


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("thingId", FieldPath("thingId")),
        ("/thingId", FieldPath("thingId")),
        ("_namespace", FieldPath("namespace")),
        ("namespace", FieldPath("namespace")),
        ("policyId", FieldPath("policyId")),
        ("_revision", FieldPath("revision")),
        ("_created", FieldPath("created")),
        ("_modified", FieldPath("modified")),
        ("definition", FieldPath("definition")),
        ("attributes/a", FieldPath("json", ("attributes", "a"))),
        ("/attributes/a/b c/d:e", FieldPath("json", ("attributes", "a", "b c", "d:e"))),
        ("attributes/a/", FieldPath("json", ("attributes", "a"))),
        ("attributes/", FieldPath("json", ("attributes",))),
        ("attributes/a~0b", FieldPath("json", ("attributes", "a~b"))),
        ("_metadata", FieldPath("json", ("_metadata",))),
        ("_metadata/attributes/x", FieldPath("json", ("_metadata", "attributes", "x"))),
        ("features/f/properties/p/q", FieldPath("json", ("features", "f", "properties", "p", "q"))),
        ("features/*/properties/p", FieldPath("json", ("features", "*", "properties", "p"))),
        ("features/f/desiredProperties/p", FieldPath("json", ("features", "f", "desiredProperties", "p"))),
        ("features/f/definition", FieldPath("json", ("features", "f", "definition"))),
        ("features/*/definition/", FieldPath("json", ("features", "*", "definition"))),
        ("features/properties/properties/x", FieldPath("json", ("features", "properties", "properties", "x"))),
    ],
)
def test_filter_fields_resolve(text: str, path: FieldPath) -> None:
    assert resolve_field(text) == path
    assert resolve_field(text, for_exists=True) == path


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("features/f", FieldPath("json", ("features", "f"))),
        ("features/*", FieldPath("json", ("features", "*"))),
        ("features/f/properties", FieldPath("json", ("features", "f", "properties"))),
        ("features/f/properties/", FieldPath("json", ("features", "f", "properties"))),
        ("/features/f/desiredProperties", FieldPath("json", ("features", "f", "desiredProperties"))),
    ],
)
def test_whole_features_and_property_objects_resolve_for_exists_only(text: str, path: FieldPath) -> None:
    assert resolve_field(text, for_exists=True) == path
    with pytest.raises(RqlInvalid, match="Unknown property name"):
        resolve_field(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "foo",
        " thingId",
        "thingId ",
        "ThingId",
        "//thingId",
        "attributes",
        "features",
        "features/",
        "features//properties/x",
        "features/f/definition/x",
        "features/f/foo",
        "features/f/properties/a\nb",
        "topic:action",
        "_metadata2",
        "policy",
    ],
)
def test_unknown_properties_are_rql_invalid(text: str) -> None:
    for for_exists in (False, True):
        with pytest.raises(RqlInvalid) as caught:
            resolve_field(text, for_exists=for_exists)
        assert caught.value.message == f"Unknown property name: {text}"
        assert (caught.value.code, caught.value.status) == ("rql.expression.invalid", 400)


@pytest.mark.parametrize("text", ["attributes/a//b", "attributes//a", "features/f/properties//a", "_metadata//x"])
def test_consecutive_slashes_are_an_invalid_pointer(text: str) -> None:
    with pytest.raises(RqlInvalid, match="Consecutive slashes"):
        resolve_field(text)
    with pytest.raises(RqlOptionInvalid, match="Consecutive slashes"):
        resolve_sort_field(text)


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("thingId", FieldPath("thingId")),
        ("namespace", FieldPath("namespace")),
        ("_modified", FieldPath("modified")),
        ("attributes/a", FieldPath("json", ("attributes", "a"))),
        ("/_metadata/a", FieldPath("json", ("_metadata", "a"))),
        ("features/f/properties/p", FieldPath("json", ("features", "f", "properties", "p"))),
        ("features/f/desiredProperties/p", FieldPath("json", ("features", "f", "desiredProperties", "p"))),
    ],
)
def test_sort_fields_resolve(text: str, path: FieldPath) -> None:
    assert resolve_sort_field(text) == path


@pytest.mark.parametrize("text", ["features/f/definition", "features/f", "features/f/properties", "foo", ""])
def test_unknown_sort_fields_are_option_invalid(text: str) -> None:
    with pytest.raises(RqlOptionInvalid) as caught:
        resolve_sort_field(text)
    assert caught.value.message == f"Unknown property name: {text}"
    assert caught.value.code == "thing-search:search.option.invalid"


# --- validating whole trees and option lists -----------------------------------------------------


def test_validate_filter_fields_accepts_known_fields_everywhere() -> None:
    node = parse_filter(
        "and(eq(thingId,'a:b'),or(in(attributes/x,1,2),not(exists(features/f))),empty(features/f/properties),"
        "like(features/*/definition,'org:*'),ilike(/_metadata/x,'y'),gt(_created,time:now-1d[d]))"
    )
    validate_filter_fields(node)


@pytest.mark.parametrize(
    ("rql", "message"),
    [
        ("eq(foo,1)", "Unknown property name: foo"),
        ("and(eq(thingId,'x'),or(not(in(bar,1))))", "Unknown property name: bar"),
        ("not(eq(features/f,1))", "Unknown property name: features/f"),
        ("exists(features/f/definition/x)", "Unknown property name: features/f/definition/x"),
        ("empty(attributes)", "Unknown property name: attributes"),
        ("like(thingId,1)", "In the like predicate only string values are allowed."),
        ("ilike(thingId,time:now)", "In the ilike predicate only string values are allowed."),
        ("or(like(thingId,null))", "In the like predicate only string values are allowed."),
        ("lt(_modified,time:later)", "unsupported placeholder <time:later>"),
        ("in(_modified,1,time:now-1x)", "unsupported placeholder <time:now-1x>"),
    ],
)
def test_validate_filter_fields_rejects(rql: str, message: str) -> None:
    with pytest.raises(RqlInvalid) as caught:
        validate_filter_fields(parse_filter(rql))
    assert message in caught.value.message


def test_placeholder_properties_are_accepted_when_declared() -> None:
    node = parse_filter("and(in(topic:action,'created','deleted'),eq(resource:path,'/'),exists(topic:subject))")
    with pytest.raises(RqlInvalid, match="Unknown property name: topic:action"):
        validate_filter_fields(node)
    validate_filter_fields(node, placeholders={"topic:action", "resource:path", "topic:subject"})


def test_validate_sort_fields() -> None:
    validate_sort_fields(parse_options("size(3),sort(+thingId,-attributes/x),cursor(abc)"))
    with pytest.raises(RqlOptionInvalid, match="Unknown property name: features/f/definition"):
        validate_sort_fields(parse_options("sort(+thingId,-features/f/definition)"))
