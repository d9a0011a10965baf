"""Builders shared by the policy tests: write rules the way Ditto policies spell resources."""

from __future__ import annotations

from twinhub.policy import Rule


def rule(subjects: str | set[str], resource: str, grant: str = "", revoke: str = "") -> Rule:
    """`rule("user:alice", "thing:/attributes", grant="READ WRITE")`: keys split at `/`, permissions at spaces."""
    resource_type, _, path = resource.partition(":")
    return Rule(
        subjects=frozenset({subjects} if isinstance(subjects, str) else subjects),
        resource_type=resource_type,
        path=tuple(key for key in path.split("/") if key),
        grant=frozenset(grant.split()),
        revoke=frozenset(revoke.split()),
    )
