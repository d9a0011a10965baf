"""Custom acknowledgements on the live hub: who may issue which label, and the writes waiting for them.

* A label is tied to the subject that declared it first: as in Ditto, one session holds it at a time
  (another session declaring it is refused with 409 `acknowledgement:label.not.unique`, whatever its
  subject), and beyond Ditto, once the holder is gone only the same subject may declare it again, so
  that nobody can take a device's label while the device reconnects. Workers tell each other the
  labels their sessions declared (`LabelAnnouncement`s on the signal bus, again every
  `ANNOUNCE_SECONDS`); where two subjects declared a label at once on two workers, the earlier
  declaration wins everywhere and the later holder is told it lost (its session closes, as Ditto's).
* An acknowledgement is issued only for a twin event its issuer received that requested that label
  (`Receipts`), names that event's thing, and carries its issuer's subject; a waiting write takes it
  only from the subject its label is tied to. Anything else is ignored, as Ditto ignores
  acknowledgements nobody waits for.

Bindings outlive their sessions in memory, bounded per subject and per worker (the oldest not held go
first); a restarted worker learns the held ones from the others' announcements.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Final

from twinhub.bus.signals import SignalBus
from twinhub.model.errors import AcknowledgementLabelNotDeclared, AcknowledgementLabelNotUnique, TwinhubError
from twinhub.model.live import Acknowledgement, LabelAnnouncement, timed_out
from twinhub.service.receipts import Receipts

__all__ = ["ANNOUNCE_SECONDS", "AckWait", "Acknowledgements", "Declaration", "LabelRegistry"]

log = logging.getLogger(__name__)

ANNOUNCE_SECONDS: Final = 30.0
MAX_LABELS_PER_SUBJECT: Final = 256  # bindings kept per subject (the oldest not held go first)
MAX_LABELS: Final = 100_000  # bindings kept per worker


class Declaration:
    """The acknowledgement labels one issuer (a WebSocket session) of `subject` declared, with the
    receipts of what it received; `release()` when it ends. `on_lost` is called when another worker's
    earlier declaration of one of its labels wins."""

    def __init__(self, acks: Acknowledgements, labels: tuple[str, ...], owner: object, subject: str,
                 receipts: Receipts, on_lost: Callable[[], None] | None) -> None:
        self.labels = labels
        self.owner = owner
        self.subject = subject
        self.receipts = receipts
        self._acks = acks
        self._on_lost = on_lost

    async def acknowledge(self, ack: Acknowledgement) -> bool:
        """Issue `ack` for an event received here that requested its label; whether it was issued.

        Raises 400 `acknowledgement:label.not.declared` for a label not declared here. An acknowledgement
        of anything else is dropped (False), as Ditto drops acknowledgements nobody waits for."""
        if ack.label not in self.labels:
            raise AcknowledgementLabelNotDeclared(ack.label)
        entity_id = self.receipts.take_ack(ack.correlation_id, ack.label)
        if entity_id is None:
            log.info("dropping an acknowledgement %s for %s by %s: no such event was received by it",
                     ack.label, ack.correlation_id, self.subject)
            return False
        await self._acks.issue(replace(ack, entity_id=entity_id, issuer=self.subject))
        return True

    async def acknowledge_skipped(self, ack: Acknowledgement) -> None:
        """Issue the weak acknowledgement of an event the event hub did not give this issuer."""
        await self._acks.issue(replace(ack, issuer=self.subject))

    def release(self) -> None:
        self._acks.labels.release(self)

    def lose(self) -> None:
        self.release()
        if self._on_lost is not None:
            self._on_lost()


@dataclass(slots=True)
class _Binding:
    subject: str
    since: float  # when the subject first declared it (seconds since the epoch), as every worker knows it
    holder: Declaration | None = None  # the declaration of this worker holding it now


class LabelRegistry:
    """Which subject each label is tied to, and which local declaration holds it now."""

    def __init__(self, *, per_subject: int = MAX_LABELS_PER_SUBJECT, capacity: int = MAX_LABELS) -> None:
        self._per_subject = per_subject
        self._capacity = capacity
        self._bindings: dict[str, _Binding] = {}  # oldest first
        self._by_subject: dict[str, dict[str, None]] = {}  # each subject's labels, oldest first

    def owner(self, label: str) -> str | None:
        binding = self._bindings.get(label)
        return None if binding is None else binding.subject

    def is_held(self, label: str) -> bool:
        binding = self._bindings.get(label)
        return binding is not None and binding.holder is not None

    def claim(self, declaration: Declaration, now: float) -> None:
        """Hold the declaration's labels; raises 409 `acknowledgement:label.not.unique` when one is held
        by another declaration or tied to another subject."""
        for label in declaration.labels:
            binding = self._bindings.get(label)
            if binding is not None and (binding.holder is not None or binding.subject != declaration.subject):
                raise AcknowledgementLabelNotUnique()
        for label in declaration.labels:
            binding = self._bindings.pop(label, None) or _Binding(declaration.subject, now)
            binding.holder = declaration
            self._bind(label, binding)

    def release(self, declaration: Declaration) -> None:
        for label in declaration.labels:
            binding = self._bindings.get(label)
            if binding is not None and binding.holder is declaration:
                binding.holder = None

    def learn(self, announcement: LabelAnnouncement) -> list[Declaration]:
        """Take in another worker's declaration; the local declarations that lost a label to it."""
        losers: list[Declaration] = []
        for label in announcement.labels:
            binding = self._bindings.get(label)
            if binding is None:
                self._bind(label, _Binding(announcement.subject, announcement.since))
            elif binding.subject == announcement.subject:
                binding.since = min(binding.since, announcement.since)
            elif (announcement.since, announcement.subject) < (binding.since, binding.subject):
                if binding.holder is not None:
                    losers.append(binding.holder)
                self._unbind(label)
                self._bind(label, _Binding(announcement.subject, announcement.since))
        return losers

    def held(self, labels: Iterable[str] | None = None) -> list[LabelAnnouncement]:
        """What this worker's declarations hold (of `labels`, or all), per subject and first declaration."""
        grouped: dict[tuple[str, float], list[str]] = {}
        for label in self._bindings if labels is None else labels:
            binding = self._bindings.get(label)
            if binding is not None and binding.holder is not None:
                grouped.setdefault((binding.subject, binding.since), []).append(label)
        return [LabelAnnouncement(subject, tuple(labels), since) for (subject, since), labels in grouped.items()]

    def _bind(self, label: str, binding: _Binding) -> None:
        self._bindings[label] = binding
        labels = self._by_subject.setdefault(binding.subject, {})
        labels[label] = None
        if len(labels) > self._per_subject:
            self._evict(label for label in labels)
        if len(self._bindings) > self._capacity:
            self._evict(label for label in self._bindings)

    def _evict(self, candidates: Iterable[str]) -> None:
        """Forget the first of `candidates` no declaration holds now."""
        found = next((label for label in candidates if self._bindings[label].holder is None), None)
        if found is not None:
            self._unbind(found)

    def _unbind(self, label: str) -> None:
        binding = self._bindings.pop(label)
        labels = self._by_subject[binding.subject]
        del labels[label]
        if not labels:
            del self._by_subject[binding.subject]


