"""Grafana's JSON data source (simpod-json-datasource) over HTTP with basic auth, as Grafana sends it: the
connection test, the metric picker (only series the caller may read), payload options, and /query."""

from __future__ import annotations

from datetime import timedelta

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.helpers import assert_error
from tests.api.history.conftest import T0, HistoryServer, create, grant_bob, iso, write

GRAFANA = "/history/grafana"
AGGREGATIONS = ["mean", "min", "max", "sum", "count", "first", "last"]


def _query_body(targets: list[dict[str, object]], interval_ms: int = 60_000) -> dict[str, object]:
    """A /query body as the plugin posts it (Grafana 10, simpod-json-datasource 0.6)."""
    start, end = iso(T0), iso(T0 + timedelta(hours=1))
    return {"app": "dashboard", "requestId": "Q100", "timezone": "browser", "panelId": 2, "dashboardUID": "d",
            "range": {"from": start, "to": end, "raw": {"from": start, "to": end}},
            "timeInfo": "", "interval": "1m", "intervalMs": interval_ms, "maxDataPoints": 1200,
            "targets": targets, "scopedVars": {}, "startTime": 1, "rangeRaw": {"from": start, "to": end},
            "adhocFilters": []}


def test_the_connection_test_needs_credentials(history_server: HistoryServer, alice: httpx.Client) -> None:
    assert alice.get(GRAFANA + "/").status_code == 200
    assert alice.get(GRAFANA).status_code == 200
    with httpx.Client(base_url=history_server.server.base_url + "/api/2") as anonymous:
        assert_error(anonymous.get(GRAFANA + "/"), 401, "gateway:authentication.failed")


def test_metrics_offer_the_readable_leaves_only(alice: httpx.Client, bob: httpx.Client, thing_id: str) -> None:
    create(alice, thing_id, {"attributes": {"public": 1, "secret": 2, "nested": {"deep": True}},
                             "features": {"env": {"properties": {"temp": 20.5}}}})
    targets = {f"{thing_id}/{path}" for path in ("attributes/public", "attributes/secret", "attributes/nested/deep",
                                                 "features/env/properties/temp")}
    response = alice.post(GRAFANA + "/metrics", json={"metric": thing_id})
    assert response.status_code == 200, response.text
    assert {item["value"] for item in response.json()} == targets
    for item in response.json():  # each offers the aggregation as a select in the query editor
        (payload,) = item["payloads"]
        assert (payload["name"], payload["type"]) == ("agg", "select")
        assert [option["value"] for option in payload["options"]] == AGGREGATIONS
    assert bob.post(GRAFANA + "/metrics", json={"metric": thing_id}).json() == []
    grant_bob(alice, thing_id, revoke=("/attributes/secret",))
    assert {item["value"] for item in bob.post(GRAFANA + "/metrics", json={"metric": thing_id}).json()} == (
        targets - {f"{thing_id}/attributes/secret"})


def test_payload_options_are_the_aggregations(alice: httpx.Client) -> None:
    options = alice.post(GRAFANA + "/metric-payload-options", json={"metric": "x", "name": "agg"}).json()
    assert [option["value"] for option in options] == AGGREGATIONS


def test_query_answers_datapoints_per_target_in_request_order(alice: httpx.Client, thing_id: str) -> None:
    create(alice, thing_id, {"attributes": {"a": 0, "b": 0}}, at=T0 - timedelta(days=1))
    a_values = [(5, 1.0), (30, 3.0), (70, 10.0)]
    b_values = [(10, 4), (20, 6)]
    for seconds, value in a_values:
        write(alice, thing_id, "/attributes/a", value, T0 + timedelta(seconds=seconds))
    for seconds, value in b_values:
        write(alice, thing_id, "/attributes/b", value, T0 + timedelta(seconds=seconds))
    ms = int(T0.timestamp()) * 1000
    body = _query_body([{"refId": "A", "target": f"{thing_id}/attributes/b", "payload": {"agg": "sum"}},
                        {"refId": "B", "target": f"{thing_id}/attributes/a", "datasource": {"type": "json"}}])
    response = alice.post(GRAFANA + "/query", json=body)
    assert response.status_code == 200, response.text
    assert response.json() == [
        {"target": f"{thing_id}/attributes/b", "refId": "A", "datapoints": [[10, ms]]},
        {"target": f"{thing_id}/attributes/a", "refId": "B", "datapoints": [[2.0, ms], [10.0, ms + 60_000]]}]


def test_query_refuses_a_target_the_caller_may_not_read(alice: httpx.Client, bob: httpx.Client,
                                                        thing_id: str) -> None:
    create(alice, thing_id, {"attributes": {"a": 1}})
    response = bob.post(GRAFANA + "/query", json=_query_body([{"refId": "A", "target": f"{thing_id}/attributes/a"}]))
    assert_error(response, 404, "things:thing.notfound")


def test_bad_query_bodies_are_400(alice: httpx.Client) -> None:
    assert_error(alice.post(GRAFANA + "/query", content=b"{nope"), 400, "json.format.invalid")
    assert_error(alice.post(GRAFANA + "/query", json={"targets": []}), 400, "json.field.missing")
    assert_error(alice.post(GRAFANA + "/query", json=_query_body([{"refId": "A", "target": "no-path"}])), 400,
                 "gateway:request.invalid")
    many = [{"refId": str(n), "target": f"ns:t/attributes/a{n}"} for n in range(101)]
    assert_error(alice.post(GRAFANA + "/query", json=_query_body(many)), 400, "gateway:request.invalid")
    assert_error(alice.post(GRAFANA + "/query", content=b"[" * 10 + b"]" * 10), 400, "json.field.missing")
    assert_error(alice.post(GRAFANA + "/query", content=b" " * (300 * 1024)), 413, "request.toolarge")
    assert_error(alice.get(GRAFANA + "/query"), 405, "gateway:method.notallowed")


_SCALAR = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(
    max_size=20)
_JSON = st.recursive(_SCALAR, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                          max_size=3), max_leaves=10)
_TARGET = st.fixed_dictionaries({"refId": _JSON, "payload": _JSON,
                                 "target": st.one_of(_JSON, st.just("org.twinhub.fuzz:t/attributes/a"))})
_BODY = st.fixed_dictionaries({"range": st.one_of(_JSON, st.fixed_dictionaries({"from": _JSON, "to": _JSON})),
                               "targets": st.one_of(_JSON, st.lists(_TARGET, max_size=3)), "intervalMs": _JSON})


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=_BODY)
def test_generated_query_bodies_get_an_answer_or_a_ditto_4xx(alice: httpx.Client, body: dict[str, object]) -> None:
    response = alice.post(GRAFANA + "/query", json=body)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.json()["status"] == response.status_code


def test_metrics_find_a_thing_named_in_the_typed_text_beyond_the_first_page(alice: httpx.Client,
                                                                           namespace: str) -> None:
    for n in range(201):  # more than one search page of things that sort before the one typed
        assert alice.put(f"/things/{namespace}:a{n:03}", json={"attributes": {"n": n}}).status_code == 201
    create(alice, f"{namespace}:zz", {"attributes": {"wanted": 1}})
    found = alice.post(GRAFANA + "/metrics", json={"metric": f"{namespace}:zz/attr"}).json()
    assert [item["value"] for item in found] == [f"{namespace}:zz/attributes/wanted"]
