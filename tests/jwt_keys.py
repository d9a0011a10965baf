"""A test OpenID Connect issuer: an RSA signing key, its JWKS file, signed tokens and the `[[oidc]]` TOML that
makes a twinhub server trust them. Real keys and real signatures, no mocks.

    issuer = JwtIssuer.generate()
    issuer.write_jwks(tmp / "jwks.json")
    (tmp / "settings.toml").write_text(issuer.oidc_toml(tmp / "jwks.json"))   # serve --config settings.toml
    token = issuer.token("alice")                     # subject "<issuer.key>:alice" on that server
    httpx.get(url, auth=BearerAuth(token))
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

__all__ = ["BearerAuth", "JwtIssuer"]

ALGORITHM = "RS256"


def _rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _toml_string(text: str) -> str:
    # A JSON string is a valid TOML basic string (same quotes and escapes).
    return json.dumps(text)


@dataclass(frozen=True)
class JwtIssuer:
    """One issuer with one RSA key (`kid`); `key` is the issuer's key in twinhub's settings, the prefix of
    the subjects its tokens yield (`<key>:<sub>` with the default subject template)."""


    private_key: rsa.RSAPrivateKey = field(repr=False)
    kid: str
    key: str = "test-oidc"
    issuer: str = "https://sso.twinhub.test/realms/test"
    audience: str = "twinhub"

    @classmethod
    def generate(cls, *, key: str = "test-oidc", issuer: str = "https://sso.twinhub.test/realms/test",
                 audience: str = "twinhub") -> JwtIssuer:
        return cls(_rsa_key(), f"kid-{uuid.uuid4().hex[:8]}", key=key, issuer=issuer, audience=audience)

    def impostor(self) -> JwtIssuer:
        """Another RSA key claiming the same issuer and `kid`: its tokens must fail signature checks."""
        return JwtIssuer(_rsa_key(), self.kid, key=self.key, issuer=self.issuer, audience=self.audience)

    def public_jwk(self) -> dict[str, Any]:
        jwk: dict[str, Any] = RSAAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        jwk.update({"kid": self.kid, "use": "sig", "alg": ALGORITHM})
        return jwk

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.public_jwk()]}

    def write_jwks(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.jwks()))
        return path

    def oidc_toml(self, jwks_file: Path) -> str:
        """The `[[oidc]]` table trusting this issuer, its keys read from `jwks_file`."""
        return "\n".join([
            "[[oidc]]",
            f"key = {_toml_string(self.key)}",
            f"issuer = {_toml_string(self.issuer)}",
            f"audience = {_toml_string(self.audience)}",
            f"jwks_file = {_toml_string(str(jwks_file))}",
            "",
        ])

    def subject(self, sub: str) -> str:
        """The subject a token for `sub` yields with the default template `{{ jwt:sub }}`."""
        return f"{self.key}:{sub}"

    def token(self, sub: str, *, lifetime: float = 3600, **claims: Any) -> str:
        """A signed token for `sub`, with `iss`, `aud`, `iat`, `nbf` and `exp` (now + lifetime); `claims`
        add to or override these."""
        now = int(time.time())
        payload: dict[str, Any] = {
            "iss": self.issuer,
            "sub": sub,
            "aud": self.audience,
            "iat": now,
            "nbf": now,
            "exp": now + int(lifetime),
            **claims,
        }
        return jwt.encode(payload, self.private_key, algorithm=ALGORITHM, headers={"kid": self.kid})


class BearerAuth(httpx.Auth):
    """httpx authentication with `Authorization: Bearer <token>`."""

    def __init__(self, token: str) -> None:
        self.token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self.token}"
        yield request
