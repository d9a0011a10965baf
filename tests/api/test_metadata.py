"""Thing metadata: `put-metadata`, `get-metadata`, `delete-metadata` and the `_metadata` field.

Ditto: `documentation/.../pages/ditto/basic-metadata.md`; the things service's
`things/service/.../persistence/actors/strategies/commands/AbstractThingCommandStrategy.java` (get/delete, header
conflicts via `MetadataHeaderChecker.java`), `MetadataFromCommand.java` (put), `MetadataWildcardValidator.java` and
`MetadataFieldsWildcardResolver.java` (wildcards), `.../strategies/events/AbstractThingEventStrategy.java` (metadata
of removed data); the header model `base/model/.../headers/metadata/DefaultMetadataHeader(Key|s).java` and
`MetadataHeadersValueValidator.java`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

import httpx
import pytest

from tests.api.helpers import MERGE, assert_error, owner_and
from tests.api.websocket import DittoSocket, open_socket, topic

LAMP = {"policyId": None, "features": {"lamp": {"properties": {"color": {"r": 100, "g": 0, "b": 255},
                                                               "status": {"on": "true"}}}}}
CHANGE_LOG = {"changedAt": "2022-08-02T04:30:07", "changedBy": {"name": "ditto", "mail": "ditto@mail.com"}}


def put_metadata(*entries: tuple[str, object]) -> dict[str, str]:
    return {"put-metadata": json.dumps([{"key": key, "value": value} for key, value in entries])}


def metadata_of(client: httpx.Client, thing: str) -> object:
    response = client.get(thing, params={"fields": "_metadata"})
    assert response.status_code == 200, response.text
    return response.json().get("_metadata")


@pytest.fixture
def lamp(client: httpx.Client, thing_id: str) -> str:
    body = {key: value for key, value in LAMP.items() if key != "policyId"}
    assert client.put(f"/things/{thing_id}", json=body).status_code == 201
    return f"/things/{thing_id}"


def test_put_metadata_sets_the_documented_descriptions(client: httpx.Client, lamp: str) -> None:
    """basic-metadata.md "Example: setting metadata on a Thing update": keys without a leading slash, relative to
    the thing, land in `_metadata` mirroring the thing."""
    body = client.get(lamp).json()
    headers = put_metadata(("features/lamp/properties/color/description", "Color represented with RGB values"),
                           ("features/lamp/properties/status/description", "Status of the lamp"))
    assert client.put(lamp, json=body, headers=headers).status_code == 204
    assert metadata_of(client, lamp) == {"features": {"lamp": {"properties": {
        "color": {"description": "Color represented with RGB values"},
        "status": {"description": "Status of the lamp"}}}}}


def test_metadata_is_not_shown_unless_selected(client: httpx.Client, lamp: str) -> None:
    """basic-metadata.md: "Metadata is not returned by default. You must request it explicitly." Selected with
    other fields, it comes beside them; a pointer below `_metadata` selects just that part."""
    assert client.put(f"{lamp}/attributes/x", json=1, headers=put_metadata(("unit", "°C"))).status_code == 201
    assert "_metadata" not in client.get(lamp).json()
    both = client.get(lamp, params={"fields": "thingId,attributes,_metadata"}).json()
    assert both["attributes"] == {"x": 1}
    assert both["_metadata"] == {"attributes": {"x": {"unit": "°C"}}}
    part = client.get(lamp, params={"fields": "_metadata/attributes/x/unit"}).json()
    assert part == {"_metadata": {"attributes": {"x": {"unit": "°C"}}}}


def test_leaf_wildcard_sets_the_key_on_every_written_leaf(client: httpx.Client, lamp: str) -> None:
    """basic-metadata.md "Setting metadata on all JSON leaves": `*/changeLog` goes beside each leaf the update
    writes (`r`, `g`, `b`, `on`), not on their parents; mixed with an absolute key, both apply."""
    headers = put_metadata(("*/changeLog", CHANGE_LOG),
                           ("/features/lamp/properties/color/description", "Color represented with RGB values"))
    body = client.get(lamp).json()
    assert client.put(lamp, json=body, headers=headers).status_code == 204
    properties = metadata_of(client, lamp)["features"]["lamp"]["properties"]  # type: ignore[index]
    assert properties["color"] == {"r": {"changeLog": CHANGE_LOG}, "g": {"changeLog": CHANGE_LOG},
                                   "b": {"changeLog": CHANGE_LOG}, "description": "Color represented with RGB values"}
    assert properties["status"] == {"on": {"changeLog": CHANGE_LOG}}


def test_leaf_wildcard_on_the_features_level_is_refused(client: httpx.Client, lamp: str) -> None:
    """MetadataWildcardValidator: on `/features` only `*/properties/*/key`-like expressions are valid; `*/key`
    is 400 `header.invalid`, and nothing is written."""
    response = client.put(f"{lamp}/features", json=LAMP["features"], headers=put_metadata(("*/changeLog", 1)))
    assert_error(response, 400, "header.invalid")
    assert metadata_of(client, lamp) is None


def test_specific_key_overrides_wildcard_key(client: httpx.Client, lamp: str) -> None:
    """DefaultMetadataHeaderKey.compareTo: wildcard keys sort before specific ones, so a specific key's value wins
    whatever the order sent (MetadataFromCommandTest.keyWithSpecificPathOverwritesKeyWithWildcardPath)."""
    headers = put_metadata(("/properties/color/type", "non-metric"), ("/properties/*/type", "metric"))
    assert client.put(f"{lamp}/features/lamp", json=LAMP["features"]["lamp"],  # type: ignore[index]
                      headers=headers).status_code == 204
    properties = metadata_of(client, lamp)["features"]["lamp"]["properties"]  # type: ignore[index]
    assert properties == {"color": {"type": "non-metric"}, "status": {"type": "metric"}}


def test_attribute_and_feature_wildcards_on_the_thing(client: httpx.Client, lamp: str) -> None:
    """basic-metadata.md wildcard table: `attributes/*/key` on every attribute, `features/*/properties/*/key` on
    every property of every feature, `features/{feat}/properties/*/key` on every property of one feature."""
    body = {**client.get(lamp).json(), "attributes": {"a": 1, "b": {"c": 2}}}
    headers = put_metadata(("attributes/*/owner", "me"), ("features/*/properties/*/seen", 7),
                           ("features/lamp/properties/*/unit", "rgb"))
    assert client.put(lamp, json=body, headers=headers).status_code == 204
    assert metadata_of(client, lamp) == {
        "attributes": {"a": {"owner": "me"}, "b": {"owner": "me"}},
        "features": {"lamp": {"properties": {"color": {"seen": 7, "unit": "rgb"},
                                             "status": {"seen": 7, "unit": "rgb"}}}}}


def test_put_metadata_on_a_property_is_relative_and_keeps_other_metadata(client: httpx.Client, lamp: str) -> None:
    """MetadataFromCommand: keys are relative to the resource; the metadata the resource had is extended, and the
    metadata of other parts stays."""
    color = f"{lamp}/features/lamp/properties/color"
    assert client.put(f"{color}/r", json=1, headers=put_metadata(("unit", "byte"))).status_code == 204
    assert client.put(f"{color}/r", json=2, headers=put_metadata(("source", "sensor"))).status_code == 204
    assert client.put(f"{color}/g", json=3, headers=put_metadata(("/unit", "byte"))).status_code == 204
    assert metadata_of(client, lamp) == {"features": {"lamp": {"properties": {"color": {
        "r": {"unit": "byte", "source": "sensor"}, "g": {"unit": "byte"}}}}}}


def test_leaf_wildcard_below_a_feature_covers_the_written_object(client: httpx.Client, lamp: str) -> None:
    """Below the feature level `*/key` is valid and expands over the leaves of the written value."""
    color = f"{lamp}/features/lamp/properties/color"
    assert client.put(color, json={"r": 1, "x": {"y": 2}},
                      headers=put_metadata(("*/at", "t1"))).status_code == 204
    assert metadata_of(client, lamp) == {"features": {"lamp": {"properties": {"color": {
        "r": {"at": "t1"}, "x": {"y": {"at": "t1"}}}}}}}


def test_merge_sets_metadata_and_nulls_remove_it(client: httpx.Client, lamp: str) -> None:
    """A merge with put-metadata sets it relative to the merged path (MetadataFromCommand for MergeThing); a null in
    the patch deletes the data and, with it, its metadata (AbstractThingEventStrategy for MERGE)."""
    properties = f"{lamp}/features/lamp/properties"
    patch = {"color": {"r": 5}, "status": {"on": "false"}}
    assert client.patch(properties, json=patch, headers={**MERGE, **put_metadata(("*/by", "merge"))}).status_code \
        == 204
    assert metadata_of(client, lamp) == {"features": {"lamp": {"properties": {
        "color": {"r": {"by": "merge"}}, "status": {"on": {"by": "merge"}}}}}}
    assert client.patch(properties, json={"status": None}, headers=MERGE).status_code == 204
    assert metadata_of(client, lamp) == {"features": {"lamp": {"properties": {"color": {"r": {"by": "merge"}}}}}}


def test_deleting_data_deletes_its_metadata(client: httpx.Client, lamp: str) -> None:
    """basic-metadata.md: "When you delete a Thing or part of a Thing (like a feature or attribute), the associated
    metadata is also deleted." Recreating the thing starts without metadata."""
    assert client.put(f"{lamp}/attributes/a", json=1, headers=put_metadata(("k", 1))).status_code == 201
    assert client.put(f"{lamp}/attributes/b", json=2, headers=put_metadata(("k", 2))).status_code == 201
    assert client.delete(f"{lamp}/attributes/a").status_code == 204
    assert metadata_of(client, lamp) == {"attributes": {"b": {"k": 2}}}
    assert client.delete(lamp).status_code == 204
    assert client.put(lamp, json={"policyId": lamp.removeprefix("/things/")}).status_code == 201
    assert metadata_of(client, lamp) is None


