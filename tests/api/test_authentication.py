"""Real authentication: basic users with argon2 hashes, OpenID Connect JWTs, and no trust by default."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.api.helpers import assert_error
from tests.jwt_keys import BearerAuth, JwtIssuer
from twinhub.auth.jwt import DEFAULT_LEEWAY_SECONDS
from twinhub.testing import Server, running_server

# The tests share the module's server: one worker runs them all, so it starts once.
pytestmark = pytest.mark.xdist_group(__name__)

PASSWORD = "correct horse battery staple"


@dataclass
class SecureServer:
    server: Server
    issuer: JwtIssuer

    def client(self, auth: httpx.Auth | tuple[str, str] | None) -> httpx.Client:
        return httpx.Client(base_url=self.server.base_url + "/api/2", auth=auth, timeout=30)


def add_user(data_dir: Path, name: str, password: str, *, action: str = "add") -> None:
    """`twinhub user add` (or `action`, e.g. `passwd`) as the operator runs it, beside the running server."""
    command = [sys.executable, "-m", "twinhub.cli", "user", action, name, "--password-stdin", "--data-dir",
               str(data_dir)]
    result = subprocess.run(command, input=password + "\n", capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert password not in result.stdout + result.stderr


@pytest.fixture(scope="module")
def secure(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureServer]:
    """A server without dev mode: two basic users and one trusted OIDC issuer whose tokens also carry groups."""
    base = tmp_path_factory.mktemp("secure")
    data_dir = base / "data"
    add_user(data_dir, "alice", PASSWORD)
    add_user(data_dir, "bob", PASSWORD + "!")
    issuer = JwtIssuer.generate()
    config = base / "settings.toml"
    config.write_text(issuer.oidc_toml(issuer.write_jwks(base / "jwks.json"))
                      + 'auth_subjects = ["{{ jwt:sub }}", "{{ jwt:groups }}"]\n')
    with running_server(data_dir, args=("--config", str(config))) as server:
        assert "INSECURE" not in server.log()
        yield SecureServer(server, issuer)


def test_basic_user_with_right_password_is_authenticated(secure: SecureServer) -> None:
    with secure.client(("alice", PASSWORD)) as client:
        assert client.get("/whoami").json() == {"defaultSubject": "nginx:alice", "subjects": ["nginx:alice"]}


@pytest.mark.parametrize("credentials", [("alice", "wrong"), ("nobody", PASSWORD), ("bob", PASSWORD)])
def test_wrong_basic_credentials_are_401(secure: SecureServer, credentials: tuple[str, str]) -> None:
    with secure.client(credentials) as client:
        response = client.get("/whoami")
    assert_error(response, 401, "gateway:authentication.failed")
    assert PASSWORD not in response.text


def test_pre_authenticated_header_is_not_trusted_by_default(secure: SecureServer) -> None:
    with secure.client(None) as client:
        response = client.get("/whoami", headers={"x-ditto-pre-authenticated": "nginx:alice"})
    assert_error(response, 401, "gateway:authentication.failed")


def test_jwt_yields_a_subject_per_template_value(secure: SecureServer) -> None:
    token = secure.issuer.token("carol", groups=["operators", "auditors"])
    with secure.client(BearerAuth(token)) as client:
        assert client.get("/whoami").json() == {
            "defaultSubject": "test-oidc:carol",
            "subjects": ["test-oidc:carol", "test-oidc:operators", "test-oidc:auditors"]}


@pytest.mark.parametrize("case", ["expired", "wrong-audience", "unknown-key", "unknown-issuer", "garbage"])
def test_bad_jwts_are_refused(secure: SecureServer, case: str) -> None:
    issuer = secure.issuer
    tokens = {
        "expired": lambda: issuer.token("carol", exp=1_600_000_000, iat=1_599_999_000, nbf=1_599_999_000),
        "wrong-audience": lambda: issuer.token("carol", aud="someone-else"),
        "unknown-key": lambda: issuer.impostor().token("carol"),
        "unknown-issuer": lambda: issuer.token("carol", iss="https://evil.example/"),
        "garbage": lambda: "not.a.jwt",
    }
    token = tokens[case]()
    with secure.client(BearerAuth(token)) as client:
        response = client.get("/whoami")
    assert response.status_code == 401, response.text
    assert response.json()["error"].startswith("gateway:")
    assert token not in response.text


def test_jwt_user_owns_what_it_creates(secure: SecureServer) -> None:
    with secure.client(BearerAuth(secure.issuer.token("dora"))) as dora:
        created = dora.post("/things", json={"attributes": {"x": 1}})
        assert created.status_code == 201
        thing_id = created.json()["thingId"]
        subjects = dora.get(f"/policies/{thing_id}/entries/DEFAULT/subjects").json()
        assert list(subjects) == ["test-oidc:dora"]
    with secure.client(("alice", PASSWORD)) as alice:
        assert_error(alice.get(f"/things/{thing_id}"), 404, "things:thing.notfound")


def test_a_revoke_on_any_of_the_callers_subjects_wins(secure: SecureServer) -> None:
    with secure.client(("alice", PASSWORD)) as alice:
        thing_id = alice.post("/things", json={"attributes": {"public": 1, "internal": 2}}).json()["thingId"]
        policy = alice.get(f"/policies/{thing_id}").json()
        policy["entries"]["team"] = {
            "subjects": {"test-oidc:erin": {"type": "jwt"}, "test-oidc:contractors": {"type": "jwt group"}},
            "resources": {"thing:/": {"grant": ["READ"], "revoke": []}}}
        policy["entries"]["no-internal-for-contractors"] = {
            "subjects": {"test-oidc:contractors": {"type": "jwt group"}},
            "resources": {"thing:/attributes/internal": {"grant": [], "revoke": ["READ"]}}}
        assert alice.put(f"/policies/{thing_id}", json=policy).status_code == 204
    employee = secure.issuer.token("erin", groups=["staff"])
    contractor = secure.issuer.token("erin", groups=["contractors"])
    with secure.client(BearerAuth(employee)) as client:
        assert client.get(f"/things/{thing_id}/attributes").json() == {"public": 1, "internal": 2}
    with secure.client(BearerAuth(contractor)) as client:
        assert client.get(f"/things/{thing_id}/attributes").json() == {"public": 1}


def test_user_removed_on_the_command_line_is_refused(secure: SecureServer) -> None:
    data_dir = secure.server.data_dir
    add_user(data_dir, "temp", PASSWORD)
    with secure.client(("temp", PASSWORD)) as client:
        assert client.get("/whoami").status_code == 200
    command = [sys.executable, "-m", "twinhub.cli", "user", "remove", "temp", "--data-dir", str(data_dir)]
    assert subprocess.run(command, capture_output=True, timeout=60).returncode == 0
    with secure.client(("temp", PASSWORD)) as client:
        assert_error(client.get("/whoami"), 401, "gateway:authentication.failed")


def test_a_password_changed_on_the_command_line_counts_from_the_very_next_request(secure: SecureServer) -> None:
    data_dir = secure.server.data_dir
    add_user(data_dir, "changer", PASSWORD)
    with secure.client(("changer", PASSWORD)) as client:
        for _ in range(3):  # verified once, then served from the verified-credentials cache
            assert client.get("/whoami").status_code == 200
    add_user(data_dir, "changer", "the new password", action="passwd")
    with secure.client(("changer", PASSWORD)) as client:
        assert_error(client.get("/whoami"), 401, "gateway:authentication.failed")
    with secure.client(("changer", "the new password")) as client:
        assert client.get("/whoami").status_code == 200


def test_a_jwt_accepted_before_is_refused_once_it_expires(secure: SecureServer) -> None:
    """The server remembers a validated token, but not beyond its `exp` (plus the issuer's leeway, the default
    here): a token with a few seconds left is accepted, then refused."""
    exp = int(time.time()) - DEFAULT_LEEWAY_SECONDS + 6
    token = secure.issuer.token("dave", exp=exp, iat=exp - 60, nbf=exp - 60)
    with secure.client(BearerAuth(token)) as client:
        for _ in range(2):
            assert client.get("/whoami").status_code == 200
        while time.time() < exp + DEFAULT_LEEWAY_SECONDS:  # until it expires
            time.sleep(0.05)
        response = client.get("/whoami")
    assert response.status_code == 401, response.text
    assert "expired" in response.text
