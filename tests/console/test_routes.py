"""The console's pages and assets as the server serves them (over real sockets): `/` and `/console` send the
browser to `/console/`; every address under it is the page, with a strict Content-Security-Policy and never
cached; assets are cached for good; nothing outside the build is reachable; the console can be switched off."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from twinhub.testing import Server, running_server

pytestmark = pytest.mark.xdist_group(__name__)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(tmp_path_factory.mktemp("console") / "data", args=()) as server:
        yield server


@pytest.fixture(scope="module")
def client(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        yield client


@pytest.mark.parametrize("path", ["/", "/console"])
def test_the_root_and_console_send_the_browser_to_the_console(client: httpx.Client, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 307
    assert answer.headers["location"] == "/console/"


@pytest.mark.parametrize("path", ["/console/", "/console/things", "/console/things/org.acme%3Alamp-1",
                                  "/console/policies/org.acme:p", "/console/no/such/page"])
def test_every_console_address_is_the_page_with_a_strict_policy(client: httpx.Client, path: str) -> None:
    answer = client.get(path)  # no credentials: the page is public, the data behind it is not
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    policy = answer.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy and "connect-src 'self'" in policy
    assert "unsafe-eval" not in policy and "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    assert answer.headers["cache-control"] == "no-cache"
    assert answer.headers["x-frame-options"] == "DENY"
    assert '<div id="root">' in answer.text
    assert "<script>" not in answer.text  # nothing inline: the policy would refuse it


def test_assets_are_cached_for_good_and_typed(client: httpx.Client) -> None:
    page = client.get("/console/").text
    scripts = re.findall(r'src="(/console/assets/[^"]+\.js)"', page)
    styles = re.findall(r'href="(/console/assets/[^"]+\.css)"', page)
    assert scripts and styles
    for path, kind in [(scripts[0], "javascript"), (styles[0], "text/css")]:
        answer = client.get(path)
        assert answer.status_code == 200
        assert kind in answer.headers["content-type"]
        assert "immutable" in answer.headers["cache-control"]
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["content-encoding"] == "gzip"  # httpx asks for it, and inflates it
        assert answer.headers["vary"] == "accept-encoding"
        plain = client.get(path, headers={"accept-encoding": "identity"})
        assert "content-encoding" not in plain.headers and plain.content == answer.content


@pytest.mark.parametrize("path", ["/console/assets/nothing.js", "/console/assets/../../__init__.py", "/console/assets/",
                                  "/console/assets/%2e%2e%2froutes.py", "/console/assets/BUILD.json",
                                  "/console/assets/%2e%2e/%2e%2e/routes.py", "/console/assets/..%2f..%2fapp.py"])
def test_nothing_but_the_build_is_served(client: httpx.Client, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 404
    assert "import" not in answer.text


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_the_page_only_answers_reads(client: httpx.Client, method: str) -> None:
    assert client.request(method, "/console/things").status_code == 405


def test_head_of_the_page(client: httpx.Client) -> None:
    answer = client.head("/console/things")
    assert answer.status_code == 200 and answer.content == b""


def test_switched_off_the_console_is_not_served(tmp_path_factory: pytest.TempPathFactory) -> None:
    with running_server(tmp_path_factory.mktemp("no-console") / "data", args=(),
                        env={"TWINHUB_CONSOLE": "false"}) as server:
        assert httpx.get(f"{server.base_url}/console/", timeout=30).status_code == 404
        assert httpx.get(f"{server.base_url}/health", timeout=30).status_code == 200
