"""Reads a package's import graph from its source (`ast`, nothing imported) and checks rules on it; the rules'
data (layers, the pure core, what it may import) is the caller's (`test_house.py` holds twinhub's).

What counts as an import of module M by module S: every `import` and `from ... import` anywhere in S (at
module level, in functions, under `if TYPE_CHECKING:`), relative ones resolved against S's package.

* `import a.b.c` imports `a.b.c`.
* `from a.b import n` imports `a.b` (the names its `__init__` defines: Python reads `n` there first), and
  `a.b.n` too when that is a module. So a module that a package's `__init__` imports cannot take a sibling
  through that package (`from twinhub.protocol import _values` in a module `twinhub/protocol/__init__.py`
  imports is a cycle); `from twinhub.protocol._values import ...` or `import twinhub.protocol._values` is not.
* The parent packages that `import a.b.c` executes first are not counted: a package whose `__init__`
  re-exports its submodules would otherwise be a cycle with each of them.
* A name that is no module of the package resolves to the nearest enclosing one (`a.b.c.D` -> `a.b.c`).
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

STDLIB = frozenset(sys.stdlib_module_names)
# The comment a module past the size limit gives its reason in, above its first statement after the docstring.
SIZE_REASON = re.compile(r"^#\s*size:\s*\S")

Layers = Sequence[Sequence[str]]  # outermost first; each layer a list of module names or package prefixes


@dataclass(frozen=True, slots=True)
class Module:
    name: str
    path: Path
    is_package: bool  # an `__init__.py`


@dataclass(frozen=True, slots=True)
class Import:
    source: str  # the importing module
    target: str  # the absolute name imported, resolved to a module where it is one of the package's
    line: int

    @property
    def top_level(self) -> str:
        return self.target.partition(".")[0]


def within(name: str, prefix: str) -> bool:
    """Whether module `name` is `prefix` or inside it."""
    return name == prefix or name.startswith(prefix + ".")


class Tree:
    """The modules of `package` under the source directory `root`, and their imports."""

    def __init__(self, root: Path, package: str) -> None:
        self.package = package
        self.modules: dict[str, Module] = {}
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            is_package = parts[-1] == "__init__"
            name = ".".join(parts[:-1] if is_package else parts)
            self.modules[name] = Module(name, path, is_package)
        self.imports = [found for module in self.modules.values() for found in self._imports_of(module)]

    def internal(self) -> list[Import]:
        """The imports of one module of the package by another."""
        return [found for found in self.imports if found.target in self.modules and found.target != found.source]

    def lines(self, name: str) -> list[str]:
        return self.modules[name].path.read_text(encoding="utf-8").splitlines()

    def where(self, found: Import) -> str:
        return f"{self.modules[found.source].path}:{found.line}"

    def _imports_of(self, module: Module) -> Iterator[Import]:
        tree = ast.parse(module.path.read_text(encoding="utf-8"), str(module.path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield Import(module.name, self._resolve(alias.name), node.lineno)
            elif isinstance(node, ast.ImportFrom):
                base = self._absolute(module, node.level, node.module)
                yield Import(module.name, self._resolve(base), node.lineno)
                for alias in node.names:
                    if (submodule := f"{base}.{alias.name}") in self.modules:
                        yield Import(module.name, submodule, node.lineno)

    def _absolute(self, module: Module, level: int, name: str | None) -> str:
        if not level:
            return name or ""
        package = module.name.split(".") if module.is_package else module.name.split(".")[:-1]
        base = package[: len(package) - (level - 1)]
        return ".".join([*base, name] if name else base)

    def _resolve(self, name: str) -> str:
        if not within(name, self.package):
            return name
        while name not in self.modules and "." in name:
            name = name.rpartition(".")[0]
        return name


# -- rules: each returns what breaks it, one line per violation (empty: kept) -------------------------------


def foreign_imports(tree: Tree, core: Sequence[str], allowed: Collection[str]) -> list[str]:
    """Imports by modules of `core` of anything but the standard library, `allowed` top-level packages and
    `core` itself."""
    found = []
    for imported in tree.imports:
        if not any(within(imported.source, part) for part in core):
            continue
        if within(imported.target, tree.package):
            if not any(within(imported.target, part) for part in core):
                found.append(f"{tree.where(imported)}: {imported.source} imports {imported.target}")
        elif imported.top_level not in STDLIB and imported.top_level not in allowed:
            found.append(f"{tree.where(imported)}: {imported.source} imports {imported.target}")
    return found


def forbidden_imports(tree: Tree, forbidden: Mapping[str, Sequence[str]]) -> list[str]:
    """Imports by a module of a key of `forbidden` of a module of one of its values."""
    return [f"{tree.where(imported)}: {imported.source} imports {imported.target}"
            for imported in tree.internal()
            for source, targets in forbidden.items()
            if within(imported.source, source) and any(within(imported.target, target) for target in targets)]


def layer_of(name: str, layers: Layers) -> int | None:
    """The index of the layer of module `name` (its longest matching entry), None when it has none."""
    matches = [(len(entry), index) for index, layer in enumerate(layers) for entry in layer if within(name, entry)]
    return max(matches)[1] if matches else None


def unplaced(tree: Tree, layers: Layers) -> list[str]:
    """Modules without a layer: each needs one, so that a new part of the package is placed on purpose. (The
    package's own `__init__` needs none; an entry for the whole package would place everything, so it counts
    for none.)"""
    entries = [[entry for entry in layer if entry != tree.package] for layer in layers]
    return [f"{name} has no layer" for name in tree.modules
            if name != tree.package and layer_of(name, entries) is None]


def outward_imports(tree: Tree, layers: Layers) -> list[str]:
    """Imports of a module in an outer layer than the importer's (inward and within a layer are fine)."""
    found = []
    for imported in tree.internal():
        source, target = layer_of(imported.source, layers), layer_of(imported.target, layers)
        if source is not None and target is not None and target < source:
            found.append(f"{tree.where(imported)}: {imported.source} (layer {source}) imports {imported.target} "
                         f"(layer {target}, further out)")
    return found


