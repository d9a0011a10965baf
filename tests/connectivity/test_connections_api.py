"""`/api/2/connections` over real sockets, on SQLite and PostgreSQL: CRUD with Ditto's status codes, bodies,
revisions and conditional headers; `fields` and `ids-only`; commands, status, metrics and logs; dry-run
against a real broker; and every bad input answered with Ditto's error."""

from __future__ import annotations

import copy
import socket
from typing import Any

import httpx
import pytest

from tests.integration.services import MOSQUITTO, RABBITMQ, require

CONNECTION: dict[str, Any] = {
    "name": "devices",
    "connectionType": "mqtt",
    "connectionStatus": "closed",
    "uri": "tcp://user:secret@127.0.0.1:1883",
    "sources": [{"addresses": ["devices/+/telemetry"], "qos": 1, "authorizationContext": ["nginx:devices"],
                 "enforcement": {"input": "{{ source:address }}", "filters": ["devices/{{ thing:id }}/telemetry"]},
                 "payloadMapping": ["Ditto"]}],
    "targets": [{"address": "devices/{{ thing:id }}/commands", "qos": 1,
                 "topics": ["_/_/things/live/messages", "_/_/things/twin/events?filter=exists(features/lamp)"],
                 "authorizationContext": ["nginx:devices"]}],
    "tags": ["demo"],
}


