"""A connection's URI: `{scheme}://[{username}:{password}@]{host}:{port}[/{path}]`, as Ditto's
`ConnectionUri` takes it (an explicit port, no query)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from twinhub.model.errors import ConnectionUriInvalid

__all__ = ["ConnectionUri", "parse_uri"]


@dataclass(frozen=True, slots=True)
class ConnectionUri:
    scheme: str
    host: str
    port: int
    path: str = ""
    username: str | None = None
    password: str | None = None

    def __repr__(self) -> str:  # never show the password
        user = f"{self.username}:*****@" if self.username is not None else ""
        return f"ConnectionUri('{self.scheme}://{user}{self.host}:{self.port}{self.path}')"


def parse_uri(text: str) -> ConnectionUri:
    """The parts of `text`; raises `ConnectionUriInvalid` when it is no such URI."""
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise ConnectionUriInvalid(text) from None
    if (not parts.scheme or not parts.hostname or port is None or port <= 0 or parts.query or parts.fragment
            or any(char.isspace() for char in text)):
        raise ConnectionUriInvalid(text)
    return ConnectionUri(
        scheme=parts.scheme.lower(),
        host=parts.hostname,
        port=port,
        path=parts.path,
        username=None if parts.username is None else unquote(parts.username),
        password=None if parts.password is None else unquote(parts.password),
    )