def test_modifying_a_part_to_an_empty_object_empties_its_metadata(client: httpx.Client, lamp: str) -> None:
    """AbstractThingEventStrategy: a modification to `{}` sets the metadata at its path to `{}`."""
    assert client.put(f"{lamp}/attributes", json={"a": 1}, headers=put_metadata(("a/k", 1))).status_code == 201
    assert client.put(f"{lamp}/attributes", json={}).status_code == 204
    assert metadata_of(client, lamp) == {"attributes": {}}


def test_modifying_without_headers_keeps_metadata(client: httpx.Client, lamp: str) -> None:
    """AbstractThingEventStrategy.mergeMetadata: an event without metadata leaves the thing's metadata as it was."""
    assert client.put(f"{lamp}/attributes/a", json=1, headers=put_metadata(("k", 1))).status_code == 201
    assert client.put(f"{lamp}/attributes/a", json=2).status_code == 204
    assert metadata_of(client, lamp) == {"attributes": {"a": {"k": 1}}}


def test_data_replaced_away_loses_its_metadata(client: httpx.Client, lamp: str) -> None:
    """basic-metadata.md: metadata of deleted data is deleted with it. twinhub applies that to data a modification
    replaces away too (Ditto's AbstractThingEventStrategy keeps it): the metadata of keys the new value lacks goes,
    metadata beside kept data stays."""
    headers = put_metadata(("a/k", 1), ("b/k", 2), ("c/k", 3))
    assert client.put(f"{lamp}/attributes", json={"a": 1, "b": 2, "c": 3}, headers=headers).status_code == 201
    assert client.put(f"{lamp}/attributes", json={"c": 30, "d": 4}).status_code == 204
    assert metadata_of(client, lamp) == {"attributes": {"c": {"k": 3}}}


