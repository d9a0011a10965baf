"""The import-contract checker on small module trees with violations planted: each rule finds its own."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

from tests.architecture.checker import (
    Tree,
    cycles,
    forbidden_imports,
    foreign_imports,
    outward_imports,
    oversized,
    unplaced,
)

LAYERS = (("pkg.api",), ("pkg.service",), ("pkg.store", "pkg.bus"), ("pkg.core",))


def tree_of(root: Path, files: dict[str, str]) -> Tree:
    """A package `pkg` under `root` with `files` (path in it -> source) and an `__init__.py` in each folder."""
    for name, text in {"__init__.py": "", **files}.items():
        path = root / "pkg" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dedent(text))
        if not (path.parent / "__init__.py").exists():
            (path.parent / "__init__.py").write_text("")
    return Tree(root, "pkg")


def sources(violations: list[str]) -> list[str]:
    """Each violation's `file:line`, relative to the tree's folder."""
    return [violation.split(": ", 1)[0].split("/pkg/", 1)[1] for violation in violations]


# -- the pure core ------------------------------------------------------------------------------------------


def test_the_core_may_import_the_standard_library_allowed_packages_and_itself(tmp_path: Path) -> None:
    tree = tree_of(tmp_path, {"core/a.py": """
        from __future__ import annotations
        import json, os.path
        from collections.abc import Mapping
        import orjson
        from pkg.core import b
        from . import b as same
        """, "core/b.py": ""})
    assert foreign_imports(tree, ("pkg.core",), {"orjson"}) == []


def test_the_core_importing_a_third_party_package_anywhere_is_found(tmp_path: Path) -> None:
    tree = tree_of(tmp_path, {"core/a.py": """
        import orjson
        from typing import TYPE_CHECKING
        if TYPE_CHECKING:
            from starlette.requests import Request

        def later():
            import asyncpg
        """})
    assert sources(foreign_imports(tree, ("pkg.core",), {"orjson"})) == ["core/a.py:5", "core/a.py:8"]


def test_the_core_importing_the_rest_of_the_package_is_found(tmp_path: Path) -> None:
    tree = tree_of(tmp_path, {"core/a.py": """
        from ..store import rows

        def later():
            from pkg.service.things import Service
        """, "store/rows.py": "", "service/things.py": ""})
    # `from ..store import rows` takes the package's `__init__` and the module
    assert sources(foreign_imports(tree, ("pkg.core",), set())) == ["core/a.py:2", "core/a.py:2", "core/a.py:5"]


# -- forbidden imports and layers ---------------------------------------------------------------------------


def test_a_forbidden_import_is_found_also_when_relative(tmp_path: Path) -> None:
    tree = tree_of(tmp_path, {"api/routes.py": """
        from pkg.service import things
        from ..store.rows import Row
        import pkg.bus
        """, "service/things.py": "", "store/rows.py": "", "bus/__init__.py": ""})
    found = forbidden_imports(tree, {"pkg.api": ("pkg.store", "pkg.bus")})
    assert sources(found) == ["api/routes.py:3", "api/routes.py:4"]


def test_imports_may_point_inward_or_stay_in_their_layer(tmp_path: Path) -> None:
    tree = tree_of(tmp_path, {
        "api/routes.py": "from pkg.service import things\nfrom pkg.core import ids\n",
        "service/things.py": "from pkg.store import rows\nfrom pkg.bus import events\n",
        "store/rows.py": "from pkg.bus import events\nfrom pkg.core.ids import parse\n",
        "bus/events.py": "", "core/ids.py": "",
    })
    assert outward_imports(tree, LAYERS) == []


def test_an_import_pointing_outward_is_found(tmp_path: Path) -> None:
    tree = tree_of(tmp_path, {
        "store/rows.py": "def later():\n    from pkg.service.things import Service\n",
        "core/ids.py": "from pkg import api\n",
        "service/things.py": "", "api/__init__.py": "",
    })
    assert sources(outward_imports(tree, LAYERS)) == ["core/ids.py:1", "store/rows.py:2"]


def test_a_module_outside_every_layer_is_found(tmp_path: Path) -> None:
    tree = tree_of(tmp_path, {"service/things.py": "", "history/points.py": "", "cli.py": ""})
    assert sorted(unplaced(tree, (*LAYERS, ("pkg",)))) == [
        "pkg.cli has no layer", "pkg.history has no layer", "pkg.history.points has no layer"]


# -- cycles -------------------------------------------------------------------------------------------------


def test_an_import_cycle_is_found_also_through_a_function(tmp_path: Path) -> None:
    tree = tree_of(tmp_path, {
        "service/a.py": "from pkg.service.b import run\n",
        "service/b.py": "def run():\n    from pkg.service import c\n",
        "service/c.py": "import pkg.service.a\n",
        "service/d.py": "from pkg.service.a import x\n",  # leads into the cycle, is not part of it
    })
    (found,) = cycles(tree)
    assert found.splitlines()[0] == "cycle between pkg.service.a, pkg.service.b, pkg.service.c:"
    assert sources(found.splitlines()[1:]) == ["service/a.py:1", "service/b.py:2", "service/c.py:1"]


def test_taking_a_sibling_through_a_package_that_imports_you_is_a_cycle(tmp_path: Path) -> None:
    tree = tree_of(tmp_path, {
        "core/__init__.py": "from pkg.core.search import Search\n",
        "core/search.py": "from pkg.core import _values\n",
        "core/_values.py": "",
    })
    (found,) = cycles(tree)
    assert found.splitlines()[0] == "cycle between pkg.core, pkg.core.search:"


def test_a_package_reexporting_modules_that_import_siblings_directly_is_no_cycle(tmp_path: Path) -> None:
    tree = tree_of(tmp_path, {
        "core/__init__.py": "from pkg.core.search import Search\nfrom .streaming import Streaming\n",
        "core/search.py": "import pkg.core._values as _values\nfrom pkg.core.topic import Topic\n",
        "core/streaming.py": "from ._values import demand\nfrom .search import Search\n",
        "core/_values.py": "", "core/topic.py": "",
    })
    assert cycles(tree) == []


# -- size ---------------------------------------------------------------------------------------------------


def test_a_long_module_needs_a_reason_above_its_first_statement(tmp_path: Path) -> None:
    body = "x = 1\n" * 400
    tree = tree_of(tmp_path, {
        "core/short.py": '"""Doc."""\n' + "x = 1\n" * 399,
        "core/reasoned.py": '"""Doc."""\n\n# size: one table of Ditto codes, read top to bottom\n' + body,
        "core/silent.py": '"""Doc."""\n' + body,
        "core/late.py": '"""Doc."""\nimport os\n# size: too late, below a statement\n' + body,
    })
    assert sorted(sources(oversized(tree, 400))) == ["core/late.py", "core/silent.py"]


def test_an_exemption_goes_once_the_module_fits(tmp_path: Path) -> None:
    tree = tree_of(tmp_path, {"core/errors.py": "x = 1\n" * 401, "core/fits.py": "x = 1\n"})
    assert oversized(tree, 400, exempt={"pkg.core.errors"}) == []
    assert sources(oversized(tree, 400, exempt={"pkg.core.fits"})) == ["core/errors.py", "core/fits.py"]
    assert oversized(tree, 400, exempt={"pkg.core.errors", "pkg.core.gone"})[-1] == (
        "pkg.core.gone: exempt from the size limit but no module")
