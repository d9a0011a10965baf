"""HTTP basic credentials checked against a `UserStore` (and device credentials against a `DeviceStore`:
anything that holds password hashes by name, `PasswordHashes`).

Timing: an unknown (or invalid) username is verified against a dummy hash (made once, on first need),
so it costs what a wrong password costs. Argon2 runs in worker threads, at most `max_concurrent` at a
time (each check takes ~64 MiB and tens to hundreds of milliseconds), and at most `max_waiting` more
wait for a turn: beyond that a check is refused at once with `TooManyRequests` (429, Retry-After), so a
flood of wrong passwords can neither exhaust memory nor make everyone wait behind it.

Every check's outcome is remembered for `cache_seconds` (bounded LRUs, keyed by an HMAC of the
credentials under a per-process random key; never the password itself): a client sending its basic
credentials with every request pays argon2 once per period, and so does one repeating a wrong password,
so neither ever queues again. A remembered outcome holds only while the store holds the same hash (or
still no user), so a password change, a removal or a new user takes effect at once. Concurrent checks of the
same credentials against the same hash share one argon2 run (a client opening many connections at once, or a
burst right after start, costs one check and one place in the queue, not one each).
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
from functools import partial
from typing import Any, Generic, Protocol, TypeVar

from argon2 import PasswordHasher

from twinhub.auth.passwords import (
    DEFAULT_HASHER,
    MAX_PASSWORD_LENGTH,
    dummy_hash,
    hash_password,
    needs_rehash,
    verify_password,
)
from twinhub.model.errors import TooManyRequests, TwinhubError
from twinhub.store.users import is_valid_username

__all__ = [
    "DEFAULT_BASIC_CACHE_SECONDS",
    "DEFAULT_BASIC_CACHE_SIZE",
    "DEFAULT_MAX_CONCURRENT_VERIFICATIONS",
    "DEFAULT_MAX_WAITING_VERIFICATIONS",
    "RETRY_AFTER_SECONDS",
    "BasicVerifier",
    "PasswordHashes",
]

log = logging.getLogger("twinhub.auth")

DEFAULT_MAX_CONCURRENT_VERIFICATIONS = 4
# Checks that may wait for one of those: a few rounds of argon2 (well under a second or two), no more.
DEFAULT_MAX_WAITING_VERIFICATIONS = 16
RETRY_AFTER_SECONDS = 1

_T = TypeVar("_T")


class PasswordHashes(Protocol):
    """What a verifier reads and re-hashes: users (`UserStore`) or devices (`DeviceStore`)."""

    async def get_password_hash(self, name: str, /) -> str | None: ...

    async def replace_password_hash(self, name: str, old_hash: str, new_hash: str, /) -> bool: ...


_S = TypeVar("_S", bound=PasswordHashes)
DEFAULT_BASIC_CACHE_SECONDS = 300.0
DEFAULT_BASIC_CACHE_SIZE = 1024


class BasicVerifier(Generic[_S]):
    """`await verify(username, password)` -> whether the store's user (or device) has that password."""

    def __init__(self, store: _S, *, hasher: PasswordHasher = DEFAULT_HASHER,
                 valid_name: Callable[[str], bool] = is_valid_username,
                 max_concurrent: int = DEFAULT_MAX_CONCURRENT_VERIFICATIONS,
                 max_waiting: int = DEFAULT_MAX_WAITING_VERIFICATIONS,
                 cache_seconds: float = DEFAULT_BASIC_CACHE_SECONDS, cache_size: int = DEFAULT_BASIC_CACHE_SIZE,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if max_concurrent < 1 or max_waiting < 0 or cache_seconds < 0 or cache_size < 0:
            raise ValueError("max_concurrent must be >= 1; max_waiting, cache_seconds and cache_size >= 0")
        self.store = store
        self._valid_name = valid_name
        self._hasher = hasher
        self._dummy_hash: str | None = None  # made on first need, in a thread
        self._slots = asyncio.Semaphore(max_concurrent)
        self._max_admitted = max_concurrent + max_waiting
        self._admitted = 0  # checks running or waiting for a turn
        self._turns: set[asyncio.Task[Any]] = set()
        self._checking: dict[tuple[bytes, str | None], asyncio.Task[bool]] = {}  # at most one per admitted check
        self._cache_key = secrets.token_bytes(32)
        self._successes = _Outcomes(cache_seconds, cache_size, clock)
        self._failures = _Outcomes(cache_seconds, cache_size, clock)
        self.verifications = 0  # argon2 checks run, for tests and metrics

    @property
    def admitted(self) -> int:
        """argon2 checks running or waiting for a turn now (a metric; tests wait on it)."""
        return self._admitted

    async def verify(self, username: str, password: str) -> bool:
        """Whether the credentials are right; raises ServiceUnavailable when the store is unavailable and
        TooManyRequests when they need an argon2 check and too many already wait for one."""
        plausible = self._valid_name(username) and 0 < len(password) <= MAX_PASSWORD_LENGTH
        stored = await self.store.get_password_hash(username) if plausible else None
        digest = self._digest(username, password)
        if stored is not None and self._successes.holds(digest, stored):
            return True
        if self._failures.holds(digest, stored):
            return False
        key = (digest, stored)
        if (check := self._checking.get(key)) is None:
            check = asyncio.create_task(self._check(username, password, stored, digest))
            self._checking[key] = check
            check.add_done_callback(partial(self._check_done, key))
        return await asyncio.shield(check)

    def _check_done(self, key: tuple[bytes, str | None], check: asyncio.Task[bool]) -> None:
        del self._checking[key]
        if not check.cancelled():
            check.exception()  # retrieved: every caller may have gone away

    async def _check(self, username: str, password: str, stored: str | None, digest: bytes) -> bool:
        """The argon2 check of one set of credentials against `stored`, its outcome remembered."""
        password_hash = stored if stored is not None else await self._dummy()
        self.verifications += 1
        ok = await self._in_turn(partial(verify_password, password_hash, password[:MAX_PASSWORD_LENGTH],
                                         hasher=self._hasher))
        if stored is None or not ok:
            self._failures.remember(digest, stored)
            return False
        self._successes.remember(digest, stored)
        if needs_rehash(stored, hasher=self._hasher):
            await self._rehash(username, stored, password)
        return True

    async def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = await self._in_turn(partial(dummy_hash, hasher=self._hasher))
        return self._dummy_hash

    async def _in_turn(self, work: Callable[[], _T]) -> _T:
        """`work()` in a thread during one of the `max_concurrent` argon2 turns; raises TooManyRequests at once
        when `max_waiting` already wait for one. A turn lasts as long as its thread, even when the caller is
        cancelled meanwhile (a running check cannot be stopped), so disconnecting clients cannot exceed it."""
        if self._admitted >= self._max_admitted:
            raise TooManyRequests("Too many logins are being checked at the moment.", retry_after=RETRY_AFTER_SECONDS)
        self._admitted += 1  # counted now, not when the task starts: a burst within one tick is bounded too
        turn = asyncio.create_task(self._turn(work))
        self._turns.add(turn)
        turn.add_done_callback(self._turn_done)
        return await asyncio.shield(turn)

    async def _turn(self, work: Callable[[], _T]) -> _T:
        try:
            async with self._slots:
                return await asyncio.to_thread(work)
        finally:
            self._admitted -= 1

    def _turn_done(self, turn: asyncio.Task[Any]) -> None:
        self._turns.discard(turn)
        if not turn.cancelled():
            turn.exception()  # retrieved: a caller that went away would leave it unobserved

    async def _rehash(self, username: str, stored: str, password: str) -> None:
        """Re-hash with the current parameters; a failure (or a full queue) leaves the old hash, which works."""
        try:
            new_hash = await self._in_turn(partial(hash_password, password, hasher=self._hasher))
            await self.store.replace_password_hash(username, stored, new_hash)
        except TwinhubError as exc:
            log.warning("could not re-hash the password of a basic auth user: %s", exc.message)

    def _digest(self, username: str, password: str) -> bytes:
        message = username.encode("utf-8", "surrogatepass") + b"\0" + password.encode("utf-8", "surrogatepass")
        return hmac.new(self._cache_key, message, hashlib.sha256).digest()


class _Outcomes:
    """A bounded LRU of credential digests -> the stored hash (None: no such user) they were checked
    against, each until a deadline."""

    def __init__(self, seconds: float, size: int, clock: Callable[[], float]) -> None:
        self._seconds, self._size, self._clock = seconds, size, clock
        self._entries: OrderedDict[bytes, tuple[str | None, float]] = OrderedDict()

    def holds(self, digest: bytes, stored: str | None) -> bool:
        entry = self._entries.get(digest)
        if entry is None:
            return False
        checked_against, until = entry
        if checked_against != stored or self._clock() >= until:
            del self._entries[digest]
            return False
        self._entries.move_to_end(digest)
        return True

    def remember(self, digest: bytes, stored: str | None) -> None:
        if self._seconds <= 0 or self._size == 0:
            return
        self._entries[digest] = (stored, self._clock() + self._seconds)
        self._entries.move_to_end(digest)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)
