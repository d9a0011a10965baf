"""History is shown where the caller may READ: a thing it cannot see is Ditto's 404 for the thing, a path it may
not read answers as a GET of that path does, and with several paths one unreadable path refuses the request."""

from __future__ import annotations

from datetime import timedelta

import httpx

from tests.api.helpers import assert_error
from tests.api.history.conftest import T0, HistoryServer, create, grant_bob, history, iso, write

WIDE = {"from": iso(T0 - timedelta(hours=1)), "to": iso(T0 + timedelta(days=1))}


def test_a_thing_the_caller_cannot_see_is_404_as_its_get(alice: httpx.Client, bob: httpx.Client,
                                                         thing_id: str) -> None:
    create(alice, thing_id, {"attributes": {"a": 1}})
    get = bob.get(f"/things/{thing_id}/attributes/a")
    assert_error(get, 404, "things:thing.notfound")
    for response in (history(bob, thing_id, "/attributes/a", **WIDE),
                     history(bob, thing_id, "/attributes/a", step="1m", **WIDE),
                     history(bob, thing_id, "/attributes/a", format="csv", **WIDE)):
        assert_error(response, 404, "things:thing.notfound")
        assert response.json()["message"] == get.json()["message"]
    assert_error(history(bob, thing_id + "-never", "/attributes/a"), 404, "things:thing.notfound")


def test_a_revoked_path_answers_as_a_get_of_it_and_the_rest_is_readable(alice: httpx.Client, bob: httpx.Client,
                                                                          thing_id: str) -> None:
    create(alice, thing_id, {"attributes": {"public": 1, "secret": 2}})
    grant_bob(alice, thing_id, revoke=("/attributes/secret",))
    get = bob.get(f"/things/{thing_id}/attributes/secret")
    assert get.status_code == 404
    for response in (history(bob, thing_id, "/attributes/secret", **WIDE),
                     history(bob, thing_id, "/attributes/secret", step="1h", agg="count", **WIDE),
                     history(bob, thing_id, paths="/attributes/public,/attributes/secret", **WIDE)):
        assert (response.status_code, response.json()) == (404, get.json())
    assert history(bob, thing_id, "/attributes/public", **WIDE).json()["points"] == [[iso(T0), 1]]
    assert history(alice, thing_id, "/attributes/secret", **WIDE).json()["points"] == [[iso(T0), 2]]


def test_a_revoke_after_the_fact_hides_the_past_too(alice: httpx.Client, bob: httpx.Client, thing_id: str) -> None:
    create(alice, thing_id, {"attributes": {"a": 1}})
    grant_bob(alice, thing_id)
    assert history(bob, thing_id, "/attributes/a", **WIDE).json()["points"] == [[iso(T0), 1]]
    grant_bob(alice, thing_id, revoke=("/attributes",))
    assert_error(history(bob, thing_id, "/attributes/a", **WIDE), 404, "things:attribute.notfound")


def test_a_deleted_thing_has_no_history_to_show(alice: httpx.Client, thing_id: str) -> None:
    create(alice, thing_id, {"attributes": {"a": 1}})
    assert alice.delete(f"/things/{thing_id}").status_code == 204
    assert_error(history(alice, thing_id, "/attributes/a", **WIDE), 404, "things:thing.notfound")


def test_without_credentials_it_is_401(history_server: HistoryServer, thing_id: str) -> None:
    with httpx.Client(base_url=history_server.server.base_url + "/api/2") as anonymous:
        assert_error(history(anonymous, thing_id, "/attributes/a"), 401, "gateway:authentication.failed")


def test_a_thing_created_again_shows_nothing_of_its_earlier_life(alice: httpx.Client, bob: httpx.Client,
                                                                 thing_id: str) -> None:
    # alice's thing, deleted; bob creates one under the same id: alice's values were never his to read
    create(alice, thing_id, {"attributes": {"secret": 41, "shared": "alice"}})
    write(alice, thing_id, "/attributes/secret", 42, T0 + timedelta(minutes=1))
    assert alice.delete(f"/things/{thing_id}").status_code == 204
    assert alice.delete(f"/policies/{thing_id}").status_code == 204
    create(bob, thing_id, {"attributes": {"shared": "bob"}}, at=T0 + timedelta(minutes=2))
    hour = {"step": "1h", "agg": "count", **WIDE}
    assert history(bob, thing_id, "/attributes/shared", **WIDE).json()["points"] == [
        [iso(T0 + timedelta(minutes=2)), "bob"]]
    assert history(bob, thing_id, "/attributes/shared", **hour).json()["points"] == [[iso(T0), 1]]
    assert history(bob, thing_id, "/attributes/secret", **WIDE).json()["points"] == []
    assert history(bob, thing_id, "/attributes/secret", **hour).json()["points"] == []
    assert "secret" not in history(bob, thing_id, "/attributes/secret", format="csv", **WIDE).text
