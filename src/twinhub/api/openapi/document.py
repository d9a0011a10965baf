"""twinhub's OpenAPI 3 document: Ditto's HTTP API v2 as twinhub serves it, and twinhub's extensions.

Written here rather than copied: Ditto's `ditto-api-2.yml` was the reference for paths, methods and
parameters, but this document lists only what twinhub serves (no CloudEvents, devops or token integration
routes) and adds what only twinhub has. `tests/api/test_openapi.py` checks it against the routes the server
really answers, both ways, so neither can drift from the other.
"""

from __future__ import annotations

from functools import cache

from twinhub import __version__
from twinhub.api.openapi.components import components
from twinhub.api.openapi.devices import DEVICES, devices_paths
from twinhub.api.openapi.extensions import connections_paths, history_paths, service_paths
from twinhub.api.openapi.policies import policies_paths
from twinhub.api.openapi.things import search_paths, things_paths
from twinhub.api.openapi.wot import WOT, wot_paths
from twinhub.model.json import dumps
from twinhub.model.types import JsonObject

__all__ = ["OPENAPI_VERSION", "document", "document_json"]

OPENAPI_VERSION = "3.0.3"

_DESCRIPTION = """twinhub speaks Eclipse Ditto's HTTP API v2: Ditto's clients work against it unchanged.

Authenticate with HTTP basic (a user of `twinhub user add`) or a JSON Web Token of a trusted OpenID Connect
issuer. Beyond the operations here: the WebSocket of the Ditto Protocol at `/ws/2`, and server-sent events
from `GET /api/2/things` and `GET /api/2/history/things/...` with `Accept: text/event-stream`."""

_TAGS = [("Things", "Things, their attributes and definition."), ("Features", "The features of a thing."),
         ("Messages", "Messages to and from devices (the live channel)."), ("Search", "Search things with RQL."),
         ("Policies", "Who may read and write what."), ("Authentication", "The caller."),
         ("Connections", "Connections to MQTT and AMQP brokers, NATS and HTTP endpoints (admins only)."),
         (DEVICES, "twinhub: the devices of the MQTT endpoint and their credentials (admins only)."),
         ("History", "twinhub: the recorded values of things, aggregated, exported, streamed."),
         (WOT, "WoT Thing Directory; twinhub: Thing Models kept for offline use (Thing Descriptions: GET a thing "
               "or feature with Accept: application/td+json)."),
         ("Service", "twinhub: health and this document.")]


def document() -> JsonObject:
    """The whole document, a new value each call."""
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": "twinhub HTTP API", "version": __version__, "description": _DESCRIPTION,
                 "license": {"name": "EPL-2.0", "url": "https://www.eclipse.org/legal/epl-2.0/"}},
        "tags": [{"name": name, "description": text} for name, text in _TAGS],
        "security": [{"basic": []}, {"bearer": []}],
        "paths": {**things_paths(), **search_paths(), **policies_paths(), **connections_paths(),
                  **devices_paths(), **history_paths(), **wot_paths(), **service_paths()},
        "components": components(),
    }


@cache
def document_json() -> bytes:
    """The document as served: built once, on first use."""
    return dumps(document())
