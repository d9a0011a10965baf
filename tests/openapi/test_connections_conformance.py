"""The connections API against Ditto's OpenAPI document: a scripted scenario that calls every connections
operation the document lists, each response checked against its documented status, schema and headers.

Not checked against the document: `ids-only` and `fields` (the document models whole connections only; the
API tests pin them). The bodies of `/status`, `/metrics` and `/logs` come from the connection runtime and
are checked too. Opened, the connection connects to the
machine's RabbitMQ and consumes nothing (no source; its target's subjects may READ no thing), so nothing
there changes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.integration.services import RABBITMQ, require
from tests.openapi.spec import SpecClient

CONNECTIONS = "/api/2/connections"
CONNECTION = CONNECTIONS + "/{connectionId}"

NEW_CONNECTION = {
    "name": "openapi", "connectionType": "amqp-091", "connectionStatus": "closed",
    "uri": "amqp://guest:guest@127.0.0.1:5672",
    "targets": [{"address": "events", "topics": ["_/_/things/twin/events"],
                 "authorizationContext": ["nginx:devices"]}],
}


def _in_connections(api: SpecClient) -> set[str]:
    return {label for label in _operations(api.schema) if label.split(" ", 1)[1].startswith(CONNECTIONS)}


def _operations(schema: Any) -> set[str]:
    labels = set()
    for result in schema.get_all_operations():
        operation = result.ok()
        labels.add(operation.label)
    return labels


def test_connections_responses_conform_to_ditto_spec(ditto_spec: Any, http: httpx.Client) -> None:
    require("RabbitMQ", RABBITMQ)
    api = SpecClient(ditto_spec, http)
    api.call("GET", CONNECTIONS, expect=401, anonymous=True)
    api.call("POST", CONNECTIONS, body={**NEW_CONNECTION, "id": "given"}, expect=400,
             error="connectivity:id.notsettable")
    api.call("POST", CONNECTIONS, raw=b'{"connectionType": ', expect=400)
    created = api.call("POST", CONNECTIONS, body=NEW_CONNECTION, expect=201).json()
    connection = {"connectionId": created["id"]}
    api.call("GET", CONNECTIONS, expect=200)
    api.call("GET", CONNECTION, connection, expect=200)
    api.call("GET", CONNECTION, {"connectionId": "missing"}, expect=404, target_missing=True,
             error="connectivity:connection.notfound")
    api.call("PUT", CONNECTION, connection, body={**NEW_CONNECTION, "name": "renamed"}, expect=204)
    api.call("PUT", CONNECTION, connection, body={**NEW_CONNECTION, "sources": [], "targets": []}, expect=400,
             error="connectivity:connection.configuration.invalid")
    api.call("POST", CONNECTION + "/command", connection, raw=b"connectivity.commands:openConnection",
             headers={"Content-Type": "text/plain"}, expect=200)
    api.call("POST", CONNECTION + "/command", connection, raw=b"connectivity.commands:nonsense",
             headers={"Content-Type": "text/plain"}, expect=400, error="connectivity:command.invalid")
    for part in ("status", "metrics", "logs"):
        api.call("GET", CONNECTION + "/" + part, connection, expect=200)
    api.call("DELETE", CONNECTION, connection, expect=204)
    api.call("DELETE", CONNECTION, connection, expect=404, target_missing=True)

    unexercised = sorted(_in_connections(api) - api.exercised)
    if unexercised:
        api.problems.append(f"Connections operations the document lists that the scenario never called: "
                            f"{unexercised}")
    if api.problems:
        pytest.fail(api.report(), pytrace=False)


