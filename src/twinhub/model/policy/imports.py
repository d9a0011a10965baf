"""Policy imports: validating a policy's `imports`, and resolving them without I/O.

The caller loads policies; resolution only reads them. It follows Ditto's `PolicyImporter`:

* an imported policy's entry comes along if it is `importable: implicit`, or `explicit` and listed in the
  import's `entries`; `never` entries never do;
* the imported policy's own imports are resolved first only for the ids its import lists in
  `transitiveImports` (a whitelist, checked again at every level), with a visited set breaking cycles and at
  most `MAX_TRANSITIVE_DEPTH` levels (deeper chains stop there, keeping what was resolved);
* an imported policy's entry references are resolved against its own entries and what it imports transitively
  before its entries are selected (`twinhub.model.policy.references`), the importing policy's own once all of its
  imports are in;
* imported entries are labelled `imported-<policyId>-<label>`; a policy that cannot be loaded contributes
  nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeAlias

from twinhub.model.errors import PolicyImportInvalid, PolicyImportsTooLarge, PolicyJsonInvalid
from twinhub.model.ids import parse_policy_id
from twinhub.model.json import render
from twinhub.model.policy._json import entries_of, imports_of, strings, unique, wrong_type
from twinhub.model.policy.labels import validate_label
from twinhub.model.policy.references import imported_label, resolve_references
from twinhub.model.types import JsonObject, JsonValue

DEFAULT_MAX_IMPORTS = 10  # Ditto `ditto.limits.policies.imports-limit`
MAX_TRANSITIVE_DEPTH = 10  # Ditto `PolicyImporter.MAX_TRANSITIVE_RESOLUTION_DEPTH`

Loaded: TypeAlias = "Mapping[str, JsonObject | None]"
"""Policies loaded so far by id; `None` marks an id that was looked up and does not exist."""

Entries: TypeAlias = "list[tuple[str, JsonObject]]"


# -- validation --------------------------------------------------------------------------------------------------


def validate_import_entries(value: JsonValue) -> list[JsonValue]:
    """The labels an import selects; non-string items are skipped as Ditto does."""
    if not isinstance(value, list):
        raise wrong_type(value, "entries", "JsonArray")
    return unique([validate_label(item) for item in value if isinstance(item, str)])


def validate_transitive_imports(value: JsonValue, policy_id: str) -> list[JsonValue]:
    """Policy ids of the imported policy's own imports to resolve too; never the importing policy itself."""
    if not isinstance(value, list):
        raise wrong_type(value, "transitiveImports", "JsonArray")
    ids: list[JsonValue] = []
    for item in value:
        if not isinstance(item, str):
            raise PolicyImportInvalid(
                f"The 'transitiveImports' array contains a non-string element: {render(item)}",
                "Every element in 'transitiveImports' must be a string representing a valid policy ID.",
            )
        ids.append(str(parse_policy_id(item)))
    if policy_id in ids:
        raise PolicyImportInvalid(
            "The policy import contains a transitive resolution of the policy itself.",
            f"The 'transitiveImports' array must not contain the importing policy's own ID '{policy_id}'.",
        )
    return ids


def validate_import(value: JsonValue, imported_id: str, policy_id: str) -> JsonObject:
    """One import; `{}` stays `{}`, otherwise `entries` is always rendered, `transitiveImports` when non-empty."""
    imported = str(parse_policy_id(imported_id))
    if imported == policy_id:
        raise PolicyImportInvalid()
    if not isinstance(value, dict):
        raise PolicyJsonInvalid(
            f"The value of the policy import of the 'imported policy' with ID '{imported}' is missing or not an object."
        )
    if not value:
        return {}
    result: JsonObject = {"entries": validate_import_entries(value.get("entries") or [])}
    transitive = validate_transitive_imports(value.get("transitiveImports") or [], policy_id)
    if transitive:
        result["transitiveImports"] = transitive
    return result


def validate_imports(value: JsonValue, policy_id: str, *, max_imports: int = DEFAULT_MAX_IMPORTS) -> JsonObject:
    if not isinstance(value, dict):
        raise wrong_type(value, "imports", "JsonObject")
    if len(value) > max_imports:
        raise PolicyImportsTooLarge(policy_id, max_imports)
    imports: JsonObject = {}
    for imported_id, policy_import in value.items():
        imports[str(parse_policy_id(imported_id))] = validate_import(policy_import, imported_id, policy_id)
    return imports


def imported_policy_ids(doc: JsonObject) -> list[str]:
    """The ids of the policies `doc` imports directly, sorted."""
    imports = doc.get("imports")
    return sorted(imports) if isinstance(imports, dict) else []


# -- resolution --------------------------------------------------------------------------------------------------


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
        for policy_id, config in imports_of(doc).items():
            entries += self.one_import(policy_id, config, depth, visited)
        return entries

    def one_import(self, policy_id: str, config: JsonObject, depth: int, visited: frozenset[str]) -> Entries:
        policy = self.loaded.get(policy_id)
        if policy is None:
            if policy_id not in self.loaded:
                self.missing.add(policy_id)
            return []
        entries: Entries = list(entries_of(policy).items())
        transitive = strings(config.get("transitiveImports"))
        if transitive and depth < MAX_TRANSITIVE_DEPTH:
            wanted = frozenset(transitive) - visited
            chosen = {key: value for key, value in imports_of(policy).items() if key in wanted}
            for nested_id, nested in chosen.items():
                entries += self.one_import(nested_id, nested, depth + 1, visited | wanted)
        selected = strings(config.get("entries"))
        return [
            (imported_label(policy_id, label), entry)
            for label, entry in resolve_references(policy, entries)
            if _imported(entry, label, selected)
        ]


def missing_imports(doc: JsonObject, loaded: Loaded) -> set[str]:
    """Ids of policies still needed to resolve `doc`'s imports; load them (or map them to `None` when they do
    not exist) and call again until the result is empty."""
    resolver = _Resolver(loaded)
    resolver.imports(doc, 0, frozenset())
    return resolver.missing


def resolved_entries(doc: JsonObject, loaded: Loaded) -> Entries:
    """`doc`'s own entries followed by the imported ones (labels `imported-<policyId>-<label>`), entry references
    resolved (see `twinhub.model.policy.references`)."""
    return resolve_references(doc, list(entries_of(doc).items()) + _Resolver(loaded).imports(doc, 0, frozenset()))
