"""Which aspects of Thing Model validation apply: Ditto's `ditto.things.wot.tm-model-validation` switches.

Every aspect is on by default, as in Ditto (`things/service/src/main/resources/things.conf`); an aspect is named by
its key in that config under `thing` or `feature`, e.g. `thing.forbid.non-modeled-attributes`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from twinhub.model.types import JsonValue
from twinhub.wot.validation.dynamic import DynamicSection, parse_dynamic

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
    """`enabled` (Ditto's `enabled`), `log_only` (`log-warning-instead-of-failing-api-calls`), the aspects
    switched off, and the `dynamic` sections that override them for some calls (`twinhub.wot.validation.dynamic`)."""

    enabled: bool = True
    log_only: bool = False
    off: frozenset[str] = frozenset()
    dynamic: tuple[DynamicSection, ...] = ()

    @classmethod
    def of(cls, *, enabled: bool = True, log_only: bool = False, off: Iterable[str] = (),
           dynamic: JsonValue = None) -> ValidationConfig:
        """The config with the aspects `off` switched off and the `dynamic` sections (Ditto's
        `dynamic-configuration` as JSON; None: none); raises ValueError naming an unknown aspect or a bad section."""
        unknown = sorted(set(off) - ASPECTS)
        if unknown:
            raise ValueError(f"unknown WoT validation aspects: {', '.join(unknown)} "
                             f"(known: {', '.join(sorted(ASPECTS))})")
        sections = () if dynamic is None else parse_dynamic(dynamic, ASPECTS)
        return cls(enabled, log_only, frozenset(off), sections)

    def for_call(self, headers: Mapping[str, str], thing_definition: str | None,
                 feature_definition: str | None = None) -> ValidationConfig:
        """The config of one call: this one with the overrides of every dynamic section whose context matches
        the call's headers and definitions, later sections over earlier ones."""
        if not self.dynamic:
            return self
        enabled, log_only, off = self.enabled, self.log_only, set(self.off)
        for section in self.dynamic:
            if section.applies(headers, thing_definition, feature_definition):
                overrides = section.overrides
                enabled = enabled if overrides.enabled is None else overrides.enabled
                log_only = log_only if overrides.log_only is None else overrides.log_only
                for aspect, on in overrides.aspects:
                    (off.discard if on else off.add)(aspect)
        return replace(self, enabled=enabled, log_only=log_only, off=frozenset(off), dynamic=())

    def on(self, aspect: str) -> bool:
        """Whether `aspect` (one of ASPECTS) is checked."""
        return aspect not in self.off
