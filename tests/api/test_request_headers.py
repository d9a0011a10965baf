"""Ditto headers as HTTP headers or query parameters (the query parameter wins), the echoed correlation-id,
and the `Location` of what a write created. Repeated and oversized headers: `test_header_limits.py`."""

from __future__ import annotations

import uuid
from urllib.parse import quote

import httpx

from twinhub.testing import Server


def test_correlation_id_is_echoed_on_reads_writes_and_errors(client: httpx.Client, thing_id: str) -> None:
    mine = {"correlation-id": "echo-1"}
    assert client.put(f"/things/{thing_id}", json={}, headers=mine).headers["correlation-id"] == "echo-1"
    assert client.put(f"/things/{thing_id}/attributes/a", json=1, headers=mine).headers["correlation-id"] == "echo-1"
    assert client.get(f"/things/{thing_id}", headers=mine).headers["correlation-id"] == "echo-1"
    missing = client.get(f"/things/{thing_id}/attributes/missing", headers=mine)
    assert (missing.status_code, missing.headers["correlation-id"]) == (404, "echo-1")


def test_a_request_without_correlation_id_gets_a_fresh_uuid(client: httpx.Client, thing_id: str) -> None:
    client.put(f"/things/{thing_id}", json={})
    first, second = client.get(f"/things/{thing_id}"), client.get(f"/things/{thing_id}")
    assert uuid.UUID(first.headers["correlation-id"]).version == 4
    assert first.headers["correlation-id"] != second.headers["correlation-id"]


def test_the_query_parameter_wins_over_the_header(client: httpx.Client, thing_id: str) -> None:
    client.put(f"/things/{thing_id}", json={"attributes": {"a": 0}})
    read = client.get(f"/things/{thing_id}", params={"correlation-id": "from-query"},
                      headers={"correlation-id": "from-header"})
    assert read.headers["correlation-id"] == "from-query"
    # response-required=false as a header, true as a parameter: the write answers 204, not 202.
    write = client.put(f"/things/{thing_id}/attributes/a", json=1, params={"response-required": "true"},
                       headers={"response-required": "false"})
    assert write.status_code == 204
    invalid = client.put(f"/things/{thing_id}/attributes/a", json=1, params={"timeout": "0"},
                         headers={"timeout": "nonsense"})
    assert invalid.status_code == 202  # the header's invalid timeout is not read at all


def test_the_last_of_repeated_query_parameters_counts(client: httpx.Client, thing_id: str) -> None:
    client.put(f"/things/{thing_id}", json={})
    read = client.get(f"/things/{thing_id}", params=[("correlation-id", "first"), ("correlation-id", "last")])
    assert read.headers["correlation-id"] == "last"
    fields = client.get(f"/things/{thing_id}", params=[("fields", "attributes"), ("fields", "thingId")])
    assert fields.json() == {"thingId": thing_id}


def test_headers_are_case_insensitive(client: httpx.Client, thing_id: str) -> None:
    client.put(f"/things/{thing_id}", json={})
    assert client.get(f"/things/{thing_id}", headers={"Correlation-ID": "Mixed"}).headers["correlation-id"] == "Mixed"
    etag = client.get(f"/things/{thing_id}").headers["etag"]
    assert client.get(f"/things/{thing_id}", headers={"IF-NONE-MATCH": etag}).status_code == 304


def test_location_names_what_a_write_created(server: Server, client: httpx.Client) -> None:
    thing_id = f"org.twinhub.test:loc ation-{uuid.uuid4().hex[:8]}"
    encoded = quote(thing_id, safe=":")
    created = client.put(f"/things/{encoded}", json={})
    assert (created.status_code, created.headers["location"]) == (201, f"{server.base_url}/api/2/things/{encoded}")
    assert "location" not in client.put(f"/things/{encoded}", json={}).headers  # 204: nothing created
    attribute = client.put(f"/things/{encoded}/attributes/new%20one", json=1)
    assert attribute.headers["location"] == f"{server.base_url}/api/2/things/{encoded}/attributes/new%20one"
    posted = client.post("/things", json={}, params={"namespace": "org.twinhub.test"})
    assert posted.headers["location"] == f"{server.base_url}/api/2/things/{quote(posted.json()['thingId'], safe=':')}"
    policy_id = f"org.twinhub.test:policy-{uuid.uuid4().hex[:8]}"
    policy = {"entries": {"owner": {"subjects": {"nginx:ditto": {"type": "basic"}},
                                    "resources": {"policy:/": {"grant": ["READ", "WRITE"], "revoke": []},
                                                  "thing:/": {"grant": ["READ", "WRITE"], "revoke": []}}}}}
    assert client.put(f"/policies/{policy_id}", json=policy).headers["location"] == \
        f"{server.base_url}/api/2/policies/{policy_id}"
