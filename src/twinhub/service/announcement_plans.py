"""The changes a policy write makes to its schedule of subject deletion announcements, committed with the write
(`twinhub.model.policy.announcement_plan`, with the random spread of `randomizationInterval` drawn here; the
announcer, `twinhub.service.announcements`, sends them)."""

from __future__ import annotations

import random
from datetime import datetime

from twinhub.model.events import Policy
from twinhub.model.policy import AnnouncementChange, plan_announcements

__all__ = ["announcement_changes"]


def announcement_changes(before: Policy | None, after: Policy, now: datetime) -> tuple[AnnouncementChange, ...]:
    """How a write from `before` (None: none, or deleted) to `after` changes the policy's announcement schedule."""
    return plan_announcements(after.policy_id, None if before is None or before.deleted else before.doc,
                              None if after.deleted else after.doc, now,
                              random_part=lambda interval: interval * random.random())