def test_create_with_put_metadata_and_inline_metadata(client: httpx.Client, thing_id: str) -> None:
    """CreateThing takes metadata from `put-metadata` or inline `_metadata` in the thing JSON; both at once is 400
    `things:metadata.notmodifiable` (AbstractThingCommandStrategy.commandModifiesMetadata)."""
    thing = f"/things/{thing_id}"
    inline = {"attributes": {"a": 1}, "_metadata": {"attributes": {"a": {"k": "inline"}}}}
    assert_error(client.put(thing, json=inline, headers=put_metadata(("attributes/a/k", 1))), 400,
                 "things:metadata.notmodifiable")
    assert client.put(thing, json=inline).status_code == 201
    assert metadata_of(client, thing) == {"attributes": {"a": {"k": "inline"}}}
    created = client.post("/things", json={"attributes": {"a": 1}}, headers=put_metadata(("*/k", "posted")))
    assert created.status_code == 201
    assert "_metadata" not in created.json()
    assert metadata_of(client, f"/things/{created.json()['thingId']}") == {
        "thingId": {"k": "posted"}, "policyId": {"k": "posted"}, "attributes": {"a": {"k": "posted"}}}


@pytest.mark.parametrize("inline", [5, "text", [1], True])
def test_inline_metadata_of_another_type_is_refused(client: httpx.Client, thing_id: str, inline: object) -> None:
    """Thing.JsonFields.METADATA is a JsonObject field (things/model Thing.java), read by
    ImmutableThingFromCopyBuilder.of when a CreateThing's JSON is parsed: `_metadata` of another type is 400
    `json.invalid` ("Value <5> for </_metadata> is not of type <JsonObject>!"), not silently dropped."""
    response = client.put(f"/things/{thing_id}", json={"attributes": {"a": 1}, "_metadata": inline})
    body = assert_error(response, 400, "json.invalid")
    assert body["message"] == f"Value <{json.dumps(inline, separators=(',', ':'))}> for </_metadata> is not of " \
        "type <JsonObject>!"
    assert client.get(f"/things/{thing_id}").status_code == 404


@pytest.mark.parametrize("value", [
    "not json", '{"key": "a", "value": 1}', '[{"key": "a"}]', '[{"value": 1}]', '[{"key": "", "value": 1}]',
    '[{"key": 5, "value": 1}]'])
def test_malformed_put_metadata_is_header_invalid(client: httpx.Client, lamp: str, value: str) -> None:
    """MetadataHeadersValueValidator: the value must be a JSON array whose object entries have a non-empty `key`
    and a `value`; else 400 `header.invalid`, and the write does not happen."""
    response = client.put(f"{lamp}/attributes/a", json=1, headers={"put-metadata": value})
    assert_error(response, 400, "header.invalid")
    assert client.get(f"{lamp}/attributes/a").status_code == 404


def test_entries_that_are_no_objects_are_skipped(client: httpx.Client, lamp: str) -> None:
    """DefaultMetadataHeaders.parseJsonArray filters the array's entries to objects."""
    headers = {"put-metadata": json.dumps([1, "x", {"key": "k", "value": True}])}
    assert client.put(f"{lamp}/attributes/a", json=1, headers=headers).status_code == 201
    assert metadata_of(client, lamp) == {"attributes": {"a": {"k": True}}}


