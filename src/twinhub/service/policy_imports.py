"""What a policy write needs other policies for (Ditto's PolicyImportsPreEnforcer): the policies it imports must
exist and the entries it imports of them be readable by the writer; each import reference it writes must name an
entry that exists, may be referenced, and that the writer may read."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from twinhub.model.errors import PolicyImportInvalid, PolicyNotAccessible
from twinhub.model.events import Policy
from twinhub.model.policy import (
    POLICY,
    READ,
    PolicyCommand,
    entries_of,
    imports_of,
    strings,
    written_import_references,
)
from twinhub.model.types import JsonObject
from twinhub.policy import Enforcer

__all__ = ["PolicySource", "check_import_reference", "check_import_references", "check_imports"]


class PolicySource(Protocol):
    """Where the checks read other policies from (the policy service, with its caches)."""

    async def enforcer(self, policy_id: str, *, namespace: str | None = None) -> Enforcer | None: ...

    async def load(self, policy_id: str) -> Policy | None: ...


async def check_imports(policies: PolicySource, doc: JsonObject, before: JsonObject | None,
                        subjects: tuple[str, ...]) -> None:
    """A policy may only import, or import anew, a policy that exists and whose entries it brings along (the
    implicit ones and those the import lists) the caller may READ whole (PolicyImportsPreEnforcer.authorize):
    404 `policies:policy.notfound` else. An import as it was before the write is not checked again."""
    old = imports_of(before) if before is not None else {}
    for imported_id, config in imports_of(doc).items():
        if old.get(imported_id) == config:
            continue
        policy, enforcer = await _existing(policies, imported_id)
        labels = {label for label, entry in entries_of(policy.doc).items()
                  if entry.get("importable", "implicit") == "implicit"}
        labels.update(strings(config.get("entries")))
        if not all(enforcer.has_unrestricted(subjects, POLICY, ("entries", label), [READ]) for label in labels):
            raise PolicyNotAccessible(imported_id, "Check if the ID of the imported Policy was correct and you have "
                                      "sufficient permissions on all imported policy entries.")


async def check_import_references(policies: PolicySource, command: PolicyCommand, subjects: tuple[str, ...], *,
                                  now: datetime, expiry_granularity: timedelta) -> None:
    """Each import reference `command` writes checked as `check_import_reference` does (only writes of a whole
    policy, its entries, an entry or its references that hold any reference, see `written_import_references`)."""
    for imported_id, label in written_import_references(command, now=now, expiry_granularity=expiry_granularity):
        await check_import_reference(policies, imported_id, label, subjects)


async def check_import_reference(policies: PolicySource, imported_id: str, label: str,
                                 subjects: tuple[str, ...]) -> None:
    """An import reference must name an entry of an existing policy that is not `importable: never` and that the
    caller may READ whole (PolicyImportsPreEnforcer.validateSingleImportReference): 404 `policies:policy.notfound`
    for a missing policy or an entry the caller may not read, 400 `policies:import.invalid` for a missing or
    never importable entry."""
    policy, enforcer = await _existing(policies, imported_id)
    entry = entries_of(policy.doc).get(label)
    if entry is None:
        raise PolicyImportInvalid(f"A reference targets entry '{label}' of policy '{imported_id}' which does not "
                                  "exist.")
    if entry.get("importable") == "never":
        raise PolicyImportInvalid(f"A reference targets entry '{label}' of policy '{imported_id}' which is marked as "
                                  "importable='never'.")
    if not enforcer.has_unrestricted(subjects, POLICY, ("entries", label), [READ]):
        raise PolicyNotAccessible(imported_id, f"Insufficient permissions to reference entry '{label}' of policy "
                                  f"'{imported_id}'.")


async def _existing(policies: PolicySource, policy_id: str) -> tuple[Policy, Enforcer]:
    """The policy another one imports or references, with its enforcer; 404 `policies:policy.notfound` if missing."""
    policy = await policies.load(policy_id)
    enforcer = await policies.enforcer(policy_id) if policy is not None else None
    if policy is None or enforcer is None:
        raise PolicyNotAccessible(policy_id)
    return policy, enforcer
