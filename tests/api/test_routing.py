"""Which handler a path below /api/2/things/ reaches: a thing's sub-resources (also keys named inbox or outbox),
the messages API (its inbox/outbox paths), and Ditto's 404 and 405 as before any shortcut."""

from __future__ import annotations

import httpx

from tests.api.helpers import assert_error


def test_keys_named_inbox_and_outbox_are_thing_resources(client: httpx.Client, thing_id: str) -> None:
    assert client.put(f"/things/{thing_id}", json={"features": {"outbox": {}}}).status_code == 201
    assert client.put(f"/things/{thing_id}/attributes/inbox/messages", json=1).status_code == 201
    assert client.put(f"/things/{thing_id}/features/outbox/properties/x", json=2).status_code == 201
    assert client.get(f"/things/{thing_id}/attributes").json() == {"inbox": {"messages": 1}}
    assert client.get(f"/things/{thing_id}/features/outbox/properties/x").json() == 2


def test_inbox_and_outbox_paths_reach_the_messages_api(client: httpx.Client, thing_id: str) -> None:
    assert client.put(f"/things/{thing_id}", json={"features": {"lamp": {}}}).status_code == 201
    for path in (f"/things/{thing_id}/inbox/messages/hello", f"/things/{thing_id}/features/lamp/outbox/messages/hi"):
        response = client.post(path, content=b"x", headers={"content-type": "text/plain"}, params={"timeout": "0"})
        assert response.status_code == 202, (path, response.text)
    assert_error(client.put(f"/things/{thing_id}/inbox/messages/hello", content=b"x"), 405, "gateway:method.notallowed")


def test_unknown_paths_and_methods_answer_as_ditto(client: httpx.Client, thing_id: str) -> None:
    assert client.put(f"/things/{thing_id}", json={}).status_code == 201
    assert_error(client.get(f"/things/{thing_id}/nowhere"), 404, "gateway:resource.notfound")
    assert_error(client.post(f"/things/{thing_id}/attributes"), 405, "gateway:method.notallowed")
    assert_error(client.request("TRACE", f"/things/{thing_id}"), 405, "gateway:method.notallowed")
