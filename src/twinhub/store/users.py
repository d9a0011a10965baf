"""The `UserStore` protocol: the users of HTTP basic authentication and their password hashes.

A user authenticates as the subject `nginx:<username>` (as behind Ditto's nginx basic auth), so a
username must be a valid subject part: non-empty, no `:`, no control characters.
"""

from __future__ import annotations

import re
from typing import Protocol

__all__ = ["MAX_USERNAME_LENGTH", "MemoryUserStore", "UserStore", "UsernameInvalid", "is_valid_username",
           "validate_username"]

MAX_USERNAME_LENGTH = 256

_INVALID_USERNAME_CHAR = re.compile(r"[\x00-\x1f\x7f-\x9f:]")


class UsernameInvalid(ValueError):
    """The username is empty, too long, or contains `:` or a control character."""

    def __init__(self, username: str) -> None:
        super().__init__(
            f"invalid username {username[:MAX_USERNAME_LENGTH]!r}: it must be 1 to {MAX_USERNAME_LENGTH} "
            "characters without ':' or control characters"
        )


def is_valid_username(username: str) -> bool:
    return 0 < len(username) <= MAX_USERNAME_LENGTH and _INVALID_USERNAME_CHAR.search(username) is None


def validate_username(username: str) -> str:
    """Return `username` if it is valid; raises UsernameInvalid otherwise."""
    if not is_valid_username(username):
        raise UsernameInvalid(username)
    return username


class UserStore(Protocol):
    """Users and their password hashes (the store never sees a password)."""

    async def get_password_hash(self, username: str) -> str | None:
        """The user's password hash, or None if there is no such user (or the name is invalid)."""
        ...

    async def set_user(self, username: str, password_hash: str) -> None:
        """Create the user or replace its hash; raises UsernameInvalid for an invalid name."""
        ...

    async def replace_password_hash(self, username: str, old_hash: str, new_hash: str) -> bool:
        """Swap the hash only while it is still `old_hash` (a re-hash on login that must neither undo
        a concurrent password change nor bring back a removed user); True if it was swapped."""
        ...

    async def remove_user(self, username: str) -> bool:
        """Delete the user; True if it existed."""
        ...

    async def list_users(self) -> list[str]:
        """All usernames, sorted."""
        ...


class MemoryUserStore:
    """A `UserStore` in a dict: for tests and for servers that keep no users."""

    def __init__(self, users: dict[str, str] | None = None) -> None:
        self._users: dict[str, str] = {}
        for username, password_hash in (users or {}).items():
            self._users[validate_username(username)] = password_hash

    async def get_password_hash(self, username: str) -> str | None:
        return self._users.get(username)

    async def set_user(self, username: str, password_hash: str) -> None:
        self._users[validate_username(username)] = password_hash

    async def replace_password_hash(self, username: str, old_hash: str, new_hash: str) -> bool:
        if self._users.get(username) != old_hash:
            return False
        self._users[username] = new_hash
        return True

    async def remove_user(self, username: str) -> bool:
        return self._users.pop(username, None) is not None

    async def list_users(self) -> list[str]:
        return sorted(self._users)