@pytest.mark.parametrize("names", [("put-metadata", "delete-metadata"), ("put-metadata", "get-metadata")])
def test_combined_metadata_headers_conflict_on_writes(client: httpx.Client, lamp: str,
                                                      names: tuple[str, str]) -> None:
    """MetadataHeaderChecker: one metadata header per request; two on a modification are 400
    `things:metadata.headersconflict`."""
    values = {"put-metadata": '[{"key":"k","value":1}]', "delete-metadata": "k", "get-metadata": "k"}
    response = client.put(f"{lamp}/attributes/a", json=1, headers={name: values[name] for name in names})
    assert_error(response, 400, "things:metadata.headersconflict")


def test_combined_metadata_headers_conflict_on_reads(client: httpx.Client, lamp: str) -> None:
    """MetadataHeaderChecker: for GET only `get-metadata` may be given."""
    response = client.get(lamp, headers={"get-metadata": "*", "delete-metadata": "x"})
    body = assert_error(response, 400, "things:metadata.headersconflict")
    assert "retrieved" in str(body["message"])


def _with_color_metadata(client: httpx.Client, lamp: str) -> None:
    body = client.get(lamp).json()
    headers = put_metadata(("*/changeLog", CHANGE_LOG),
                           ("features/lamp/properties/color/description", "Color represented with RGB values"),
                           ("features/lamp/properties/status/description", "Status of the lamp"))
    assert client.put(lamp, json=body, headers=headers).status_code == 204


def test_get_metadata_answers_in_the_ditto_metadata_header(client: httpx.Client, lamp: str) -> None:
    """basic-metadata.md "Using the get-metadata header": the metadata at the pointers, structure kept, in the
    `ditto-metadata` response header; one-level `*` wildcards expand; the body is the usual one."""
    _with_color_metadata(client, lamp)
    response = client.get(lamp, headers={"get-metadata": "features/lamp/properties/color/r"})
    assert response.status_code == 200
    assert "_metadata" not in response.json()
    assert json.loads(response.headers["ditto-metadata"]) == {
        "features": {"lamp": {"properties": {"color": {"r": {"changeLog": CHANGE_LOG}}}}}}
    response = client.get(lamp, headers={"get-metadata": "features/lamp/properties/*/description"})
    assert json.loads(response.headers["ditto-metadata"]) == {"features": {"lamp": {"properties": {
        "color": {"description": "Color represented with RGB values"},
        "status": {"description": "Status of the lamp"}}}}}


def test_get_metadata_is_relative_to_the_resource(client: httpx.Client, lamp: str) -> None:
    """AbstractThingCommandStrategy.calculateMetadataForGetRequests: pointers are relative to the retrieved
    resource, `*` alone answers all of its metadata, and no metadata answers `{}`; several pointers are
    comma-separated."""
    _with_color_metadata(client, lamp)
    color = f"{lamp}/features/lamp/properties/color"
    all_of_it = json.loads(client.get(color, headers={"get-metadata": "*"}).headers["ditto-metadata"])
    assert all_of_it["description"] == "Color represented with RGB values"
    two = json.loads(client.get(color, headers={"get-metadata": "r,description"}).headers["ditto-metadata"])
    assert two == {"r": {"changeLog": CHANGE_LOG}, "description": "Color represented with RGB values"}
    assert client.put(f"{lamp}/attributes/bare", json=1).status_code == 201
    none = client.get(f"{lamp}/attributes/bare", headers={"get-metadata": "*"})
    assert json.loads(none.headers["ditto-metadata"]) == {}


def test_delete_metadata_removes_keys_with_a_modification(client: httpx.Client, lamp: str) -> None:
    """basic-metadata.md "Deleting metadata": `delete-metadata` on a PUT/PATCH removes the metadata at its
    (comma-separated, relative) pointers; objects left empty go too (filterOutEmptyObjects); `*/key` wildcards
    expand; the data write happens as usual."""
    _with_color_metadata(client, lamp)
    properties = f"{lamp}/features/lamp/properties"
    assert client.patch(properties, json={"color": {"r": 1}},
                        headers={**MERGE, "delete-metadata": "color/description,status"}).status_code == 204
    assert client.get(f"{properties}/color/r").json() == 1
    metadata = metadata_of(client, lamp)
    assert metadata["thingId"] == {"changeLog": CHANGE_LOG}  # type: ignore[index]  # the PUT body's leaves
    assert metadata["features"] == {"lamp": {"properties": {"color": {  # type: ignore[index]
        "r": {"changeLog": CHANGE_LOG}, "g": {"changeLog": CHANGE_LOG}, "b": {"changeLog": CHANGE_LOG}}}}}
    assert client.put(f"{properties}/color", json={"r": 1, "g": 0, "b": 255},
                      headers={"delete-metadata": "*/changeLog"}).status_code == 204
    # The metadata at the resource is replaced by what is left, an empty object (as Ditto sets the event's metadata).
    assert metadata_of(client, lamp)["features"] == {"lamp": {"properties": {"color": {}}}}  # type: ignore[index]


