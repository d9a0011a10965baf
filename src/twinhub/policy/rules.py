"""Policy rules: what one policy entry grants and revokes on one resource, the enforcer's only input.

A Ditto policy entry `{"subjects": {...}, "resources": {"thing:/features/lamp": {"grant": [...], "revoke": [...]}}}`
becomes one `Rule` per resource (`twinhub.policy.documents` turns policy JSON and its imports into rules).
"""

from __future__ import annotations

from dataclasses import dataclass

from twinhub.model.policy.permissions import Permission
from twinhub.model.types import Pointer

__all__ = ["Rule"]


@dataclass(frozen=True, slots=True)
class Rule:
    """One policy entry's grants/revokes on one resource, for that entry's subjects.

    `path` is the resource path split into keys: `thing:/features/lamp` is `resource_type="thing"`,
    `path=("features", "lamp")`, and `thing:/` is `path=()`. Sets and the path are normalised to `frozenset` and
    `tuple`; a bare string where a collection of strings belongs raises `TypeError` (it would silently split into
    characters), an empty resource type raises `ValueError`.
    """

    subjects: frozenset[str]
    resource_type: str
    path: Pointer
    grant: frozenset[Permission]
    revoke: frozenset[Permission]

    def __post_init__(self) -> None:
        if not isinstance(self.resource_type, str) or not self.resource_type:
            raise ValueError(f"resource type must be a non-empty string, got {self.resource_type!r}")
        for name in ("subjects", "grant", "revoke"):
            object.__setattr__(self, name, _strings(name, getattr(self, name)))
        given: object = self.path
        if isinstance(given, str) or not isinstance(given, (tuple, list)):
            raise TypeError(f"path must be a tuple of keys, got {given!r}")
        path = tuple(given)
        if not all(isinstance(key, str) for key in path):
            raise TypeError(f"path keys must be strings, got {path!r}")
        object.__setattr__(self, "path", path)


def _strings(name: str, values: object) -> frozenset[str]:
    if isinstance(values, str) or not isinstance(values, (set, frozenset, list, tuple)):
        raise TypeError(f"{name} must be a set of strings, got {values!r}")
    result = frozenset(values)
    if not all(isinstance(value, str) for value in result):
        raise TypeError(f"{name} must contain strings only, got {values!r}")
    return result
