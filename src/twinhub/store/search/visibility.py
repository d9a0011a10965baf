"""The caller's READ visibility as SQL over `policy_index` (written by `twinhub.store.index`).

A thing is found when one of the caller's unexpired grants has no unexpired revoke of the caller at its path
(partial READ somewhere, in Ditto's trie). A row at path P is readable when the deepest grant on P's chain (P and
its ancestors, '' the root) is deeper than the deepest revoke on it; fast path: a root grant and no revoke at all.
"""

from __future__ import annotations

from collections.abc import Sequence

from twinhub.store.search.sql import Argument, Parameters

__all__ = ["Visibility"]

METADATA_ROOT = "/_metadata"  # where a thing's metadata is indexed (`twinhub.store.index.METADATA_ROOT`)


class Visibility:
    """Conditions on what `subjects` may READ at `now` (a stored timestamp), binding into `params`."""

    def __init__(self, params: Parameters, subjects: Sequence[str], now: str) -> None:
        self.params = params
        self.d = params.d
        self._subjects = tuple(dict.fromkeys(subjects))
        self._now = now

    def visible(self) -> str:
        """The caller may READ something of the thing `t`."""
        return (f"EXISTS (SELECT 1 FROM policy_index g WHERE g.policy_id = t.policy_id AND g.effect = 1 AND "
                f"{self._counts('g')} AND NOT EXISTS (SELECT 1 FROM policy_index v WHERE v.policy_id = g.policy_id "
                f"AND v.path = g.path AND v.effect = -1 AND {self._counts('v')}))")

    def readable_path(self, path: str, things: str = "t") -> str:
        """The caller may READ `path` (a constant) of the thing `things`; metadata (`/_metadata/P`) where both it
        and the data at P are readable (as `twinhub.service.enforcement.metadata_view` shows it)."""
        own = self._readable_constant(path, things)
        if path == METADATA_ROOT or path.startswith(METADATA_ROOT + "/"):
            return f"({own} AND {self._readable_constant(path[len(METADATA_ROOT):], things)})"
        return own

    def _readable_constant(self, path: str, things: str) -> str:
        keys = path.split("/")[1:]
        chain = ["", *("/" + "/".join(keys[:n]) for n in range(1, len(keys) + 1))]
        return self._readable(things, f"d.path IN ({', '.join(self.params.bind(p) for p in chain)})")

    def readable_row(self, path: str, things: str, *, metadata: bool = False) -> str:
        """The caller may READ the path that the SQL expression `path` holds (`metadata`: a path below
        `/_metadata`, readable as `readable_path` says)."""
        own = self._readable(things, _on_chain(path))
        if not metadata:
            return own
        return f"({own} AND {self._readable(things, _on_chain(f'substr({path}, {len(METADATA_ROOT) + 1})'))})"

    def _counts(self, alias: str) -> str:
        """The policy_index row is the caller's and has not expired."""
        if not self._subjects:
            return self.d.false
        bind = self.params.bind
        subjects = ", ".join(bind(subject, Argument("subjects", n)) for n, subject in enumerate(self._subjects))
        now = bind(self._now, Argument("now"))
        return f"{alias}.subject IN ({subjects}) AND ({alias}.expiry IS NULL OR {alias}.expiry > {now})"

    def _readable(self, things: str, on_chain: str) -> str:
        full = (f"(EXISTS (SELECT 1 FROM policy_index g WHERE g.policy_id = {things}.policy_id AND g.effect = 1 "
                f"AND g.depth = 0 AND {self._counts('g')}) AND NOT EXISTS (SELECT 1 FROM policy_index v "
                f"WHERE v.policy_id = {things}.policy_id AND v.effect = -1 AND {self._counts('v')}))")
        deepest = (f"coalesce((SELECT d.effect FROM policy_index d WHERE d.policy_id = {things}.policy_id AND "
                   f"{self._counts('d')} AND {on_chain} ORDER BY d.depth DESC, d.effect ASC LIMIT 1), 0) = 1")
        return f"({full} OR {deepest})"


def _on_chain(path: str) -> str:
    """The policy_index row `d` is on the chain of the path that the SQL expression `path` holds."""
    return f"(d.path = {path} OR substr({path}, 1, length(d.path) + 1) = d.path || '/')"
