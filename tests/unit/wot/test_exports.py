"""The public surface of `twinhub.wot` (STYLE.md: one public surface per package, pinned)."""

from __future__ import annotations

import twinhub.wot


def test_the_package_exports_exactly_these_names() -> None:
    assert twinhub.wot.__all__ == [
        "DirectorySource", "FetchLimits", "MappedPrefix", "ModelSource", "Submodel", "ThingModelFetcher",
        "ThingModelResolver", "parse_model_map", "submodels"]
    assert all(hasattr(twinhub.wot, name) for name in twinhub.wot.__all__)
