"""Password hashes: argon2id via argon2-cffi, RFC 9106's low-memory profile (argon2-cffi's default).

Hashes are the self-describing PHC strings (`$argon2id$v=19$m=65536,t=3,p=4$salt$hash`), so stored
hashes keep verifying after the parameters change; `needs_rehash` tells when to re-hash one.
"""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = ["DEFAULT_HASHER", "DEVICE_PASSWORD_BYTES", "MAX_PASSWORD_LENGTH", "dummy_hash", "generate_password",
           "hash_password", "needs_rehash", "password_problem", "verify_password"]

# A parameter holder without state; argon2-cffi's default is RFC 9106 LOW_MEMORY (t=3, m=64 MiB, p=4).
DEFAULT_HASHER = PasswordHasher()

# Longer passwords are refused before hashing: argon2 would accept them, but at a cost an attacker chooses.
MAX_PASSWORD_LENGTH = 1024

# A generated device password: 32 random bytes, URL-safe (no ':' or '@', so it fits any MQTT client's flags).
DEVICE_PASSWORD_BYTES = 32


def generate_password() -> str:
    """A new random password for a device (`twinhub device add`, the devices API)."""
    return secrets.token_urlsafe(DEVICE_PASSWORD_BYTES)


def password_problem(password: str) -> str | None:
    """Why `password` cannot be set (empty, or longer than MAX_PASSWORD_LENGTH), or None if it can."""
    if not password:
        return "the password is empty"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"the password is longer than {MAX_PASSWORD_LENGTH} characters"
    return None


def hash_password(password: str, *, hasher: PasswordHasher = DEFAULT_HASHER) -> str:
    """A new argon2id hash of `password` with a random salt; raises ValueError for an empty or too long one."""
    if (problem := password_problem(password)) is not None:
        raise ValueError(problem)
    return hasher.hash(password)


def verify_password(password_hash: str, password: str, *, hasher: PasswordHasher = DEFAULT_HASHER) -> bool:
    """Whether `password` matches `password_hash`; False (never an exception) for a malformed hash.

    The comparison inside argon2 is constant-time; the cost is the hash's own (tens of milliseconds), so
    call it off the event loop.
    """
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str, *, hasher: PasswordHasher = DEFAULT_HASHER) -> bool:
    """Whether the hash was made with other parameters than `hasher`'s (or is not an argon2 hash at all)."""
    try:
        return hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def dummy_hash(*, hasher: PasswordHasher = DEFAULT_HASHER) -> str:
    """A hash of a random secret nobody knows: verifying against it costs what a real check costs."""
    return hasher.hash(secrets.token_urlsafe(32))
