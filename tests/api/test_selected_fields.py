"""`fields` as Ditto answers it: the hidden `__lifecycle`, an empty selector, and the thing's policy inlined
as `_policy` where the caller may read it."""

from __future__ import annotations

from collections.abc import Callable

import httpx

SEARCH_FIELDS = "thingId,_policy"


def _shared_thing(client: httpx.Client, thing_id: str, reader: str) -> None:
    """A thing whose policy lets `nginx:<reader>` READ the thing, but not the policy."""
    policy = {"entries": {
        "owner": {"subjects": {"nginx:ditto": {"type": "basic"}},
                  "resources": {"thing:/": {"grant": ["READ", "WRITE"], "revoke": []},
                                "policy:/": {"grant": ["READ", "WRITE"], "revoke": []}}},
        "reader": {"subjects": {f"nginx:{reader}": {"type": "basic"}},
                   "resources": {"thing:/": {"grant": ["READ"], "revoke": []}}}}}
    assert client.put(f"/things/{thing_id}", json={"_policy": policy, "attributes": {"a": 1}}).status_code == 201


def test_lifecycle_is_the_hidden_special_field_of_ditto(client: httpx.Client, thing_id: str) -> None:
    """Ditto's lifecycle field is `__lifecycle` (things/model Thing.JsonFields.LIFECYCLE, FieldType.SPECIAL and
    HIDDEN), selected only by name (Entity.toJson with a field selector takes regular and special fields); a
    thing that answers is ACTIVE (ThingCreatedStrategy). `_lifecycle` names no field: it selects nothing."""
    client.put(f"/things/{thing_id}", json={"attributes": {"a": 1}})
    assert client.get(f"/things/{thing_id}", params={"fields": "thingId,__lifecycle"}).json() == {
        "thingId": thing_id, "__lifecycle": "ACTIVE"}
    assert client.get(f"/things/{thing_id}", params={"fields": "_lifecycle"}).json() == {}
    assert "__lifecycle" not in client.get(f"/things/{thing_id}").json()
    listed = client.get("/things", params={"ids": thing_id, "fields": "__lifecycle"})
    assert listed.json() == [{"__lifecycle": "ACTIVE"}]


def test_an_empty_fields_parameter_selects_nothing(client: httpx.Client, thing_id: str) -> None:
    """`fields=` is an empty JsonFieldSelector to Ditto's ThingsRoute: the thing's JSON `.get()` of no
    pointer is `{}`, for one thing, a list of them and search hits."""
    client.put(f"/things/{thing_id}", json={"attributes": {"a": 1}})
    one = client.get(f"/things/{thing_id}", params={"fields": ""})
    assert (one.status_code, one.json()) == (200, {})
    assert client.get("/things", params={"ids": thing_id, "fields": ""}).json() == [{}]
    hits = client.get("/search/things", params={"filter": f'eq(thingId,"{thing_id}")', "fields": ""})
    assert (hits.status_code, hits.json()["items"]) == (200, [{}])
    assert client.get(f"/things/{thing_id}", params={"fields": " "}).status_code == 400  # blank is no selector


def test_policy_is_inlined_for_a_caller_who_may_read_it(client: httpx.Client, thing_id: str) -> None:
    """RetrieveThing with `_policy` among the fields inlines the whole policy as `_policy`, as a retrieve of
    the policy answers the caller (things/service SupervisorInlinePolicyEnrichment.enrichPolicy,
    Policy.toInlinedJson); other selected fields stay as selected."""
    client.put(f"/things/{thing_id}", json={"attributes": {"a": 1, "b": 2}})
    policy = client.get(f"/policies/{thing_id}").json()
    read = client.get(f"/things/{thing_id}", params={"fields": "attributes/a,_policy"})
    assert read.json() == {"attributes": {"a": 1}, "_policy": policy}
    assert client.get(f"/things/{thing_id}", params={"fields": "_policy/entries"}).json() == {"_policy": policy}
    assert "_policy" not in client.get(f"/things/{thing_id}", params={"fields": "attributes"}).json()
    assert "_policy" not in client.get(f"/things/{thing_id}/attributes", params={"fields": "_policy"}).json()


def test_policy_is_left_out_for_a_caller_who_may_not_read_it(client: httpx.Client,
                                                             as_user: Callable[[str], httpx.Client],
                                                             thing_id: str) -> None:
    """The enrichment retrieves the policy with the caller's own headers; a caller the policy does not let
    READ it gets the thing without `_policy`, not an error (SupervisorInlinePolicyEnrichment
    .retrieveInlinedPolicyForThing answers Optional.empty())."""
    _shared_thing(client, thing_id, "fields-reader")
    reader = as_user("fields-reader")
    assert reader.get(f"/things/{thing_id}", params={"fields": "thingId,_policy"}).json() == {"thingId": thing_id}
    assert reader.get(f"/policies/{thing_id}").status_code == 404
    assert "_policy" in client.get(f"/things/{thing_id}", params={"fields": "thingId,_policy"}).json()


def test_policy_is_inlined_in_lists_and_search_hits(client: httpx.Client, as_user: Callable[[str], httpx.Client],
                                                    thing_id: str) -> None:
    """`_policy` for `GET /things?ids=` and search hits, as for one thing (RetrieveThing's enrichment), each
    thing with its own policy, and only where the caller may READ it."""
    other = thing_id + "-2"
    client.put(f"/things/{thing_id}", json={})
    _shared_thing(client, other, "list-reader")
    mine, shared = client.get(f"/policies/{thing_id}").json(), client.get(f"/policies/{other}").json()
    listed = client.get("/things", params={"ids": f"{thing_id},{other}", "fields": SEARCH_FIELDS}).json()
    assert listed == [{"thingId": thing_id, "_policy": mine}, {"thingId": other, "_policy": shared}]
    query = {"filter": f'in(thingId,"{thing_id}","{other}")', "fields": SEARCH_FIELDS, "option": "sort(+thingId)"}
    assert client.get("/search/things", params=query).json()["items"] == listed
    reader = as_user("list-reader")
    assert reader.get("/search/things", params=query).json()["items"] == [{"thingId": other}]
    assert reader.get("/things", params={"ids": f"{thing_id},{other}", "fields": SEARCH_FIELDS}).json() == [
        {"thingId": other}]
