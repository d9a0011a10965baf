"""The pure rules of thing metadata (`twinhub.model.metadata`), after Ditto's things service: `MetadataFromCommand`,
`MetadataWildcardValidator`, `MetadataFieldsWildcardResolver`, `AbstractThingCommandStrategy` (get/delete) and
`AbstractThingEventStrategy` (metadata of removed data)."""

from __future__ import annotations

import pytest

from twinhub.model.errors import HeaderInvalid, MetadataHeadersConflict, MetadataWildcardInvalid
from twinhub.model.metadata import (
    MetadataEntry,
    MetadataHeaders,
    changed_metadata,
    parse_metadata_headers,
    readable_metadata,
    retrieved_metadata,
)
from twinhub.model.metadata_wildcards import expand
from twinhub.model.types import MISSING, JsonValue

FEATURE = {"properties": {"capacity": {"value": 3.2, "unit": "gpf"}, "grumbo": 2}, "definition": ["foo:bar:1"]}
THING: dict[str, JsonValue] = {"thingId": "ns:t", "policyId": "ns:t", "attributes": {"year": 2020, "a": {"b": 1}},
                               "features": {"flux": FEATURE}}


def put(*entries: tuple[str, JsonValue]) -> MetadataHeaders:
    headers = parse_metadata_headers(
        "[" + ",".join(f'{{"key":"{key}","value":{value!r}}}'.replace("'", '"') for key, value in entries) + "]",
        None, None, query=False)
    assert headers is not None
    return headers


def test_no_metadata_headers_is_none() -> None:
    assert parse_metadata_headers(None, None, None, query=True) is None


def test_put_entries_sort_wildcards_first_then_by_key() -> None:
    """DefaultMetadataHeaderKey.compareTo: wildcard keys before specific ones, each ordered by path text."""
    headers = put(("/b", 1), ("*/x", 2), ("/a", 3))
    assert [entry.key for entry in headers.put] == [("*", "x"), ("a",), ("b",)]
    assert headers.put[0] == MetadataEntry(("*", "x"), 2) and headers.put[0].applies_to_all_leaves


@pytest.mark.parametrize("text", ["{}", "[{\"key\":\"/\",\"value\":1}]", "[{\"key\":\"a//b\",\"value\":1}]", "nope"])
def test_invalid_put_metadata(text: str) -> None:
    with pytest.raises(HeaderInvalid):
        parse_metadata_headers(text, None, None, query=False)


def test_two_headers_conflict() -> None:
    with pytest.raises(MetadataHeadersConflict) as conflict:
        parse_metadata_headers(None, "a", "b", query=True)
    assert conflict.value.message == "Metadata of the Thing could not be retrieved."


def test_create_metadata_from_scratch_on_a_feature() -> None:
    """MetadataFromCommandTest.createMetadataFromScratch: ModifyFeature with specific and `properties/*/` keys."""
    headers = put(("/scruplusFine", "^6,00.32"), ("/properties/grumbo/froodNoops", 5), ("/properties/*/lastSeen", 1955))
    metadata = changed_metadata(None, "modify", ("features", "flux"), FEATURE, MISSING, FEATURE, headers)
    assert metadata == {"features": {"flux": {"scruplusFine": "^6,00.32", "properties": {
        "grumbo": {"froodNoops": 5, "lastSeen": 1955}, "capacity": {"lastSeen": 1955}}}}}


def test_leaf_wildcard_on_the_thing_covers_every_leaf() -> None:
    metadata = changed_metadata(None, "modify", (), THING, MISSING, THING, put(("*/m", 1)))
    assert metadata == {"thingId": {"m": 1}, "policyId": {"m": 1},
                        "attributes": {"year": {"m": 1}, "a": {"b": {"m": 1}}},
                        "features": {"flux": {"properties": {"capacity": {"value": {"m": 1}, "unit": {"m": 1}},
                                                             "grumbo": {"m": 1}},
                                              "definition": {"m": 1}}}}


