"""Where Thing Models come from besides the web: sources a URL prefix is mapped to, so that definitions naming
public URLs resolve on a machine without internet.

`TWINHUB_WOT_MODEL_MAP` lists `<url-prefix>=<target>` entries (comma-separated; a list in TOML); a URL starting
with a prefix (the longest wins) is read from its target under the rest of the URL as name:

    https://models.example.com/tm/=store      the models stored in twinhub (`/api/2/wot/models/{name}`)
    https://models.example.com/tm/=/srv/tm     files under a directory (the name is a relative path in it)

A mapped URL is never fetched from the web: a name its source does not hold is not accessible.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

__all__ = [
    "STORE_TARGET",
    "DirectorySource",
    "MappedPrefix",
    "ModelSource",
    "parse_model_map",
]

STORE_TARGET = "store"


class ModelSource(Protocol):
    """Thing Model documents by name, as bytes; None for a name the source does not hold."""

    async def load(self, name: str) -> bytes | None: ...


@dataclass(frozen=True, slots=True)
class MappedPrefix:
    """One entry of the map: URLs starting with `prefix` are read from `target` (`store` or a directory)."""

    prefix: str
    target: str

    @property
    def is_store(self) -> bool:
        return self.target == STORE_TARGET


def parse_model_map(entries: tuple[str, ...]) -> tuple[MappedPrefix, ...]:
    """The entries of `wot_model_map`, longest prefix first. Raises ValueError naming a malformed entry."""
    mapped: list[MappedPrefix] = []
    for entry in entries:
        prefix, sep, target = entry.rpartition("=")
        if not sep or not prefix or not target:
            raise ValueError(f"{entry!r} is not <url-prefix>=<store or directory>")
        parts = urlsplit(prefix)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{prefix!r} is not an http(s) URL prefix")
        if target != STORE_TARGET and not Path(target).is_absolute():
            raise ValueError(f"{target!r} is neither 'store' nor an absolute directory")
        mapped.append(MappedPrefix(prefix, target))
    return tuple(sorted(mapped, key=lambda item: len(item.prefix), reverse=True))


class DirectorySource:
    """Models as files under a directory; names that would leave it (`..`, absolute paths) hold nothing."""

    def __init__(self, root: Path) -> None:
        self._root = root.resolve()

    async def load(self, name: str) -> bytes | None:
        return await asyncio.to_thread(self._read, unquote(name.partition("?")[0].partition("#")[0]))

    def _read(self, name: str) -> bytes | None:
        path = (self._root / name).resolve()
        if not path.is_relative_to(self._root) or not path.is_file():
            return None
        try:
            return path.read_bytes()
        except OSError:
            return None
