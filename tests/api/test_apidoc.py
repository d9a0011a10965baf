"""The API page `/apidoc` over the real server: Swagger UI's own build (npm `swagger-ui-dist`, vendored with its
licence) and twinhub's page on it, served by the server itself (no CDN), readable without authentication as
Ditto's `/apidoc/` is (`deployment/docker/nginx.conf`: the Swagger UI container, outside `auth_basic`).
The page working in a browser is tests/e2e/test_apidoc.py."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.api.helpers import assert_error
from twinhub.testing import Server

PAGE_FILES = ["", "index.html", "apidoc.js", "apidoc.css", "swagger-ui/swagger-ui-bundle.js",
              "swagger-ui/swagger-ui.css", "swagger-ui/LICENSE", "swagger-ui/favicon-32x32.png"]


def test_apidoc_redirects_to_the_page(server: Server) -> None:
    response = httpx.get(server.base_url + "/apidoc", timeout=30)
    assert response.status_code in (301, 307, 308)
    assert response.headers["location"].endswith("/apidoc/")


@pytest.mark.parametrize("name", PAGE_FILES)
def test_the_page_and_swagger_ui_are_served_without_authentication(server: Server, name: str) -> None:
    response = httpx.get(f"{server.base_url}/apidoc/{name}", timeout=30)
    assert response.status_code == 200
    assert response.content


def test_the_page_loads_swagger_ui_and_the_document_from_this_server_only(server: Server) -> None:
    page = httpx.get(server.base_url + "/apidoc/", timeout=30)
    assert page.headers["content-type"].startswith("text/html")
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert "swagger-ui/swagger-ui-bundle.js" in sources and "apidoc.js" in sources
    assert not [source for source in sources if "//" in source]  # nothing from another host
    script = httpx.get(server.base_url + "/apidoc/apidoc.js", timeout=30).text
    assert '"../api/2/openapi.json"' in script
    assert "validatorUrl: null" in script  # Swagger UI would otherwise send the document's URL to its validator
    assert "withCredentials: true" in script


def test_swagger_ui_comes_with_its_licence(server: Server) -> None:
    licence = httpx.get(server.base_url + "/apidoc/swagger-ui/LICENSE", timeout=30).text
    assert "Apache License" in licence


@pytest.mark.parametrize("name", ["missing.js", "swagger-ui/../../routes.py", "%2e%2e/routes.py",
                                  "swagger-ui/%2e%2e/%2e%2e/openapi/routes.py"])
def test_a_file_outside_the_page_is_not_found(server: Server, name: str) -> None:
    response = httpx.get(f"{server.base_url}/apidoc/{name}", timeout=30)
    assert_error(response, 404, "gateway:resource.notfound")
    assert "import" not in response.text


def test_the_page_is_read_only(server: Server) -> None:
    response = httpx.put(server.base_url + "/apidoc/index.html", content=b"<p>x</p>", timeout=30)
    assert_error(response, 405, "gateway:method.notallowed")
