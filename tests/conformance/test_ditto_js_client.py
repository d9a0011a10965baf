"""Conformance: the official Eclipse Ditto JavaScript client drives twinhub.

`@eclipse-ditto/ditto-javascript-client-node` comes from the npm registry, pinned in `js/package.json` and
`js/package-lock.json` and installed with `npm ci` (again only when the lockfile changed). `js/conformance.js`
runs one scenario (`js/scenarios/*.js`) with the real client, no mocks, over its HTTP and WebSocket channels,
and prints a JSON line per check; each test here runs one scenario against a real server per way of
authenticating (dev-mode basic, a real `twinhub user add` user, an OpenID Connect bearer token) and wants every
check to pass:

* `http`: CRUD, merge, features, field selection, policies, search (filter, sort, fields, cursor, limit) and count.
* `websocket`: CRUD over the socket, and the events of changes made over HTTP and over the socket.
* `messages`: a live-channel client receives and answers messages sent over HTTP and over the WebSocket.
* `live-commands`: a live-channel client answers the live commands of another one and of `GET ?channel=live`.
* `errors`: Ditto errors (404, 409, 412, 400, 401) reach the client as Ditto error bodies.
* `own-origin`: a session never gets its own events, messages or live commands back (Ditto drops signals whose
  origin is the session; the client would take such an echo, which carries the pending request's
  correlation-id, for the answer).

Without Node.js the tests are skipped, except on CI (`CI=true`), where they fail.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import secrets
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conformance.auth_modes import create_user
from tests.jwt_keys import JwtIssuer
from twinhub.testing import Server, running_server

JS = Path(__file__).resolve().parent / "js"
USER = "ditto"
SCRIPT_TIMEOUT = 60.0  # seconds for one scenario; each wait inside the script is bounded by 5 s
NPM_CI_TIMEOUT = 300.0


@dataclass(frozen=True)
class Target:
    """A running server and the `TWINHUB_*` variables that tell the script how to reach and authenticate."""

    mode: str
    server: Server
    credentials: dict[str, str] = field(repr=False)  # passwords and tokens stay out of failure reports


def _require(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        message = (f"`{tool}` not found: install Node.js 18 or newer with npm (https://nodejs.org, or e.g. "
                   "`apt-get install nodejs npm`) to run the Ditto JavaScript client conformance tests")
        if os.environ.get("CI", "").lower() in {"true", "1"}:
            pytest.fail(message)
        pytest.skip(message)
    return found


@pytest.fixture(scope="session")
def node() -> str:
    """The `node` executable, with the client installed in `js/node_modules` exactly as the lockfile says."""
    node = _require("node")
    npm = _require("npm")
    digest = hashlib.sha256((JS / "package-lock.json").read_bytes()).hexdigest()
    lock_path = Path(tempfile.gettempdir()) / f"twinhub-js-conformance-{digest[:16]}.lock"
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one `npm ci` at a time, should several test runs start at once
        stamp = JS / "node_modules" / ".twinhub-package-lock.sha256"
        if not stamp.is_file() or stamp.read_text() != digest:
            result = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"], cwd=JS,
                                    capture_output=True, text=True, timeout=NPM_CI_TIMEOUT, check=False)
            assert result.returncode == 0, f"npm ci failed:\n{result.stdout}\n{result.stderr}"
            stamp.write_text(digest)
    return node


@contextlib.contextmanager
def _dev_basic(base: Path) -> Iterator[Target]:
    with running_server(base / "data", args=("--dev",)) as server:
        yield Target("dev-basic", server, {"TWINHUB_USER": USER, "TWINHUB_PASSWORD": "any password"})


@contextlib.contextmanager
def _basic(base: Path) -> Iterator[Target]:
    password = secrets.token_urlsafe(16)
    create_user(base / "data", USER, password)
    with running_server(base / "data", args=()) as server:
        yield Target("basic", server, {"TWINHUB_USER": USER, "TWINHUB_PASSWORD": password,
                                       "TWINHUB_WRONG_PASSWORD": password + "-wrong"})


@contextlib.contextmanager
def _jwt(base: Path) -> Iterator[Target]:
    issuer = JwtIssuer.generate(key="js-conformance", issuer="https://sso.twinhub.test/realms/js",
                                audience="twinhub-js")
    config = base / "settings.toml"
    config.write_text("basic_auth = false\n\n" + issuer.oidc_toml(issuer.write_jwks(base / "jwks.json")))
    with running_server(base / "data", args=("--config", str(config))) as server:
        yield Target("jwt", server, {"TWINHUB_TOKEN": issuer.token("js-user"),
                                     "TWINHUB_WRONG_TOKEN": issuer.impostor().token("js-user")})


_MODES = {"dev-basic": _dev_basic, "basic": _basic, "jwt": _jwt}


@pytest.fixture(scope="module", params=[pytest.param(mode, marks=pytest.mark.xdist_group(f"ditto-js-client-{mode}"))
                                        for mode in _MODES])
def target(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    """One server per way of authenticating; pytest groups the tests by it, so one server runs at a time (under
    xdist too: a mode's tests share one worker)."""
    mode: str = request.param
    with _MODES[mode](tmp_path_factory.mktemp(f"twinhub-js-{mode}")) as target:
        yield target


def _run(node: str, scenario: str, target: Target) -> list[dict[str, object]]:
    """Run `scenario` with the client, assert that every check passed, and return the checks."""
    environment = {name: value for name, value in os.environ.items() if not name.startswith("TWINHUB_")}
    environment.update(target.credentials, TWINHUB_URL=target.server.base_url,
                       TWINHUB_NAMESPACE=f"org.twinhub.js{uuid.uuid4().hex[:10]}")
    result = subprocess.run([node, "conformance.js", scenario], cwd=JS, env=environment, capture_output=True,
                            text=True, timeout=SCRIPT_TIMEOUT, check=False)
    checks = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    failed = [check for check in checks if not check["ok"]]
    report = "\n".join(f"  FAILED {check['name']}: {json.dumps(check['details'])}" for check in failed)
    assert result.returncode == 0 and checks and not failed, (
        f"scenario {scenario!r} ({target.mode}) exited with {result.returncode}, "
        f"{len(failed)} of {len(checks)} checks failed:\n{report}\n"
        f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}\n"
        f"server log (end):\n{target.server.log()[-3000:]}")
    assert {check["scenario"] for check in checks} == {scenario}
    return checks


def test_the_http_client_creates_modifies_searches_and_deletes(node: str, target: Target) -> None:
    _run(node, "http", target)


def test_the_websocket_client_writes_and_receives_the_changes(node: str, target: Target) -> None:
    _run(node, "websocket", target)


def test_messages_sent_over_http_and_websocket_are_answered_by_a_device(node: str, target: Target) -> None:
    _run(node, "messages", target)


def test_live_commands_are_answered_by_a_device(node: str, target: Target) -> None:
    _run(node, "live-commands", target)


def test_errors_reach_the_client_as_ditto_errors(node: str, target: Target) -> None:
    _run(node, "errors", target)


def test_a_session_never_receives_its_own_signals(node: str, target: Target) -> None:
    _run(node, "own-origin", target)
