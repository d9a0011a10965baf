"""Requested acknowledgements of thing writes over HTTP: the built-in ones from the commit, custom labels
from their issuers (nobody issues them here: one worker, no session declared them), Ditto's aggregation."""

from __future__ import annotations

import time

import httpx

from tests.api.helpers import assert_error

TIMED_OUT = {"status": 408, "error": "acknowledgement:request.timeout",
             "message": "The acknowledgement request reached the specified timeout of 3000ms.",
             "description": "Try increasing the timeout and make sure that the requested acknowledgement is sent "
                            "back in time."}


def test_twin_persisted_alone_answers_as_without_acknowledgements(client: httpx.Client, thing_id: str) -> None:
    created = client.put(f"/things/{thing_id}", json={}, params={"requested-acks": "twin-persisted"})
    assert created.status_code == 201 and created.json()["thingId"] == thing_id
    assert client.put(f"/things/{thing_id}/attributes/a", json=1,
                      headers={"requested-acks": '["twin-persisted"]'}).status_code == 201


def test_built_in_acknowledgements_are_aggregated_with_200(client: httpx.Client, thing_id: str) -> None:
    response = client.put(f"/things/{thing_id}", json={"attributes": {"a": 1}},
                          params={"requested-acks": "twin-persisted,search-persisted"},
                          headers={"correlation-id": "acks-1"})
    assert response.status_code == 200, response.text
    acks = response.json()
    assert acks["twin-persisted"]["status"] == 201
    assert acks["twin-persisted"]["payload"]["attributes"] == {"a": 1}
    assert acks["twin-persisted"]["headers"]["correlation-id"] == "acks-1"
    assert acks["twin-persisted"]["headers"]["location"].endswith(f"/api/2/things/{thing_id}")
    assert acks["search-persisted"] == {"status": 204, "headers": {"correlation-id": "acks-1"}}
    assert response.headers["correlation-id"] == "acks-1"


def test_a_label_nobody_declared_times_out_at_once_in_the_aggregated_424(client: httpx.Client,
                                                                          thing_id: str) -> None:
    started = time.monotonic()
    response = client.put(f"/things/{thing_id}", json={}, params={"requested-acks": "twin-persisted,conn:ack",
                                                                  "timeout": "3s"})
    assert time.monotonic() - started < 3  # one worker, no issuer: nobody can answer, so nobody waits
    assert response.status_code == 424, response.text
    acks = response.json()
    assert acks["twin-persisted"]["status"] == 201
    assert acks["conn:ack"]["status"] == 408
    assert acks["conn:ack"]["payload"] == TIMED_OUT
    assert acks["conn:ack"]["headers"]["correlation-id"] == response.headers["correlation-id"]
    assert client.get(f"/things/{thing_id}").status_code == 200  # the write itself was done


def test_a_single_custom_label_answers_with_its_own_status_and_payload(client: httpx.Client,
                                                                       thing_id: str) -> None:
    response = client.put(f"/things/{thing_id}", json={}, params={"requested-acks": "conn:ack", "timeout": "3"})
    assert response.status_code == 408
    assert response.json() == TIMED_OUT


def test_without_a_required_response_failed_acknowledgements_show_only_their_statuses(
        client: httpx.Client, thing_id: str) -> None:
    response = client.put(f"/things/{thing_id}", json={},
                          params={"requested-acks": "twin-persisted,conn:ack", "response-required": "false"})
    assert response.status_code == 424
    assert response.json() == {"twin-persisted": {"status": 201, "headers": {}},
                               "conn:ack": {"status": 408, "headers": {}}}
    accepted = client.put(f"/things/{thing_id}/attributes/a", json=1,
                          params={"requested-acks": "twin-persisted,search-persisted", "response-required": "false"})
    assert accepted.status_code == 202 and accepted.content == b""


def test_live_response_is_no_label_of_the_twin_channel(client: httpx.Client, thing_id: str) -> None:
    response = client.put(f"/things/{thing_id}", json={}, params={"requested-acks": "live-response,twin-persisted"})
    assert response.status_code == 201  # as Ditto: live-response is dropped from twin commands


def test_an_empty_request_for_acknowledgements_answers_plainly(client: httpx.Client, thing_id: str) -> None:
    assert client.put(f"/things/{thing_id}", json={}, params={"requested-acks": ""}).status_code == 201


def test_acknowledgements_cannot_be_requested_without_waiting(client: httpx.Client, thing_id: str) -> None:
    assert_error(client.put(f"/things/{thing_id}", json={}, params={"requested-acks": "conn:ack", "timeout": "0"}),
                 400, "timeout.invalid")
    assert_error(client.put(f"/things/{thing_id}", json={}, params={"requested-acks": "x"}), 400, "header.invalid")


def test_policy_writes_time_out_custom_labels_at_once(client: httpx.Client, thing_id: str) -> None:
    client.put(f"/things/{thing_id}", json={})
    policy = client.get(f"/policies/{thing_id}").json()
    started = time.monotonic()
    response = client.put(f"/policies/{thing_id}", json=policy,
                          params={"requested-acks": "twin-persisted,conn:ack", "timeout": "5"})
    assert time.monotonic() - started < 5
    assert response.status_code == 424, response.text


def test_every_write_gets_a_correlation_id(client: httpx.Client, thing_id: str) -> None:
    first = client.put(f"/things/{thing_id}", json={})
    second = client.put(f"/things/{thing_id}", json={})
    assert first.headers["correlation-id"] and first.headers["correlation-id"] != second.headers["correlation-id"]
    assert client.put(f"/things/{thing_id}", json={}, headers={"correlation-id": "mine"}).headers[
        "correlation-id"] == "mine"
