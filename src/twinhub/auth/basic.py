"""HTTP basic credentials checked against a `UserStore`.

Timing: an unknown (or invalid) username is verified against a dummy hash (made once, on first need),
so it costs what a wrong password costs. Argon2 runs in worker threads, at most `max_concurrent` at a
time (each check takes ~64 MiB and tens to hundreds of milliseconds), so a flood of basic requests
queues instead of exhausting memory.

A successful check is remembered for `cache_seconds` (bounded LRU, keyed by an HMAC of the credentials
under a per-process random key), so a client sending basic credentials with every request pays the
argon2 cost once per period, not per request. A remembered check still needs the store to hold the
same hash, so a password change or removal takes effect at once.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable

from argon2 import PasswordHasher

from twinhub.auth.passwords import (
    DEFAULT_HASHER,
    MAX_PASSWORD_LENGTH,
    dummy_hash,
    hash_password,
    needs_rehash,
    verify_password,
)
from twinhub.model.errors import TwinhubError
from twinhub.store.users import UserStore, is_valid_username

__all__ = ["DEFAULT_BASIC_CACHE_SECONDS", "DEFAULT_BASIC_CACHE_SIZE", "DEFAULT_MAX_CONCURRENT_VERIFICATIONS",
           "BasicVerifier"]

log = logging.getLogger("twinhub.auth")

DEFAULT_MAX_CONCURRENT_VERIFICATIONS = 4
DEFAULT_BASIC_CACHE_SECONDS = 300.0
DEFAULT_BASIC_CACHE_SIZE = 1024


class BasicVerifier:
    """`await verify(username, password)` -> whether the store's user has that password."""

    def __init__(self, store: UserStore, *, hasher: PasswordHasher = DEFAULT_HASHER,
                 max_concurrent: int = DEFAULT_MAX_CONCURRENT_VERIFICATIONS,
                 cache_seconds: float = DEFAULT_BASIC_CACHE_SECONDS, cache_size: int = DEFAULT_BASIC_CACHE_SIZE,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if max_concurrent < 1 or cache_seconds < 0 or cache_size < 0:
            raise ValueError("max_concurrent must be >= 1, cache_seconds and cache_size >= 0")
        self.store = store
        self._hasher = hasher
        self._dummy_hash: str | None = None  # made on first need, in a thread
        self._slots = asyncio.Semaphore(max_concurrent)
        self._cache_seconds = cache_seconds
        self._cache_size = cache_size
        self._clock = clock
        self._cache_key = secrets.token_bytes(32)
        self._cache: OrderedDict[bytes, tuple[str, float]] = OrderedDict()  # digest -> (stored hash, until)
        self.verifications = 0  # argon2 checks run, for tests and metrics

    async def verify(self, username: str, password: str) -> bool:
        """Whether the credentials are right; raises ServiceUnavailable when the store is."""
        plausible = is_valid_username(username) and 0 < len(password) <= MAX_PASSWORD_LENGTH
        stored = await self.store.get_password_hash(username) if plausible else None
        digest = self._digest(username, password)
        if stored is not None and self._remembered(digest, stored):
            return True
        ok = await self._check(stored if stored is not None else await self._dummy(), password[:MAX_PASSWORD_LENGTH])
        if stored is None or not ok:
            return False
        self._remember(digest, stored)
        if needs_rehash(stored, hasher=self._hasher):
            await self._rehash(username, stored, password)
        return True

    async def _dummy(self) -> str:
        if self._dummy_hash is None:
            async with self._slots:
                self._dummy_hash = await asyncio.to_thread(dummy_hash, hasher=self._hasher)
        return self._dummy_hash

    async def _check(self, password_hash: str, password: str) -> bool:
        async with self._slots:
            self.verifications += 1
            return await asyncio.to_thread(verify_password, password_hash, password, hasher=self._hasher)

    async def _rehash(self, username: str, stored: str, password: str) -> None:
        """Re-hash with the current parameters; a failure leaves the old hash, which still works."""
        try:
            async with self._slots:
                new_hash = await asyncio.to_thread(hash_password, password, hasher=self._hasher)
            await self.store.replace_password_hash(username, stored, new_hash)
        except TwinhubError as exc:
            log.warning("could not re-hash the password of a basic auth user: %s", exc.message)

    def _digest(self, username: str, password: str) -> bytes:
        message = username.encode("utf-8", "surrogatepass") + b"\0" + password.encode("utf-8", "surrogatepass")
        return hmac.new(self._cache_key, message, hashlib.sha256).digest()

    def _remembered(self, digest: bytes, stored: str) -> bool:
        entry = self._cache.get(digest)
        if entry is None:
            return False
        cached_hash, until = entry
        if cached_hash != stored or self._clock() >= until:
            del self._cache[digest]
            return False
        self._cache.move_to_end(digest)
        return True

    def _remember(self, digest: bytes, stored: str) -> None:
        if self._cache_seconds <= 0 or self._cache_size == 0:
            return
        self._cache[digest] = (stored, self._clock() + self._cache_seconds)
        self._cache.move_to_end(digest)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
