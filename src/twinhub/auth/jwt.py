"""OpenID Connect bearer tokens (JWT) into Ditto subjects.

An issuer is configured as an `OidcIssuer` (Ditto's `openid-connect-issuers.<key>`); a token is accepted
when all of this holds, else `AuthenticationFailed` (401) with a message that never contains the token:

1. it is a compact JWS of at most MAX_TOKEN_LENGTH characters;
2. its `iss` is a configured issuer (else `JwtIssuerNotSupported`, `gateway:jwt.issuer.notsupported`);
   an issuer configured without a scheme also matches `https://<issuer>` (as Ditto does);
3. its header names an asymmetric algorithm (ALLOWED_ALGORITHMS) and a `kid` found in the issuer's
   JWKS, whose key fits that algorithm — and the signature verifies with it;
4. `exp` is present and not past, `nbf` / `iat` are not in the future (each with the issuer's leeway),
   and `aud` contains the configured audience, when one is configured;
5. its subject templates yield at least one subject, each `<issuer key>:<value>`.

A token that passed is remembered (`twinhub.auth.validated`): the same token again is served without being
parsed or its signature checked while its claims' time window holds and its issuer's keys still give the key
that verified it.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit

import httpx
import jwt as pyjwt
from jwt.exceptions import (
    ExpiredSignatureError,
    ImmatureSignatureError,
    InvalidAudienceError,
    InvalidIssuerError,
    InvalidKeyError,
    InvalidSignatureError,
    MissingRequiredClaimError,
    PyJWTError,
)

from twinhub.auth.jwks import (
    ALLOWED_ALGORITHMS,
    DEFAULT_JWKS_TTL_SECONDS,
    DEFAULT_MIN_RELOAD_SECONDS,
    JwksCache,
    JwksError,
    file_loader,
    http_loader,
)
from twinhub.auth.templates import DEFAULT_AUTH_SUBJECT, SubjectTemplate
from twinhub.auth.validated import DEFAULT_VALIDATED_TOKENS, ValidatedTokens, ValidToken
from twinhub.model.errors import AuthenticationFailed, JwtIssuerNotSupported

__all__ = ["DEFAULT_LEEWAY_SECONDS", "MAX_LEEWAY_SECONDS", "MAX_TOKEN_LENGTH", "JwtAuthenticator", "OidcIssuer",
           "token_expiry"]

DEFAULT_LEEWAY_SECONDS = 30
MAX_LEEWAY_SECONDS = 600
MAX_TOKEN_LENGTH = 16 * 1024
_MAX_ECHOED = 40
_LOOPBACK_HOSTS = {"localhost"}


@dataclass(frozen=True, slots=True)
class OidcIssuer:
    """One trusted token issuer.

    `key` prefixes its subjects (`<key>:<value>`); `issuer` is matched against the token's `iss`;
    the signing keys come from `jwks_url` (https, or http on a loopback host) or `jwks_file` (exactly
    one of them); `auth_subjects` are subject templates (see `twinhub.auth.templates`).
    Raises ValueError when any of it is invalid.
    """

    key: str
    issuer: str
    audience: str | None = None
    jwks_url: str | None = None
    jwks_file: Path | None = None
    auth_subjects: tuple[str, ...] = (DEFAULT_AUTH_SUBJECT,)
    leeway_seconds: int = DEFAULT_LEEWAY_SECONDS
    templates: tuple[SubjectTemplate, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.key or ":" in self.key or not self.key.isprintable() or self.key != self.key.strip():
            raise ValueError(f"OIDC issuer key {self.key!r}: must be non-empty, without ':' or spaces around")
        if not self.issuer or not self.issuer.isprintable():
            raise ValueError(f"OIDC issuer {self.key!r}: 'issuer' must be a non-empty string")
        if self.audience is not None and not self.audience:
            raise ValueError(f"OIDC issuer {self.key!r}: 'audience' must not be empty (leave it out instead)")
        if (self.jwks_url is None) == (self.jwks_file is None):
            raise ValueError(f"OIDC issuer {self.key!r}: set exactly one of 'jwks_url' and 'jwks_file'")
        if self.jwks_url is not None:
            _check_jwks_url(self.key, self.jwks_url)
        subjects: object = self.auth_subjects
        if isinstance(subjects, str) or not isinstance(subjects, tuple | list) or not subjects:
            raise ValueError(f"OIDC issuer {self.key!r}: 'auth_subjects' must be a non-empty list of templates")
        object.__setattr__(self, "auth_subjects", tuple(subjects))
        if isinstance(self.leeway_seconds, bool) or not 0 <= self.leeway_seconds <= MAX_LEEWAY_SECONDS:
            raise ValueError(f"OIDC issuer {self.key!r}: 'leeway_seconds' must be 0..{MAX_LEEWAY_SECONDS}")
        try:
            templates = tuple(SubjectTemplate.parse(text) for text in self.auth_subjects)
        except ValueError as exc:
            raise ValueError(f"OIDC issuer {self.key!r}: {exc}") from exc
        object.__setattr__(self, "templates", templates)

    def matches(self, iss: str) -> bool:
        """Whether a token's `iss` names this issuer."""
        if iss == self.issuer:
            return True
        return "://" not in self.issuer and iss == f"https://{self.issuer}"

    def subjects(self, claims: Mapping[str, object]) -> list[str]:
        """The subjects the (verified) claims yield, `<key>:<value>`, in template order, deduplicated."""
        values = (value for template in self.templates for value in template.resolve(claims))
        return list(dict.fromkeys(f"{self.key}:{value}" for value in values))