def test_delete_metadata_star_deletes_all_at_the_resource(client: httpx.Client, lamp: str) -> None:
    """`delete-metadata: *` deletes all metadata relative to the path (basic-metadata.md wildcard table)."""
    _with_color_metadata(client, lamp)
    assert client.put(f"{lamp}/features/lamp/properties/status", json={"on": "true"},
                      headers={"delete-metadata": "*"}).status_code == 204
    properties = metadata_of(client, lamp)["features"]["lamp"]["properties"]  # type: ignore[index]
    assert properties["status"] == {}
    assert "description" in properties["color"]


def test_metadata_counts_towards_the_thing_size(client: httpx.Client, lamp: str) -> None:
    """MetadataFromCommand.get checks the thing with its metadata against the size limit (100 kB):
    413 `things:thing.toolarge`."""
    # A request's headers are bounded (5 kB, Ditto's gateway), so metadata grows write by write.
    headers = put_metadata(("k", "b" * 4000))
    for n in range(30):
        response = client.put(f"{lamp}/attributes/a{n}", json=1, headers=headers)
        if response.status_code != 201:
            break
    assert n > 20  # the data alone is tiny: the metadata (some 4 kB a write) reached the 100 kB
    assert_error(response, 413, "things:thing.toolarge")


def test_metadata_of_revoked_data_is_not_readable(client: httpx.Client, as_user: Callable[[str], httpx.Client],
                                                  thing_id: str) -> None:
    """Ditto filters `_metadata` as the `thing:/_metadata` resource; twinhub also hides the metadata of data the
    reader may not READ, so that metadata never tells of a revoked path: a reader granted `thing:/` but revoked
    `thing:/attributes/secret` sees the metadata of `attributes/open` only, in fields and in get-metadata."""
    policy = owner_and("reader", {"thing:/": {"grant": ["READ"], "revoke": []},
                                  "thing:/attributes/secret": {"grant": [], "revoke": ["READ"]}})
    thing = f"/things/{thing_id}"
    assert client.put(thing, json={"_policy": policy, "attributes": {"open": 1, "secret": 2}},
                      headers=put_metadata(("attributes/*/k", "m"))).status_code == 201
    assert metadata_of(client, thing) == {"attributes": {"open": {"k": "m"}, "secret": {"k": "m"}}}
    reader = as_user("reader")
    assert metadata_of(reader, thing) == {"attributes": {"open": {"k": "m"}}}
    answer = reader.get(thing, headers={"get-metadata": "attributes/secret,attributes/open"})
    assert json.loads(answer.headers["ditto-metadata"]) == {"attributes": {"open": {"k": "m"}}}
    hidden = owner_and("nosy", {"thing:/": {"grant": ["READ"], "revoke": []},
                                "thing:/_metadata": {"grant": [], "revoke": ["READ"]}})
    assert client.put(f"/policies/{thing_id}", json=hidden).status_code == 204
    assert metadata_of(as_user("nosy"), thing) is None


def test_metadata_in_conditions(client: httpx.Client, lamp: str) -> None:
    """basic-conditional-requests.md: a condition may name `_metadata/<ptr>` (Ditto's RQL `_metadata` field); a
    false one is 412 `things:precondition.failed`-like `things:condition.failed`."""
    assert client.put(f"{lamp}/attributes/t", json=20, headers=put_metadata(("unit", "C"))).status_code == 201
    ok = client.put(f"{lamp}/attributes/t", json=21, params={"condition": 'eq(_metadata/attributes/t/unit,"C")'})
    assert ok.status_code == 204
    failed = client.put(f"{lamp}/attributes/t", json=22, params={"condition": 'eq(_metadata/attributes/t/unit,"F")'})
    assert_error(failed, 412, "things:condition.failed")
    read = client.get(lamp, params={"condition": "exists(_metadata/attributes/t)"})
    assert read.status_code == 200


def _search(client: httpx.Client, namespace: str, **params: str) -> list[dict[str, object]]:
    response = client.get("/search/things", params={"namespaces": namespace, **params})
    assert response.status_code == 200, response.text
    return response.json()["items"]  # type: ignore[no-any-return]


