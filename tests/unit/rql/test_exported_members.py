from __future__ import annotations

import ast
import sys
from pathlib import Path

import twinhub.rql

# The modules of this package: all pure (the SQL compiler lives in twinhub.store.search).
PURE_MODULES = [
    "__init__",
    "_java",
    "_scanner",
    "ast",
    "cursor",
    "fields",
    "like",
    "memory",
    "parser",
    "placeholders",
    "render",
    "spec",
]


def test_rql_package_exports_exactly_the_public_surface() -> None:
    assert twinhub.rql.__all__ == [
        "DEFAULT_MAX_DEPTH",
        "DEFAULT_MAX_LENGTH",
        "DEFAULT_MAX_TERMS",
        "DEFAULT_PAGE_SIZE",
        "MAX_PAGE_SIZE",
        "And",
        "Comparison",
        "ComparisonOp",
        "Cursor",
        "CursorInvalid",
        "CursorOption",
        "Empty",
        "Exists",
        "FieldKind",
        "FieldPath",
        "In",
        "LimitOption",
        "Node",
        "Not",
        "Option",
        "Or",
        "Placeholder",
        "Position",
        "RqlInvalid",
        "RqlOptionInvalid",
        "SearchSpec",
        "SizeOption",
        "SortDirection",
        "SortOption",
        "SortValue",
        "Value",
        "check_terms",
        "continued_sort",
        "decode_cursor",
        "encode_cursor",
        "like_matches",
        "like_to_regex",
        "matches",
        "parse_filter",
        "parse_options",
        "position_of",
        "query_fingerprint",
        "render",
        "render_options",
        "resolve_field",
        "resolve_placeholder",
        "resolve_placeholders",
        "resolve_sort_field",
        "validate_filter_fields",
        "validate_sort_fields",
    ]
    for name in twinhub.rql.__all__:
        assert hasattr(twinhub.rql, name)


def test_the_rql_core_imports_only_the_stdlib_and_the_model() -> None:
    package = Path(twinhub.rql.__file__).parent
    for module in PURE_MODULES:
        tree = ast.parse((package / f"{module}.py").read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                allowed = name.startswith(("twinhub.model", "twinhub.rql")) or top in sys.stdlib_module_names
                assert allowed, f"twinhub/rql/{module}.py imports {name}"
            assert not isinstance(node, ast.AsyncFunctionDef | ast.Await), f"twinhub/rql/{module}.py is async"