class AckWait:
    """Collects the acknowledgements of `labels` for one correlation-id and thing; registered before the
    signal that requests them is published, so none can arrive unseen."""

    def __init__(self, acks: Acknowledgements, correlation_id: str, labels: tuple[str, ...], entity_id: str) -> None:
        self.correlation_id = correlation_id
        self.labels = labels
        self.entity_id = entity_id
        self._acks = acks
        self._received: dict[str, Acknowledgement] = {}
        self._complete = asyncio.Event()
        if not labels:
            self._complete.set()

    def offer(self, ack: Acknowledgement) -> None:
        """Keep the first acknowledgement of each awaited label about this thing from the label's subject."""
        if ack.label not in self.labels or ack.label in self._received:
            return
        if (self.entity_id and ack.entity_id != self.entity_id) or ack.issuer is None:
            return
        owner = self._acks.labels.owner(ack.label)
        if owner is not None and owner != ack.issuer:
            log.info("dropping an acknowledgement %s by %s: the label is %s's", ack.label, ack.issuer, owner)
            return
        self._received[ack.label] = ack
        if len(self._received) == len(self.labels):
            self._complete.set()

    async def wait(self, timeout: float, *,  # noqa: ASYNC109 - the time to collect, not a cancel scope
                   requested_timeout: float | None = None) -> dict[str, Acknowledgement]:
        """Every label's acknowledgement, in the order requested; labels not answered within `timeout`
        seconds get a 408 `acknowledgement:request.timeout` one (naming `requested_timeout`, if given).

        On a bus no other worker shares, a label no issuer of this worker holds times out at once:
        nobody can answer it (an issuer declaring it now has not seen the signal)."""
        try:
            if not self._acks.shared:
                for label in self.labels:
                    if label not in self._received and not self._acks.labels.is_held(label):
                        self._received[label] = self._timed_out(label, requested_timeout or timeout)
                if len(self._received) == len(self.labels):
                    self._complete.set()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(timeout, 0)):
                    await self._complete.wait()
            return {label: self._received.get(label) or self._timed_out(label, requested_timeout or timeout)
                    for label in self.labels}
        finally:
            self.close()

    def close(self) -> None:
        self._acks.forget(self)

    def _timed_out(self, label: str, timeout: float) -> Acknowledgement:
        return timed_out(label, self.entity_id, self.correlation_id, timeout)


