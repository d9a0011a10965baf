"""The import contract of twinhub (DESIGN.md, "Layout"): a pure core that imports only the standard library,
its JSON library and itself; dependencies that point inward; no import cycle; small modules. Read from the
source by `checker.py`, whose own tests are in `test_checker.py`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.architecture.checker import (
    Tree,
    cycles,
    forbidden_imports,
    foreign_imports,
    outward_imports,
    oversized,
    unplaced,
)

SOURCE = Path(__file__).resolve().parents[2] / "src"

# Model, RQL, policy evaluation and the Ditto Protocol: plain Python with no I/O.
PURE_CORE = ("twinhub.model", "twinhub.rql", "twinhub.policy", "twinhub.protocol")
# Besides the standard library: orjson (JSON) and google-re2 (linear-time regular expressions in merge patch).
PURE_CORE_MAY_IMPORT = frozenset({"orjson", "re2"})

# Outermost first: a module may import modules of its own layer and of the layers below it, never above.
# "api/connectivity -> service -> store/bus -> pure core"; auth sits between service (sessions carry an
# AuthContext) and store (basic users live there); config above both (the settings hold auth's OidcIssuer
# and are handed to constructors, so that services never read them).
LAYERS = (
    # entry points and wiring: the composition root, the command line (with `twinhub user`), the server
    # launcher, the backends the settings name, and the test server helper
    ("twinhub.app", "twinhub.cli", "twinhub.auth.cli", "twinhub.launch", "twinhub.backends", "twinhub.testing"),
    # the edges: HTTP, WebSocket, SSE; connections to brokers; the history API (with its live stream); the
    # web console (static files over the public API)
    ("twinhub.api", "twinhub.connectivity", "twinhub.history.routes", "twinhub.history.grafana_routes",
     "twinhub.history.context", "twinhub.history.subsystem", "twinhub.history.live", "twinhub.wot.subsystem",
     "twinhub.wot.routes", "twinhub.console"),
    ("twinhub.config",),
    # services; Web of Things models (fetched, cached, resolved) that services and config use
    ("twinhub.service", "twinhub.history.service", "twinhub.wot"),
    ("twinhub.auth",),
    ("twinhub.store", "twinhub.bus"),
    ("twinhub.history",),  # pure history logic (buckets, aggregates, exports) that the stores' SQL must match
    ("twinhub.protocol",),
    ("twinhub.rql", "twinhub.policy"),
    ("twinhub.model",),
)

# Beyond the layers: the HTTP edges reach storage and the buses only through services.
FORBIDDEN = {edge: ("twinhub.store", "twinhub.bus") for edge in (
    "twinhub.api", "twinhub.history.routes", "twinhub.history.grafana_routes", "twinhub.history.context",
    "twinhub.history.subsystem", "twinhub.history.live", "twinhub.console")}

MAX_LINES = 400


@pytest.fixture(scope="module")
def tree() -> Tree:
    return Tree(SOURCE, "twinhub")


def _report(violations: list[str]) -> str:
    return "\n" + "\n".join(violations)


def test_the_pure_core_imports_only_the_standard_library_its_json_library_and_itself(tree: Tree) -> None:
    violations = foreign_imports(tree, PURE_CORE, PURE_CORE_MAY_IMPORT)
    assert not violations, _report(violations)


def test_the_http_edge_imports_no_store_and_no_bus(tree: Tree) -> None:
    violations = forbidden_imports(tree, FORBIDDEN)
    assert not violations, _report(violations)


def test_every_module_has_a_layer(tree: Tree) -> None:
    violations = unplaced(tree, LAYERS)
    assert not violations, _report(violations)


def test_dependencies_point_inward(tree: Tree) -> None:
    violations = outward_imports(tree, LAYERS)
    assert not violations, _report(violations)


def test_no_import_cycle(tree: Tree) -> None:
    violations = cycles(tree)
    assert not violations, _report(violations)


def test_no_module_is_over_the_size_limit_without_a_reason(tree: Tree) -> None:
    violations = oversized(tree, MAX_LINES)
    assert not violations, _report(violations)
