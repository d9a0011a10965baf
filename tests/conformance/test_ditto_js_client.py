"""The official Eclipse Ditto JavaScript client (`@eclipse-ditto/ditto-javascript-client-node` from the npm
registry, pinned in `js/package.json` and `js/package-lock.json`) against a real twinhub server, over its HTTP
and WebSocket channels: things created, modified, searched and deleted, changes subscribed to and received,
messages sent and answered. `js/conformance.js` runs one scenario with the client and prints a JSON line per
check; each test here runs one scenario per way of authenticating and wants every check to pass.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conformance.auth_modes import create_user
from tests.serving import Server, running_server

JS = Path(__file__).resolve().parent / "js"
USER = "ditto"


def _require(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        message = f"{tool} is not installed: install Node.js 18+ with npm (e.g. `apt-get install nodejs npm`)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


@pytest.fixture(scope="session")
def node() -> str:
    """Node, with the client installed exactly as the lockfile says (again only when the lockfile changed)."""
    node = _require("node")
    npm = _require("npm")
    lock = (JS / "package-lock.json").read_bytes()
    stamp = JS / "node_modules" / ".twinhub-lock-sha256"
    digest = hashlib.sha256(lock).hexdigest()
    if not stamp.exists() or stamp.read_text() != digest:
        result = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=JS, capture_output=True, text=True,
                                timeout=300, check=False)
        assert result.returncode == 0, f"npm ci failed:\n{result.stdout}\n{result.stderr}"
        stamp.write_text(digest)
    return node


@pytest.fixture(scope="module", params=["dev-basic", "basic"])
def js_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    """A server and the password of the user `ditto`: any password in dev mode, a real user's otherwise."""
    base = tmp_path_factory.mktemp(f"twinhub-js-{request.param}")
    if request.param == "dev-basic":
        with running_server(base / "data", args=("--dev",)) as server:
            yield server, "ditto"
        return
    password = secrets.token_urlsafe(16)
    create_user(base / "data", USER, password)
    with running_server(base / "data", args=()) as server:
        yield server, password


def _run(node: str, scenario: str, server: Server, password: str) -> list[dict[str, object]]:
    domain = server.base_url.removeprefix("http://")
    namespace = f"org.twinhub.js{uuid.uuid4().hex[:8]}"
    result = subprocess.run([node, "conformance.js", scenario, domain, USER, password, namespace], cwd=JS,
                            capture_output=True, text=True, timeout=60, check=False)
    checks = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    failed = [check for check in checks if not check["ok"]]
    assert result.returncode == 0 and checks and not failed, (
        f"scenario {scenario} exited with {result.returncode}; failed checks: {failed}\n"
        f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}")
    return checks


def test_the_http_client_creates_modifies_searches_and_deletes(node: str, js_server: tuple[Server, str]) -> None:
    checks = _run(node, "http", *js_server)
    assert len(checks) == 8


def test_the_websocket_client_writes_and_receives_the_changes(node: str, js_server: tuple[Server, str]) -> None:
    checks = _run(node, "websocket", *js_server)
    assert len(checks) == 9


def test_messages_are_sent_by_the_clients_and_answered_by_a_device(node: str,
                                                                   js_server: tuple[Server, str]) -> None:
    checks = _run(node, "messages", *js_server)
    assert len(checks) == 3