def cycles(tree: Tree) -> list[str]:
    """Every import cycle: the strongly connected components of the module graph (Tarjan), each with the
    imports that close it."""
    graph: dict[str, set[str]] = {name: set() for name in tree.modules}
    for imported in tree.internal():
        graph[imported.source].add(imported.target)
    found = []
    for component in _strongly_connected(graph):
        if len(component) > 1:
            members = set(component)
            inside = sorted({f"  {tree.where(imported)}: {imported.source} -> {imported.target}"
                             for imported in tree.internal()
                             if imported.source in members and imported.target in members})
            found.append("cycle between " + ", ".join(sorted(component)) + ":\n" + "\n".join(inside))
    return found


def _strongly_connected(graph: Mapping[str, Collection[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative (no recursion limit on deep import chains)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for start in graph:
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            successor = next(successors, None)
            if successor is not None:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(graph[successor]))))
                elif successor in on_stack:
                    low[node] = min(low[node], index[successor])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(component)
    return components


def has_size_reason(tree: Tree, name: str) -> bool:
    """Whether the module says why it is long: a `# size: <why>` comment above its first statement after
    the docstring."""
    lines = tree.lines(name)
    body = ast.parse("\n".join(lines)).body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    header = lines[: body[0].lineno - 1] if body else lines
    return any(SIZE_REASON.match(line) for line in header)


def oversized(tree: Tree, max_lines: int, exempt: Collection[str] = ()) -> list[str]:
    """Modules over `max_lines` lines without a reason at their top; `exempt` ones are not checked, but
    one of them that is no longer over the limit is reported, so that its exemption goes."""
    found = []
    for name, module in tree.modules.items():
        count = len(tree.lines(name))
        if name in exempt:
            if count <= max_lines:
                found.append(f"{module.path}: {count} lines now: remove its exemption")
        elif count > max_lines and not has_size_reason(tree, name):
            found.append(f"{module.path}: {count} lines (over {max_lines}): split it by concept, or say why not "
                         "in a `# size: <why>` comment above its first statement")
    found.extend(f"{name}: exempt from the size limit but no module" for name in exempt if name not in tree.modules)
    return found
