"""The RQL conformance vectors, kept in this repository as test data (`data/rql_vectors.json`): inputs and
expected outcomes gathered from Eclipse Ditto's own tests and documentation (each names its `source`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

VECTORS_FILE = Path(__file__).with_name("data") / "rql_vectors.json"


def load_vectors() -> list[dict[str, Any]]:
    vectors: list[dict[str, Any]] = json.loads(VECTORS_FILE.read_text(encoding="utf-8"))
    return vectors
