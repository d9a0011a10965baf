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


def test_empty_segments_where_ditto_routes_expect_one_are_404(client: httpx.Client, thing_id: str) -> None:
    """Pekko's `segment()` needs a character and `pathEndOrSingleSlash` takes one trailing slash only, so an
    empty thing id, feature id or route key matches none of Ditto's routes: 404, not an invalid id or pointer
    (gateway/service ThingsRoute.buildThingsRoute / buildThingEntryRoute, FeaturesRoute.featuresEntry)."""
    client.put(f"/things/{thing_id}", json={"attributes": {"a": 1}, "features": {"f": {"properties": {"p": 1}}}})
    for path in ("/things//x", "/things//", f"/things/{thing_id}//attributes", f"/things/{thing_id}//",
                 f"/things/{thing_id}/features//", f"/things/{thing_id}/features//properties",
                 f"/things/{thing_id}/features/f//properties", f"/things/{thing_id}/policyId//",
                 f"/things/{thing_id}/definition//"):
        assert_error(client.get(path), 404, "gateway:resource.notfound")
        assert_error(client.put(path, json=1), 404, "gateway:resource.notfound")
    assert client.get(f"/things/{thing_id}").json()["attributes"] == {"a": 1}  # no write went through


def test_a_single_trailing_slash_is_the_route_without_it(client: httpx.Client, thing_id: str) -> None:
    """ThingsRouteTest.getAttributesWithTrailingSlash, FeaturesRouteTest.getPropertiesWithTrailingSlash: one
    trailing slash is the same resource; `/things/` is `/things` (ThingsRoute.things: pathEndOrSingleSlash)."""
    client.put(f"/things/{thing_id}", json={"attributes": {"a": 1}, "features": {"f": {"properties": {"p": 1}}}})
    assert client.get(f"/things/{thing_id}/").json()["thingId"] == thing_id
    assert client.get(f"/things/{thing_id}/attributes/").json() == {"a": 1}
    assert client.get(f"/things/{thing_id}/features/f/properties/").json() == {"p": 1}
    listed = client.get("/things/", params={"ids": thing_id, "fields": "thingId"})
    assert (listed.status_code, listed.json()) == (200, [{"thingId": thing_id}])
    assert_error(client.delete("/things/"), 405, "gateway:method.notallowed")


def test_an_empty_key_inside_a_pointer_stays_a_pointer_error(client: httpx.Client, thing_id: str) -> None:
    """Below `attributes` and `properties` the rest is a JSON pointer with a slash prepended, so that double
    slashes fail as a pointer (ThingsRoute.thingsEntryAttributesEntry; ThingsRouteTest.putAttributeWithEmptyPointer,
    FeaturesRouteTest.putPropertyWithEmptyPointer: 400)."""
    client.put(f"/things/{thing_id}", json={"features": {"f": {}}})
    for path in (f"/things/{thing_id}/attributes//bar", f"/things/{thing_id}/attributes//",
                 f"/things/{thing_id}/features/f/properties//bar"):
        assert_error(client.put(path, json="bumlux"), 400, "json.pointer.invalid")
