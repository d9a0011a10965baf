"""Which leaves are recorded (pure): every one by default, narrowed by include and exclude rules.

A rule is `glob` or `namespace:glob`. The glob matches the leaf's path (`features/*/properties/temp*`,
`attributes/**`) as `fnmatch` does, so `*` also crosses '/'; the namespace (itself a glob) matches the
part of the thing id before its ':'. A leaf is recorded when no include rule is given or one matches it,
and no exclude rule matches it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase

from twinhub.history.points import Point

__all__ = ["HistoryRules", "Rule", "parse_rules", "setting_items"]

# A namespace as Ditto spells one (dot-separated Java-package-like names), or a glob of one.
_NAMESPACE = re.compile(r"[A-Za-z0-9_.*?\[\]!-]*")


@dataclass(frozen=True, slots=True)
class Rule:
    """A path glob, limited to the things of the namespaces `namespace` matches (None: any namespace)."""

    glob: str
    namespace: str | None = None

    def matches(self, namespace: str, path: str) -> bool:
        if self.namespace is not None and not fnmatchcase(namespace, self.namespace):
            return False
        return fnmatchcase(path, self.glob)


def setting_items(items: Iterable[str]) -> Iterator[str]:
    """The items of a list setting, stripped, blank ones left out (rules here, retention items)."""
    return (text for text in (item.strip() for item in items) if text)


def parse_rules(items: Iterable[str]) -> tuple[Rule, ...]:
    """Rules from their texts (`glob` or `namespace:glob`, blanks ignored); raises ValueError for a rule
    without a glob or with a namespace part that is no namespace glob."""
    rules: list[Rule] = []
    for text in setting_items(items):
        namespace, colon, glob = text.partition(":")
        if not colon:
            namespace, glob = "", text
        elif not namespace or not _NAMESPACE.fullmatch(namespace):
            raise ValueError(f"history rule {text!r}: {namespace!r} is not a namespace")
        glob = glob.strip().lstrip("/")
        if not glob:
            raise ValueError(f"history rule {text!r} has no path glob")
        rules.append(Rule(glob, namespace or None))
    return tuple(rules)


@dataclass(frozen=True, slots=True)
class HistoryRules:
    """Include and exclude rules; the default records every leaf."""

    include: tuple[Rule, ...] = ()
    exclude: tuple[Rule, ...] = ()

    def records(self, thing_id: str, path: str) -> bool:
        namespace = thing_id.partition(":")[0]
        if self.include and not any(rule.matches(namespace, path) for rule in self.include):
            return False
        return not any(rule.matches(namespace, path) for rule in self.exclude)

    def select(self, points: Iterable[Point]) -> tuple[Point, ...]:
        """The points these rules record, in their order."""
        return tuple(point for point in points if self.records(point.thing_id, point.path))
