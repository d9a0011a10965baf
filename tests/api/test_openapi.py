"""twinhub's own OpenAPI document (`GET /api/2/openapi.json`) over the real server: valid OpenAPI 3, readable
without authentication (as Ditto's deployments serve `/apidoc/openapi/ditto-api-2.yml`, outside nginx's
`auth_basic`: `deployment/docker/nginx.conf`), and in agreement with the routes the server answers, both ways:

* every documented path and method is served (the server answers neither 405 nor `gateway:resource.notfound`,
  Ditto's answer for a path without a route), and every method the document leaves out of a documented path is
  refused that way;
* every route of the application (`create_app(...).routes`) is documented, for each of its methods;
* Ditto's paths (`documentation/src/main/resources/openapi/ditto-api-2.yml`) and twinhub's extensions
  (history, connections, whoami, health) are there.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from openapi_spec_validator import validate
from starlette.routing import Match, Mount, Route, WebSocketRoute

from tests.api.helpers import assert_error
from tests.openapi.spec import SpecNotFound, locate_spec
from twinhub.api.openapi import DOCUMENT_PATH, OPENAPI_VERSION, document
from twinhub.app import create_app
from twinhub.config import Settings
from twinhub.testing import Server

AUTH = ("ditto", "ditto")
METHODS = ("get", "put", "patch", "post", "delete")
# Sample values of the path parameters: of things, policies, connections nobody made ...
NOBODYS = {"thingId": "org.twinhub.openapi:nobody", "policyId": "org.twinhub.openapi:nobody", "featureId": "lamp",
           "attributePath": "location", "propertyPath": "on", "label": "owner", "subjectId": "nginx:ditto",
           "resourcePath": "thing:/", "importedPolicyId": "org.twinhub.openapi:base", "messageSubject": "switch",
           "connectionId": "nobody", "deviceId": "org.twinhub.openapi:nobody", "path": "features/lamp/properties/on",
           "modelName": "openapi/nobody.tm.jsonld"}
# Routes that only answer Ditto's refusal: a message without a subject (`messages:subject.invalid`).
REFUSING = {"/api/2/things/{thing_id}/inbox/messages": "/api/2/things/{thingId}/inbox/messages",
            "/api/2/things/{thing_id}/outbox/messages": "/api/2/things/{thingId}/outbox/messages",
            "/api/2/things/{thing_id}/features/{feature_id}/inbox/messages":
                "/api/2/things/{thingId}/features/{featureId}/inbox/messages",
            "/api/2/things/{thing_id}/features/{feature_id}/outbox/messages":
                "/api/2/things/{thingId}/features/{featureId}/outbox/messages"}
# Paths of Ditto's document twinhub does not serve (not built yet, or Ditto's operations, not a twin's).
NOT_SERVED = re.compile(r"^/(devops|\.well-known)/|/cloudevents$|TokenIntegration$")


@pytest.fixture(scope="module")
def served(server: Server) -> dict[str, Any]:
    response = httpx.get(server.base_url + DOCUMENT_PATH, timeout=30)  # no credentials
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    return body


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method


def concrete(path: str, samples: dict[str, str] = NOBODYS) -> str:
    return re.sub(r"\{(\w+)\}", lambda match: samples[match[1]], path)


def send(client: httpx.Client, method: str, path: str, samples: dict[str, str] = NOBODYS) -> httpx.Response:
    """`method` on `path` with a body of the kind the operation takes (its content does not matter here)."""
    url = concrete(path, samples)
    if "/messages/" in path or path.endswith("/claim"):
        url += "?timeout=0"  # a message to a device nobody runs: do not wait for its answer
    if method == "patch":
        return client.request("PATCH", url, content=b"{}", headers={"Content-Type": "application/merge-patch+json"})
    if method == "post" and path.endswith("/command"):
        return client.post(url, content=b"connectivity.commands:openConnection", headers={"Content-Type": "text/plain"})
    if method in ("put", "post"):
        return client.request(method.upper(), url, content=b"{}", headers={"Content-Type": "application/json"})
    return client.request(method.upper(), url)


def refused_as_unserved(response: httpx.Response) -> bool:
    """Ditto's answers for a method a resource lacks and for a path without a route."""
    if response.status_code == 405:
        return True
    return response.status_code == 404 and response.json().get("error") == "gateway:resource.notfound"


def test_the_document_is_valid_openapi_3(served: dict[str, Any]) -> None:
    assert served["openapi"] == OPENAPI_VERSION
    validate(served)  # openapi-spec-validator: raises on any violation of the OpenAPI 3.0 schema


def test_the_served_document_is_the_packaged_one(served: dict[str, Any]) -> None:
    assert served == document()


def test_the_document_is_readable_without_authentication(server: Server) -> None:
    """As Ditto's document: it describes the API, never data; a page must load it before anyone logs in."""
    response = httpx.get(server.base_url + DOCUMENT_PATH, timeout=30)
    assert response.status_code == 200
    assert response.json()["info"]["title"]


def test_other_methods_on_the_document_are_refused(server: Server) -> None:
    response = httpx.put(server.base_url + DOCUMENT_PATH, json={}, timeout=30)
    assert_error(response, 405, "gateway:method.notallowed")


