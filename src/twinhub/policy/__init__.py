"""Policy evaluation, pure: Ditto's grant/revoke trie over rules, permission checks and filtered JSON views.

Build `Enforcer(rules)` once per policy revision, then ask it per request, e.g.
`enforcer.has_unrestricted({"nginx:ditto"}, "thing", ("attributes",), ["WRITE"])` before a modify, or
`enforcer.view({"nginx:ditto"}, "thing", (), thing_json)` for the readable part of a thing (or
`twinhub.model.types.MISSING`).
"""

from __future__ import annotations

from twinhub.policy.enforcer import Enforcer
from twinhub.policy.rules import EXECUTE, MESSAGE, POLICY, READ, THING, WRITE, Permission, Rule

__all__ = [
    "EXECUTE",
    "MESSAGE",
    "POLICY",
    "READ",
    "THING",
    "WRITE",
    "Enforcer",
    "Permission",
    "Rule",
]