@pytest.mark.parametrize(("path", "key", "expected"), [
    ((), "attributes/*/k", [("attributes", "year", "k"), ("attributes", "a", "k")]),
    ((), "features/*/properties/*/k", [("features", "flux", "properties", "capacity", "k"),
                                      ("features", "flux", "properties", "grumbo", "k")]),
    ((), "features/*/properties/grumbo/k", [("features", "flux", "properties", "grumbo", "k")]),
    ((), "features/flux/properties/*/k", [("features", "flux", "properties", "capacity", "k"),
                                         ("features", "flux", "properties", "grumbo", "k")]),
    ((), "features/*/definition/k", [("features", "flux", "definition", "k")]),
    (("features",), "*/properties/*/k", [("flux", "properties", "capacity", "k"),
                                         ("flux", "properties", "grumbo", "k")]),
    (("features", "flux"), "properties/*/k", [("properties", "capacity", "k"), ("properties", "grumbo", "k")]),
    (("attributes", "a"), "*/k", [("b", "k")]),
    (("attributes", "year"), "*/k", [("k",)]),
])
def test_wildcards_expand_as_ditto_resolves_them(path: tuple[str, ...], key: str,
                                                 expected: list[tuple[str, ...]]) -> None:
    """MetadataFieldsWildcardResolver per resource level (the written value at `path`)."""
    value: JsonValue = THING
    for part in path:
        assert isinstance(value, dict)
        value = value[part]
    assert expand(path, value, tuple(key.split("/")), "put-metadata") == expected


@pytest.mark.parametrize(("path", "key"), [
    (("features",), "*/k"), (("features", "flux"), "*/k"), ((), "*/*/k"), (("attributes",), "a/*/k")])
def test_wildcards_a_resource_refuses(path: tuple[str, ...], key: str) -> None:
    """MetadataWildcardValidator: `*/k` is no wildcard of the features or a feature; `*` twice in a row never."""
    with pytest.raises(MetadataWildcardInvalid):
        expand(path, {}, tuple(key.split("/")), "put-metadata")


def test_removed_data_takes_its_metadata() -> None:
    """AbstractThingEventStrategy: a delete removes the metadata at its path, a merge's nulls at theirs, a modify to
    `{}` empties it; a modification of a leaf keeps it. Beyond Ditto: data a modification replaced away loses its
    metadata, metadata below a kept leaf stays."""
    metadata = {"attributes": {"a": {"k": 1}, "b": {"k": 2}, "c": {"k": 3}}}
    attributes = {"a": 1, "b": 2, "c": 3}
    assert changed_metadata(metadata, "delete", ("attributes", "a"), None, 1, MISSING, None) == {
        "attributes": {"b": {"k": 2}, "c": {"k": 3}}}
    assert changed_metadata(metadata, "merge", ("attributes",), {"a": None, "b": 5}, attributes, {"b": 5, "c": 3},
                            None) == {"attributes": {"b": {"k": 2}, "c": {"k": 3}}}
    assert changed_metadata(metadata, "modify", ("attributes",), {}, attributes, {}, None) == {"attributes": {}}
    assert changed_metadata(metadata, "modify", ("attributes", "a"), 7, 1, 7, None) == metadata
    assert changed_metadata(metadata, "modify", ("attributes",), {"c": 0}, attributes, {"c": 0}, None) == {
        "attributes": {"c": {"k": 3}}}
    assert changed_metadata(metadata, "delete", (), None, MISSING, MISSING, None) is None


def test_an_object_replaced_by_a_scalar_loses_the_metadata_of_its_keys() -> None:
    metadata = {"x": {"unit": "C", "a": {"k": 1}}}
    assert changed_metadata(metadata, "modify", ("x",), 5, {"a": 1}, 5, None) == {"x": {"unit": "C"}}


def test_delete_metadata_drops_objects_left_empty() -> None:
    metadata = {"attributes": {"a": {"k": 1}, "b": {"k": 2, "j": 3}}}
    headers = parse_metadata_headers(None, None, "a/k,b/k", query=False)
    assert changed_metadata(metadata, "modify", ("attributes",), {"a": 1, "b": 2}, MISSING, MISSING, headers) == {
        "attributes": {"b": {"j": 3}}}


def test_get_metadata_is_relative_and_star_is_all() -> None:
    metadata = {"attributes": {"a": {"k": 1}, "b": {"k": 2}}}
    attributes = {"a": 1, "b": 2}
    assert retrieved_metadata(metadata, ("attributes",), attributes, (("*",),)) == metadata["attributes"]
    assert retrieved_metadata(metadata, ("attributes",), attributes, (("*", "k"),)) == metadata["attributes"]
    assert retrieved_metadata(metadata, ("attributes",), attributes, (("a",), ("z",))) == {"a": {"k": 1}}
    assert retrieved_metadata(None, (), {}, (("*",),)) == {}


def test_readable_metadata_is_where_both_views_keep_it() -> None:
    own = {"attributes": {"a": {"k": 1}, "b": {"k": 2}}}
    data = {"attributes": {"a": {"k": 1}}}
    assert readable_metadata(own, data) == {"attributes": {"a": {"k": 1}}}
