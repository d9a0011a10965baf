"""Entry references (Ditto 3.9), resolved without I/O: an entry listing `references` inherits the subjects,
resources and namespaces of the entries it names (Ditto's `PolicyImporter.resolveReferences`, documented in
`basic-policy.md`, "Entry references"):

* a local reference `{"entry": label}` names a raw entry of the same policy (its own content, its references not
  followed: one level deep); an import reference `{"import": id, "entry": label}` names the entry as the policy
  sees it imported (`imported-<id>-<label>`), so one its import does not bring along resolves to nothing;
* referenced entries marked `importable: never`, and references resolving to nothing, are skipped;
* the referenced content comes first: a subject id already inherited keeps the referenced instance (the first
  reference wins), resources of the same key unite their grants and revokes, namespaces add up;
* the referencing entry's own subjects, resources and namespaces are added only where every referenced entry that
  declares `allowedAdditions` allows that kind (the strictest set applies; absent is no restriction, `[]` none);
  the resolved entry carries that set as its `allowedAdditions` and no `references`;
* twinhub bounds what one resolution copies (`MAX_INHERITED` subjects and resources, summed over the policy's
  references): a write whose local references copy more is refused (`check_inherited_size`), and a reference that
  would pass the bound (an imported entry grown since) resolves to nothing, as a missing one does, so that no
  policy resolves to an unbounded number of rules. Ditto sets no such bound.
"""

from __future__ import annotations

from twinhub.model.policy._json import entries_of, strings
from twinhub.model.types import JsonObject, JsonValue

__all__ = ["MAX_INHERITED", "copied_size", "imported_label", "resolve_references"]

_KINDS = ("subjects", "resources", "namespaces")
MAX_INHERITED = 10_000  # subjects and resources the references of one policy may copy (twinhub's bound)


def imported_label(policy_id: str, label: str) -> str:
    """The label an entry of `policy_id` has where it is imported."""
    return f"imported-{policy_id}-{label}"


def resolve_references(doc: JsonObject, entries: list[tuple[str, JsonObject]]) -> list[tuple[str, JsonObject]]:
    """`entries` (`doc`'s own followed by what it imports, labelled as `imported_label` does) with each of
    `doc`'s own entries that has references replaced by its resolution; the list is returned as is without any."""
    own = entries_of(doc)
    if not any(entry.get("references") for entry in own.values()):
        return entries
    visible = dict(reversed(entries))  # the first of a label wins, as in Ditto's ordered set
    resolved: list[tuple[str, JsonObject]] = []
    budget = [MAX_INHERITED]
    for label, entry in entries:
        references = entry.get("references") if own.get(label) is entry else None
        resolved.append((label, _resolve(entry, references, own, visible, budget) if references else entry))
    return resolved


def copied_size(entry: JsonObject) -> int:
    """What a reference to `entry` copies, as `MAX_INHERITED` counts it: its subjects and resources."""
    subjects, resources = entry.get("subjects"), entry.get("resources")
    return (len(subjects) if isinstance(subjects, dict) else 0) + (len(resources) if isinstance(resources, dict) else 0)


def _lookup(reference: JsonValue, own: dict[str, JsonObject], visible: dict[str, JsonObject]) -> JsonObject | None:
    if not isinstance(reference, dict) or not isinstance(reference.get("entry"), str):
        return None
    label = str(reference["entry"])
    imported = reference.get("import")
    if isinstance(imported, str):
        return visible.get(imported_label(imported, label))
    return own.get(label)


def _resolve(entry: JsonObject, references: JsonValue, own: dict[str, JsonObject],
             visible: dict[str, JsonObject], budget: list[int]) -> JsonObject:
    subjects: JsonObject = {}
    resources: JsonObject = {}
    namespaces: list[str] = []
    allowed: set[str] | None = None  # None: no referenced entry restricts the own additions
    for reference in references if isinstance(references, list) else []:
        target = _lookup(reference, own, visible)
        if target is None or target.get("importable") == "never" or copied_size(target) > budget[0]:
            continue
        budget[0] -= copied_size(target)
        _add(subjects, resources, namespaces, target)
        if isinstance(target.get("allowedAdditions"), list):
            kinds = set(strings(target["allowedAdditions"]))
            allowed = kinds if allowed is None else allowed & kinds
    kept = set(_KINDS) if allowed is None else allowed
    _add(subjects if "subjects" in kept else {}, resources if "resources" in kept else {},
         namespaces if "namespaces" in kept else [], entry)
    result: JsonObject = {"subjects": subjects, "resources": resources}
    if namespaces:
        result["namespaces"] = list(namespaces)
    result["importable"] = entry.get("importable", "implicit")
    if allowed is not None:
        result["allowedAdditions"] = [kind for kind in _KINDS if kind in allowed]
    return result


def _add(subjects: JsonObject, resources: JsonObject, namespaces: list[str], source: JsonObject) -> None:
    """Merge `source`'s content into the accumulated one: subjects not seen yet, resources united per key,
    namespaces not listed yet."""
    source_subjects = source.get("subjects")
    for subject_id, subject in (source_subjects.items() if isinstance(source_subjects, dict) else ()):
        subjects.setdefault(subject_id, subject)
    source_resources = source.get("resources")
    for key, permissions in (source_resources.items() if isinstance(source_resources, dict) else ()):
        if not isinstance(permissions, dict):
            continue
        known = resources.get(key)
        if not isinstance(known, dict):
            resources[key] = permissions
            continue
        resources[key] = {effect: _union(known.get(effect), permissions.get(effect)) for effect in ("grant", "revoke")}
    for pattern in strings(source.get("namespaces")):
        if pattern not in namespaces:
            namespaces.append(pattern)


def _union(first: JsonValue, second: JsonValue) -> list[JsonValue]:
    items: list[JsonValue] = list(strings(first))
    items += [item for item in strings(second) if item not in items]
    return items
