"""Receivers of policy announcements (`START-SEND-POLICY-ANNOUNCEMENTS`): each the bounded stream of the subject
deletion announcements that concern one of its subjects, as Ditto publishes each announcement to the sessions
authenticated with the subject it names (basic-policy.md "Subject deletion announcements"), optionally only of
some namespaces. The live hub owns one `AnnouncementReceivers` and hands it what the signal bus brings."""

from __future__ import annotations

from collections.abc import Callable, Collection

from twinhub.bus.cutoff import CutOffQueue
from twinhub.model.live import SubjectDeletion
from twinhub.service.receipts import Receipts

__all__ = ["AnnouncementReceiver", "AnnouncementReceivers"]


class AnnouncementReceiver(CutOffQueue[SubjectDeletion]):
    def __init__(self, subjects: tuple[str, ...], namespaces: frozenset[str] | None, capacity: int,
                 receipts: Receipts | None, *, on_close: Callable[[], None]) -> None:
        super().__init__(capacity, on_close=on_close)
        self.subjects = frozenset(subjects)
        self.receipts = receipts  # where the acknowledgements it may issue are noted
        self._namespaces = namespaces

    def wants(self, announcement: SubjectDeletion) -> bool:
        if self._namespaces is not None and announcement.policy_id.partition(":")[0] not in self._namespaces:
            return False
        return not self.subjects.isdisjoint(announcement.subject_ids)

    def deliver(self, announcement: SubjectDeletion) -> None:
        if self.receipts is not None:
            self.receipts.announcement(announcement)
        self.offer(announcement)


class AnnouncementReceivers:
    """The announcement receivers of one worker."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._receivers: set[AnnouncementReceiver] = set()

    def receive(self, subjects: tuple[str, ...], *, namespaces: Collection[str] | None = None,
                receipts: Receipts | None = None) -> AnnouncementReceiver:
        """A receiver of the announcements that concern one of `subjects`; close it when done."""
        receiver = AnnouncementReceiver(subjects, None if namespaces is None else frozenset(namespaces),
                                        self._capacity, receipts,
                                        on_close=lambda: self._receivers.discard(receiver))
        self._receivers.add(receiver)
        return receiver

    def dispatch(self, announcement: SubjectDeletion) -> None:
        for receiver in list(self._receivers):
            if receiver.wants(announcement):
                receiver.deliver(announcement)

    def close(self) -> None:
        for receiver in list(self._receivers):
            receiver.close()
