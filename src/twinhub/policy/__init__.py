"""Policy evaluation, pure: Ditto's grant/revoke trie over rules, permission checks and filtered JSON views.

Build `Enforcer(policy_rules(doc, imported, now=..., namespace=...))` once per policy revision, then ask it per
request, e.g. `enforcer.has_unrestricted({"nginx:ditto"}, THING, ("attributes",), [WRITE])` before a modify, or
`enforcer.view({"nginx:ditto"}, "thing", (), thing_json)` for the readable part of a thing (or
`twinhub.model.types.MISSING`).
"""

from __future__ import annotations

from twinhub.model.policy.permissions import EXECUTE, MESSAGE, POLICY, READ, THING, WRITE, Permission
from twinhub.policy.documents import policy_rules
from twinhub.policy.enforcer import Enforcer
from twinhub.policy.rules import Rule

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
    "policy_rules",
]
