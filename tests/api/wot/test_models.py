"""Thing Models kept in twinhub (a twinhub extension, `/api/2/wot/models/{name}`, README "Web of Things") and
URL prefixes mapped to them (`TWINHUB_WOT_MODEL_MAP`), so that definitions naming public URLs resolve on a
machine without internet; and Ditto 3.9's Thing Directory, `GET|HEAD /.well-known/wot`
(`gateway/service/.../routes/wot/WotDiscoveryThingDirectoryRoute.java`: public by default, `application/td+json`).

The server here runs without development mode: subjects come from `x-ditto-pre-authenticated`, only
`nginx:admin` is an admin (as for connections: others get 401 `gateway:authentication.failed`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import jsonschema
import pytest

from tests.api.helpers import assert_error
from twinhub.testing import Server, running_server

PUBLIC = "https://models.example.invalid/tm/"  # never resolvable: only the mapping can answer it
ADMIN = {"x-ditto-pre-authenticated": "nginx:admin"}
USER = {"x-ditto-pre-authenticated": "nginx:user"}
TD = {"accept": "application/td+json"}
SCHEMA = json.loads((Path(__file__).parents[2] / "data" / "wot" / "td-json-schema-validation.json").read_text())

BASE_TM = {"@context": "https://www.w3.org/2022/wot/td/v1.1", "@type": "tm:ThingModel", "title": "Base",
           "properties": {"on": {"type": "boolean", "default": True}}}
LAMP_TM = {"@context": "https://www.w3.org/2022/wot/td/v1.1", "@type": "tm:ThingModel", "title": "Lamp",
           "properties": {"level": {"type": "integer", "default": 3}},
           "links": [{"rel": "tm:extends", "href": "base.tm.jsonld"}]}


@pytest.fixture(scope="module")
def offline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = {"TWINHUB_PRE_AUTHENTICATION": "true", "TWINHUB_ADMIN_SUBJECTS": "nginx:admin",
           "TWINHUB_WOT_MODEL_MAP": f"{PUBLIC}=store"}
    with running_server(tmp_path_factory.mktemp("wot-offline") / "data", args=(), env=env) as server:
        yield server


@pytest.fixture
def http(offline: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=offline.base_url, timeout=30) as client:
        yield client


def _policy(subject: str) -> dict[str, object]:
    grant = {"grant": ["READ", "WRITE"], "revoke": []}
    return {"entries": {"owner": {"subjects": {subject: {"type": "test"}},
                                  "resources": {"thing:/": grant, "policy:/": grant, "message:/": grant}}}}


def test_admins_store_replace_list_and_delete_models(http: httpx.Client) -> None:
    created = http.put("/api/2/wot/models/acme/switch.tm.jsonld", json=BASE_TM, headers=ADMIN)
    assert created.status_code == 201, created.text
    assert created.headers["location"].endswith("/api/2/wot/models/acme/switch.tm.jsonld")
    assert http.put("/api/2/wot/models/acme/switch.tm.jsonld", json=LAMP_TM, headers=ADMIN).status_code == 204

    got = http.get("/api/2/wot/models/acme/switch.tm.jsonld", headers=USER)
    assert got.status_code == 200 and got.headers["content-type"] == "application/tm+json"
    assert got.json() == LAMP_TM
    assert "acme/switch.tm.jsonld" in http.get("/api/2/wot/models", headers=USER).json()

    assert http.delete("/api/2/wot/models/acme/switch.tm.jsonld", headers=ADMIN).status_code == 204
    assert_error(http.get("/api/2/wot/models/acme/switch.tm.jsonld", headers=USER), 404,
                 "twinhub:wot.model.notfound")
    assert_error(http.delete("/api/2/wot/models/acme/switch.tm.jsonld", headers=ADMIN), 404,
                 "twinhub:wot.model.notfound")


def test_only_admins_change_models_and_only_authenticated_callers_read_them(http: httpx.Client) -> None:
    assert_error(http.put("/api/2/wot/models/x.json", json=BASE_TM, headers=USER), 401,
                 "gateway:authentication.failed")
    http.put("/api/2/wot/models/x.json", json=BASE_TM, headers=ADMIN).raise_for_status()
    assert_error(http.delete("/api/2/wot/models/x.json", headers=USER), 401, "gateway:authentication.failed")
    assert_error(http.get("/api/2/wot/models/x.json"), 401, "gateway:authentication.failed")
    assert_error(http.get("/api/2/wot/models"), 401, "gateway:authentication.failed")


@pytest.mark.parametrize(("name", "body", "status", "code"), [
    ("bad%20name.json", b"{}", 400, "twinhub:wot.model.name.invalid"),
    ("a/%2E%2E/b.json", b"{}", 400, "twinhub:wot.model.name.invalid"),
    ("list.json", b"[1, 2]", 400, "wot:tm.invalid"),
    ("broken.json", b"{nope", 400, "wot:tm.invalid"),
    ("huge.json", b'{"a": "' + b"x" * (1024 * 1024) + b'"}', 413, "request.toolarge"),
], ids=["spaced-name", "dot-dot-name", "array", "broken-json", "huge"])  # a 1 MiB test id would be in the environment
def test_bad_models_and_names_are_refused(http: httpx.Client, name: str, body: bytes, status: int,
                                          code: str) -> None:
    response = http.put(f"/api/2/wot/models/{name}", content=body,
                        headers={**ADMIN, "content-type": "application/json"})

    assert_error(response, status, code)


def test_a_model_needs_a_json_content_type(http: httpx.Client) -> None:
    response = http.put("/api/2/wot/models/t.json", content=b"{}", headers={**ADMIN, "content-type": "text/plain"})
    assert_error(response, 415, "mediatype.unsupported")


def test_definitions_under_a_mapped_prefix_resolve_from_the_store_offline(http: httpx.Client) -> None:
    """A thing whose definition names a public URL under a prefix mapped to `store` gets its skeleton and TD from
    the stored models (relative `tm:extends` hrefs too), and sees a changed model at once."""
    http.put("/api/2/wot/models/base.tm.jsonld", json=BASE_TM, headers=ADMIN).raise_for_status()
    http.put("/api/2/wot/models/lamp.tm.jsonld", json=LAMP_TM, headers=ADMIN).raise_for_status()
    definition = PUBLIC + "lamp.tm.jsonld"

    created = http.put("/api/2/things/org.example:offline-lamp", json={
        "definition": definition, "_policy": _policy("nginx:user")}, headers=USER)

    assert created.status_code == 201, created.text
    assert created.json()["attributes"] == {"level": 3, "on": True}
    td = http.get("/api/2/things/org.example:offline-lamp", headers={**USER, **TD}).json()
    jsonschema.Draft7Validator(SCHEMA).validate(td)
    assert set(td["properties"]) == {"level", "on"}
    http.put("/api/2/wot/models/lamp.tm.jsonld", json={**LAMP_TM, "title": "Lamp 2"},
             headers=ADMIN).raise_for_status()
    assert http.get("/api/2/things/org.example:offline-lamp", headers={**USER, **TD}).json()["title"] == "Lamp 2"


def test_a_mapped_url_the_store_does_not_hold_is_not_accessible(http: httpx.Client) -> None:
    """Never downloaded instead: once the store no longer holds the model, the TD is `wot:tm.notfound`."""
    http.put("/api/2/wot/models/gone.tm.jsonld", json=BASE_TM, headers=ADMIN).raise_for_status()
    http.put("/api/2/things/org.example:unmapped", json={"definition": PUBLIC + "gone.tm.jsonld",
                                                         "_policy": _policy("nginx:user")},
             headers=USER).raise_for_status()
    http.delete("/api/2/wot/models/gone.tm.jsonld", headers=ADMIN).raise_for_status()

    assert_error(http.get("/api/2/things/org.example:unmapped", headers={**USER, **TD}), 421, "wot:tm.notfound")


def test_the_thing_directory_is_public(http: httpx.Client, offline: Server) -> None:
    response = http.get("/.well-known/wot")

    assert response.status_code == 200 and response.headers["content-type"] == "application/td+json"
    td = response.json()
    jsonschema.Draft7Validator(SCHEMA).validate(td)
    assert td["@type"] == "ThingDirectory" and td["id"] == "urn:ditto:wot:thing-directory"
    assert td["base"] == offline.base_url and td["security"] == "basic_sc"
    assert td["actions"]["retrieveThing"]["forms"][0]["href"] == "api/2/things/{thingId}"
    head = http.head("/.well-known/wot")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-type"] == "application/td+json"
    assert_error(http.post("/.well-known/wot"), 405, "gateway:method.notallowed")