def test_search_filters_sorts_and_selects_metadata(client: httpx.Client) -> None:
    """Ditto's search knows `_metadata/<ptr>` as a field (rql `MetadataExpression`, search's `ThingsFieldExpression
    Factory`): filters and sorts over it, and `fields=_metadata` shows it in the items; a write's metadata is
    found by the search right after it, and what a later write removes is no longer found."""
    namespace = f"org.meta{uuid.uuid4().hex[:10]}"
    for n, unit in ((1, "C"), (2, "F"), (3, "C")):
        assert client.put(f"/things/{namespace}:t{n}", json={"attributes": {"t": n}},
                          headers=put_metadata(("attributes/t/unit", unit))).status_code == 201
    found = _search(client, namespace, filter='eq(_metadata/attributes/t/unit,"C")', fields="thingId")
    assert [item["thingId"] for item in found] == [f"{namespace}:t1", f"{namespace}:t3"]
    ordered = _search(client, namespace, option="sort(-_metadata/attributes/t/unit,+thingId)",
                      fields="thingId,_metadata")
    assert [item["thingId"] for item in ordered] == [f"{namespace}:t2", f"{namespace}:t1", f"{namespace}:t3"]
    assert ordered[0]["_metadata"] == {"attributes": {"t": {"unit": "F"}}}
    assert all("_metadata" not in item for item in _search(client, namespace))
    assert client.delete(f"/things/{namespace}:t1/attributes/t").status_code == 204
    assert [item["thingId"] for item in _search(client, namespace, filter="exists(_metadata/attributes/t)")] == [
        f"{namespace}:t2", f"{namespace}:t3"]


def test_search_does_not_find_by_metadata_of_revoked_data(client: httpx.Client,
                                                          as_user: Callable[[str], httpx.Client]) -> None:
    """As reads do (`test_metadata_of_revoked_data_is_not_readable`), search treats the metadata of data the caller
    may not READ as absent: it neither matches nor shows."""
    namespace = f"org.meta{uuid.uuid4().hex[:10]}"
    policy = owner_and("reader", {"thing:/": {"grant": ["READ"], "revoke": []},
                                  "thing:/attributes/secret": {"grant": [], "revoke": ["READ"]}})
    assert client.put(f"/things/{namespace}:x", json={"_policy": policy, "attributes": {"open": 1, "secret": 2}},
                      headers=put_metadata(("attributes/*/k", "m"))).status_code == 201
    reader = as_user("reader")
    assert _search(client, namespace, filter='eq(_metadata/attributes/secret/k,"m")', fields="thingId") == [
        {"thingId": f"{namespace}:x"}]
    assert _search(reader, namespace, filter='eq(_metadata/attributes/secret/k,"m")') == []
    assert _search(reader, namespace, filter="exists(_metadata/attributes/secret)") == []
    [item] = _search(reader, namespace, filter='eq(_metadata/attributes/open/k,"m")', fields="_metadata")
    assert item == {"_metadata": {"attributes": {"open": {"k": "m"}}}}


def test_ditto_protocol_headers_put_get_and_select_metadata(socket: DittoSocket, thing_id: str) -> None:
    """protocol-specification.md headers: `put-metadata` (a JSON array, here as JSON itself) on a Ditto Protocol
    modify; `get-metadata` on a retrieve answers `ditto-metadata` in the response headers; `fields` may select
    `_metadata`; two metadata headers are `things:metadata.headersconflict`."""
    created = socket.request({"topic": topic(thing_id, "things/twin/commands/create"), "path": "/",
                              "value": {"attributes": {"t": 1}},
                              "headers": {"put-metadata": [{"key": "/attributes/t/unit", "value": "C"}]}})
    assert created["status"] == 201 and "_metadata" not in created["value"]
    modified = socket.request({"topic": topic(thing_id, "things/twin/commands/modify"), "path": "/attributes/u",
                               "value": 2, "headers": {"put-metadata": '[{"key":"unit","value":"K"}]'}})
    assert modified["status"] == 201
    retrieved = socket.request({"topic": topic(thing_id, "things/twin/commands/retrieve"), "path": "/attributes",
                                "headers": {"get-metadata": "*/unit"}})
    assert retrieved["status"] == 200 and retrieved["value"] == {"t": 1, "u": 2}
    assert retrieved["headers"]["ditto-metadata"] == {"t": {"unit": "C"}, "u": {"unit": "K"}}
    selected = socket.request({"topic": topic(thing_id, "things/twin/commands/retrieve"), "path": "/",
                               "fields": "thingId,_metadata", "headers": {}})
    assert selected["value"] == {"thingId": thing_id,
                                 "_metadata": {"attributes": {"t": {"unit": "C"}, "u": {"unit": "K"}}}}
    conflict = socket.request({"topic": topic(thing_id, "things/twin/commands/modify"), "path": "/attributes/u",
                               "value": 3, "headers": {"put-metadata": "[]", "delete-metadata": "unit"}})
    assert conflict["status"] == 400 and conflict["value"]["error"] == "things:metadata.headersconflict"


def _event(socket: DittoSocket, thing_id: str) -> dict[str, object]:
    prefix = topic(thing_id, "things/twin/events/")
    frame = socket.receive_until(lambda frame: isinstance(frame, dict) and frame["topic"].startswith(prefix))
    assert isinstance(frame, dict)
    return frame


