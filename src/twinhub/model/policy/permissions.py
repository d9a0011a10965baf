"""The permission vocabulary of policies, defined once: what a policy grants or revokes, and on what.

`twinhub.policy` evaluates these and every check names them from here. A policy may name other permissions
too (Ditto keeps any string): nothing asks for them, so they grant nothing.
"""

from __future__ import annotations

from typing import Final, TypeAlias

__all__ = ["EXECUTE", "MESSAGE", "PERMISSIONS", "POLICY", "READ", "RESOURCE_TYPES", "THING", "WRITE", "Permission"]

Permission: TypeAlias = str
"""A permission name; Ditto knows `READ`, `WRITE` and `EXECUTE`. WRITE does not imply READ."""

READ: Final[Permission] = "READ"
WRITE: Final[Permission] = "WRITE"
EXECUTE: Final[Permission] = "EXECUTE"
PERMISSIONS: Final = (READ, WRITE, EXECUTE)  # the ones twinhub checks

# The resource types of a policy entry's resource keys (`thing:/features/lamp`, `policy:/`, `message:/`).
THING: Final = "thing"
POLICY: Final = "policy"
MESSAGE: Final = "message"
RESOURCE_TYPES: Final = (THING, POLICY, MESSAGE)
