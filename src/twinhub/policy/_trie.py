"""The resource trie behind `Enforcer`: one node per resource path named by some rule, facts precomputed per node.

Every rule's grants and revokes sit at the node of its exact path. Building then walks the trie twice so that each
query touches only the nodes on its own path:

* top-down, `grant_depth[p][s]` / `revoke_depth[p][s]`: depth of the deepest node on the chain root..node (this node
  included) where subject `s` is granted / revoked permission `p`;
* bottom-up, over the nodes strictly below: `revoked_below[p]` (subjects revoked `p` somewhere below),
  `grants_below[p]` (the distinct `(granted, revoked)` subject sets of the nodes below that grant `p`),
  `granted_below[p]` (their union, for a quick "no") and `alone_below[p]` (subjects that, asking alone, are
  effectively granted `p` at some node below).

Facts for a path deeper than the trie are those of its deepest existing ancestor: nothing is attached in between.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

from twinhub.model.policy.permissions import Permission
from twinhub.model.types import Pointer
from twinhub.policy.rules import Rule

__all__ = ["Node", "build", "locate"]

_EMPTY: frozenset[str] = frozenset()
_Depths = dict[Permission, dict[str, int]]
_Pair = tuple[frozenset[str], frozenset[str]]


class _Draft:
    """A mutable trie node while rules are being added."""

    __slots__ = ("children", "grant", "revoke")

    def __init__(self) -> None:
        self.children: dict[str, _Draft] = {}
        self.grant: dict[Permission, set[str]] = {}
        self.revoke: dict[Permission, set[str]] = {}


class Node:
    """A finished, immutable trie node; see the module docstring for what each field holds."""

    __slots__ = (
        "alone_below",
        "children",
        "grant",
        "grant_depth",
        "granted_below",
        "grants_below",
        "revoke",
        "revoke_depth",
        "revoked_below",
    )

    revoked_below: dict[Permission, frozenset[str]]
    grants_below: dict[Permission, tuple[_Pair, ...]]
    granted_below: dict[Permission, frozenset[str]]
    alone_below: dict[Permission, frozenset[str]]

    def __init__(
        self,
        children: dict[str, Node],
        grant: dict[Permission, frozenset[str]],
        revoke: dict[Permission, frozenset[str]],
        grant_depth: _Depths,
        revoke_depth: _Depths,
    ) -> None:
        self.children = children
        self.grant = grant
        self.revoke = revoke
        self.grant_depth = grant_depth
        self.revoke_depth = revoke_depth
        revoked_below: dict[Permission, set[str]] = {}
        grants_below: dict[Permission, set[_Pair]] = {}
        for child in children.values():
            for permission, subjects in child.revoke.items():
                revoked_below.setdefault(permission, set()).update(subjects)
            for permission, subjects in child.revoked_below.items():
                revoked_below.setdefault(permission, set()).update(subjects)
            for permission, subjects in child.grant.items():
                grants_below.setdefault(permission, set()).add((subjects, child.revoke.get(permission, _EMPTY)))
            for permission, pairs in child.grants_below.items():
                grants_below.setdefault(permission, set()).update(pairs)
        self.revoked_below = {p: frozenset(subjects) for p, subjects in revoked_below.items()}
        self.grants_below = {p: tuple(pairs) for p, pairs in grants_below.items()}
        self.granted_below = {p: frozenset().union(*(g for g, _ in pairs)) for p, pairs in grants_below.items()}
        self.alone_below = {p: frozenset().union(*(g - r for g, r in pairs)) for p, pairs in grants_below.items()}

    def granted(self, subjects: Collection[str], permission: Permission) -> bool:
        """Whether `permission` is effectively granted here: deepest grant strictly deeper than deepest revoke."""
        grants = self.grant_depth.get(permission)
        if not grants:
            return False
        weight = -1
        for subject in subjects:
            depth = grants.get(subject, -1)
            if depth > weight:
                weight = depth
        if weight < 0:
            return False
        revokes = self.revoke_depth.get(permission)
        if revokes:
            for subject in subjects:
                if revokes.get(subject, -1) >= weight:
                    return False
        return True

    def revoked_strictly_below(self, subjects: Collection[str], permission: Permission) -> bool:
        """Whether any of `subjects` is revoked `permission` at some node strictly below this one."""
        revoked = self.revoked_below.get(permission)
        return revoked is not None and not revoked.isdisjoint(subjects)

    def granted_strictly_below(self, subjects: Collection[str], permission: Permission) -> bool:
        """Whether `permission` is effectively granted at some node strictly below this one.

        The deepest grant on the way to such a node G is then at or below G's nearest granting ancestor-or-self; if
        that lies strictly below here, G itself is such a node, granted iff it revokes none of `subjects` (a revoke at
        the same node wins). A granting node at or above this one makes this node granted as well, so callers check
        `granted` first.
        """
        candidates = self.granted_below.get(permission)
        if candidates is None or candidates.isdisjoint(subjects):
            return False
        for grantees, revokees in self.grants_below[permission]:
            if not grantees.isdisjoint(subjects) and revokees.isdisjoint(subjects):
                return True
        return False


def build(rules: Iterable[Rule]) -> dict[str, Node]:
    """One finished trie per resource type named by `rules`."""
    drafts: dict[str, _Draft] = {}
    for rule in rules:
        draft = drafts.get(rule.resource_type)
        if draft is None:
            draft = drafts[rule.resource_type] = _Draft()
        for key in rule.path:
            child = draft.children.get(key)
            if child is None:
                child = draft.children[key] = _Draft()
            draft = child
        if rule.subjects:
            for permission in rule.grant:
                draft.grant.setdefault(permission, set()).update(rule.subjects)
            for permission in rule.revoke:
                draft.revoke.setdefault(permission, set()).update(rule.subjects)
    return {resource_type: _finish(draft, 0, {}, {}) for resource_type, draft in drafts.items()}


def _finish(draft: _Draft, depth: int, parent_grant: _Depths, parent_revoke: _Depths) -> Node:
    grant = {p: frozenset(subjects) for p, subjects in draft.grant.items()}
    revoke = {p: frozenset(subjects) for p, subjects in draft.revoke.items()}
    grant_depth = _deepen(parent_grant, grant, depth)
    revoke_depth = _deepen(parent_revoke, revoke, depth)
    children = {key: _finish(child, depth + 1, grant_depth, revoke_depth) for key, child in draft.children.items()}
    return Node(children, grant, revoke, grant_depth, revoke_depth)


def _deepen(inherited: _Depths, own: Mapping[Permission, frozenset[str]], depth: int) -> _Depths:
    """`inherited` with this node's subjects moved to `depth`; shared, not copied, when the node adds nothing."""
    if not own:
        return inherited
    result = dict(inherited)
    for permission, subjects in own.items():
        depths = dict(inherited.get(permission, {}))
        depths.update(dict.fromkeys(subjects, depth))
        result[permission] = depths
    return result


def locate(root: Node, path: Pointer) -> tuple[Node, bool]:
    """The deepest node on `path`, and whether it is the node of `path` itself."""
    node = root
    for key in path:
        child = node.children.get(key)
        if child is None:
            return node, False
        node = child
    return node, True