class Acknowledgements:
    """The acknowledgement side of one worker's live hub (which feeds it what the bus brings)."""

    def __init__(self, bus: SignalBus, *, clock: Callable[[], float] = time.time) -> None:
        self._bus = bus
        self._clock = clock
        self.labels = LabelRegistry()
        self._waits: dict[str, set[AckWait]] = {}

    @property
    def shared(self) -> bool:
        return self._bus.shared

    async def declare(self, labels: Iterable[str], owner: object, *, subject: str, receipts: Receipts | None = None,
                      on_lost: Callable[[], None] | None = None) -> Declaration:
        """Declare that `owner` (of `subject`) issues acknowledgements of `labels`; raises 409
        `acknowledgement:label.not.unique` when a label is held, or tied to another subject."""
        unique = tuple(dict.fromkeys(labels))
        declaration = Declaration(self, unique, owner, subject, Receipts(unique) if receipts is None else receipts,
                                  on_lost)
        self.labels.claim(declaration, self._clock())
        if unique and self.shared:
            for announcement in self.labels.held(declaration.labels):
                await self._announce(announcement)
        return declaration

    async def issue(self, ack: Acknowledgement) -> None:
        """Hand `ack` to the write that awaits it on whichever worker (dropped if none does)."""
        if self.shared:
            await self._bus.publish(ack)
        else:  # at once, not behind the bus's queue: a label released meanwhile must not fail it fast
            self.collect(ack)

    def collect(self, ack: Acknowledgement) -> None:
        for wait in list(self._waits.get(ack.correlation_id, ())):
            wait.offer(ack)

    def learn(self, announcement: LabelAnnouncement) -> None:
        for loser in self.labels.learn(announcement):
            log.warning("another worker's session declared acknowledgement labels of %s first; closing ours",
                        loser.subject)
            loser.lose()

    async def announce_held(self) -> None:
        """Tell the other workers again what this one holds (workers that started since learn it)."""
        for announcement in self.labels.held():
            await self._announce(announcement)

    async def _announce(self, announcement: LabelAnnouncement) -> None:
        try:
            await self._bus.publish(announcement)
        except TwinhubError as error:  # told again at the next round
            log.warning("could not announce acknowledgement labels: %s", error.message)

    def expect(self, correlation_id: str, labels: Iterable[str], entity_id: str) -> AckWait:
        wait = AckWait(self, correlation_id, tuple(dict.fromkeys(labels)), entity_id)
        self._waits.setdefault(correlation_id, set()).add(wait)
        return wait

    def forget(self, wait: AckWait) -> None:
        waits = self._waits.get(wait.correlation_id)
        if waits is not None:
            waits.discard(wait)
            if not waits:
                del self._waits[wait.correlation_id]
