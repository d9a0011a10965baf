"""CORS over the real server (`cors_origins`, `TWINHUB_CORS_ORIGINS`), as Ditto's gateway answers it with
`gateway.http.enable-cors` (`gateway/service/.../endpoints/directives/CorsEnablingDirective.java`) behind the
nginx of its deployments (`deployment/docker/nginx-cors.conf`): a preflight is answered without
authentication, echoing the origin and the requested headers, allowing credentials; actual requests still
authenticate and expose Ditto's response headers. Off by default: no CORS header at all."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.helpers import assert_error
from twinhub.api.cors import ALLOWED_METHODS, EXPOSED_HEADERS
from twinhub.testing import Server, running_server

CONSOLE = "https://console.example.com"
OTHER_CONSOLE = "http://localhost:3000"
STRANGER = "https://evil.example.org"
AUTH = ("ditto", "ditto")
# What Ditto's clients send across origins (Ditto's JavaScript client: Authorization, the conditional
# headers, correlation-id, requested-acks, ...).
DITTO_REQUEST_HEADERS = ("authorization", "content-type", "if-match", "if-none-match", "correlation-id",
                         "requested-acks", "response-required", "timeout", "condition", "live-channel-condition")


@pytest.fixture(scope="module")
def cors_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = {"TWINHUB_CORS_ORIGINS": f"{CONSOLE}, {OTHER_CONSOLE}/"}
    with running_server(tmp_path_factory.mktemp("cors") / "data", env=env) as server:
        yield server


@pytest.fixture(scope="module")
def any_origin_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(tmp_path_factory.mktemp("cors-any") / "data", env={"TWINHUB_CORS_ORIGINS": "*"}) as server:
        yield server


def preflight(server: Server, path: str, origin: str, method: str = "PUT",
              headers: tuple[str, ...] = DITTO_REQUEST_HEADERS) -> httpx.Response:
    """A browser's preflight: no credentials, ever."""
    return httpx.options(server.base_url + path, timeout=30, headers={
        "Origin": origin, "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": ", ".join(headers)})


def listed(response: httpx.Response, name: str) -> set[str]:
    return {item.strip().lower() for item in response.headers.get(name, "").split(",") if item.strip()}


def test_a_preflight_of_an_allowed_origin_is_answered_without_authentication(cors_server: Server) -> None:
    response = preflight(cors_server, "/api/2/things/org.example:lamp/attributes/x", CONSOLE)
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == CONSOLE
    assert response.headers["access-control-allow-credentials"] == "true"
    assert listed(response, "access-control-allow-methods") == {method.lower() for method in ALLOWED_METHODS}
    assert listed(response, "access-control-allow-headers") >= set(DITTO_REQUEST_HEADERS)
    assert int(response.headers["access-control-max-age"]) > 0
    assert "origin" in listed(response, "vary")


def test_a_configured_origin_is_matched_without_its_trailing_slash(cors_server: Server) -> None:
    response = preflight(cors_server, "/api/2/search/things", OTHER_CONSOLE, method="GET")
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == OTHER_CONSOLE


@pytest.mark.parametrize("method", ["PATCH", "DELETE", "POST", "GET"])
def test_a_preflight_allows_every_method_of_ditto(cors_server: Server, method: str) -> None:
    response = preflight(cors_server, "/api/2/things/org.example:lamp", CONSOLE, method=method)
    assert response.status_code == 200
    assert method in response.headers["access-control-allow-methods"]


def test_a_preflight_of_another_origin_is_refused_with_a_ditto_error(cors_server: Server) -> None:
    response = preflight(cors_server, "/api/2/things/org.example:lamp", STRANGER)
    body = assert_error(response, 400, "gateway:request.invalid")
    assert STRANGER in str(body["message"])
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize("origin", [CONSOLE + ".evil.org", "http://console.example.com", CONSOLE + ":8443", "null"])
def test_an_origin_is_allowed_only_as_configured(cors_server: Server, origin: str) -> None:
    response = preflight(cors_server, "/api/2/things/org.example:lamp", origin)
    assert_error(response, 400, "gateway:request.invalid")
    assert "access-control-allow-origin" not in response.headers


