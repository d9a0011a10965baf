"""Which past revisions of a thing a caller may read, and through which enforcer: the rule behind every
historical read (`at-historical-revision` / `-timestamp` on a GET, the SSE replay, the WebSocket's
`subscribeForPersistedEvents`).

* Lives. A thing deleted as a whole and created again (by anyone, under any policy) starts a new life.
  History reaches back to the start of the current life and no further: earlier revisions are answered as
  revisions that do not exist (404 for a read at them, nothing in a replay), and a deleted thing has none.
* Policies. A revision is seen through the policy the thing named at that revision *and* through the thing's
  current policy: the caller sees what both let it READ, no more. Past policies are not rebuilt (the policy
  journal is kept, but rebuilding a policy with its imports and its subjects' expiry as of a time is not
  done); the past policy's current content stands in for it, which cannot leak:
  - the current policy bounds every revision, so nothing is shown that the thing's owners now hide;
  - a policy id can change hands (deleted, then created again by someone else), and its new content says
    nothing about who could read the thing back then: a revision older than the creation of its policy's
    current life (`Policy.created`) is refused, whoever asks. (Timestamps of different entities are compared
    here, so the workers' clocks must agree, as `at-historical-timestamp` already assumes.)
  A caller granted READ on a policy later than a revision may thus read that revision: its owners decided so
  (Ditto reads all history through the current policy alone). Imported policies count as they are now, as
  they do for every read.
"""

from __future__ import annotations

from datetime import datetime

from twinhub.model.events import Thing
from twinhub.model.types import JsonValue
from twinhub.policy import Enforcer
from twinhub.service.policies import PolicyService

__all__ = ["HistoryAccess"]


class HistoryAccess:
    """The enforcers the past revisions of one thing are read through, for one historical read; each policy it
    meets is loaded once. `current` is the thing now (existing) and `enforcer` its policy's enforcer."""

    def __init__(self, policies: PolicyService, current: Thing, enforcer: Enforcer) -> None:
        self._policies = policies
        self._namespace = current.thing_id.split(":", 1)[0]
        self._current_policy_id = current.doc.get("policyId")
        self._current = enforcer
        self._seen: dict[str, tuple[Enforcer, datetime] | None] = {}  # policy id -> its enforcer and creation

    async def enforcer_at(self, policy_id: JsonValue, timestamp: datetime) -> Enforcer | None:
        """The enforcer a revision made at `timestamp` under `policy_id` is read through; None when nobody may
        read it (no policy named, the policy is gone, or its current life began after the revision)."""
        if not isinstance(policy_id, str):
            return None
        if policy_id not in self._seen:
            # The enforcer first: a policy created again in between shows a later creation, so it is refused.
            enforcer = await self._policies.enforcer(policy_id, namespace=self._namespace)
            policy = await self._policies.load(policy_id) if enforcer is not None else None
            self._seen[policy_id] = None if enforcer is None or policy is None else (enforcer, policy.created)
        found = self._seen[policy_id]
        if found is None or found[1] > timestamp:
            return None
        enforcer = found[0]
        return enforcer if policy_id == self._current_policy_id else enforcer.narrowed_by(self._current)
