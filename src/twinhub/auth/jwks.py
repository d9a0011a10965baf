"""JSON Web Key Sets: parsing (public signature keys only) and a per-issuer cache that reloads them.

    KeySet.parse(json) -> KeySet          pure; keeps RSA / EC / OKP public keys with a `kid`
    JwksCache(load).key(kid, alg)         TTL cache around an async loader (URL via httpx, or a file)

Bounded: a key set is at most MAX_JWKS_BYTES and MAX_JWKS_KEYS; loads (TTL expiry or an unknown `kid`)
happen at most once per `min_reload_seconds`, however many tokens with unknown key ids arrive, and
concurrent callers share one load.

Why not pyjwt's PyJWKClient: it fetches with urllib, blocking the event loop. Why not PyJWKSet: it
keeps symmetric (`oct`) keys and private key members, and binds each key to one algorithm; here each
(kid, algorithm) pair becomes its own `PyJWK`, built only for asymmetric algorithms matching the key.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path

import httpx
from jwt import PyJWK
from jwt.exceptions import PyJWTError

__all__ = ["ALLOWED_ALGORITHMS", "DEFAULT_JWKS_TTL_SECONDS", "DEFAULT_MIN_RELOAD_SECONDS", "MAX_JWKS_BYTES",
           "MAX_JWKS_KEYS", "JwksCache", "JwksError", "KeySet", "file_loader", "http_loader"]

log = logging.getLogger("twinhub.auth")

DEFAULT_JWKS_TTL_SECONDS = 300.0
DEFAULT_MIN_RELOAD_SECONDS = 10.0
DEFAULT_FETCH_TIMEOUT_SECONDS = 10.0
MAX_JWKS_BYTES = 512 * 1024
MAX_JWKS_KEYS = 64

# The asymmetric algorithms accepted, with the key type (and curve) each needs. Never `none`, never HS*:
# an HMAC "secret" would be the public key, which anyone can read.
_ALGORITHM_KEYS: Mapping[str, tuple[str, str | None]] = {
    "RS256": ("RSA", None), "RS384": ("RSA", None), "RS512": ("RSA", None),
    "PS256": ("RSA", None), "PS384": ("RSA", None), "PS512": ("RSA", None),
    "ES256": ("EC", "P-256"), "ES384": ("EC", "P-384"), "ES512": ("EC", "P-521"),
    "EdDSA": ("OKP", "Ed25519"),
}
ALLOWED_ALGORITHMS = frozenset(_ALGORITHM_KEYS)

# The public members of each key type; everything else (`d`, `p`, `q`, ... of a private key) is dropped.
_PUBLIC_MEMBERS: Mapping[str, tuple[str, ...]] = {
    "RSA": ("n", "e"),
    "EC": ("crv", "x", "y"),
    "OKP": ("crv", "x"),
}

JwkDict = dict[str, object]
Loader = Callable[[], Awaitable[bytes]]


class JwksError(Exception):
    """A key set could not be loaded or contains no usable key."""


class KeySet:
    """The usable public signature keys of one JWKS document, by key id."""

    def __init__(self, keys: Mapping[str, JwkDict]) -> None:
        self._keys = dict(keys)
        self._verifiers: dict[tuple[str, str], PyJWK | None] = {}

    @classmethod
    def parse(cls, document: bytes | str) -> KeySet:
        """Parse a JWKS (`{"keys": [...]}`); raises JwksError unless it has at least one usable key.

        Skipped: keys without a `kid`, symmetric keys, keys for encryption (`use` other than `sig`),
        keys naming an algorithm not in ALLOWED_ALGORITHMS, keys that do not parse. A repeated `kid`
        keeps its first key.
        """
        if len(document) > MAX_JWKS_BYTES:
            raise JwksError(f"the key set is larger than {MAX_JWKS_BYTES} bytes")
        try:
            data = json.loads(document)
        except (ValueError, RecursionError) as exc:
            raise JwksError("the key set is not JSON") from exc
        if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
            raise JwksError("the key set is not a JSON object with a 'keys' array")
        keys: dict[str, JwkDict] = {}
        for entry in data["keys"]:
            jwk = _public_jwk(entry)
            if jwk is not None and str(jwk["kid"]) not in keys:
                keys[str(jwk["kid"])] = jwk
                if len(keys) == MAX_JWKS_KEYS:
                    break
        if not keys:
            raise JwksError("the key set has no usable public signature key with a 'kid'")
        return cls(keys)

    def __contains__(self, kid: object) -> bool:
        return kid in self._keys

    def __len__(self) -> int:
        return len(self._keys)

    def kids(self) -> list[str]:
        return list(self._keys)

    def key_for(self, kid: str, algorithm: str) -> PyJWK | None:
        """The key `kid` bound to `algorithm`, or None when there is no such key or it does not fit the
        algorithm (other key type or curve, or the key names another `alg`)."""
        cache_key = (kid, algorithm)
        if cache_key not in self._verifiers:  # bounded: keys x ALLOWED_ALGORITHMS
            self._verifiers[cache_key] = self._build(kid, algorithm)
        return self._verifiers[cache_key]

    def _build(self, kid: str, algorithm: str) -> PyJWK | None:
        jwk = self._keys.get(kid)
        needs = _ALGORITHM_KEYS.get(algorithm)
        if jwk is None or needs is None:
            return None
        key_type, curve = needs
        if jwk["kty"] != key_type or (curve is not None and jwk.get("crv") != curve):
            return None
        if "alg" in jwk and jwk["alg"] != algorithm:
            return None
        try:
            return PyJWK(jwk, algorithm)
        except PyJWTError:
            return None


def _public_jwk(entry: object) -> JwkDict | None:
    if not isinstance(entry, dict):
        return None
    kid, kty, alg, use = entry.get("kid"), entry.get("kty"), entry.get("alg"), entry.get("use")
    if not isinstance(kid, str) or not kid or not isinstance(kty, str) or kty not in _PUBLIC_MEMBERS:
        return None
    if use is not None and use != "sig":
        return None
    if alg is not None and alg not in ALLOWED_ALGORITHMS:
        return None
    jwk: JwkDict = {"kty": kty, "kid": kid}
    if alg is not None:
        jwk["alg"] = alg
    for member in _PUBLIC_MEMBERS[kty]:
        if member in entry:
            jwk[member] = entry[member]
    try:
        PyJWK(jwk)  # does it parse at all? (with its own `alg`, or the default one of its type and curve)
    except PyJWTError:
        return None
    return jwk


class JwksCache:
    """The key set of one issuer: loaded on first use, reloaded after `ttl_seconds`, and reloaded early
    when a token names an unknown `kid` (key rotation) — at most once per `min_reload_seconds`.

    When a reload fails, the keys loaded before stay in use (and the failure is logged); with no keys
    at all, `key` raises JwksError.
    """

    def __init__(self, load: Loader, *, source: str, ttl_seconds: float = DEFAULT_JWKS_TTL_SECONDS,
                 min_reload_seconds: float = DEFAULT_MIN_RELOAD_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if ttl_seconds <= 0 or min_reload_seconds < 0:
            raise ValueError("ttl_seconds must be positive and min_reload_seconds not negative")
        self.source = source
        self._load = load
        self._ttl = ttl_seconds
        self._min_reload = min_reload_seconds
        self._clock = clock
        self._keys: KeySet | None = None
        self._loaded_at = 0.0
        self._attempted_at: float | None = None
        self._lock = asyncio.Lock()
        self.loads = 0  # load attempts, for tests and metrics

    async def key(self, kid: str, algorithm: str) -> PyJWK | None:
        """The key for (kid, algorithm), or None if the issuer has no such key even after a reload."""
        keys = self._keys
        if keys is None or self._clock() - self._loaded_at >= self._ttl:
            keys = await self._reload(seen=keys)
        if kid not in keys:
            keys = await self._reload(seen=keys)
        return keys.key_for(kid, algorithm)

    async def _reload(self, seen: KeySet | None) -> KeySet:
        async with self._lock:
            current = self._keys
            if current is not None and current is not seen:
                return current  # another caller reloaded while this one waited
            now = self._clock()
            if self._attempted_at is not None and now - self._attempted_at < self._min_reload:
                if current is None:
                    raise JwksError(f"the keys from {self.source} are unavailable (the last load failed)")
                return current
            self._attempted_at = now
            self.loads += 1
            try:
                keys = KeySet.parse(await self._load())
            except JwksError as exc:
                log.warning("could not load the JSON Web Keys from %s: %s", self.source, exc)
                if current is None:
                    raise
                return current
            self._keys, self._loaded_at = keys, self._clock()
            return keys


def http_loader(client: httpx.AsyncClient, url: str, *,
                timeout_seconds: float = DEFAULT_FETCH_TIMEOUT_SECONDS) -> Loader:
    """Load a JWKS with GET `url`: status 200, at most MAX_JWKS_BYTES, within `timeout_seconds` in all."""

    async def load() -> bytes:
        try:
            async with asyncio.timeout(timeout_seconds):
                async with client.stream("GET", url, headers={"accept": "application/json"}) as response:
                    if response.status_code != 200:
                        raise JwksError(f"GET {url} answered HTTP {response.status_code}")
                    body = bytearray()
                    async for chunk in response.aiter_bytes():
                        body += chunk
                        if len(body) > MAX_JWKS_BYTES:
                            raise JwksError(f"GET {url} answered more than {MAX_JWKS_BYTES} bytes")
                    return bytes(body)
        except TimeoutError as exc:
            raise JwksError(f"GET {url} took longer than {timeout_seconds} s") from exc
        except httpx.HTTPError as exc:
            raise JwksError(f"GET {url} failed: {type(exc).__name__}: {exc}") from exc

    return load


def file_loader(path: Path) -> Loader:
    """Load a JWKS from a file (read in a worker thread)."""

    def read() -> bytes:
        with path.open("rb") as file:
            return file.read(MAX_JWKS_BYTES + 1)

    async def load() -> bytes:
        try:
            return await asyncio.to_thread(read)
        except OSError as exc:
            raise JwksError(f"cannot read {path}: {exc.strerror or exc}") from exc

    return load