def _check_jwks_url(key: str, url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError(f"OIDC issuer {key!r}: 'jwks_url' must be an http(s) URL, not {url!r}")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ValueError(f"OIDC issuer {key!r}: 'jwks_url' must use https (http only on a loopback host)")


def _is_loopback(host: str) -> bool:
    if host in _LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _shown(value: object) -> str:
    text = str(value)
    return repr(text if len(text) <= _MAX_ECHOED else text[:_MAX_ECHOED] + "...")


class JwtAuthenticator:
    """Validates bearer tokens of the configured issuers; `await authenticate(token)` -> subjects.

    Owns the httpx client it creates for JWKS URLs (closed by `aclose`); a client passed in stays the
    caller's.
    """

    def __init__(self, issuers: Sequence[OidcIssuer], *, http_client: httpx.AsyncClient | None = None,
                 jwks_ttl_seconds: float = DEFAULT_JWKS_TTL_SECONDS,
                 jwks_min_reload_seconds: float = DEFAULT_MIN_RELOAD_SECONDS,
                 clock: Callable[[], float] = time.monotonic,
                 validated_tokens: int = DEFAULT_VALIDATED_TOKENS) -> None:
        keys = [issuer.key for issuer in issuers]
        if len(set(keys)) != len(keys):
            raise ValueError("OIDC issuer keys must be unique")
        self.issuers = tuple(issuers)
        self._owns_client = http_client is None and any(issuer.jwks_url for issuer in issuers)
        self._client = http_client
        if self._owns_client:
            self._client = httpx.AsyncClient(timeout=httpx.Timeout(5.0), follow_redirects=False)
        self._caches: dict[str, JwksCache] = {}
        for issuer in self.issuers:
            if issuer.jwks_url is not None:
                assert self._client is not None
                load, source = http_loader(self._client, issuer.jwks_url), issuer.jwks_url
            else:
                assert issuer.jwks_file is not None
                load, source = file_loader(issuer.jwks_file), str(issuer.jwks_file)
            self._caches[issuer.key] = JwksCache(load, source=source, ttl_seconds=jwks_ttl_seconds,
                                                 min_reload_seconds=jwks_min_reload_seconds, clock=clock)
        self._validated = ValidatedTokens(validated_tokens)
        self._closed = False
        self.verifications = 0  # tokens parsed and verified (not served from memory), for tests and metrics

    async def authenticate(self, token: str) -> tuple[str, ...]:
        """The subjects of a valid token; raises AuthenticationFailed (or its JwtIssuerNotSupported)."""
        return (await self.validate(token)).subjects

    async def validate(self, token: str) -> ValidToken:
        """What a valid token yields (its subjects and `exp`); raises as `authenticate`."""
        if self._closed:
            raise RuntimeError("the JwtAuthenticator is closed")
        # An overlong token fails validation anyway: it is not even hashed.
        digest = ValidatedTokens.digest(token) if len(token) <= MAX_TOKEN_LENGTH else b""
        known = self._validated.get(digest)
        if known is not None and await self._caches[known.issuer].key(known.kid, known.algorithm) is known.key:
            return known
        valid = await self._verify(token)
        self._validated.remember(digest, valid)
        return valid

    async def _verify(self, token: str) -> ValidToken:
        self.verifications += 1
        header, unverified = _peek(token)
        issuer = self._issuer(unverified)
        algorithm = header.get("alg")
        if not isinstance(algorithm, str) or algorithm not in ALLOWED_ALGORITHMS:
            raise AuthenticationFailed(
                f"The JWT algorithm {_shown(algorithm)} is not allowed; "
                f"use one of {', '.join(sorted(ALLOWED_ALGORITHMS))}."
            )
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise AuthenticationFailed("The JWT header has no key id ('kid').")
        try:
            key = await self._caches[issuer.key].key(kid, algorithm)
        except JwksError as exc:
            raise AuthenticationFailed(
                f"The signing keys of the JWT issuer '{issuer.key}' are unavailable."
            ) from exc
        if key is None:
            raise AuthenticationFailed(
                f"The JWT is signed with a key ({_shown(kid)}, {algorithm}) the issuer '{issuer.key}' does not have."
            )
        claims = _verify(token, key, algorithm, issuer, str(unverified["iss"]))
        subjects = issuer.subjects(claims)
        if not subjects:
            raise AuthenticationFailed(
                f"The JWT yields no subject for the issuer '{issuer.key}' (its auth subject templates "
                "resolve to nothing with the token's claims)."
            )
        return ValidToken.of(tuple(subjects), claims, issuer=issuer.key, kid=kid, algorithm=algorithm, key=key,
                             leeway=issuer.leeway_seconds)

    def _issuer(self, unverified: Mapping[str, object]) -> OidcIssuer:
        iss = unverified.get("iss")
        if not isinstance(iss, str) or not iss:
            raise AuthenticationFailed("The JWT has no issuer ('iss').")
        for issuer in self.issuers:
            if issuer.matches(iss):
                return issuer
        raise JwtIssuerNotSupported(iss)

    async def aclose(self) -> None:
        self._closed = True
        if self._owns_client and self._client is not None:
            await self._client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        traceback: TracebackType | None) -> None:
        await self.aclose()


