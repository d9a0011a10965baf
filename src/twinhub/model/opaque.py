"""Opaque tokens that go to a client and come back (the cursors of search and of history): their text and the
digest of what a token is bound to. Pure."""

from __future__ import annotations

import base64
import hashlib

__all__ = ["decode_token", "digest", "encode_token"]

_DIGEST_BYTES = 12  # 16 characters of base64url


def encode_token(data: bytes) -> str:
    """`data` as unpadded base64url."""
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def decode_token(text: str) -> bytes:
    """The bytes of unpadded (or padded) base64url `text`; raises ValueError (binascii.Error) for anything else."""
    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)


def digest(value: object) -> str:
    """A short digest of `value`'s repr, which must be deterministic (built of str, int, tuples, sorted lists,
    None and dataclasses of them): what a cursor is bound to, so that it continues only the same query."""
    return encode_token(hashlib.sha256(repr(value).encode()).digest()[:_DIGEST_BYTES])