def created(api: httpx.Client, **changes: Any) -> dict[str, Any]:
    body = {**copy.deepcopy(CONNECTION), **changes}
    response = api.post("/connections", json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["error"] == code, body
    return body


# -- create, retrieve, list ---------------------------------------------------------------------------


def test_create_answers_201_with_the_generated_id_location_and_etag(api: httpx.Client) -> None:
    response = api.post("/connections", json=CONNECTION)
    assert response.status_code == 201, response.text
    body = response.json()
    connection_id = body.pop("id")
    assert response.headers["Location"].endswith(f"/api/2/connections/{connection_id}")
    assert response.headers["ETag"] == '"rev:1"'
    # Ditto's rendering: the given fields, defaults filled in, in Ditto's order; credentials as stored.
    assert body == {
        "name": "devices", "connectionType": "mqtt", "connectionStatus": "closed",
        "uri": "tcp://user:secret@127.0.0.1:1883",
        "sources": [{"addresses": ["devices/+/telemetry"], "consumerCount": 1, "qos": 1,
                     "authorizationContext": ["nginx:devices"],
                     "enforcement": {"input": "{{ source:address }}",
                                     "filters": ["devices/{{ thing:id }}/telemetry"]},
                     "headerMapping": {}, "payloadMapping": ["Ditto"]}],
        "targets": [{"address": "devices/{{ thing:id }}/commands",
                     "topics": ["_/_/things/live/messages", "_/_/things/twin/events?filter=exists(features/lamp)"],
                     "qos": 1, "authorizationContext": ["nginx:devices"], "headerMapping": {}}],
        "clientCount": 1, "failoverEnabled": True, "validateCertificates": True, "processorPoolSize": 1,
        "tags": ["demo"]}
    fetched = api.get(f"/connections/{connection_id}")
    assert fetched.status_code == 200 and fetched.json() == {"id": connection_id, **body}
    assert fetched.headers["ETag"] == '"rev:1"'


def test_the_correlation_id_is_echoed_on_every_answer(api: httpx.Client) -> None:
    headers = {"correlation-id": "c-42"}
    response = api.post("/connections", json=CONNECTION, headers=headers)
    assert response.headers["correlation-id"] == "c-42" and response.headers["ETag"] == '"rev:1"'
    connection_id = response.json()["id"]
    for answer in (api.get("/connections", headers=headers), api.get(f"/connections/{connection_id}", headers=headers),
                   api.get(f"/connections/{connection_id}/status", headers=headers),
                   api.delete(f"/connections/{connection_id}", headers=headers)):
        assert answer.status_code in (200, 204), answer.text
        assert answer.headers["correlation-id"] == "c-42"
    assert "correlation-id" not in api.get("/connections").headers


def test_a_missing_status_is_unknown_as_in_ditto(api: httpx.Client) -> None:
    body = {key: value for key, value in CONNECTION.items() if key != "connectionStatus"}
    assert api.post("/connections", json=body).json()["connectionStatus"] == "unknown"


def test_an_id_in_a_new_connection_is_refused(api: httpx.Client) -> None:
    body = error(api.post("/connections", json={**CONNECTION, "id": "mine"}), 400, "connectivity:id.notsettable")
    assert body["message"] == "It is not allowed to provide an explicit ID for a connection."


def test_the_list_has_every_connection_and_ids_only_their_ids(api: httpx.Client) -> None:
    first, second = created(api)["id"], created(api)["id"]
    listed = api.get("/connections").json()
    assert {first, second} <= {connection["id"] for connection in listed}
    ids = api.get("/connections", params={"ids-only": "true"}).json()
    assert {first, second} <= set(ids) and all(isinstance(item, str) for item in ids)
    assert set(api.get("/connections", params={"fields": "id"}).json()) == set(ids)  # Ditto: ids only
    assert api.get("/connections", params={"ids-only": "false", "fields": "id"}).json()[0].keys() == {"id"}


def test_fields_select_parts_including_the_hidden_revision(api: httpx.Client) -> None:
    connection_id = created(api)["id"]
    response = api.get(f"/connections/{connection_id}", params={"fields": "id,_revision,uri"})
    assert response.json() == {"id": connection_id, "_revision": 1, "uri": CONNECTION["uri"]}
    listed = api.get("/connections", params={"fields": "id,connectionStatus"}).json()
    assert {"id": connection_id, "connectionStatus": "closed"} in listed


def test_an_unknown_connection_is_not_found(api: httpx.Client) -> None:
    body = error(api.get("/connections/nope-404"), 404, "connectivity:connection.notfound")
    assert body["message"] == ("The Connection with ID 'nope-404' could not be found or requester had "
                               "insufficient permissions to access it.")


# -- modify, delete, revisions ------------------------------------------------------------------------


def test_put_replaces_a_connection_and_counts_its_revision(api: httpx.Client) -> None:
    connection_id = created(api)["id"]
    changed = {**CONNECTION, "name": "renamed", "tags": []}
    response = api.put(f"/connections/{connection_id}", json=changed)
    assert response.status_code == 204 and response.headers["ETag"] == '"rev:2"'
    fetched = api.get(f"/connections/{connection_id}", params={"fields": "name,tags,_revision"}).json()
    assert fetched == {"name": "renamed", "tags": [], "_revision": 2}
    # The same id in the body is fine; another is not.
    assert api.put(f"/connections/{connection_id}", json={**changed, "id": connection_id}).status_code == 204
    error(api.put(f"/connections/{connection_id}", json={**changed, "id": "other"}), 400,
          "connectivity:id.notsettable")


def test_put_needs_an_existing_connection(api: httpx.Client) -> None:
    error(api.put("/connections/never-created", json=CONNECTION), 404, "connectivity:connection.notfound")


def test_put_needs_a_connection_status(api: httpx.Client) -> None:
    connection_id = created(api)["id"]
    body = {key: value for key, value in CONNECTION.items() if key != "connectionStatus"}
    error(api.put(f"/connections/{connection_id}", json=body), 400, "json.field.missing")


def test_conditional_headers_on_connections(api: httpx.Client) -> None:
    connection_id = created(api)["id"]
    body = error(api.put(f"/connections/{connection_id}", json=CONNECTION, headers={"If-Match": '"rev:7"'}),
                 412, "connectivity:precondition.failed")
    assert "actual entity-tag: '\"rev:1\"'" in body["message"]
    assert api.put(f"/connections/{connection_id}", json=CONNECTION,
                   headers={"If-Match": '"rev:1"'}).status_code == 204
    not_modified = api.get(f"/connections/{connection_id}", headers={"If-None-Match": '"rev:2"'})
    assert not_modified.status_code == 304 and not_modified.headers["ETag"] == '"rev:2"'
    error(api.delete(f"/connections/{connection_id}", headers={"If-Match": '"rev:1"'}), 412,
          "connectivity:precondition.failed")
    assert api.get(f"/connections/{connection_id}").status_code == 200


def test_delete_removes_a_connection(api: httpx.Client) -> None:
    connection_id = created(api)["id"]
    assert api.delete(f"/connections/{connection_id}").status_code == 204
    error(api.get(f"/connections/{connection_id}"), 404, "connectivity:connection.notfound")
    error(api.delete(f"/connections/{connection_id}"), 404, "connectivity:connection.notfound")
    error(api.put(f"/connections/{connection_id}", json=CONNECTION), 404, "connectivity:connection.notfound")
    assert connection_id not in api.get("/connections", params={"ids-only": "true"}).json()


# -- commands, status, metrics, logs ------------------------------------------------------------------


def command(api: httpx.Client, connection_id: str, text: str, content_type: str = "text/plain") -> httpx.Response:
    return api.post(f"/connections/{connection_id}/command", content=text.encode(),
                    headers={"Content-Type": content_type})


def test_open_and_close_store_the_connection_status(api: httpx.Client) -> None:
    connection_id = created(api)["id"]
    assert command(api, connection_id, "connectivity.commands:openConnection").status_code == 200
    fetched = api.get(f"/connections/{connection_id}", params={"fields": "connectionStatus,_revision"}).json()
    assert fetched == {"connectionStatus": "open", "_revision": 2}
    assert api.get(f"/connections/{connection_id}/status").json()["connectionStatus"] == "open"
    assert command(api, connection_id, "connectivity.commands:openConnection\n").status_code == 200  # no change
    assert api.get(f"/connections/{connection_id}", params={"fields": "_revision"}).json() == {"_revision": 2}
    assert command(api, connection_id, "connectivity.commands:closeConnection").status_code == 200
    assert api.get(f"/connections/{connection_id}/status").json()["connectionStatus"] == "closed"


@pytest.mark.parametrize("text", ["connectivity.commands:resetConnectionMetrics",
                                  "connectivity.commands:enableConnectionLogs",
                                  "connectivity.commands:resetConnectionLogs"])
def test_the_runtime_commands_are_taken(api: httpx.Client, text: str) -> None:
    connection_id = created(api)["id"]
    assert command(api, connection_id, text).status_code == 200


def test_an_unknown_command_is_dittos_400(api: httpx.Client) -> None:
    connection_id = created(api)["id"]
    body = error(command(api, connection_id, "connectivity.commands:deleteConnection"), 400,
                 "connectivity:command.invalid")
    assert body["message"] == "The command <connectivity.commands:deleteConnection> is invalid or unknown."
    error(command(api, connection_id, ""), 400, "connectivity:command.invalid")


def test_a_command_is_text_plain_and_short(api: httpx.Client) -> None:
    connection_id = created(api)["id"]
    error(command(api, connection_id, "connectivity.commands:openConnection", "application/json"), 415,
          "mediatype.unsupported")
    error(command(api, connection_id, "x" * 5000), 413, "request.toolarge")
    error(command(api, "missing-one", "connectivity.commands:openConnection"), 404,
          "connectivity:connection.notfound")


def test_status_metrics_and_logs_answer_in_dittos_shapes(api: httpx.Client) -> None:
    connection_id = created(api)["id"]
    status = api.get(f"/connections/{connection_id}/status").json()
    assert status["connectionId"] == connection_id and status["connectionStatus"] == "closed"
    assert {"liveStatus", "clientStatus", "sourceStatus", "targetStatus"} <= status.keys()
    metrics = api.get(f"/connections/{connection_id}/metrics").json()
    assert metrics["connectionId"] == connection_id and "connectionMetrics" in metrics
    logs = api.get(f"/connections/{connection_id}/logs").json()
    assert logs["connectionId"] == connection_id and logs["connectionLogs"] == []
    for kind in ("status", "metrics", "logs"):
        error(api.get(f"/connections/nope/{kind}"), 404, "connectivity:connection.notfound")


# -- dry-run ------------------------------------------------------------------------------------------


def test_a_dry_run_against_a_reachable_broker_succeeds_and_stores_nothing(api: httpx.Client) -> None:
    require("Mosquitto", MOSQUITTO)
    before = set(api.get("/connections", params={"ids-only": "true"}).json())
    response = api.post("/connections", params={"dry-run": "true"}, json={**CONNECTION, "id": "ignored"})
    assert response.status_code == 200, response.text
    assert response.json()["connectionId"].endswith("-dry-run") and "testResult" in response.json()
    assert set(api.get("/connections", params={"ids-only": "true"}).json()) == before


def test_a_dry_run_against_nothing_fails_with_dittos_504(api: httpx.Client) -> None:
    with socket.socket() as sock:  # a port nothing listens on: bound, never listening
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        body = error(api.post("/connections?dry-run=true", json={**CONNECTION, "uri": f"tcp://127.0.0.1:{port}"}),
                     504, "connectivity:connection.failed")
    assert f"127.0.0.1:{port}" in body["description"]


AMQP = {"connectionType": "amqp-091", "uri": "amqp://guest:guest@127.0.0.1:5672",
        "sources": [{"addresses": ["telemetry"], "authorizationContext": ["nginx:devices"]}], "targets": []}


def test_a_dry_run_of_a_type_with_a_client_connects_with_its_credentials(api: httpx.Client) -> None:
    require("RabbitMQ", RABBITMQ)
    response = api.post("/connections", params={"dry-run": "true"}, json={**CONNECTION, **AMQP})
    assert response.status_code == 200, response.text
    wrong = {**CONNECTION, **AMQP, "uri": "amqp://guest:wrong-secret@127.0.0.1:5672"}
    body = error(api.post("/connections", params={"dry-run": "true"}, json=wrong), 504,
                 "connectivity:connection.failed")
    assert "wrong-secret" not in response.text + str(body)


def test_a_dry_run_validates_first(api: httpx.Client) -> None:
    error(api.post("/connections?dry-run=true", json={**CONNECTION, "sources": [], "targets": []}), 400,
          "connectivity:connection.configuration.invalid")


# -- validation, one request per rule ------------------------------------------------------------------

SOURCE = CONNECTION["sources"][0]
TARGET = CONNECTION["targets"][0]


@pytest.mark.parametrize(("changes", "code", "message"), [
    ({"connectionType": "kafka"}, "connectivity:connection.configuration.invalid",
     "The connection type <kafka> is not supported by twinhub."),
    ({"connectionType": "hono"}, "connectivity:connection.configuration.invalid",
     "The connection type <hono> is not supported by twinhub."),
    ({"connectionType": "zeromq"}, "json.invalid", "Connection type <zeromq> is invalid!"),
    ({"sources": [], "targets": []}, "connectivity:connection.configuration.invalid",
     "Either a source or a target must be specified in the configuration of a connection!"),
    ({"sources": [{**SOURCE, "authorizationContext": []}]}, "connectivity:connection.configuration.invalid",
     "The Sources [devices/+/telemetry] are missing an authorization context."),
    ({"sources": [{**SOURCE, "addresses": []}]}, "connectivity:connection.configuration.invalid",
     "Source 0 of connection <{id}>: addresses may not be empty."),
    ({"sources": [{**SOURCE, "qos": 2}]}, "connectivity:connection.configuration.invalid",
     "Invalid value '2' for configuration 'qos' in Source of index 0 of connection '{id}'"),
    ({"targets": [{**TARGET, "qos": None}]}, "connectivity:connection.configuration.invalid",
     "MQTT Target <Target of address 'devices/{{ thing:id }}/commands' of connection '{id}'> must contain "
     "QoS value."),
    ({"sources": [{**SOURCE, "payloadMapping": ["Unknown"]}]}, "connectivity:connection.configuration.invalid",
     "The mapper <Unknown> could not be loaded."),
    ({"connectionType": "mqtt-5", "clientCount": 2,
      "targets": [{**TARGET, "topics": ["_/_/connections/announcements"]}]},
     "connectivity:connection.configuration.invalid",
     "Connection announcements (topic _/_/connections/announcements) can only be used with client count 1."),
    ({"uri": "tcp://127.0.0.1"}, "connectivity:connection.uri.invalid",
     "The Connection URI 'tcp://127.0.0.1' has an invalid format."),
    ({"uri": "http://127.0.0.1:1883"}, "connectivity:connection.uri.invalid",
     "The URI scheme 'http' is not valid for MQTT 3.1.1."),
    ({"targets": [{**TARGET, "topics": ["_/_/things/twin/nonsense"]}]}, "connectivity:topic.invalid",
     "The topic '_/_/things/twin/nonsense' could not be parsed."),
    ({"targets": [{**TARGET, "topics": ["_/_/things/twin/events?filter=eq(attributes/a"]}]},
     "rql.expression.invalid", None),
    ({"sources": [{**SOURCE, "declaredAcks": ["someone-else:ack"]}]}, "acknowledgement:label.invalid", None),
    ({"clientCount": "one"}, "json.invalid", 'Value <"one"> for </clientCount> is not of type <int>!'),
    ({"uri": None}, "json.field.missing", "JSON did not include required </uri> field!"),
])
def test_each_rule_is_answered_with_dittos_error(api: httpx.Client, changes: dict[str, Any], code: str,
                                                 message: str | None) -> None:
    body = {**copy.deepcopy(CONNECTION), **changes}
    body = {key: value for key, value in body.items() if value is not None}
    answer = error(api.post("/connections", json=body), 400, code)
    if message is not None and "{id}" not in message:
        assert answer["message"] == message
    elif message is not None:  # the generated id is in the message
        prefix, suffix = message.split("{id}", 1)
        assert answer["message"].startswith(prefix) and answer["message"].endswith(suffix)


def test_http_push_takes_only_targets_with_a_method_and_path(api: httpx.Client) -> None:
    push = {"connectionType": "http-push", "uri": "http://127.0.0.1:8081", "sources": [],
            "targets": [{**TARGET, "address": "POST:/hooks/{{ thing:id }}"}]}
    assert api.post("/connections", json={**CONNECTION, **push}).status_code == 201
    body = error(api.post("/connections", json={**CONNECTION, **push, "targets": [{**TARGET, "address": "/x"}]}),
                 400, "connectivity:connection.configuration.invalid")
    assert "Target address has invalid format" in body["message"]


# -- bad input -----------------------------------------------------------------------------------------


def test_malformed_json_is_refused(api: httpx.Client) -> None:
    error(api.post("/connections", content=b'{"connectionType": ', headers={"Content-Type": "application/json"}),
          400, "json.format.invalid")
    error(api.post("/connections", json=[CONNECTION]), 400, "json.invalid")
    error(api.post("/connections", json="mqtt"), 400, "json.invalid")
    error(api.post("/connections", content=b"", headers={"Content-Type": "application/json"}), 400,
          "json.format.invalid")


def test_a_huge_body_is_refused_before_it_is_read_whole(api: httpx.Client) -> None:
    huge = {**CONNECTION, "name": "x" * (2 * 1024 * 1024)}
    error(api.post("/connections", json=huge), 413, "request.toolarge")


def test_deep_nesting_is_refused(api: httpx.Client) -> None:
    def nested(levels: int) -> bytes:
        deep = b'{"a":' * levels + b'"x"' + b"}" * levels
        return b'{"connectionType":"mqtt","uri":"tcp://127.0.0.1:1883","specificConfig":' + deep + b"}"

    headers = {"Content-Type": "application/json"}
    # Past twinhub's limit of 100 levels: json.invalid; past the parser's own (1024): it does not parse.
    error(api.post("/connections", content=nested(200), headers=headers), 400, "json.invalid")
    error(api.post("/connections", content=nested(5000), headers=headers), 400, "json.format.invalid")


def test_put_and_dry_run_refuse_bad_bodies_as_create_does(api: httpx.Client) -> None:
    connection_id = created(api)["id"]
    huge = {**CONNECTION, "name": "x" * (2 * 1024 * 1024)}
    for path in (f"/connections/{connection_id}", "/connections?dry-run=true"):
        method = "PUT" if path.startswith(f"/connections/{connection_id}") else "POST"
        error(api.request(method, path, json=huge), 413, "request.toolarge")
        error(api.request(method, path, json=[CONNECTION]), 400, "json.invalid")
        error(api.request(method, path, content=b"<connection/>", headers={"Content-Type": "application/xml"}),
              415, "mediatype.unsupported")
    assert api.get(f"/connections/{connection_id}", params={"fields": "_revision"}).json() == {"_revision": 1}


def test_a_query_flag_that_is_no_boolean_is_refused(api: httpx.Client) -> None:
    error(api.get("/connections", params={"ids-only": "yes"}), 400, "header.invalid")
    error(api.post("/connections", params={"dry-run": "1"}, json=CONNECTION), 400, "header.invalid")


def test_a_non_json_content_type_is_refused(api: httpx.Client) -> None:
    error(api.post("/connections", content=b"<connection/>", headers={"Content-Type": "application/xml"}), 415,
          "mediatype.unsupported")


def test_an_invalid_id_in_the_path_is_dittos_400(api: httpx.Client) -> None:
    body = error(api.get("/connections/" + "x" * 101), 400, "connectivity:connection.id.invalid")
    assert body["message"].startswith("The Connection ID 'xxxx")
    error(api.get("/connections/a%20b"), 400, "connectivity:connection.id.invalid")


def test_a_malformed_fields_selector_is_refused(api: httpx.Client) -> None:
    error(api.get("/connections", params={"fields": "a((b"}), 400, "things:field.selection.invalid")


def test_head_only_reads(api: httpx.Client) -> None:
    # Starlette answers HEAD on every GET route: it must read as GET does, never fall through to a change.
    connection_id = created(api)["id"]
    for path in (f"/connections/{connection_id}", "/connections", f"/connections/{connection_id}/status"):
        head = api.head(path)
        assert head.status_code == 200 and head.content == b"", (path, head.status_code)
    assert api.get(f"/connections/{connection_id}", params={"fields": "_revision"}).json() == {"_revision": 1}


def test_a_method_the_resource_lacks_is_405(api: httpx.Client) -> None:
    connection_id = created(api)["id"]
    error(api.patch(f"/connections/{connection_id}", json={}), 405, "gateway:method.notallowed")
    error(api.delete("/connections"), 405, "gateway:method.notallowed")
