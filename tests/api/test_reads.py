"""Reads: the fields selector, special fields, historical reads, and the endpoints around things."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.api.helpers import assert_error


@pytest.fixture
def thing(client: httpx.Client, thing_id: str) -> str:
    body = {"attributes": {"model": "T1", "location": {"room": "hall", "floor": 2}, "serial": 4711},
            "features": {"lamp": {"properties": {"on": True, "level": 3}},
                         "fan": {"properties": {"on": False}}}}
    assert client.put(f"/things/{thing_id}", json=body).status_code == 201
    return f"/things/{thing_id}"


def test_fields_with_parentheses_keep_structure(client: httpx.Client, thing: str) -> None:
    response = client.get(thing, params={"fields": "attributes(model,location/room)"})
    assert response.json() == {"attributes": {"model": "T1", "location": {"room": "hall"}}}


def test_fields_feature_wildcard(client: httpx.Client, thing: str) -> None:
    response = client.get(thing, params={"fields": "features/*/properties/on"})
    assert response.json() == {"features": {"lamp": {"properties": {"on": True}},
                                            "fan": {"properties": {"on": False}}}}


def test_fields_special_fields(client: httpx.Client, thing: str, thing_id: str) -> None:
    body = client.get(thing, params={"fields": "thingId,_namespace,_revision,_created,_modified"}).json()
    assert body["thingId"] == thing_id
    assert body["_namespace"] == "org.twinhub.test"
    assert body["_revision"] == 1
    assert body["_created"] == body["_modified"]
    assert body["_created"].endswith("Z")


def test_special_fields_are_not_in_a_plain_read(client: httpx.Client, thing: str) -> None:
    assert not [key for key in client.get(thing).json() if key.startswith("_")]


def test_missing_fields_are_omitted(client: httpx.Client, thing: str) -> None:
    assert client.get(thing, params={"fields": "attributes/nope,definition"}).json() == {}


def test_fields_on_sub_resource(client: httpx.Client, thing: str) -> None:
    assert client.get(f"{thing}/attributes", params={"fields": "location/floor,serial"}).json() == {
        "location": {"floor": 2}, "serial": 4711}


def test_modified_moves_and_created_stays(client: httpx.Client, thing: str) -> None:
    before = client.get(thing, params={"fields": "_created,_modified"}).json()
    client.put(f"{thing}/attributes/serial", json=1)
    after = client.get(thing, params={"fields": "_created,_modified,_revision"}).json()
    assert after["_created"] == before["_created"]
    assert after["_modified"] > before["_modified"]
    assert after["_revision"] == 2


def test_at_historical_revision_reads_the_past(client: httpx.Client, thing: str) -> None:
    client.put(f"{thing}/attributes/serial", json=1)
    client.delete(f"{thing}/features/fan")
    past = client.get(thing, headers={"at-historical-revision": "1"})
    assert past.status_code == 200
    assert past.json()["attributes"]["serial"] == 4711
    assert "fan" in past.json()["features"]
    assert client.get(f"{thing}/attributes/serial", params={"at-historical-revision": "2"}).json() == 1
    missing = client.get(thing, headers={"at-historical-revision": "99"})
    assert_error(missing, 404, "things:thing.history.notfound")
    # Ditto's ThingHistoryNotAccessibleException MESSAGE_TEMPLATE: "... at revision ''{1}'' could not be found ..."
    assert missing.json()["message"] == (f"The Thing with ID '{thing.rsplit('/', 1)[1]}' at revision '99' could not "
                                         "be found or requester had insufficient permissions to access it.")
    # "²" is a digit to str.isdigit, not to int(): a clean 400, not a 500
    assert_error(client.get(thing, params={"at-historical-revision": "²"}), 400, "header.invalid")


def test_at_historical_timestamp_reads_the_past(client: httpx.Client, thing: str) -> None:
    created = client.get(thing, params={"fields": "_modified"}).json()["_modified"]
    time.sleep(0.01)
    client.put(f"{thing}/attributes/serial", json=2)
    past = client.get(f"{thing}/attributes/serial", headers={"at-historical-timestamp": created})
    assert past.json() == 4711
    before = client.get(thing, headers={"at-historical-timestamp": "2000-01-01T00:00:00Z"})
    assert_error(before, 404, "things:thing.history.notfound")
    # Ditto's MESSAGE_TEMPLATE_TS: "... at timestamp ''{1}'' could not be found ..."
    assert "' at timestamp '2000-01-01T00:00:00" in before.json()["message"]
    assert_error(client.get(thing, headers={"at-historical-timestamp": "yesterday"}), 400, "header.invalid")


def test_response_required_false_answers_202_after_the_write(client: httpx.Client, thing: str) -> None:
    response = client.put(f"{thing}/attributes/serial", json=5, params={"response-required": "false"})
    assert response.status_code == 202
    assert client.get(f"{thing}/attributes/serial").json() == 5


def test_timeout_zero_is_fire_and_forget(client: httpx.Client, thing: str) -> None:
    response = client.put(f"{thing}/attributes/serial", json=6, params={"timeout": "0"})
    assert response.status_code == 202
    deadline = time.monotonic() + 10
    while client.get(f"{thing}/attributes/serial").json() != 6:
        assert time.monotonic() < deadline
        time.sleep(0.02)


def test_timeout_zero_with_response_required_is_400(client: httpx.Client, thing: str) -> None:
    response = client.put(f"{thing}/attributes/serial", json=6,
                          params={"timeout": "0", "response-required": "true"})
    assert_error(response, 400, "timeout.invalid")


def test_correlation_id_is_echoed(client: httpx.Client, thing: str) -> None:
    response = client.get(thing, headers={"correlation-id": "abc-123"})
    assert response.headers["correlation-id"] == "abc-123"


def test_whoami_shows_subjects(client: httpx.Client) -> None:
    assert client.get("/whoami").json() == {"defaultSubject": "nginx:ditto", "subjects": ["nginx:ditto"]}


def test_pre_authenticated_header_sets_subject(server_url: str) -> None:
    response = httpx.get(f"{server_url}/api/2/whoami", headers={"x-ditto-pre-authenticated": "nginx:alice"})
    assert response.json()["defaultSubject"] == "nginx:alice"


def test_health_needs_no_credentials(server_url: str) -> None:
    assert httpx.get(f"{server_url}/health").json() == {"status": "UP"}
