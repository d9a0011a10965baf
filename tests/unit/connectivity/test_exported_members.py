"""The public surfaces of the placeholders and mapping packages, and that placeholders stay pure."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import twinhub.connectivity.mapping
import twinhub.connectivity.placeholders

PLACEHOLDERS = Path(twinhub.connectivity.placeholders.__file__).parent
# Pure: the model and protocol, the message vocabulary, itself; orjson and RE2 besides the standard library.
# The pure core (model, protocol, rql: no I/O, no clock, as tests/architecture checks) and placeholders' own.
_ALLOWED = ("twinhub.model", "twinhub.protocol", "twinhub.rql", "twinhub.connectivity.external",
            "twinhub.connectivity.placeholders", "orjson", "re2")
_IMPURE_STDLIB = {"asyncio", "socket", "os", "subprocess", "threading", "time", "io", "pathlib", "sqlite3"}


def test_placeholders_export_exactly_their_public_surface() -> None:
    assert twinhub.connectivity.placeholders.__all__ == [
        "ALL_PREFIXES", "DELETED", "INBOUND_PREFIXES", "TARGET_PREFIXES", "ConnectionPlaceholder", "Deleted",
        "Element", "EntityPlaceholder", "FeaturePlaceholder", "HeaderPlaceholder", "Placeholder", "Placeholders",
        "PolicyPlaceholder", "RequestPlaceholder", "ResourcePlaceholder", "SourcePlaceholder", "Template",
        "ThingJsonPlaceholder", "ThingPlaceholder", "TimePlaceholder", "TopicPlaceholder", "apply", "apply_all",
        "apply_or_delete", "condition_holds", "envelope_placeholders", "message_placeholders",
        "parse", "placeholders_of", "resolve", "validate",
    ]


def test_mapping_exports_exactly_its_public_surface() -> None:
    assert twinhub.connectivity.mapping.__all__ == [
        "DEFAULT_MAPPER", "ENGINES", "InboundOutcome", "MapperConfigurationInvalid", "MapperContext",
        "MapperRegistry", "MappingFailed", "OutboundOutcome", "PayloadMapper",
    ]


def test_placeholders_import_nothing_with_io_or_a_clock() -> None:
    for path in PLACEHOLDERS.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                top = name.split(".")[0]
                allowed = name.startswith(_ALLOWED) or (top in sys.stdlib_module_names and top not in _IMPURE_STDLIB)
                assert allowed or name == "__future__", f"{path.name} imports {name}"
            if isinstance(node, ast.Attribute) and node.attr in ("now", "utcnow", "today"):
                owner = node.value
                owner_name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
                assert owner_name not in ("datetime", "date"), f"{path.name} reads the clock"
