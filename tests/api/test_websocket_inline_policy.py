"""`fields=_policy` on a Ditto Protocol `retrieve`: the thing's policy inlined as over HTTP.

Ditto's things service enriches every RetrieveThing (and RetrieveThings) whose field selector names `_policy`
with the policy the caller may READ (things/service SupervisorInlinePolicyEnrichment
.shouldRetrievePolicyWithThing, enrichPolicy): the enrichment sits behind every edge, the WebSocket included."""

from __future__ import annotations

import httpx

from tests.api.websocket import DittoSocket, open_socket, topic
from twinhub.testing import Server


def _retrieve(socket: DittoSocket, thing_id: str, fields: str, path: str = "/") -> dict[str, object]:
    answer = socket.request({"topic": topic(thing_id, "things/twin/commands/retrieve"), "path": path,
                             "fields": fields, "headers": {}})
    assert answer["status"] == 200, answer
    return answer


def test_a_retrieve_with_policy_among_the_fields_inlines_the_policy(socket: DittoSocket, client: httpx.Client,
                                                                    thing_id: str) -> None:
    """enrichPolicy: the whole policy (Policy.toInlinedJson) as `_policy`, beside the other selected fields; a
    pointer below `_policy` asks for all of it."""
    assert client.put(f"/things/{thing_id}", json={"attributes": {"a": 1, "b": 2}}).status_code == 201
    policy = client.get(f"/policies/{thing_id}").json()
    assert _retrieve(socket, thing_id, "attributes/a,_policy")["value"] == {"attributes": {"a": 1}, "_policy": policy}
    assert _retrieve(socket, thing_id, "_policy/entries")["value"] == {"_policy": policy}
    assert "_policy" not in _retrieve(socket, thing_id, "attributes")["value"]  # type: ignore[operator]


def test_a_retrieve_below_the_thing_inlines_no_policy(socket: DittoSocket, client: httpx.Client,
                                                      thing_id: str) -> None:
    """Only RetrieveThing (the root) is enriched; a retrieve of the attributes is RetrieveAttributes."""
    assert client.put(f"/things/{thing_id}", json={"attributes": {"a": 1}}).status_code == 201
    assert _retrieve(socket, thing_id, "_policy", path="/attributes")["value"] == {}


def test_the_policy_is_left_out_for_a_session_that_may_not_read_it(server: Server, client: httpx.Client,
                                                                   thing_id: str) -> None:
    """retrieveInlinedPolicyForThing answers nothing (not an error) when the caller may not READ the policy."""
    policy = {"entries": {
        "owner": {"subjects": {"nginx:ditto": {"type": "basic"}},
                  "resources": {"thing:/": {"grant": ["READ", "WRITE"], "revoke": []},
                                "policy:/": {"grant": ["READ", "WRITE"], "revoke": []}}},
        "reader": {"subjects": {"nginx:ws-fields-reader": {"type": "basic"}},
                   "resources": {"thing:/": {"grant": ["READ"], "revoke": []}}}}}
    assert client.put(f"/things/{thing_id}", json={"_policy": policy}).status_code == 201
    with open_socket(server.base_url, "ws-fields-reader") as reader:
        assert _retrieve(reader, thing_id, "thingId,_policy")["value"] == {"thingId": thing_id}


def test_a_retrieve_of_several_things_inlines_each_policy(socket: DittoSocket, client: httpx.Client,
                                                          thing_id: str) -> None:
    """RetrieveThings is enriched thing by thing, each with its own policy."""
    other = f"{thing_id}-2"
    for each in (thing_id, other):
        assert client.put(f"/things/{each}", json={}).status_code == 201
    policies = {each: client.get(f"/policies/{each}").json() for each in (thing_id, other)}
    namespace = thing_id.split(":")[0]
    answer = socket.request({"topic": f"{namespace}/_/things/twin/commands/retrieve", "path": "/",
                             "value": {"thingIds": [thing_id, other]}, "fields": "thingId,_policy", "headers": {}})
    assert answer["status"] == 200, answer
    assert answer["value"] == [{"thingId": each, "_policy": policies[each]} for each in (thing_id, other)]
