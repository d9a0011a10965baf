"""Which aspects of Thing Model validation apply: Ditto's `ditto.things.wot.tm-model-validation` switches.

Every aspect is on by default, as in Ditto (`things/service/src/main/resources/things.conf`); an aspect is named by
its key in that config under `thing` or `feature`, e.g. `thing.forbid.non-modeled-attributes`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["ASPECTS", "ValidationConfig"]

ASPECTS = frozenset({
    "thing.enforce.thing-description-modification",
    "thing.enforce.attributes",
    "thing.enforce.inbox-messages-input",
    "thing.enforce.inbox-messages-output",
    "thing.enforce.outbox-messages",
    "thing.forbid.thing-description-deletion",
    "thing.forbid.non-modeled-attributes",
    "thing.forbid.non-modeled-inbox-messages",
    "thing.forbid.non-modeled-outbox-messages",
    "feature.enforce.feature-description-modification",
    "feature.enforce.presence-of-modeled-features",
    "feature.enforce.properties",
    "feature.enforce.desired-properties",
    "feature.enforce.inbox-messages-input",
    "feature.enforce.inbox-messages-output",
    "feature.enforce.outbox-messages",
    "feature.forbid.feature-description-deletion",
    "feature.forbid.non-modeled-features",
    "feature.forbid.non-modeled-properties",
    "feature.forbid.non-modeled-desired-properties",
    "feature.forbid.non-modeled-inbox-messages",
    "feature.forbid.non-modeled-outbox-messages",
})


@dataclass(frozen=True, slots=True)
class ValidationConfig:
    """`enabled` (Ditto's `enabled`), `log_only` (`log-warning-instead-of-failing-api-calls`) and the aspects
    switched off."""

    enabled: bool = True
    log_only: bool = False
    off: frozenset[str] = frozenset()

    @classmethod
    def of(cls, *, enabled: bool = True, log_only: bool = False, off: Iterable[str] = ()) -> ValidationConfig:
        """The config with the aspects `off` switched off; raises ValueError naming an unknown aspect."""
        unknown = sorted(set(off) - ASPECTS)
        if unknown:
            raise ValueError(f"unknown WoT validation aspects: {', '.join(unknown)} "
                             f"(known: {', '.join(sorted(ASPECTS))})")
        return cls(enabled, log_only, frozenset(off))

    def on(self, aspect: str) -> bool:
        """Whether `aspect` (one of ASPECTS) is checked."""
        return aspect not in self.off
