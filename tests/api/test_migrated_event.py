"""The event of an applied `migrateDefinition`: Ditto's `ThingDefinitionMigrated`, Ditto Protocol action `migrated`.

Ditto: `things/model/.../signals/events/ThingDefinitionMigrated.java` (the event carries the migration's patch as
a thing with its id, resource path `/`), `protocol/.../mapper/ThingDefinitionMigratedEventSignalMapper.java`
(topic `<ns>/<name>/things/twin/events/migrated`, path `/`, the thing as value, revision, timestamp, content type
`application/merge-patch+json`), `protocol-specification-topic.md` ("`migrated` -- a thing's definition was
migrated"), and `things/service/.../strategies/events/ThingDefinitionMigratedStrategy.java` (the journal merges the
event's thing into the thing). A watcher sees it through its READ permissions as it sees a merge.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from tests.api.helpers import owner_and
from tests.api.test_history_capture import stored_points
from tests.api.test_history_lives import persisted_events
from tests.api.test_sse import open_stream, replay
from tests.api.websocket import DittoSocket, open_socket, topic
from tests.api.wot_models import Models, model_server_fixture, models_fixture  # noqa: F401 (fixtures)
from twinhub.testing import Server

Users = Callable[[str], httpx.Client]
MERGE_PATCH_JSON = "application/merge-patch+json"


def _migration(models: Models, **attributes: object) -> dict[str, object]:
    payload: dict[str, object] = {"features": {"coffeeMaker": {"properties": {"counter": 3}}}}
    if attributes:
        payload["attributes"] = attributes
    return {"thingDefinitionUrl": models.lamp_next, "migrationPayload": payload}


def _migrate(client: httpx.Client, thing_id: str, body: dict[str, object]) -> dict[str, Any]:
    response = client.post(f"/things/{thing_id}/migrateDefinition", json=body)
    assert response.status_code == 200, response.text
    patch: dict[str, Any] = response.json()["patch"]
    return patch


def _next_event(socket: DittoSocket, thing_id: str) -> dict[str, Any]:
    prefix = topic(thing_id, "things/twin/events/")
    frame = socket.receive_until(lambda frame: isinstance(frame, dict) and frame["topic"].startswith(prefix))
    assert isinstance(frame, dict)
    return frame


def test_a_migration_publishes_a_migrated_event_with_dittos_envelope(client: httpx.Client, thing_id: str,
                                                                     models: Models, socket: DittoSocket) -> None:
    """Topic `.../things/twin/events/migrated`, path `/`, value the patch with the thing id (Ditto sets the id on
    the patch thing it publishes), revision and timestamp, content type `application/merge-patch+json`."""
    assert client.put(f"/things/{thing_id}", json=models.thing()).status_code == 201
    socket.control("START-SEND-EVENTS")
    patch = _migrate(client, thing_id, _migration(models))
    event = _next_event(socket, thing_id)
    assert event["topic"] == topic(thing_id, "things/twin/events/migrated")
    assert event["path"] == "/"
    assert event["value"] == {"thingId": thing_id, **patch}
    assert event["value"]["definition"] == models.lamp_next
    assert event["revision"] == 2 and isinstance(event["timestamp"], str)
    assert event["headers"]["content-type"] == MERGE_PATCH_JSON
    assert client.get(f"/things/{thing_id}/features/coffeeMaker/properties/counter").json() == 3


def test_a_dry_run_publishes_nothing(client: httpx.Client, thing_id: str, models: Models,
                                     socket: DittoSocket) -> None:
    """A dry run (202 `DRY_RUN`) persists no event (Ditto answers it without `ThingDefinitionMigrated`): the
    first event after it is the next write's."""
    assert client.put(f"/things/{thing_id}", json=models.thing()).status_code == 201
    socket.control("START-SEND-EVENTS")
    response = client.post(f"/things/{thing_id}/migrateDefinition", json=_migration(models),
                           params={"dry-run": "true"})
    assert response.status_code == 202, response.text
    assert client.put(f"/things/{thing_id}/attributes/serial", json="L-2").status_code == 204
    event = _next_event(socket, thing_id)
    assert (event["topic"], event["revision"]) == (topic(thing_id, "things/twin/events/modified"), 2)


def test_a_watcher_sees_only_what_it_may_read_of_a_migration(server: Server, as_user: Users, thing_id: str,
                                                              models: Models) -> None:
    """The event is cut down to the watcher's READ view as a merge patch is (a revoked attribute is absent, and the
    object it emptied with it), over the WebSocket and SSE; the thing id stays (Ditto's allow-list)."""
    policy = owner_and("bob", {"thing:/": {"grant": ["READ"], "revoke": []},
                               "thing:/attributes/serial": {"grant": [], "revoke": ["READ"]}})
    ditto = as_user("ditto")
    assert ditto.put(f"/things/{thing_id}", json={**models.thing(), "_policy": policy}).status_code == 201
    with open_socket(server.base_url, "bob") as socket, \
            open_stream(as_user("bob"), "/things", params={"ids": thing_id}) as stream:
        socket.control("START-SEND-EVENTS")
        patch = _migrate(ditto, thing_id, _migration(models, serial="L-2"))
        assert patch["attributes"] == {"serial": "L-2"}
        readable = {key: value for key, value in patch.items() if key != "attributes"}
        event = _next_event(socket, thing_id)
        assert event["topic"] == topic(thing_id, "things/twin/events/migrated")
        assert event["value"] == {"thingId": thing_id, **readable}
        assert stream.next().data == {"thingId": thing_id, **readable}


