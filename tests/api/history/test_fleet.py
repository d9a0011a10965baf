"""Fleet aggregation over HTTP: the things the caller may read that match the filter, those whose path it may
read, per bucket and per group, each group with the number of things that contributed; against values computed
here."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest

from tests.api.helpers import assert_error
from tests.api.history.conftest import T0, create, grant_bob, iso, write

PATH = "/features/env/properties/temp"
FIVE = timedelta(minutes=5)
# thing -> (site, kind, readable by bob, its path revoked for bob)
THINGS = {"a": ("w1", "sensor", True, False), "b": ("w1", "sensor", True, False), "c": ("w2", "sensor", True, False),
          "d": ("w2", "sensor", False, False), "e": ("w1", "sensor", True, True), "f": ("w1", "other", True, False),
          "g": (None, "sensor", True, False)}
# thing -> (seconds after T0, value) of its temperature
VALUES = {"a": [(10, 20.0), (320, 22.0)], "b": [(20, 18), (610, 30)], "c": [(30, 5.5)], "d": [(40, 100)],
          "e": [(50, -40)], "f": [(60, 1000)], "g": [(299, 7), (300, 8)]}


def _fleet(client: httpx.Client, namespace: str, bob: httpx.Client) -> None:
    for name, (site, kind, readable, revoked) in THINGS.items():
        thing_id = f"{namespace}:{name}"
        attributes: dict[str, object] = {"kind": kind} | ({"site": site} if site else {})
        create(client, thing_id, {"attributes": attributes, "features": {"env": {"properties": {}}}},
               at=T0 - timedelta(days=1))
        if readable:
            grant_bob(client, thing_id, revoke=(PATH,) if revoked else ())
        for seconds, value in VALUES[name]:
            write(client, thing_id, PATH, value, T0 + timedelta(seconds=seconds))


def _expected(things: list[str], agg: str) -> list[tuple[object, int, list[list[object]]]]:
    groups: dict[object, dict[datetime, list[float]]] = {}
    for name in things:
        buckets = groups.setdefault(THINGS[name][0], {})
        for seconds, value in VALUES[name]:
            buckets.setdefault(T0 + (seconds // 300) * FIVE, []).append(value)
    order = sorted(groups, key=lambda group: (group is None, str(group)))
    fold = {"mean": lambda v: sum(v) / len(v), "max": max, "count": len}[agg]
    return [(group, sum(1 for name in things if THINGS[name][0] == group),
             [[iso(start), fold(values)] for start, values in sorted(groups[group].items())]) for group in order]


def _query(client: httpx.Client, namespace: str, **params: str) -> httpx.Response:
    return client.get("/history/search", params={
        "filter": 'eq(attributes/kind,"sensor")', "namespaces": namespace, "path": PATH, "step": "5m",
        "from": iso(T0), "to": iso(T0 + timedelta(hours=1)), **params})


@pytest.mark.parametrize("agg", ["mean", "max", "count"])
def test_fleet_series_per_group_count_only_things_the_caller_may_read(alice: httpx.Client, bob: httpx.Client,
                                                                      namespace: str, agg: str) -> None:
    _fleet(alice, namespace, bob)
    for client, things in ((alice, ["a", "b", "c", "d", "e", "g"]), (bob, ["a", "b", "c", "g"])):
        response = _query(client, namespace, agg=agg, groupBy="/attributes/site")
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["path"], body["step"], body["agg"]) == (PATH, "5m", agg)
        got = [(series["group"], series["things"], series["points"]) for series in body["series"]]
        want = _expected(things, agg)
        assert [(group, count, [start for start, _ in points]) for group, count, points in got] == [
            (group, count, [start for start, _ in points]) for group, count, points in want]
        for (_, _, points), (_, _, expected) in zip(got, want, strict=True):
            assert [value for _, value in points] == pytest.approx([value for _, value in expected], rel=1e-9)


def test_without_group_by_the_fleet_is_one_series(alice: httpx.Client, bob: httpx.Client, namespace: str) -> None:
    _fleet(alice, namespace, bob)
    body = _query(bob, namespace, agg="count").json()
    ((series),) = body["series"]
    assert (series["group"], series["things"]) == (None, 4)
    assert sum(value for _, value in series["points"]) == sum(len(VALUES[name]) for name in "abcg")


def test_a_fleet_with_no_matching_things_has_no_series(alice: httpx.Client, namespace: str) -> None:
    assert _query(alice, namespace).json()["series"] == []


def test_fleet_queries_are_checked(alice: httpx.Client, namespace: str) -> None:
    assert_error(_query(alice, namespace, filter="eq(attributes/kind"), 400, "rql.expression.invalid")
    assert_error(_query(alice, namespace, step="1s", **{"from": "-365d"}), 400, "history:step.invalid")
    assert_error(alice.get("/history/search", params={"path": PATH}), 400, "history:step.invalid")
    assert_error(_query(alice, namespace, groupBy="/features/env"), 400, "history:paths.invalid")
    assert_error(_query(alice, namespace, path="/nowhere/x"), 404, "gateway:resource.notfound")
    assert_error(_query(alice, namespace, namespaces="not a namespace!"), 400,
                 "thing-search:search.namespaces.invalid")
    assert_error(alice.post("/history/search"), 405, "gateway:method.notallowed")


def test_groups_come_from_what_the_caller_may_read_of_the_attribute(alice: httpx.Client, bob: httpx.Client,
                                                                    namespace: str) -> None:
    for name, hidden in (("x", False), ("y", True)):
        thing_id = f"{namespace}:{name}"
        create(alice, thing_id, {"attributes": {"kind": "sensor", "site": "w1"}, "features": {"env": {}}},
               at=T0 - timedelta(days=1))
        grant_bob(alice, thing_id, revoke=("/attributes/site",) if hidden else ())
        write(alice, thing_id, PATH, 1, T0)
    by_alice = _query(alice, namespace, agg="count", groupBy="/attributes/site").json()["series"]
    by_bob = _query(bob, namespace, agg="count", groupBy="/attributes/site").json()["series"]
    assert [(series["group"], series["things"]) for series in by_alice] == [("w1", 2)]
    assert [(series["group"], series["things"]) for series in by_bob] == [("w1", 1), (None, 1)]
