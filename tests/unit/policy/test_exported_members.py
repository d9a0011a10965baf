from __future__ import annotations

import twinhub.policy


def test_policy_package_exports_exactly_the_public_surface() -> None:
    assert sorted(twinhub.policy.__all__) == [
        "EXECUTE",
        "Enforcer",
        "MESSAGE",
        "POLICY",
        "Permission",
        "READ",
        "Rule",
        "THING",
        "WRITE",
        "policy_rules",
    ]
    for name in twinhub.policy.__all__:
        assert hasattr(twinhub.policy, name)
