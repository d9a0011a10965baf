"""Ditto's checkPermissions: may the caller do this, for a batch of resources at once.

    {"lamp-read": {"resource": "thing:/features/lamp", "entityId": "org.acme:lamp-1", "hasPermissions": ["READ"]}}
    -> {"lamp-read": true}

A check holds when the subjects hold every permission, unrestricted, on the resource of the entity (a
thing's policy for `thing:` and `message:` resources, the policy itself for `policy:`); an unknown entity
holds none.

Ditto answers for the caller only. `check_for` (a twinhub extension) answers the same checks for another subject,
with the same enforcers, to a caller who may READ the entries of every policy concerned, imported ones included
(an enforcer holds the entries it imports): those entries say the same to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from twinhub.model.errors import PolicyNotAccessible, ThingInvalid, ThingNotAccessible
from twinhub.model.ids import parse_policy_id, parse_thing_id
from twinhub.model.pointer import parse_pointer
from twinhub.model.policy import MESSAGE, PERMISSIONS, POLICY, READ, THING, missing_imports
from twinhub.model.types import JsonObject, JsonValue, Pointer
from twinhub.service.policies import PolicyService
from twinhub.service.things import ThingService

__all__ = ["PermissionCheck", "PermissionService", "parse_permission_checks"]

ResourceType = Literal["thing", "message", "policy"]
_TYPES: Final[dict[str, ResourceType]] = {THING: THING, MESSAGE: MESSAGE, POLICY: POLICY}


@dataclass(frozen=True, slots=True)
class PermissionCheck:
    resource_type: ResourceType
    path: Pointer
    entity_id: str  # a thing id, or a policy id for `policy:` resources
    permissions: tuple[str, ...]


def parse_permission_checks(body: JsonValue) -> dict[str, PermissionCheck]:
    """The named checks of a checkPermissions body; raises 400 `things:thing.invalid` for any malformed one."""
    if not isinstance(body, dict):
        raise ThingInvalid("The body of checkPermissions must be a JSON object of named checks.")
    return {name: _check(check) for name, check in body.items()}


def _check(check: JsonValue) -> PermissionCheck:
    if not isinstance(check, dict):
        raise ThingInvalid("Each permission check must be an object with resource, entityId, hasPermissions.")
    resource, entity_id, permissions = check.get("resource"), check.get("entityId"), check.get("hasPermissions")
    if not isinstance(resource, str) or not isinstance(entity_id, str) or not isinstance(permissions, list):
        raise ThingInvalid("A permission check needs 'resource', 'entityId' and 'hasPermissions'.")
    type_name, sep, path_text = resource.partition(":")
    resource_type = _TYPES.get(type_name)
    if not sep or resource_type is None or not path_text.startswith("/"):
        raise ThingInvalid(f"The resource '{resource}' is not '<thing|message|policy>:/<path>'.")
    if not permissions or any(permission not in PERMISSIONS for permission in permissions):
        raise ThingInvalid(f"'hasPermissions' must list some of {', '.join(PERMISSIONS)}.")
    parse = parse_policy_id if resource_type == POLICY else parse_thing_id
    return PermissionCheck(resource_type, parse_pointer(path_text), str(parse(entity_id)),
                           tuple(str(permission) for permission in permissions))


class PermissionService:
    def __init__(self, things: ThingService, policies: PolicyService) -> None:
        self._things = things
        self._policies = policies

    async def check(self, checks: dict[str, PermissionCheck], subjects: tuple[str, ...]) -> dict[str, bool]:
        """Each named check's verdict for `subjects`."""
        return {name: await self._holds(check, subjects) for name, check in checks.items()}

    async def check_for(self, checks: dict[str, PermissionCheck], subject: str,
                        caller: tuple[str, ...]) -> dict[str, bool]:
        """Each named check's verdict for `subject`; raises 404 (`things:thing.notfound`,
        `policies:policy.notfound`) for an entity whose policy, or a policy it imports, the caller may not READ the
        entries of, so the answer tells nothing a read of those policies would not (nor whether the entity exists)."""
        for check in checks.values():
            await self._require_policy_read(check, caller)
        return await self.check(checks, (subject,))

    async def _require_policy_read(self, check: PermissionCheck, caller: tuple[str, ...]) -> None:
        policy_id: object = check.entity_id
        if check.resource_type != POLICY:
            thing = await self._things.current(check.entity_id)
            policy_id = thing.doc.get("policyId") if thing is not None else None
        sources = await self._sources(policy_id) if isinstance(policy_id, str) else []
        if not sources or not all([await self._may_read_entries(source_id, caller) for source_id in sources]):
            raise PolicyNotAccessible(check.entity_id) if check.resource_type == POLICY \
                else ThingNotAccessible(check.entity_id)

    async def _may_read_entries(self, policy_id: str, caller: tuple[str, ...]) -> bool:
        enforcer = await self._policies.enforcer(policy_id)
        return enforcer is not None and enforcer.has_unrestricted(caller, POLICY, ("entries",), [READ])

    async def _sources(self, policy_id: str) -> list[str]:
        """The policy and every existing one it imports, transitively: the entries its enforcer is built from
        (empty when it does not exist)."""
        policy = await self._policies.load(policy_id)
        if policy is None:
            return []
        loaded: dict[str, JsonObject | None] = {}
        while needed := missing_imports(policy.doc, loaded):
            for imported_id in sorted(needed):
                imported = await self._policies.load(imported_id)
                loaded[imported_id] = imported.doc if imported is not None else None
        return [policy_id, *(imported_id for imported_id, doc in loaded.items() if doc is not None)]

    async def _holds(self, check: PermissionCheck, subjects: tuple[str, ...]) -> bool:
        if check.resource_type == POLICY:
            enforcer = await self._policies.enforcer(check.entity_id)
        else:
            enforcer = await self._things.enforcer(check.entity_id)
        return enforcer is not None and enforcer.has_unrestricted(subjects, check.resource_type, check.path,
                                                                  list(check.permissions))
