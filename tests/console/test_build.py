"""The committed console build is the build of the committed sources: `web/console/scripts/stamp.mjs` writes the
SHA-256 of the sources into `BUILD.json` beside the assets, and this recomputes it (no Node needed), so a change
to the console that was not rebuilt with `make console` fails the suite."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from twinhub.console.routes import STATIC

SOURCES = Path(__file__).resolve().parents[2] / "web" / "console"
SKIPPED = {"node_modules", "dist", ".vite"}


def source_files(root: Path) -> list[str]:
    found: list[str] = []
    for path in root.iterdir():
        if path.name in SKIPPED:
            continue
        found.extend(source_files(path) if path.is_dir() else [path.relative_to(SOURCES).as_posix()])
    return found


def test_the_committed_build_is_of_the_committed_sources() -> None:
    digest = hashlib.sha256()
    for name in sorted(source_files(SOURCES)):
        digest.update(name.encode() + b"\0")
        digest.update((SOURCES / name).read_bytes())
        digest.update(b"\0")
    stamped = json.loads((STATIC / "BUILD.json").read_text())["sources"]
    assert stamped == digest.hexdigest(), "web/console changed without a rebuild: run `make console` and commit"


def test_the_build_is_complete() -> None:
    index = (STATIC / "index.html").read_text()
    assets = sorted(path.name for path in (STATIC / "assets").iterdir())
    assert any(name.endswith(".js") for name in assets) and any(name.endswith(".css") for name in assets)
    for name in assets:
        if name.startswith("index-"):
            assert f"/console/assets/{name}" in index  # the page loads the entry points that were built