def test_a_preflight_of_a_method_ditto_lacks_is_refused(cors_server: Server) -> None:
    response = preflight(cors_server, "/api/2/things/org.example:lamp", CONSOLE, method="TRACE")
    body = assert_error(response, 400, "gateway:request.invalid")
    assert "TRACE" in str(body["message"])


def test_an_actual_request_still_needs_authentication(cors_server: Server) -> None:
    response = httpx.get(cors_server.base_url + "/api/2/things/org.example:lamp", headers={"Origin": CONSOLE})
    assert_error(response, 401, "gateway:authentication.failed")
    # the page may read the refusal and its challenge
    assert response.headers["access-control-allow-origin"] == CONSOLE
    assert "www-authenticate" in listed(response, "access-control-expose-headers")


def test_an_actual_request_exposes_dittos_response_headers(cors_server: Server) -> None:
    thing = "org.example:cors-exposed"
    created = httpx.put(cors_server.base_url + f"/api/2/things/{thing}", json={"attributes": {"on": True}},
                        auth=AUTH, headers={"Origin": CONSOLE, "correlation-id": "cors-1"})
    assert created.status_code == 201, created.text
    assert created.headers["access-control-allow-origin"] == CONSOLE
    assert created.headers["access-control-allow-credentials"] == "true"
    exposed = listed(created, "access-control-expose-headers")
    assert {"etag", "location", "correlation-id", "requested-acks", "response-required", "entity-revision"} <= exposed
    assert set(EXPOSED_HEADERS) <= exposed
    # the headers exposed are there to read
    assert created.headers["etag"] and created.headers["location"] and created.headers["correlation-id"] == "cors-1"
    read = httpx.get(cors_server.base_url + f"/api/2/things/{thing}", auth=AUTH, headers={"Origin": CONSOLE})
    assert read.status_code == 200 and read.json()["attributes"] == {"on": True}
    assert read.headers["access-control-allow-origin"] == CONSOLE
    assert "origin" in listed(read, "vary")


def test_an_actual_request_of_another_origin_gets_no_allow_origin(cors_server: Server) -> None:
    response = httpx.get(cors_server.base_url + "/api/2/whoami", auth=AUTH, headers={"Origin": STRANGER})
    assert response.status_code == 200  # the server answers; the browser withholds it from the page
    assert "access-control-allow-origin" not in response.headers


def test_a_request_without_origin_gets_no_allow_origin(cors_server: Server) -> None:
    response = httpx.get(cors_server.base_url + "/api/2/whoami", auth=AUTH)
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


def test_an_options_request_that_is_no_preflight_is_an_ordinary_request(cors_server: Server) -> None:
    response = httpx.options(cors_server.base_url + "/api/2/whoami", headers={"Origin": CONSOLE})
    assert response.status_code in (401, 405)
    assert response.headers["access-control-allow-origin"] == CONSOLE


def test_any_origin_is_echoed_with_credentials(any_origin_server: Server) -> None:
    for origin in (STRANGER, "http://127.0.0.1:5173"):
        response = preflight(any_origin_server, "/api/2/things/org.example:lamp", origin, method="DELETE")
        assert response.status_code == 200
        # `*` is refused by browsers for requests with credentials: the origin itself is echoed, as Ditto's nginx does
        assert response.headers["access-control-allow-origin"] == origin
        assert response.headers["access-control-allow-credentials"] == "true"
        actual = httpx.get(any_origin_server.base_url + "/api/2/whoami", auth=AUTH, headers={"Origin": origin})
        assert actual.status_code == 200 and actual.headers["access-control-allow-origin"] == origin


def test_without_origins_cors_is_off(server: Server) -> None:
    """The default (the module-wide server of tests/api): no CORS header, and a preflight is an ordinary OPTIONS
    request, which authenticates first."""
    answer = preflight(server, "/api/2/things/org.example:lamp", CONSOLE)
    assert answer.status_code == 401
    actual = httpx.get(server.base_url + "/api/2/whoami", auth=AUTH, headers={"Origin": CONSOLE})
    assert actual.status_code == 200
    for response in (answer, actual):
        assert not [name for name in response.headers if name.lower().startswith("access-control-")]


def test_a_bad_origin_setting_stops_the_start(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="cors_origins"), running_server(
            tmp_path / "data", env={"TWINHUB_CORS_ORIGINS": "https://console.example.com/app"}):
        pass
