"""The ways of authenticating the conformance suite runs under, each with a real server set up for it.

* `dev-basic`: `serve --dev`; any HTTP basic user is `nginx:<user>`, without a password check, and the
  `x-ditto-pre-authenticated` header is trusted.
* `basic`: no `--dev`; a user created with `twinhub user add ... --password-stdin` before the server starts;
  the client sends that password with the package's `BasicAuthProvider` (subject `nginx:<user>`).
* `jwt`: no `--dev`; a `--config` TOML with HTTP basic off and one `[[oidc]]` issuer (with an audience) whose
  keys are a JWKS file written here; the client sends a token signed with that RSA key through the package's
  `JWTAuthProvider` (`Authorization: Bearer ...`; subject `<key>:<sub>`).
"""

from __future__ import annotations

import contextlib
import secrets
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from ditto_client import BasicAuthProvider, JWTAuthProvider
from kiota_abstractions.authentication.authentication_provider import AuthenticationProvider

from tests.jwt_keys import BearerAuth, JwtIssuer
from twinhub.testing import Server, running_server

__all__ = ["AUTH_MODES", "AuthMode", "create_user", "start_auth_mode"]

USER = "ditto"
JWT_SUB = "conformance-user"


@dataclass(frozen=True)
class AuthMode:
    """One way of authenticating, with the server set up for it."""

    name: str
    server: Server
    subject: str  # the subject the server derives from the credentials
    credentials: Callable[[], AuthenticationProvider]  # the client's provider with the right credentials
    wrong_credentials: Callable[[], AuthenticationProvider]  # a wrong password / a token of a foreign key
    raw_auth: httpx.Auth  # the same (right) credentials for plain httpx
    secure: bool  # False in dev mode: passwords are not checked and pre-authentication is trusted


def create_user(data_dir: Path, name: str, password: str) -> None:
    """`twinhub user add NAME --password-stdin --data-dir D`, as an operator would run it."""
    result = subprocess.run(
        [sys.executable, "-m", "twinhub.cli", "user", "add", name, "--password-stdin", "--data-dir", str(data_dir)],
        input=password + "\n", capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 0, (result.returncode, result.stdout, result.stderr)


def _basic(user: str, password: str) -> Callable[[], AuthenticationProvider]:
    return lambda: BasicAuthProvider(user_name=user, password=password)


def _bearer(token: str) -> Callable[[], AuthenticationProvider]:
    return lambda: JWTAuthProvider(token=token)


@contextlib.contextmanager
def _dev_basic_mode(base: Path) -> Iterator[AuthMode]:
    password = "ditto"
    with running_server(base / "data", args=("--dev",)) as server:
        yield AuthMode(name="dev-basic", server=server, subject=f"nginx:{USER}",
                       credentials=_basic(USER, password), wrong_credentials=_basic(USER, password + "-wrong"),
                       raw_auth=httpx.BasicAuth(USER, password), secure=False)


@contextlib.contextmanager
def _basic_mode(base: Path) -> Iterator[AuthMode]:
    password = secrets.token_urlsafe(16)
    data_dir = base / "data"
    create_user(data_dir, USER, password)
    with running_server(data_dir, args=()) as server:
        yield AuthMode(name="basic", server=server, subject=f"nginx:{USER}",
                       credentials=_basic(USER, password), wrong_credentials=_basic(USER, password + "-wrong"),
                       raw_auth=httpx.BasicAuth(USER, password), secure=True)


@contextlib.contextmanager
def _jwt_mode(base: Path) -> Iterator[AuthMode]:
    issuer = JwtIssuer.generate(key="conformance-oidc", issuer="https://sso.twinhub.test/realms/conformance",
                                audience="twinhub-conformance")
    jwks_file = issuer.write_jwks(base / "jwks.json")
    config = base / "settings.toml"
    # Tokens only: with HTTP basic off, nothing but the bearer token can authenticate a request.
    config.write_text("basic_auth = false\n\n" + issuer.oidc_toml(jwks_file))
    token = issuer.token(JWT_SUB)
    with running_server(base / "data", args=("--config", str(config))) as server:
        yield AuthMode(name="jwt", server=server, subject=issuer.subject(JWT_SUB),
                       credentials=_bearer(token), wrong_credentials=_bearer(issuer.impostor().token(JWT_SUB)),
                       raw_auth=BearerAuth(token), secure=True)


_MODES: dict[str, Callable[[Path], contextlib.AbstractContextManager[AuthMode]]] = {
    "dev-basic": _dev_basic_mode,
    "basic": _basic_mode,
    "jwt": _jwt_mode,
}
AUTH_MODES = tuple(_MODES)


def start_auth_mode(name: str, base: Path) -> contextlib.AbstractContextManager[AuthMode]:
    """The mode `name` with its server, files under `base`; the server stops when the context ends."""
    return _MODES[name](base)
