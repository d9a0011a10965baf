"""The committed console build is the build of the committed sources: `web/console/scripts/stamp.mjs` writes the
SHA-256 of the sources into `BUILD.json` beside the assets, and this recomputes it (no Node needed), so a change
to the console that was not rebuilt with `make console` fails the suite."""

from __future__ import annotations

import hashlib
import json
import re
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


def test_every_asset_the_page_loads_was_built() -> None:
    loaded = re.findall(r'(?:src|href)="/console/assets/([^"]+)"', (STATIC / "index.html").read_text())
    assert any(name.endswith(".js") for name in loaded) and any(name.endswith(".css") for name in loaded)
    for name in loaded:
        assert (STATIC / "assets" / name).is_file(), name