def test_events_carry_the_metadata_the_subscriber_may_read(client: httpx.Client, server_url: str,
                                                           thing_id: str) -> None:
    """Ditto's events carry the metadata their command set, relative to the event's path, as the Ditto Protocol
    payload's `metadata` (protocol `ImmutablePayload`, `JsonFields.METADATA`); events of commands without
    metadata headers carry none. A subscriber who may not READ `thing:/_metadata` gets the event without it."""
    policy = owner_and("nosy", {"thing:/": {"grant": ["READ"], "revoke": []},
                                "thing:/_metadata": {"grant": [], "revoke": ["READ"]}})
    thing = f"/things/{thing_id}"
    assert client.put(thing, json={"_policy": policy, "attributes": {"t": 1}}).status_code == 201
    with open_socket(server_url) as owner, open_socket(server_url, "nosy") as nosy:
        owner.control("START-SEND-EVENTS")
        nosy.control("START-SEND-EVENTS")
        assert client.put(f"{thing}/attributes/t", json=2, headers=put_metadata(("unit", "C"))).status_code == 204
        seen = _event(owner, thing_id)
        assert (seen["path"], seen["value"], seen["metadata"]) == ("/attributes/t", 2, {"unit": "C"})
        hidden = _event(nosy, thing_id)
        assert hidden["value"] == 2 and "metadata" not in hidden
        assert client.put(f"{thing}/attributes/t", json=3).status_code == 204
        assert "metadata" not in _event(owner, thing_id)


def test_extra_fields_may_select_metadata(client: httpx.Client, server_url: str, thing_id: str) -> None:
    """`extraFields` enrich an event with fields of the thing as a retrieve with those `fields` shows them
    (Ditto's signal enrichment), `_metadata` included and READ-filtered like a read."""
    thing = f"/things/{thing_id}"
    assert client.put(thing, json={"attributes": {"t": 1}}, headers=put_metadata(("attributes/t/unit", "C"))) \
        .status_code == 201
    with open_socket(server_url) as owner:
        owner.control("START-SEND-EVENTS?extraFields=_metadata/attributes")
        assert client.put(f"{thing}/attributes/t", json=2).status_code == 204
        frame = _event(owner, thing_id)
        assert frame["extra"] == {"_metadata": {"attributes": {"t": {"unit": "C"}}}}
        assert "metadata" not in frame


def test_utf8_in_put_metadata_and_metadata_of_several_things(client: httpx.Client, lamp: str) -> None:
    """A `put-metadata` header carries UTF-8 JSON (HTTP hands its bytes over as latin-1: twinhub reads them as the
    UTF-8 they are); `GET /things?ids=...&fields=_metadata` shows each thing's metadata as a single GET does."""
    raw = json.dumps([{"key": "unit", "value": "°C"}], ensure_ascii=False).encode()
    assert client.put(f"{lamp}/attributes/t", json=1, headers={"put-metadata": raw}).status_code == 201  # type: ignore[dict-item]
    thing_id = lamp.removeprefix("/things/")
    listed = client.get("/things", params={"ids": thing_id, "fields": "thingId,_metadata"})
    assert listed.json() == [{"thingId": thing_id, "_metadata": {"attributes": {"t": {"unit": "°C"}}}}]
    assert client.get("/things", params={"ids": thing_id}).json()[0].get("_metadata") is None


def test_historical_reads_show_the_metadata_of_their_revision(client: httpx.Client, lamp: str) -> None:
    """basic-history.md: a retrieve `at-historical-revision` shows the thing as it was, `fields=_metadata` and
    `get-metadata` included (Ditto keeps metadata in its snapshots and events)."""
    assert client.put(f"{lamp}/attributes/t", json=1, headers=put_metadata(("unit", "C"))).status_code == 201
    revision = client.get(lamp, params={"fields": "_revision"}).json()["_revision"]
    assert client.put(f"{lamp}/attributes/t", json=2, headers=put_metadata(("unit", "K"))).status_code == 204
    assert client.delete(f"{lamp}/attributes/t").status_code == 204

    def at(rev: int) -> object:
        response = client.get(lamp, params={"fields": "_metadata"}, headers={"at-historical-revision": str(rev)})
        assert response.status_code == 200, response.text
        return response.json().get("_metadata")

    assert at(revision) == {"attributes": {"t": {"unit": "C"}}}
    assert at(revision + 1) == {"attributes": {"t": {"unit": "K"}}}
    assert at(revision + 2) == {"attributes": {}}
    answer = client.get(f"{lamp}/attributes", headers={"at-historical-revision": str(revision),
                                                      "get-metadata": "t/unit"})
    assert json.loads(answer.headers["ditto-metadata"]) == {"t": {"unit": "C"}}


