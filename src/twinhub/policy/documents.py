"""Rules from policy documents: the enforcer's input, read from a normalized policy and its imports."""

from __future__ import annotations

from datetime import datetime

from twinhub.model.policy import (
    Loaded,
    as_utc,
    namespace_matches,
    resolved_entries,
    split_resource_key,
    strings,
    subject_expired,
    subjects_of,
)
from twinhub.model.types import JsonObject
from twinhub.policy.rules import Rule

__all__ = ["policy_rules"]


def policy_rules(doc: JsonObject, loaded: Loaded, *, now: datetime, namespace: str | None) -> list[Rule]:
    """The effective rules of `doc`: one per resource of every local and imported entry (imports resolved
    from `loaded`, see `twinhub.model.policy.resolved_entries`).

    Subjects expiring at or before `now` are left out, and so are entries without a remaining subject and,
    when `namespace` is given, entries whose `namespaces` patterns do not match it. `thing:/a/b` becomes
    `Rule(resource_type="thing", path=("a", "b"))`.
    """
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
            grant = frozenset(strings(permissions.get("grant")))
            revoke = frozenset(strings(permissions.get("revoke")))
            if grant or revoke:
                resource_type, path = split_resource_key(key)
                rules.append(Rule(subjects, resource_type, path, grant, revoke))
    return rules
