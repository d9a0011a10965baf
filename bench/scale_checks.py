"""The scale-out benchmark's checks: the server answers what the database holds, before and after the
writes, with one worker or several (see `scale_out.py`)."""

from __future__ import annotations

import asyncio
import json

import httpx

from bench.basic_user import AUTH_HEADER
from bench.scale_data import PgDataset, fetch
from bench.search import (
    SEARCH_SCENARIOS,
    Checked,
    SearchScenario,
    ServerRun,
    compiled,
    get_json,
    record_check,
    request_path,
)
from bench.search_data import hidden_id, visible_id
from twinhub.rql import DEFAULT_PAGE_SIZE
from twinhub.store.postgres.dialect import POSTGRES
from twinhub.store.search import CompiledQuery
from twinhub.testing import Server

SAMPLE = 50  # written things read back through the server after the write scenario
READS_PER_SAMPLE = 4  # each on a new connection, so that with two workers both are asked


def scenario_query(scenario: SearchScenario, values: dict[str, str]) -> CompiledQuery:
    """The SQL the server runs for the search, compiled for PostgreSQL."""
    return compiled(scenario, values, POSTGRES)


def checks_before(server: Server, dataset: PgDataset, run: Checked) -> None:
    """Before anything is measured: a thing reads back as stored, the searches find what their SQL finds,
    the hidden things stay hidden, the count is what was generated."""
    dsn, spec = dataset.dsn, dataset.spec
    with httpx.Client(base_url=server.base_url, headers={"Authorization": AUTH_HEADER}, timeout=300) as client:
        wanted = visible_id(spec.things // 2 + 1)
        stored = asyncio.run(fetch(dsn, CompiledQuery("SELECT doc FROM things WHERE thing_id = $1", [wanted])))
        body = get_json(client, f"/api/2/things/{wanted}")
        document = json.loads(stored[0][0]) if stored else None
        record_check(run, "a thing reads back as stored", body == document,
                     f"GET {wanted} = the stored document ({len(stored[0][0]) if stored else 0} bytes)"
                     if body == document else f"GET {wanted}: {json.dumps(body)[:200]}; stored: {document}")
        thing_id = SEARCH_SCENARIOS["thing-id"]
        items = get_json(client, request_path(thing_id, {"id": wanted}))["items"]
        record_check(run, "search thing-id: a visible thing is found",
                     [item.get("thingId") for item in items] == [wanted],
                     f"{wanted} -> {[item.get('thingId') for item in items]}")
        for index in (0, 1):
            hidden = hidden_id(index)
            items = get_json(client, request_path(thing_id, {"id": hidden}))["items"]
            rows = asyncio.run(fetch(dsn, CompiledQuery("SELECT 1 FROM things WHERE thing_id = $1", [hidden])))
            record_check(run, f"search thing-id: hidden thing {hidden} is stored but not found",
                         len(rows) == 1 and items == [], f"stored {len(rows)}, found by the server {len(items)}")
        scenario, values = SEARCH_SCENARIOS["attribute-eq"], {"room": "17"}
        items = get_json(client, request_path(scenario, values))["items"]
        rows = asyncio.run(fetch(dsn, scenario_query(scenario, values)))
        server_ids = [item.get("thingId") for item in items]
        sql_ids = [row[0] for row in rows[:DEFAULT_PAGE_SIZE]]
        record_check(run, f"search attribute-eq: the first page is the compiled SQL's first {DEFAULT_PAGE_SIZE} rows",
                     server_ids == sql_ids and len(items) == min(len(rows), DEFAULT_PAGE_SIZE) > 0,
                     f"{scenario.text(values)}: server {len(items)} items, SQL {len(rows)} rows")
        total = get_json(client, "/api/2/search/things/count")
        record_check(run, "count of all things = the visible things generated", total == dataset.visible_things,
                     f"server {total}, generated {dataset.visible_things}")


def check_writes(run: Checked, result: ServerRun, before: tuple[int, int], after: tuple[int, int],
                  connections: int) -> None:
    """Every acknowledged write is in the database, once: revisions and journal rose alike, by wrk's count
    (plus at most one per connection: requests in flight when wrk stopped)."""
    acknowledged = result.result.ok_requests
    revisions, events = after[0] - before[0], after[1] - before[1]
    record_check(run, "put-property: every acknowledged write is stored (revisions and journal of all things)",
                 acknowledged <= revisions <= acknowledged + connections and events == revisions,
                 f"wrk counted {acknowledged} 2xx PUTs; the revisions of all things rose by {revisions}, the journal "
                 f"by {events} rows (expected between {acknowledged} and {acknowledged + connections}, both alike)")


def check_sample(server: Server, dataset: PgDataset, run: Checked) -> None:
    """Written things read back through the server at their stored revision, each asked several times on new
    connections: with two workers both answer, so both caches must have seen every write (through NATS)."""
    rows = asyncio.run(fetch(dataset.dsn, CompiledQuery(
        "SELECT thing_id, revision FROM things WHERE revision > 1 ORDER BY random() LIMIT $1", [SAMPLE])))
    stale: list[str] = []
    for thing_id, revision in rows:
        for _ in range(READS_PER_SAMPLE):
            response = httpx.get(f"{server.base_url}/api/2/things/{thing_id}", params={"fields": "_revision"},
                                 headers={"Authorization": AUTH_HEADER, "Connection": "close"}, timeout=30)
            seen = response.json().get("_revision") if response.status_code == 200 else response.status_code
            if seen != revision:
                stale.append(f"{thing_id}: {seen} (stored {revision})")
    record_check(run, f"put-property: {len(rows)} written things read back at their stored revision "
                      f"({READS_PER_SAMPLE} reads each, new connections)",
                 len(rows) > 0 and not stale, f"{len(rows) * READS_PER_SAMPLE} reads; stale: {stale[:5] or 'none'}")
