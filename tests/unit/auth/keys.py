"""Real signing keys, JWKS documents and tokens for the auth tests (no mocks: real RSA / EC / Ed25519)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

ISSUER = "https://sso.example.com/realms/iot"

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


@dataclass(frozen=True)
class SigningKey:
    kid: str
    algorithm: str
    private: PrivateKey = field(repr=False)
    declare_alg: bool = True  # put `alg` into the JWK

    @classmethod
    def rsa(cls, kid: str, algorithm: str = "RS256", *, bits: int = 2048, declare_alg: bool = True) -> SigningKey:
        return cls(kid, algorithm, rsa.generate_private_key(public_exponent=65537, key_size=bits), declare_alg)

    @classmethod
    def ec(cls, kid: str, algorithm: str = "ES256") -> SigningKey:
        curve: ec.EllipticCurve = {"ES256": ec.SECP256R1(), "ES384": ec.SECP384R1(), "ES512": ec.SECP521R1()}[
            algorithm]
        return cls(kid, algorithm, ec.generate_private_key(curve))

    @classmethod
    def ed25519(cls, kid: str) -> SigningKey:
        return cls(kid, "EdDSA", ed25519.Ed25519PrivateKey.generate())

    def public_jwk(self) -> dict[str, Any]:
        public = self.private.public_key()
        if isinstance(public, rsa.RSAPublicKey):
            jwk = RSAAlgorithm.to_jwk(public, as_dict=True)
        elif isinstance(public, ec.EllipticCurvePublicKey):
            jwk = ECAlgorithm.to_jwk(public, as_dict=True)
        else:
            jwk = OKPAlgorithm.to_jwk(public, as_dict=True)
        jwk.update({"kid": self.kid, "use": "sig"})
        if self.declare_alg:
            jwk["alg"] = self.algorithm
        return jwk

    def private_jwk(self) -> dict[str, Any]:
        assert isinstance(self.private, rsa.RSAPrivateKey)
        jwk = RSAAlgorithm.to_jwk(self.private, as_dict=True)
        jwk.update({"kid": self.kid, "alg": self.algorithm})
        return jwk

    def public_pem(self) -> bytes:
        return self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)

    def sign(self, claims: dict[str, Any], *, kid: str | None = None, algorithm: str | None = None) -> str:
        with warnings.catch_warnings():  # a deliberately short key warns when signing
            warnings.simplefilter("ignore")
            return jwt.encode(claims, self.private, algorithm=algorithm or self.algorithm,
                              headers={"kid": kid or self.kid})


def jwks(*keys: SigningKey) -> dict[str, Any]:
    return {"keys": [key.public_jwk() for key in keys]}


def write_jwks(path: Path, *keys: SigningKey) -> Path:
    path.write_text(json.dumps(jwks(*keys)))
    return path


def claims(**extra: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {"iss": ISSUER, "sub": "alice", "iat": now, "exp": now + 300}
    base.update(extra)
    return {name: value for name, value in base.items() if value is not None}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unsigned_token(payload: dict[str, Any], header: dict[str, Any]) -> str:
    """A token with the given header and an empty signature (e.g. `alg: none`)."""
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}."


def hs256_token(payload: dict[str, Any], secret: bytes, kid: str) -> str:
    """A token MACed with `secret` under HS256 (built by hand: pyjwt refuses PEM keys as HMAC secrets)."""
    signing_input = f"{_b64(json.dumps({'alg': 'HS256', 'typ': 'JWT', 'kid': kid}).encode())}." \
                    f"{_b64(json.dumps(payload).encode())}"
    signature = hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"
