"""Create, read, replace and delete things over HTTP, with Ditto's statuses and headers."""

from __future__ import annotations

import httpx

from tests.api.helpers import assert_error


def test_put_creates_thing_with_201_body_location_and_etag(client: httpx.Client, thing_id: str) -> None:
    response = client.put(f"/things/{thing_id}", json={"attributes": {"a": 1}})
    assert response.status_code == 201
    assert response.json() == {"thingId": thing_id, "policyId": thing_id, "attributes": {"a": 1}}
    assert response.headers["Location"].endswith(f"/api/2/things/{thing_id}")
    assert response.headers["ETag"] == '"rev:1"'


def test_put_on_existing_thing_replaces_with_204(client: httpx.Client, thing_id: str) -> None:
    client.put(f"/things/{thing_id}", json={"attributes": {"a": 1}})
    response = client.put(f"/things/{thing_id}", json={"features": {"f": {}}})
    assert response.status_code == 204
    assert response.headers["ETag"] == '"rev:2"'
    assert client.get(f"/things/{thing_id}").json() == {
        "thingId": thing_id, "policyId": thing_id, "features": {"f": {}}}


def test_get_returns_thing_with_revision_etag(client: httpx.Client, thing_id: str) -> None:
    client.put(f"/things/{thing_id}", json={})
    response = client.get(f"/things/{thing_id}")
    assert response.status_code == 200
    assert response.headers["ETag"] == '"rev:1"'
    assert response.headers["content-type"] == "application/json"


def test_get_unknown_thing_is_404_thing_notfound(client: httpx.Client, thing_id: str) -> None:
    assert_error(client.get(f"/things/{thing_id}"), 404, "things:thing.notfound")


def test_put_with_other_thing_id_in_body_is_id_notsettable(client: httpx.Client, thing_id: str) -> None:
    response = client.put(f"/things/{thing_id}", json={"thingId": "other:thing"})
    assert_error(response, 400, "things:id.notsettable")
    assert_error(client.get(f"/things/{thing_id}"), 404, "things:thing.notfound")


def test_put_with_same_thing_id_in_body_is_accepted(client: httpx.Client, thing_id: str) -> None:
    assert client.put(f"/things/{thing_id}", json={"thingId": thing_id}).status_code == 201


def test_put_keeps_given_policy_id(client: httpx.Client, thing_id: str) -> None:
    response = client.put(f"/things/{thing_id}", json={"policyId": "org.twinhub.test:policy"})
    assert response.json()["policyId"] == "org.twinhub.test:policy"
    client.put(f"/things/{thing_id}", json={"attributes": {}})
    assert client.get(f"/things/{thing_id}/policyId").json() == "org.twinhub.test:policy"


def test_delete_removes_thing_and_second_delete_is_404(client: httpx.Client, thing_id: str) -> None:
    client.put(f"/things/{thing_id}", json={})
    assert client.delete(f"/things/{thing_id}").status_code == 204
    assert_error(client.get(f"/things/{thing_id}"), 404, "things:thing.notfound")
    assert_error(client.delete(f"/things/{thing_id}"), 404, "things:thing.notfound")


def test_thing_created_again_after_delete_continues_its_revision(client: httpx.Client, thing_id: str) -> None:
    client.put(f"/things/{thing_id}", json={})
    client.delete(f"/things/{thing_id}")
    # its policy outlives it: created again, it names it (Ditto refuses to create the policy a second time)
    response = client.put(f"/things/{thing_id}", json={"policyId": thing_id})
    assert response.status_code == 201
    assert response.headers["ETag"] == '"rev:3"'


def test_post_creates_thing_with_generated_id_in_default_namespace(client: httpx.Client) -> None:
    response = client.post("/things", json={"attributes": {"x": 1}})
    assert response.status_code == 201
    body = response.json()
    namespace, name = body["thingId"].split(":", 1)
    assert namespace == "org.eclipse.ditto" and len(name) == 36
    assert response.headers["Location"].endswith(f"/api/2/things/{body['thingId']}")
    assert client.get(f"/things/{body['thingId']}").json() == body


def test_post_takes_namespace_parameter_and_empty_body(client: httpx.Client) -> None:
    response = client.post("/things", params={"namespace": "com.acme"})
    assert response.status_code == 201
    assert response.json()["thingId"].startswith("com.acme:")


def test_post_with_thing_id_in_body_is_refused(client: httpx.Client) -> None:
    assert_error(client.post("/things", json={"thingId": "a:b"}), 400, "things:id.notsettable")


def test_post_with_invalid_namespace_is_refused(client: httpx.Client) -> None:
    assert_error(client.post("/things", json={}, params={"namespace": "1bad"}), 400, "things:id.invalid")


def test_get_things_by_ids_returns_array_in_ids_order_skipping_missing(client: httpx.Client) -> None:
    ids = [client.post("/things", json={"attributes": {"n": n}}).json()["thingId"] for n in range(3)]
    wanted = [ids[2], "org.twinhub.test:missing", ids[0]]
    response = client.get("/things", params={"ids": ",".join(wanted), "fields": "thingId,attributes/n"})
    assert response.status_code == 200
    assert response.json() == [{"thingId": ids[2], "attributes": {"n": 2}},
                               {"thingId": ids[0], "attributes": {"n": 0}}]


def test_get_things_with_an_invalid_id_is_400(client: httpx.Client) -> None:
    assert_error(client.get("/things", params={"ids": "ok:one,not valid"}), 400, "things:id.invalid")


def test_get_things_without_ids_lists_and_empty_ids_is_ids_missing(client: httpx.Client) -> None:
    response = client.get("/things")
    assert response.status_code == 200 and isinstance(response.json(), list)
    assert_error(client.get("/things", params={"ids": ","}), 400, "things:things.ids.missing")
