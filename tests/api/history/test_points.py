"""Raw points of one thing over HTTP: oldest first, deletion markers as null, paged by signed cursors that
collect every point exactly once, several paths in one body, and exports that parse back to the same points."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, timedelta

import httpx
import pyarrow.parquet as pq

from tests.api.helpers import assert_error
from tests.api.history.conftest import T0, create, history, iso, write
from twinhub.history import format_time

SECOND = timedelta(seconds=1)
WIDE = {"from": iso(T0 - timedelta(hours=1)), "to": iso(T0 + timedelta(days=1))}


def _series(client: httpx.Client, thing_id: str) -> list[tuple[str, datetime, object, int]]:
    """Writes a known series to /attributes/a and /attributes/b: (path, time, value, revision) of each point."""
    create(client, thing_id, {"attributes": {"a": 0, "b": "start"}})
    points: list[tuple[str, datetime, object, int]] = [("/attributes/a", T0, 0, 1), ("/attributes/b", T0, "start", 1)]
    values: list[object] = [1, 2.5, True, "text", -7, 1e300, 2**60 + 1]
    for revision, value in enumerate(values, start=2):
        path = "/attributes/a" if revision % 2 else "/attributes/b"
        at = T0 + revision * SECOND
        write(client, thing_id, path, value, at)
        points.append((path, at, value, revision))
    return points


def test_raw_points_come_oldest_first_with_their_values(alice: httpx.Client, thing_id: str) -> None:
    written = _series(alice, thing_id)
    response = history(alice, thing_id, "/attributes/a", **WIDE)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"thingId": thing_id, "path": "/attributes/a",
                               "points": [[format_time(t), v] for p, t, v, _ in written if p == "/attributes/a"]}


def test_a_removed_leaf_shows_a_null_point_where_its_series_ended(alice: httpx.Client, thing_id: str) -> None:
    create(alice, thing_id, {"attributes": {"a": 1}})
    assert alice.delete(f"/things/{thing_id}/attributes/a",
                        headers={"history-timestamp": iso(T0 + SECOND)}).status_code == 204
    assert history(alice, thing_id, "/attributes/a", **WIDE).json()["points"] == [
        [format_time(T0), 1], [format_time(T0 + SECOND), None]]


def test_the_default_range_is_the_last_hour(alice: httpx.Client, thing_id: str) -> None:
    create(alice, thing_id, {"attributes": {"a": 1}})  # at T0, days ago
    alice.put(f"/things/{thing_id}/attributes/a", json=2)  # now
    points = history(alice, thing_id, "/attributes/a").json()["points"]
    assert [value for _, value in points] == [2]


def test_several_paths_answer_one_series_each(alice: httpx.Client, thing_id: str) -> None:
    written = _series(alice, thing_id)
    body = history(alice, thing_id, paths="/attributes/b,attributes/a,/attributes/none", **WIDE).json()
    assert body == {"thingId": thing_id, "series": [
        {"path": path, "points": [[format_time(t), v] for p, t, v, _ in written if p == path]}
        for path in ("/attributes/b", "/attributes/a", "/attributes/none")]}


def test_paging_through_cursors_collects_every_point_exactly_once(alice: httpx.Client, thing_id: str) -> None:
    written = _series(alice, thing_id)
    seen: list[tuple[str, object]] = []
    params = {**WIDE, "paths": "/attributes/a,/attributes/b", "limit": "2"}
    pages = 0
    while True:
        body = history(alice, thing_id, **params).json()
        seen.extend((series["path"], point[0]) for series in body["series"] for point in series["points"])
        pages += 1
        if "cursor" not in body:
            break
        # the cursor keeps the first page's range: the default (the last hour) does not apply
        params = {"paths": params["paths"], "limit": "2", "cursor": body["cursor"]}
    assert pages == 5
    assert sorted(seen) == sorted((p, format_time(t)) for p, t, _, _ in written)
    assert len(set(seen)) == len(seen)


def test_a_tampered_or_foreign_cursor_is_400(alice: httpx.Client, thing_id: str) -> None:
    _series(alice, thing_id)
    cursor = history(alice, thing_id, "/attributes/a", limit="1", **WIDE).json()["cursor"]
    body, tag = cursor.split(".")
    tampered = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1] + "." + tag
    for bad in (tampered, cursor + "x", "garbage"):
        assert_error(history(alice, thing_id, "/attributes/a", cursor=bad), 400, "history:cursor.invalid")
    # the cursor of another path, or of another thing, continues no query of this one
    assert_error(history(alice, thing_id, "/attributes/b", cursor=cursor), 400, "history:cursor.invalid")
    other = thing_id + "2"
    create(alice, other, {"attributes": {"a": 1}})
    assert_error(history(alice, other, "/attributes/a", cursor=cursor), 400, "history:cursor.invalid")


def test_a_csv_export_parses_back_to_the_points(alice: httpx.Client, thing_id: str) -> None:
    written = _series(alice, thing_id)
    response = history(alice, thing_id, paths="/attributes/a,/attributes/b", format="csv", **WIDE)
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["thingId", "path", "time", "value", "revision"]
    expected = sorted(written, key=lambda point: (point[1], point[3], point[0]))
    assert [(row[0], row[1], row[2], row[4]) for row in rows[1:]] == [
        (thing_id, p[1:], format_time(t), str(r)) for p, t, _, r in expected]
    for row, (_, _, value, _) in zip(rows[1:], expected, strict=True):  # strings as they are, the rest as JSON
        parsed = row[3] if isinstance(value, str) else json.loads(row[3])
        assert (parsed, type(parsed)) == (value, type(value))


def test_a_parquet_export_chosen_by_accept_parses_back_to_the_points(alice: httpx.Client, thing_id: str) -> None:
    create(alice, thing_id, {"attributes": {"a": 0}})
    values = [1.5, -2.25, 3.0]
    for n, value in enumerate(values, start=1):
        write(alice, thing_id, "/attributes/a", value, T0 + n * SECOND)
    response = alice.get(f"/history/things/{thing_id}/attributes/a", params=WIDE,
                         headers={"Accept": "application/vnd.apache.parquet"})
    assert response.headers["content-type"] == "application/vnd.apache.parquet"
    table = pq.read_table(io.BytesIO(response.content)).to_pylist()
    assert [(row["thingId"], row["path"], row["time"], row["value"], row["revision"]) for row in table] == [
        (thing_id, "attributes/a", T0 + n * SECOND, value, n + 1) for n, value in enumerate([0.0, *values])]


_LINE = re.compile(r'(?P<m>\w+),path=(?P<path>\S+),thingId=(?P<thing>\S+) value=(?P<value>\S+) (?P<ns>\d+)')


def test_a_line_protocol_export_pages_through_its_link_header(alice: httpx.Client, thing_id: str) -> None:
    create(alice, thing_id, {"attributes": {"a": 0}})
    for n in range(1, 5):
        write(alice, thing_id, "/attributes/a", n * 10, T0 + n * SECOND)
    lines: list[str] = []
    response = history(alice, thing_id, "/attributes/a", format="lp", limit="2", **WIDE)
    while True:
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/plain")
        lines.extend(response.text.splitlines())
        link = response.headers.get("link")
        if link is None:
            break
        next_url = re.fullmatch(r'<([^>]+)>; rel="next"', link)
        assert next_url is not None, link
        response = alice.get(next_url[1])
    parsed = [_LINE.fullmatch(line) for line in lines]
    assert all(parsed), lines
    assert [(m["path"], m["thing"].replace("\\", ""), m["value"], int(m["ns"])) for m in parsed if m] == [
        ("attributes/a", thing_id, f"{n * 10}i", int((T0 + n * SECOND).timestamp()) * 10**9) for n in range(5)]
