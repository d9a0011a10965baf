"""The schedule of subject deletion announcements, the same on both stores: changed in the policy write's
transaction, claimed by one worker at a time (a lease), settled only by the claim that is still current."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tests.contract.helpers import create_policy, unit
from twinhub.model.policy import AnnouncementChange
from twinhub.store.base import RevisionConflict, Store
from twinhub.store.commit import Commit

pytestmark = pytest.mark.anyio

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)


def _scheduled(policy_id: str, subject_id: str = "s:1", *, due: datetime | None = NOW, when_deleted: bool = False,
               expiry: datetime = NOW + timedelta(hours=1)) -> AnnouncementChange:
    return AnnouncementChange(policy_id, subject_id, gone=False, delete_at=expiry, due_at=due,
                              give_up_at=expiry + timedelta(hours=4), when_deleted=when_deleted, labels=("a:b",),
                              timeout=timedelta(seconds=5))


def _gone(policy_id: str, subject_id: str = "s:1", at: datetime = NOW) -> AnnouncementChange:
    return AnnouncementChange(policy_id, subject_id, gone=True, delete_at=at, due_at=at,
                              give_up_at=at + timedelta(hours=4))


async def _write(store: Store, policy_id: str, *changes: AnnouncementChange, fresh: bool = False) -> None:
    """A write of the policy (its next revision, or its creation when `fresh`) with the schedule `changes`."""
    current = None if fresh else await store.load_policy(policy_id)
    await store.commit(replace(unit(create_policy(policy_id, after=current)), announcements=changes))


async def test_a_due_announcement_is_claimed_once_until_settled(store: Store) -> None:
    await _write(store, "ns:p", _scheduled("ns:p"))
    [claim] = await store.claim_announcements(NOW, LEASE, limit=10)
    assert (claim.policy_id, claim.subject_id, claim.labels, claim.timeout) == ("ns:p", "s:1", ("a:b",),
                                                                                  timedelta(seconds=5))
    assert not claim.final  # about an expiry ahead
    assert await store.claim_announcements(NOW, LEASE, limit=10) == []  # leased
    await store.settle_announcement(claim, retry_at=None)
    assert await store.claim_announcements(NOW + LEASE * 2, LEASE, limit=10) == []  # done


async def test_an_announcement_not_yet_due_is_not_claimed(store: Store) -> None:
    await _write(store, "ns:p", _scheduled("ns:p", due=NOW + timedelta(minutes=1)),
                 _scheduled("ns:p", "s:2", due=None, when_deleted=True))
    assert await store.claim_announcements(NOW, LEASE, limit=10) == []
    [claim] = await store.claim_announcements(NOW + timedelta(minutes=1), LEASE, limit=10)
    assert claim.subject_id == "s:1"


async def test_a_lapsed_lease_lets_another_worker_claim_and_the_first_settles_nothing(store: Store) -> None:
    await _write(store, "ns:p", _scheduled("ns:p"))
    [first] = await store.claim_announcements(NOW, LEASE, limit=10)
    [second] = await store.claim_announcements(NOW + LEASE, LEASE, limit=10)
    assert second.attempt > first.attempt
    await store.settle_announcement(first, retry_at=None)  # stale: ignored
    await store.settle_announcement(second, retry_at=NOW + LEASE)
    [again] = await store.claim_announcements(NOW + LEASE, LEASE, limit=10)
    assert again.retries == 1


async def test_concurrent_claims_never_share_an_announcement(store: Store) -> None:
    await _write(store, "ns:p", *(_scheduled("ns:p", f"s:{n}") for n in range(20)))
    claims = await asyncio.gather(*(store.claim_announcements(NOW, LEASE, limit=3) for _ in range(10)))
    subjects = [claim.subject_id for batch in claims for claim in batch]
    assert sorted(subjects) == sorted(f"s:{n}" for n in range(20))


async def test_a_policy_write_reschedules_and_fences_an_open_claim(store: Store) -> None:
    await _write(store, "ns:p", _scheduled("ns:p"))
    [claim] = await store.claim_announcements(NOW, LEASE, limit=10)
    later = NOW + timedelta(minutes=5)
    await _write(store, "ns:p", _scheduled("ns:p", due=later))
    await store.settle_announcement(claim, retry_at=None)  # the write changed it: ignored
    assert await store.claim_announcements(NOW, LEASE, limit=10) == []
    assert [c.subject_id for c in await store.claim_announcements(later, LEASE, limit=10)] == ["s:1"]


async def test_a_deleted_subject_that_asked_for_it_is_announced_at_once(store: Store) -> None:
    await _write(store, "ns:p", _scheduled("ns:p", due=None, when_deleted=True),
                 _scheduled("ns:p", "s:2", due=NOW + timedelta(minutes=30)))
    await _write(store, "ns:p", _gone("ns:p"), _gone("ns:p", "s:2"))
    [claim] = await store.claim_announcements(NOW, LEASE, limit=10)
    assert claim.subject_id == "s:1" and claim.final  # s:2 did not ask to be announced when deleted
    await store.settle_announcement(claim, retry_at=None)
    # s:2 keeps its beforeExpiry announcement, now of its deletion (Ditto's SubjectExpiryActor stays TO_ANNOUNCE).
    [kept] = await store.claim_announcements(NOW + timedelta(minutes=30), LEASE, limit=10)
    assert (kept.subject_id, kept.final, kept.delete_at) == ("s:2", True, "2030-01-01T12:00:00Z")
    await store.settle_announcement(kept, retry_at=None)
    assert await store.claim_announcements(NOW + timedelta(hours=1), LEASE, limit=10) == []


async def test_a_deleted_subject_with_nothing_left_to_announce_is_forgotten(store: Store) -> None:
    await _write(store, "ns:p", _scheduled("ns:p", due=None), _scheduled("ns:p", "s:2", when_deleted=True))
    [claim] = await store.claim_announcements(NOW, LEASE, limit=10)
    await store.settle_announcement(claim, retry_at=None)  # s:2 acknowledged
    await _write(store, "ns:p", _gone("ns:p"), _gone("ns:p", "s:2"))
    assert await store.claim_announcements(NOW + timedelta(days=1), LEASE, limit=10) == []


async def test_a_subject_that_asks_for_nothing_any_more_is_not_announced_when_deleted(store: Store) -> None:
    """A write replacing a subject's `whenDeleted` announcement by nothing due (`plan_announcements` for a subject
    that stays without asking any more) leaves nothing to announce on its deletion."""
    await _write(store, "ns:p", _scheduled("ns:p", due=None, when_deleted=True))
    await _write(store, "ns:p", _scheduled("ns:p", due=None))
    await _write(store, "ns:p", _gone("ns:p"))
    assert await store.claim_announcements(NOW + timedelta(days=1), LEASE, limit=10) == []


async def test_an_acknowledged_subject_is_not_announced_again_when_deleted(store: Store) -> None:
    await _write(store, "ns:p", _scheduled("ns:p", when_deleted=True))
    [claim] = await store.claim_announcements(NOW, LEASE, limit=10)
    await store.settle_announcement(claim, retry_at=None)
    await _write(store, "ns:p", _gone("ns:p"))
    assert await store.claim_announcements(NOW + LEASE, LEASE, limit=10) == []


async def test_changes_of_a_conflicting_write_are_not_applied(store: Store) -> None:
    await _write(store, "ns:p")
    with pytest.raises(RevisionConflict):
        await _write(store, "ns:p", _scheduled("ns:p"), fresh=True)  # expects no policy, but there is one
    assert await store.claim_announcements(NOW, LEASE, limit=10) == []


async def test_the_schedule_survives_a_restart(open_store: object) -> None:
    opener = open_store  # the same database, opened twice
    async with opener() as store:  # type: ignore[operator]
        await _write(store, "ns:p", _scheduled("ns:p"))
    async with opener() as store:  # type: ignore[operator]
        assert [c.subject_id for c in await store.claim_announcements(NOW, LEASE, limit=10)] == ["s:1"]


def test_a_commit_of_only_announcements_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one write"):
        Commit(announcements=(_scheduled("ns:p"),))