def test_the_document_describes_dittos_api_and_twinhubs_extensions(served: dict[str, Any]) -> None:
    paths = served["paths"]
    for path in ("/api/2/things", "/api/2/things/{thingId}/features/{featureId}/properties/{propertyPath}",
                 "/api/2/policies/{policyId}/entries/{label}/subjects/{subjectId}", "/api/2/search/things",
                 "/api/2/checkPermissions", "/api/2/whoami", "/api/2/connections",
                 "/api/2/connections/{connectionId}/command", "/api/2/devices/{deviceId}/password",
                 "/api/2/history/things/{thingId}",
                 "/api/2/history/search", "/api/2/history/grafana/query", "/health", DOCUMENT_PATH):
        assert path in paths, path
    assert set(served["components"]["securitySchemes"]) == {"basic", "bearer"}
    assert paths["/health"]["get"]["security"] == []


def test_every_path_of_dittos_document_that_twinhub_serves_is_documented(served: dict[str, Any],
                                                                          ditto_document: dict[str, Any]) -> None:
    """Ditto's `ditto-api-2.yml`, the reference: every operation of it twinhub serves is in twinhub's document."""
    ours = set(operations(served))
    missing = [(path, method) for path, method in operations(ditto_document)
               if not NOT_SERVED.search(path) and (path, method) not in ours]
    assert not missing


def test_every_documented_operation_is_served(served: dict[str, Any], client_root: httpx.Client) -> None:
    unserved = []
    for path, method in operations(served):
        response = send(client_root, method, path)
        assert response.status_code < 500, (method, path, response.text)
        if refused_as_unserved(response):
            unserved.append((method, path, response.status_code))
    assert not unserved


def test_every_method_left_out_of_a_documented_path_is_refused(served: dict[str, Any], client_root: httpx.Client,
                                                              existing: dict[str, str]) -> None:
    """On a thing and a policy that exist with every part the paths name, so that a method served would succeed:
    none the document leaves out does (Ditto's 405 or no route, or another refusal, as twinhub's 400
    `things:policyId.notdeletable`)."""
    succeeded = []
    for path, item in served["paths"].items():
        for method in METHODS:
            if method not in item:
                response = send(client_root, method, path, existing)
                assert response.status_code < 500, (method, path, response.text)
                if response.status_code < 400:
                    succeeded.append((method, path, response.status_code))
    assert not succeeded
    assert client_root.get(concrete("/api/2/things/{thingId}", existing)).status_code == 200


def test_every_route_of_the_application_is_documented(served: dict[str, Any], tmp_path: Path,
                                                     client_root: httpx.Client) -> None:
    app = create_app(Settings(data_dir=tmp_path))
    documented = list(operations(served))
    checked = 0
    for route in app.routes:
        if isinstance(route, WebSocketRoute) or (isinstance(route, Mount) and route.path == "/apidoc"):
            continue  # the WebSocket of the Ditto Protocol (described in the document's text); the API page
        assert isinstance(route, Route), route
        if route.path in REFUSING:
            response = send(client_root, "post", REFUSING[route.path])
            assert_error(response, 400, "messages:subject.invalid")
            continue
        methods = {method.lower() for method in route.methods or ()} & set(METHODS)
        matching = {method for path, method in documented
                    if route.matches({"type": "http", "path": concrete(path), "method": method.upper()})[0]
                    is Match.FULL}
        # a route taking every method has the handler answer 405 for the ones its resources lack (checked above)
        assert matching if len(methods) == len(METHODS) else methods <= matching, (route.path, methods, matching)
        checked += 1
    assert checked >= 20


@pytest.fixture
def client_root(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, auth=AUTH, timeout=30) as client:
        yield client


@pytest.fixture
def existing(client_root: httpx.Client) -> dict[str, str]:
    """Samples that exist: a thing with every part the paths name, its policy, the policy it imports."""
    suffix = uuid.uuid4().hex[:8]
    lamp = f"org.twinhub.openapi:lamp-{suffix}"
    samples = {**NOBODYS, "thingId": lamp, "policyId": lamp, "importedPolicyId": f"org.twinhub.openapi:base-{suffix}"}
    grants = {"thing:/": {"grant": ["READ", "WRITE"], "revoke": []}, "policy:/": {"grant": ["READ", "WRITE"],
              "revoke": []}, "message:/": {"grant": ["READ", "WRITE"], "revoke": []}}
    owner = {"subjects": {"nginx:ditto": {"type": "test"}}, "resources": grants}
    base = client_root.put(concrete("/api/2/policies/{importedPolicyId}", samples),
                           json={"entries": {"owner": owner, "shared": {**owner, "importable": "implicit"}}})
    policy = client_root.put(concrete("/api/2/policies/{policyId}", samples),
                             json={"entries": {"owner": owner}, "imports": {samples["importedPolicyId"]: {}}})
    thing = client_root.put(concrete("/api/2/things/{thingId}", samples), json={
        "policyId": samples["policyId"], "definition": "org.example:lamp:1.0.0", "attributes": {"location": "hall"},
        "features": {"lamp": {"definition": ["org.example:switch:1.0.0"], "properties": {"on": True},
                              "desiredProperties": {"on": False}}}})
    assert [base.status_code, policy.status_code, thing.status_code] == [201, 201, 201], thing.text
    return samples


@pytest.fixture(scope="module")
def ditto_document() -> dict[str, Any]:
    try:
        path = locate_spec()
    except SpecNotFound as exc:
        pytest.skip(str(exc))
    loaded: dict[str, Any] = yaml.safe_load(path.read_text())
    return loaded
