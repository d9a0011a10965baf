"""Journal retention over real sockets: once a server's pruner has dropped the journal before the latest snapshot
by the cutoff, historical reads, the SSE replay and `subscribeForPersistedEvents` still serve every revision from
that snapshot on, READ-filtered as before, and an older revision answers as one the thing never had."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from tests.api.conftest import AUTH
from tests.api.helpers import assert_error
from tests.api.test_history_lives import persisted_events
from tests.api.test_sse import replay
from twinhub.testing import Server, running_server

THING = "org.twinhub.test:pruned"
REVISIONS = 120  # snapshots at 1 (the creation) and 100


@pytest.fixture(scope="module")
def pruned(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, httpx.Client]]:
    env = {"TWINHUB_JOURNAL_RETENTION": "1s", "TWINHUB_RETENTION_INTERVAL": "1"}
    with running_server(tmp_path_factory.mktemp("twinhub") / "data", env=env) as server, httpx.Client(
            base_url=server.base_url + "/api/2", auth=AUTH, timeout=30) as client:
        assert client.put(f"/things/{THING}", json={"attributes": {"counter": 1}}).status_code == 201
        for counter in range(2, REVISIONS + 1):
            assert client.put(f"/things/{THING}/attributes/counter", json=counter).status_code == 204
        deadline = time.monotonic() + 30
        while client.get(f"/things/{THING}", params={"at-historical-revision": "50"}).status_code != 404:
            assert time.monotonic() < deadline, "the journal was not pruned"
            time.sleep(0.2)
        yield server, client


def test_a_pruned_revision_is_not_found_and_a_kept_one_is_read(pruned: tuple[Server, httpx.Client]) -> None:
    _, client = pruned
    for revision in (1, 99):
        response = client.get(f"/things/{THING}", params={"at-historical-revision": str(revision)})
        assert_error(response, 404, "things:thing.history.notfound")
    for revision in (100, 101, 120):
        response = client.get(f"/things/{THING}/attributes", params={"at-historical-revision": str(revision)})
        assert response.status_code == 200 and response.json() == {"counter": revision}


def test_the_sse_replay_starts_at_the_oldest_revision_kept(pruned: tuple[Server, httpx.Client]) -> None:
    _, client = pruned
    found = replay(client, f"/things/{THING}", **{"from-historical-revision": "1", "to-historical-revision": "105",
                                                   "fields": "attributes/counter,_revision"})
    assert found == [{"attributes": {"counter": n}, "_revision": n} for n in range(100, 106)]


def test_persisted_events_start_at_the_oldest_revision_kept(pruned: tuple[Server, httpx.Client]) -> None:
    server, _ = pruned
    items = persisted_events(server, "ditto", THING, fromHistoricalRevision=1, toHistoricalRevision=103)
    assert isinstance(items, list)
    assert [item["revision"] for item in items] == [100, 101, 102, 103]


def test_the_current_thing_is_untouched(pruned: tuple[Server, httpx.Client]) -> None:
    _, client = pruned
    assert client.get(f"/things/{THING}/attributes/counter").json() == REVISIONS
