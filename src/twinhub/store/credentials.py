"""What the tables of users and of devices share, whichever database holds them: the time a row is written
and the check that a password hash is there (the stores see hashes only, `twinhub.auth.passwords`)."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["check_hash", "timestamp"]


def timestamp() -> str:
    """Now, as Ditto writes times: ISO 8601 in UTC with milliseconds and `Z`."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def check_hash(password_hash: str) -> str:
    """`password_hash` unless it is empty; raises ValueError then (a hash is never empty)."""
    if not password_hash:
        raise ValueError("the password hash is empty")
    return password_hash