def test_a_watcher_that_may_read_nothing_of_a_migration_gets_no_event(server: Server, as_user: Users,
                                                                      thing_id: str, models: Models) -> None:
    """A watcher that may read only `attributes/serial` learns nothing of a migration that does not touch it, not
    even the thing id: the first event it gets is the later write of what it may read."""
    policy = owner_and("bob", {"thing:/attributes/serial": {"grant": ["READ"], "revoke": []}})
    ditto = as_user("ditto")
    assert ditto.put(f"/things/{thing_id}", json={**models.thing(), "_policy": policy}).status_code == 201
    with open_socket(server.base_url, "bob") as socket, \
            open_stream(as_user("bob"), "/things", params={"ids": thing_id}) as stream:
        socket.control("START-SEND-EVENTS")
        _migrate(ditto, thing_id, _migration(models))
        assert ditto.put(f"/things/{thing_id}/attributes/serial", json="L-2").status_code == 204
        event = _next_event(socket, thing_id)
        assert (event["topic"], event["path"], event["value"]) == (
            topic(thing_id, "things/twin/events/modified"), "/attributes/serial", "L-2")
        assert stream.next().data == {"thingId": thing_id, "attributes": {"serial": "L-2"}}


def test_a_migration_is_read_back_from_the_journal(client: httpx.Client, server: Server, thing_id: str,
                                                   models: Models) -> None:
    """Historical reads replay the journal through the `migrated` event (merged into the thing, as Ditto's
    ThingDefinitionMigratedStrategy does), the SSE history shows it as the thing JSON of the change, and
    `subscribeForPersistedEvents` streams it with its own topic."""
    assert client.put(f"/things/{thing_id}", json=models.thing()).status_code == 201
    patch = _migrate(client, thing_id, _migration(models))
    assert client.put(f"/things/{thing_id}/attributes/serial", json="L-3").status_code == 204
    migrated = client.get(f"/things/{thing_id}", params={"at-historical-revision": "2"})
    assert migrated.status_code == 200, migrated.text
    thing = migrated.json()
    assert thing["definition"] == models.lamp_next and thing["attributes"] == {"serial": "L-1"}
    assert thing["features"]["coffeeMaker"]["properties"] == {"counter": 3}
    assert thing["features"]["sensor"]["properties"] == {"value": 21.5}
    assert client.get(f"/things/{thing_id}/definition", params={"at-historical-revision": "1"}).json() == models.lamp
    history = replay(client, f"/things/{thing_id}", **{"from-historical-revision": "2",
                                                       "to-historical-revision": "2"})
    assert history == [{"thingId": thing_id, **patch}]
    items = persisted_events(server, "ditto", thing_id, fromHistoricalRevision=2, toHistoricalRevision=3)
    assert isinstance(items, list)
    assert [(item["topic"], item["path"], item["revision"]) for item in items] == [
        (topic(thing_id, "things/twin/events/migrated"), "/", 2),
        (topic(thing_id, "things/twin/events/modified"), "/attributes/serial", 3)]
    assert items[0]["value"] == {"thingId": thing_id, **patch}


def test_a_migration_records_history_points_as_a_merge_does(client: httpx.Client, server: Server, thing_id: str,
                                                             models: Models) -> None:
    """The leaves a migration changes are history points of its revision, as any write's."""
    assert client.put(f"/things/{thing_id}", json=models.thing()).status_code == 201
    _migrate(client, thing_id, _migration(models))
    assert [(value, revision) for value, revision, _ in
            stored_points(server, thing_id, "features/coffeeMaker/properties/counter")] == [(3.0, 2)]
    assert [revision for _, revision, _ in stored_points(server, thing_id, "features/sensor/properties/value")] == [1]


def test_a_devices_live_migrated_event_reaches_live_subscribers(server: Server, client: httpx.Client,
                                                                 thing_id: str) -> None:
    """On the live channel too (Ditto's ThingDefinitionMigratedEventSignalMapper builds twin and live topics): the
    thing at `/` reaches the live event subscribers; one without its revision is refused with Ditto's
    `json.field.missing` (ThingDefinitionMigratedEventMappingStrategies) and reaches nobody."""
    assert client.put(f"/things/{thing_id}", json={"attributes": {"a": 1}}).status_code == 201
    value = {"thingId": thing_id, "definition": "https://models.example/lamp-2.tm.jsonld"}
    live = topic(thing_id, "things/live/events/migrated")
    with open_socket(server.base_url) as device, open_socket(server.base_url) as app:
        app.control("START-SEND-LIVE-EVENTS")
        device.send({"topic": live, "path": "/", "value": value, "headers": {"correlation-id": "m-0"}})
        refused = device.receive_until(lambda frame: isinstance(frame, dict) and "status" in frame)
        assert isinstance(refused, dict)
        assert (refused["status"], refused["value"]["error"]) == (400, "json.field.missing")
        device.send({"topic": live, "path": "/", "value": value, "revision": 2,
                     "headers": {"correlation-id": "m-1"}})
        event = _next_live_event(app, thing_id)
        assert (event["topic"], event["path"], event["value"], event["revision"]) == (live, "/", value, 2)
        assert event["headers"]["correlation-id"] == "m-1"


def _next_live_event(socket: DittoSocket, thing_id: str) -> dict[str, Any]:
    prefix = topic(thing_id, "things/live/events/")
    frame = socket.receive_until(lambda frame: isinstance(frame, dict) and frame["topic"].startswith(prefix))
    assert isinstance(frame, dict)
    return frame
