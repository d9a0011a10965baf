"""Ditto's policy enforcer: grant/revoke evaluation over a resource trie, and filtered JSON views.

For a caller with subjects S, one permission p and a resource path N, look along the chain of rule paths root..N:
`w_g` is the depth of the deepest one granting p to any subject in S, `w_r` that of the deepest one revoking p from
any subject in S. p is effectively granted at N iff a grant exists and `w_g > w_r`: a revoke beats a grant on the same
node, a deeper grant overrides an inherited revoke, and a revoke on any one of the caller's subjects counts. Rules on
the same node (from different entries) add up. Resource types are independent, and WRITE does not imply READ.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from twinhub.model.policy.permissions import READ, Permission
from twinhub.model.types import MISSING, JsonValue, Missing, Pointer
from twinhub.policy._trie import Node, build, locate
from twinhub.policy.rules import Rule

__all__ = ["Enforcer"]


class Enforcer:
    """Answers permission questions for one policy revision; build it once and share it, it is immutable.

    Every method takes the caller's subjects as a collection of subject ids (`{"nginx:ditto"}`), a resource type
    (`"thing"`, `"policy"`, `"message"`) and a path inside it (a tuple of keys, `()` is the root). Resource types no
    rule mentions grant nothing. Passing a bare string as subjects or permissions, or no permissions at all, raises
    `TypeError` / `ValueError` rather than answering a question nobody meant to ask.
    """

    __slots__ = ("__weakref__", "_tries")  # weak references: services share enforcers by rules while in use

    def __init__(self, rules: Iterable[Rule]) -> None:
        self._tries: dict[str, Node] = build(rules)

    def has_permission(
        self, subjects: Collection[str], resource_type: str, path: Pointer, permissions: Collection[Permission]
    ) -> bool:
        """Whether every one of `permissions` is effectively granted to `subjects` at `path` itself."""
        _check(subjects, permissions)
        root = self._tries.get(resource_type)
        if root is None:
            return False
        node, _ = locate(root, path)
        return all(node.granted(subjects, permission) for permission in permissions)

    def has_unrestricted(
        self, subjects: Collection[str], resource_type: str, path: Pointer, permissions: Collection[Permission]
    ) -> bool:
        """Whether every permission is granted at `path` and revoked from none of `subjects` anywhere below it.

        This is what modifying `path` as a whole needs (Ditto: unrestricted WRITE on the target).
        """
        _check(subjects, permissions)
        root = self._tries.get(resource_type)
        if root is None:
            return False
        node, exact = locate(root, path)
        for permission in permissions:
            if not node.granted(subjects, permission):
                return False
            if exact and node.revoked_strictly_below(subjects, permission):
                return False
        return True

    def has_partial(
        self, subjects: Collection[str], resource_type: str, path: Pointer, permissions: Collection[Permission]
    ) -> bool:
        """Whether each permission is granted at `path` or at some resource below it (each may be somewhere else).

        This is what querying `path` needs (Ditto: partial READ); the answer is then filtered with `view`.
        """
        _check(subjects, permissions)
        root = self._tries.get(resource_type)
        if root is None:
            return False
        node, exact = locate(root, path)
        for permission in permissions:
            if node.granted(subjects, permission):
                continue
            if not (exact and node.granted_strictly_below(subjects, permission)):
                return False
        return True

    def view(
        self,
        subjects: Collection[str],
        resource_type: str,
        path: Pointer,
        value: JsonValue,
        permission: Permission = READ,
    ) -> JsonValue | Missing:
        """`value`, the JSON found at `path`, cut down to what `subjects` hold `permission` on; `MISSING` if nothing.

        A part whose path is unrestricted is kept whole (shared with `value`, not copied); an object otherwise is
        filtered field by field, and kept if something inside survived or if it is itself granted (so an empty object
        is kept iff granted); any other value, arrays included, is kept iff granted at its path. Fields are matched to
        resources key by key; the input is never modified. This is Ditto's `buildJsonView` except for arrays, which
        Ditto looks into (an object inside an array is matched against the array's resource children).
        """
        _check(subjects, (permission,))
        root = self._tries.get(resource_type)
        if root is None:
            return MISSING
        node, exact = locate(root, path)
        if not exact:
            return value if node.granted(subjects, permission) else MISSING
        return _view(node, value, subjects, permission)

    def subjects_with_partial(self, resource_type: str, path: Pointer, permission: Permission) -> frozenset[str]:
        """The subjects named by rules that, each asking alone, have partial `permission` at `path`.

        For event fan-out and search indexing. A caller holding several of these subjects can still be denied when
        one of its subjects is revoked where another is granted; ask `has_partial` with all of them for that.
        """
        _check((), (permission,))
        root = self._tries.get(resource_type)
        if root is None:
            return frozenset()
        node, exact = locate(root, path)
        grants = node.grant_depth.get(permission, {})
        revokes = node.revoke_depth.get(permission, {})
        result = {subject for subject, depth in grants.items() if depth > revokes.get(subject, -1)}
        if exact:
            result.update(node.alone_below.get(permission, ()))
        return frozenset(result)

    def narrowed_by(self, other: Enforcer) -> Enforcer:
        """An enforcer that grants what both this one and `other` grant, and nothing else (a past revision
        of a thing is read through the policy it was under and the current one)."""
        return _Both(self, other)


class _Both(Enforcer):
    """The intersection of two enforcers. Every question goes to both; a view is cut down by one, then the other
    (each keeps a part only where it grants it, so the order does not matter)."""

    __slots__ = ("_first", "_second")

    def __init__(self, first: Enforcer, second: Enforcer) -> None:  # no rules of its own
        self._first = first
        self._second = second

    def has_permission(
        self, subjects: Collection[str], resource_type: str, path: Pointer, permissions: Collection[Permission]
    ) -> bool:
        return all(enforcer.has_permission(subjects, resource_type, path, permissions)
                   for enforcer in (self._first, self._second))

    def has_unrestricted(
        self, subjects: Collection[str], resource_type: str, path: Pointer, permissions: Collection[Permission]
    ) -> bool:
        return all(enforcer.has_unrestricted(subjects, resource_type, path, permissions)
                   for enforcer in (self._first, self._second))

    def has_partial(
        self, subjects: Collection[str], resource_type: str, path: Pointer, permissions: Collection[Permission]
    ) -> bool:
        """Both grant something at or below `path` (not necessarily the same part: `view` may still be empty)."""
        return all(enforcer.has_partial(subjects, resource_type, path, permissions)
                   for enforcer in (self._first, self._second))

    def view(
        self,
        subjects: Collection[str],
        resource_type: str,
        path: Pointer,
        value: JsonValue,
        permission: Permission = READ,
    ) -> JsonValue | Missing:
        first = self._first.view(subjects, resource_type, path, value, permission)
        if first is MISSING:
            return MISSING
        return self._second.view(subjects, resource_type, path, first, permission)

    def subjects_with_partial(self, resource_type: str, path: Pointer, permission: Permission) -> frozenset[str]:
        return (self._first.subjects_with_partial(resource_type, path, permission)
                & self._second.subjects_with_partial(resource_type, path, permission))


def _view(node: Node, value: JsonValue, subjects: Collection[str], permission: Permission) -> JsonValue | Missing:
    """The view of `value`, whose path is exactly `node`'s."""
    granted = node.granted(subjects, permission)
    if granted and not node.revoked_strictly_below(subjects, permission):
        return value
    if not isinstance(value, dict) or not value:
        return value if granted else MISSING
    if not granted and not node.granted_strictly_below(subjects, permission):
        return MISSING
    children = node.children
    result: dict[str, JsonValue] = {}
    for key, field in value.items():
        child = children.get(key)
        if child is None:
            if granted:
                result[key] = field
        else:
            sub = _view(child, field, subjects, permission)
            if sub is not MISSING:
                result[key] = sub
    if result or granted:
        return result
    return MISSING


def _check(subjects: Collection[str], permissions: Collection[Permission]) -> None:
    if isinstance(subjects, str):
        raise TypeError("subjects must be a collection of subject ids, not a single string")
    if isinstance(permissions, str):
        raise TypeError("permissions must be a collection of permissions, not a single string")
    if not permissions:
        raise ValueError("at least one permission must be given")