def test_hostile_depth_is_refused_not_a_crash(client: httpx.Client, lamp: str) -> None:
    """Bad input is a clean 4xx (common standards): a `put-metadata` key deeper than any thing may nest is 400
    `header.invalid` (Ditto's MetadataHeadersValueValidator refuses a key that is no valid pointer); a value written
    below a deep key of a deep part, nesting the metadata beyond twice a thing's depth limit, is 400
    `json.invalid`, the thing unchanged. Both were 500s (the tree could neither be built nor serialized)."""
    deep_key = "/".join(["k"] * 2000)
    response = client.put(f"{lamp}/attributes/x", json=1, headers=put_metadata((deep_key, 1)))
    assert_error(response, 400, "header.invalid")
    response = client.get(lamp, headers={"get-metadata": deep_key})
    assert_error(response, 400, "header.invalid")
    part = "/".join(["p"] * 90)
    deep_value: object = 1
    for _ in range(95):
        deep_value = {"v": deep_value}
    response = client.put(f"{lamp}/attributes/{part}", json=1,
                          headers=put_metadata(("/".join(["k"] * 99), deep_value)))
    assert_error(response, 400, "json.invalid")
    assert client.get(f"{lamp}/attributes/p").status_code == 404
    response = client.put(f"{lamp}/attributes/{part}", json=1, headers=put_metadata(("/".join(["k"] * 99), 1)))
    assert response.status_code == 201, response.text
    assert client.get(lamp, headers={"get-metadata": f"attributes/{part}"}).status_code == 200


def test_utf8_keys_in_get_and_delete_metadata(client: httpx.Client, lamp: str) -> None:
    """All three metadata headers name keys relative to the resource (basic-metadata.md), as UTF-8 text like the
    `put-metadata` JSON: a key with `é` set by `put-metadata` is the one `get-metadata` answers and
    `delete-metadata` removes (HTTP hands a header's bytes over as latin-1; each header is read as UTF-8)."""
    raw = json.dumps([{"key": "température", "value": "°C"}], ensure_ascii=False).encode()
    assert client.put(f"{lamp}/attributes/t", json=1, headers={"put-metadata": raw}).status_code == 201  # type: ignore[dict-item]
    response = client.get(lamp, headers={"get-metadata": "attributes/t/température".encode()})  # type: ignore[dict-item]
    assert response.status_code == 200, response.text
    assert json.loads(response.headers["ditto-metadata"]) == {"attributes": {"t": {"température": "°C"}}}
    response = client.put(f"{lamp}/attributes/t", json=2, headers={"delete-metadata": "température".encode()})  # type: ignore[dict-item]
    assert response.status_code == 204, response.text
    assert metadata_of(client, lamp) == {"attributes": {"t": {}}}  # what is left at the resource, as Ditto's event
    assert_error(client.get(lamp, headers={"get-metadata": b"attributes/t/\xff"}), 400,  # type: ignore[dict-item]
                 "header.invalid")


def test_ditto_metadata_header_carries_any_text(client: httpx.Client, lamp: str) -> None:
    """`get-metadata` answers in the `ditto-metadata` header (basic-metadata.md "Reading metadata"), whatever text
    the metadata holds: an HTTP header is latin-1 on the wire, so text beyond it (`€`, `温度`) goes as JSON's
    `\\u` escapes, the same JSON value (it was a 500: the header could not be encoded)."""
    raw = json.dumps([{"key": "unit", "value": "€ 温度 °C"}], ensure_ascii=False).encode()
    assert client.put(f"{lamp}/attributes/t", json=1, headers={"put-metadata": raw}).status_code == 201  # type: ignore[dict-item]
    response = client.get(lamp, headers={"get-metadata": "attributes/t/unit"})
    assert response.status_code == 200, response.text
    assert json.loads(response.headers["ditto-metadata"]) == {"attributes": {"t": {"unit": "€ 温度 °C"}}}


def test_wildcards_standing_for_too_many_keys_are_refused(client: httpx.Client, thing_id: str) -> None:
    """Beyond Ditto, which bounds nothing here: metadata header wildcards that stand for more than 100,000 keys
    (twenty `*/k` over a thing of 8,000 leaves) are 400 `header.invalid`, for `put-`, `get-` and `delete-metadata`
    alike, instead of a worker busy for seconds to minutes on one header (bad input is a clean 4xx). The same
    wildcards over a part of the thing still work."""
    thing = f"/things/{thing_id}"
    attributes = {f"a{n}": {str(m): 1 for m in range(100)} for n in range(80)}
    assert client.put(thing, json={"attributes": attributes}).status_code == 201
    keys = [f"*/k{n}" for n in range(20)]
    assert client.put(f"{thing}/attributes/a0", json=attributes["a0"],
                      headers=put_metadata(*((k, 1) for k in keys))).status_code == 204
    written = metadata_of(client, thing)
    assert written["attributes"]["a0"]["99"] == {k[2:]: 1 for k in keys}  # type: ignore[index]
    response = client.put(f"{thing}/attributes", json=attributes, headers=put_metadata(*((k, 1) for k in keys)))
    assert_error(response, 400, "header.invalid")
    assert_error(client.get(thing, headers={"get-metadata": ",".join(keys)}), 400, "header.invalid")
    response = client.put(f"{thing}/attributes", json=attributes, headers={"delete-metadata": ",".join(keys)})
    assert_error(response, 400, "header.invalid")
    assert metadata_of(client, thing) == written