def token_expiry(token: str) -> float | None:
    """The `exp` of a token `authenticate` accepted (so it is well-formed and has one)."""
    exp = _peek(token)[1].get("exp")
    return float(exp) if isinstance(exp, int | float) else None


def _peek(token: str) -> tuple[dict[str, object], dict[str, object]]:
    """Header and claims before any verification: only to choose the issuer and key."""
    if len(token) > MAX_TOKEN_LENGTH:
        raise AuthenticationFailed(f"The JWT is longer than {MAX_TOKEN_LENGTH} characters.")
    try:
        header = pyjwt.get_unverified_header(token)
        claims = pyjwt.decode(token, options={"verify_signature": False})
    except PyJWTError as exc:
        raise AuthenticationFailed("The JWT is malformed (not a signed compact JWS with JSON claims).") from exc
    return header, claims


def _verify(token: str, key: pyjwt.PyJWK, algorithm: str, issuer: OidcIssuer, iss: str) -> dict[str, object]:
    try:
        claims: dict[str, object] = pyjwt.decode(
            token,
            key,
            algorithms=[algorithm],
            audience=issuer.audience,
            issuer=iss,
            leeway=issuer.leeway_seconds,
            options={
                "require": ["exp", "iss"],
                # pyjwt rejects any `aud` when no audience is given; Ditto ignores `aud` then.
                "verify_aud": issuer.audience is not None,
                "enforce_minimum_key_length": True,
            },
        )
    except ExpiredSignatureError as exc:
        raise AuthenticationFailed("The JWT has expired.") from exc
    except ImmatureSignatureError as exc:
        raise AuthenticationFailed("The JWT is not valid yet ('nbf' or 'iat' lies in the future).") from exc
    except MissingRequiredClaimError as exc:
        raise AuthenticationFailed(f"The JWT lacks the required claim '{exc.claim}'.") from exc
    except InvalidAudienceError as exc:
        raise AuthenticationFailed(
            f"The JWT's audience ('aud') does not include '{issuer.audience}'."
        ) from exc
    except InvalidSignatureError as exc:
        raise AuthenticationFailed("The JWT signature is invalid.") from exc
    except InvalidIssuerError as exc:
        raise AuthenticationFailed("The JWT issuer ('iss') is invalid.") from exc
    except InvalidKeyError as exc:
        raise AuthenticationFailed(f"The signing key of the JWT issuer '{issuer.key}' is not acceptable.") from exc
    except PyJWTError as exc:
        raise AuthenticationFailed("The JWT is invalid.") from exc
    return claims
