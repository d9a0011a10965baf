"""Policy imports resolved without I/O: which policies are still needed, and the effective rules.

The caller loads policies; this module only reads them. Resolution follows Ditto's `PolicyImporter`:

* an imported policy's entry comes along if it is `importable: implicit`, or `explicit` and listed in the
  import's `entries`; `never` entries never do;
* the imported policy's own imports are resolved first only for the ids its import lists in
  `transitiveImports` (a whitelist, checked again at every level), with a visited set breaking cycles and at
  most `MAX_TRANSITIVE_DEPTH` levels (deeper chains stop there, keeping what was resolved);
* imported entries are labelled `imported-<policyId>-<label>`; a policy that cannot be loaded contributes
  nothing.

`references` are not evaluated here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, TypeAlias

from twinhub.model.policy import (
    as_utc,
    entries_of,
    namespace_matches,
    split_resource_key,
    subject_expired,
    subjects_of,
)
from twinhub.model.types import JsonObject, JsonValue

if TYPE_CHECKING:
    from twinhub.policy.rules import Rule

MAX_TRANSITIVE_DEPTH = 10  # Ditto `PolicyImporter.MAX_TRANSITIVE_RESOLUTION_DEPTH`

Loaded: TypeAlias = "Mapping[str, JsonObject | None]"
"""Policies loaded so far by id; `None` marks an id that was looked up and does not exist."""

Entries: TypeAlias = "list[tuple[str, JsonObject]]"


def _strings(value: JsonValue) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _imports_of(doc: JsonObject) -> dict[str, JsonObject]:
    imports = doc.get("imports")
    if not isinstance(imports, dict):
        return {}
    return {policy_id: config for policy_id, config in imports.items() if isinstance(config, dict)}


def _imported(entry: JsonObject, label: str, selected: list[str]) -> bool:
    importable = entry.get("importable", "implicit")
    return importable == "implicit" or (importable == "explicit" and label in selected)


class _Resolver:
    """One resolution pass; records the ids it needed but found neither loaded nor known missing."""

    def __init__(self, loaded: Loaded) -> None:
        self.loaded = loaded
        self.missing: set[str] = set()

    def imports(self, doc: JsonObject, depth: int, visited: frozenset[str]) -> Entries:
        entries: Entries = []
        for policy_id, config in _imports_of(doc).items():
            entries += self.one_import(policy_id, config, depth, visited)
        return entries

    def one_import(self, policy_id: str, config: JsonObject, depth: int, visited: frozenset[str]) -> Entries:
        policy = self.loaded.get(policy_id)
        if policy is None:
            if policy_id not in self.loaded:
                self.missing.add(policy_id)
            return []
        entries: Entries = list(entries_of(policy).items())
        transitive = _strings(config.get("transitiveImports"))
        if transitive and depth < MAX_TRANSITIVE_DEPTH:
            wanted = frozenset(transitive) - visited
            chosen = {key: value for key, value in _imports_of(policy).items() if key in wanted}
            for nested_id, nested in chosen.items():
                entries += self.one_import(nested_id, nested, depth + 1, visited | wanted)
        selected = _strings(config.get("entries"))
        return [
            (f"imported-{policy_id}-{label}", entry) for label, entry in entries if _imported(entry, label, selected)
        ]


def missing_imports(doc: JsonObject, loaded: Loaded) -> set[str]:
    """Ids of policies still needed to resolve `doc`'s imports; load them (or map them to `None` when they do
    not exist) and call again until the result is empty."""
    resolver = _Resolver(loaded)
    resolver.imports(doc, 0, frozenset())
    return resolver.missing


def resolved_entries(doc: JsonObject, loaded: Loaded) -> Entries:
    """`doc`'s own entries followed by the imported ones (labels `imported-<policyId>-<label>`)."""
    return list(entries_of(doc).items()) + _Resolver(loaded).imports(doc, 0, frozenset())


def policy_rules(doc: JsonObject, loaded: Loaded, *, now: datetime, namespace: str | None) -> list[Rule]:
    """The effective rules of `doc`: one per resource of every local and imported entry.

    Subjects expiring at or before `now` are left out, and so are entries without a remaining subject and,
    when `namespace` is given, entries whose `namespaces` patterns do not match it. `thing:/a/b` becomes
    `Rule(resource_type="thing", path=("a", "b"))`.
    """
    from twinhub.policy.rules import Rule  # imported here: twinhub.policy builds on this module

    now = as_utc(now)
    rules: list[Rule] = []
    for _label, entry in resolved_entries(doc, loaded):
        if namespace is not None and not namespace_matches(entry.get("namespaces"), namespace):
            continue
        subjects = frozenset(key for key, subject in subjects_of(entry).items() if not subject_expired(subject, now))
        resources = entry.get("resources")
        if not subjects or not isinstance(resources, dict):
            continue
        for key, permissions in resources.items():
            if not isinstance(permissions, dict):
                continue
            grant = frozenset(_strings(permissions.get("grant")))
            revoke = frozenset(_strings(permissions.get("revoke")))
            if grant or revoke:
                resource_type, path = split_resource_key(key)
                rules.append(Rule(subjects, resource_type, path, grant, revoke))
    return rules
