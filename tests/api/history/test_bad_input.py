"""Hostile or malformed history requests get Ditto-style 4xx answers, never a 5xx or a huge answer."""

from __future__ import annotations

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.helpers import assert_error
from tests.api.history.conftest import create, history


@pytest.mark.parametrize(("params", "status", "code"), [
    ({"from": "yesterday"}, 400, "history:time.invalid"),
    ({"from": "-1h", "to": "-2h"}, 400, "history:time.invalid"),
    ({"from": "-99999999d"}, 400, "history:time.invalid"),
    ({"step": "1s", "from": "-200d"}, 400, "history:step.invalid"),  # 17 million buckets
    ({"step": "1m", "from": "-70d"}, 400, "history:step.invalid"),  # 100,800 buckets
    ({"step": "0s"}, 400, "history:step.invalid"),
    ({"step": "1m", "agg": "median"}, 400, "history:aggregation.invalid"),
    ({"agg": "max"}, 400, "history:aggregation.invalid"),
    ({"step": "1m", "cursor": "x.y"}, 400, "history:aggregation.invalid"),
    ({"limit": "0"}, 400, "history:limit.invalid"),
    ({"limit": "10001"}, 400, "history:limit.invalid"),
    ({"limit": "1e3"}, 400, "history:limit.invalid"),
    ({"format": "xml"}, 400, "history:format.invalid"),
    ({"cursor": "x" * 5000}, 400, "history:cursor.invalid"),
    ({"paths": ",".join(f"/attributes/a{n}" for n in range(101))}, 400, "history:paths.invalid"),
    ({"paths": "/"}, 400, "history:paths.invalid"),
    ({"paths": "/attributes//a"}, 400, "json.pointer.invalid"),
])
def test_bad_parameters_are_400(alice: httpx.Client, thing_id: str, params: dict[str, str], status: int,
                                code: str) -> None:
    create(alice, thing_id, {"attributes": {"a": 1}})
    path = "" if "paths" in params else "/attributes/a"
    assert_error(history(alice, thing_id, path, **params), status, code)


def test_many_paths_times_buckets_are_bounded(alice: httpx.Client, thing_id: str) -> None:
    create(alice, thing_id, {"attributes": {"a": 1}})
    paths = ",".join(f"/attributes/a{n}" for n in range(100))  # 100 paths x 1,440 buckets
    assert_error(history(alice, thing_id, paths=paths, step="1m", **{"from": "-1d"}), 400, "history:step.invalid")
    assert history(alice, thing_id, paths=paths, step="1h", **{"from": "-1d"}).status_code == 200


def test_bad_ids_and_paths_are_refused_as_the_things_api_refuses_them(alice: httpx.Client, thing_id: str) -> None:
    create(alice, thing_id, {"attributes": {"a": 1}})
    assert_error(alice.get("/history/things/no-namespace/attributes/a"), 400, "things:id.invalid")
    assert_error(alice.get("/history/things/ns:t%FF/attributes/a"), 400, "things:id.invalid")
    assert_error(history(alice, thing_id, "/nowhere/a"), 404, "gateway:resource.notfound")
    assert_error(history(alice, thing_id), 400, "history:paths.invalid")


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "HEAD"])
def test_history_is_read_only(alice: httpx.Client, thing_id: str, method: str) -> None:
    response = alice.request(method, f"/history/things/{thing_id}/attributes/a")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"


def test_the_correlation_id_is_echoed(alice: httpx.Client, thing_id: str) -> None:
    create(alice, thing_id, {"attributes": {"a": 1}})
    headers = {"correlation-id": "history-42"}
    assert history(alice, thing_id, "/attributes/a").headers["correlation-id"]
    ok = alice.get(f"/history/things/{thing_id}/attributes/a", headers=headers)
    bad = alice.get(f"/history/things/{thing_id}/attributes/a", params={"step": "x"}, headers=headers)
    assert ok.headers["correlation-id"] == bad.headers["correlation-id"] == "history-42"


_VALUES = st.one_of(st.sampled_from(["", "-1h", "now", "-99999999d", "1m", "0s", "9999999d", "mean", "median",
                                     "/attributes/a", "/", "//", "a,b", "x.y", "1e3", "-1", "10001", "csv", "lp",
                                     "2026-13-01T00:00:00Z", "0001-01-01T00:00:00+14:00", "\u0000", "%FF"]),
                    st.text(max_size=30))
_PARAMS = st.dictionaries(st.sampled_from(["from", "to", "step", "agg", "limit", "paths", "cursor", "format",
                                           "filter", "path", "groupBy", "namespaces"]), _VALUES, max_size=6)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=_PARAMS, fleet=st.booleans())
def test_generated_queries_get_an_answer_or_a_ditto_4xx_never_a_5xx(alice: httpx.Client, params: dict[str, str],
                                                                     fleet: bool) -> None:
    thing = "org.twinhub.fuzz:t"  # it exists, so that queries reach the store
    assert alice.put(f"/things/{thing}", json={"attributes": {"a": 1, "b": "x"}}).status_code in (201, 204)
    url = "/history/search" if fleet else f"/history/things/{thing}/attributes/a"
    response = alice.get(url, params=params)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        body = response.json()
        assert body["status"] == response.status_code and body["error"] and body["message"]
