"""Bearer tokens already validated, remembered so that a client sending the same token with every request pays
for its validation (a signature check, the header and claims parsed twice) once, not per request.

Keyed by the SHA-256 of the whole token (a token that differs in any byte, its signature included, is another
key), an entry holds what validation found, the subjects and the `exp`, and what that depended on: the
wall-clock window in which the token's `exp`, `nbf` and `iat` let it pass, with the issuer's leeway, as pyjwt
checks them, and the very key object that verified it. The caller serves an entry only inside that window and
only while the issuer's key set still gives that same object for the token's `kid` and algorithm: a key set
loaded anew (its TTL, a rotation) makes new key objects, so the token is validated again and a key removed
from the JWKS counts as it does without this cache. Failures are not remembered. A bounded LRU.
"""

from __future__ import annotations

import hashlib
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from jwt import PyJWK

from twinhub.model.lru import Lru

__all__ = ["DEFAULT_VALIDATED_TOKENS", "ValidToken", "ValidatedTokens"]

DEFAULT_VALIDATED_TOKENS = 4096  # entries of a few hundred bytes (the subjects and the key's reference)


@dataclass(frozen=True, slots=True)
class ValidToken:
    """What validating a token found (`subjects`, `expires_at`: its `exp`) and what it depended on."""

    subjects: tuple[str, ...]
    expires_at: float
    issuer: str  # the issuer's key in the settings
    kid: str
    algorithm: str
    key: PyJWK  # the key that verified the signature
    valid_from: float  # wall-clock seconds: the latest of `nbf` and `iat` less the leeway
    valid_until: float  # `exp` plus the leeway

    @classmethod
    def of(cls, subjects: tuple[str, ...], claims: Mapping[str, object], *, issuer: str, kid: str,
           algorithm: str, key: PyJWK, leeway: float) -> ValidToken:
        """The entry for verified `claims` (their `exp`, `nbf` and `iat` are numbers: pyjwt checked them)."""
        exp = _seconds(claims["exp"])
        starts = [int(_seconds(claims[name])) for name in ("nbf", "iat") if name in claims]
        return cls(subjects, exp, issuer, kid, algorithm, key, max(starts, default=float("-inf")) - leeway,
                   int(exp) + leeway)


def _seconds(value: object) -> float:
    assert isinstance(value, int | float)
    return float(value)


class ValidatedTokens:
    """The `size` tokens validated last, each until it would no longer pass."""

    def __init__(self, size: int = DEFAULT_VALIDATED_TOKENS, *, wall_clock: Callable[[], float] = time.time) -> None:
        if size < 0:
            raise ValueError("size must not be negative")
        self._wall_clock = wall_clock
        self._entries: Lru[bytes, ValidToken] = Lru(max_entries=size, max_bytes=sys.maxsize)  # bounded by count

    @staticmethod
    def digest(token: str) -> bytes:
        return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()

    def get(self, digest: bytes) -> ValidToken | None:
        """The entry of the token with this digest while its claims' window holds now, else None."""
        entry = self._entries.get(digest)
        if entry is None:
            return None
        if not entry.valid_from <= self._wall_clock() < entry.valid_until:
            self._entries.pop(digest)
            return None
        return entry

    def remember(self, digest: bytes, entry: ValidToken) -> None:
        self._entries.put(digest, entry, 1)
